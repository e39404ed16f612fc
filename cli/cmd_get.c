/* cmd_get.c - stagectl get @loc FILE|DIR|-: DownloadFile into a temp file
 * next to the target, renamed into place only when the whole file arrived
 * and, when the server knows the file's SHA-256 (else its MD5), hashes to
 * it: a mismatch is an error exit and the target is left alone (on stdout
 * the bytes are already out: the exit status and message say so).
 * A prefix (@~/dir/, or --pattern) is listed and its files downloaded by a
 * pool of threads (--parallel), fed while the listing streams in. */
#include "digest.h" /* first: it asks OpenSSL for the (deprecated) raw contexts */

#include "cli.h"
#include "err.h"
#include "filter.h"
#include "get.h"
#include "out.h"
#include "pool.h"

#include "stage/v1/stage.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum { O_OFFSET = CLI_OPT_FIRST_CMD, O_LENGTH, O_PARALLEL };

static const char usage[] =
    "usage: stagectl get @LOCATION FILE|DIR|- [--offset N] [--length N]\n"
    "       stagectl get @PREFIX/ DIR [--pattern RE | --include/--exclude GLOB]\n"
    "                                 [--parallel N]\n"
    "\n"
    "Download a file. Into DIR (an existing directory, or a path ending in '/'),\n"
    "the file keeps its base name; '-' writes to stdout. The data goes to a temp\n"
    "file next to the target, renamed into place once complete, so an interrupted\n"
    "download never leaves a partial file under the target's name.\n"
    "\n"
    "A location ending in '/' (or a bare stage, @~), or any location with\n"
    "a filter (--pattern, --include, --exclude), downloads every file under it\n"
    "into DIR (created if missing), keeping the paths below the prefix's\n"
    "directory: one line per file (a JSON object per file with --json) and a\n"
    "progress bar on a terminal.\n"
    "\n"
    "  --offset N     start at byte N (one file)\n"
    "  --length N     at most N bytes (one file; default: to the end)\n"
    "  --parallel N   files downloaded at once (1-64, default 4)\n" FILTER_HELP;

/* Shared by the threads of a prefix download. */
struct get_many {
    bool on;
    _Atomic int64_t bytes, files_done;
    int64_t files_total, bytes_total;
    struct progress prog;
};
static struct get_many g_many;

struct get {
    struct cli *cli;
    int fd;
    const char *dest; /* what the user named, for messages */
    int64_t got;
    Stage__V1__FileInfo *info; /* a copy of the first message's FileInfo */
    struct progress prog;
    bool verify; /* the whole file is asked for: hash it */
    struct digest dg;
};

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int on_message(const ProtobufCMessage *msg, void *ud, struct rpc_status *st)
{
    struct get *g = ud;
    const Stage__V1__DownloadFileResponse *m = (const Stage__V1__DownloadFileResponse *)msg;
    if (m->msg_case == STAGE__V1__DOWNLOAD_FILE_RESPONSE__MSG_INFO && m->info && !g->info) {
        size_t n = protobuf_c_message_get_packed_size(&m->info->base);
        uint8_t *buf = malloc(n ? n : 1);
        if (buf) {
            protobuf_c_message_pack(&m->info->base, buf);
            g->info = stage__v1__file_info__unpack(NULL, n, buf);
            free(buf);
        }
        g->prog.total = m->info->size;
        /* the info comes before any byte: hash only what can be checked
         * (the SHA-256 if the server knows it, else the MD5, else nothing) */
        if (g->verify && g->got == 0) {
            if (m->info->sha256 && digest_hex_ok(m->info->sha256, 64))
                g->verify = digest_init_sha256(&g->dg) == 0;
            else if (!m->info->md5 || !digest_hex_ok(m->info->md5, 32))
                g->verify = false;
        }
        return 0;
    }
    if (m->msg_case != STAGE__V1__DOWNLOAD_FILE_RESPONSE__MSG_CHUNK)
        return 0;
    if (write_all(g->fd, m->chunk.data, m->chunk.len) != 0) {
        int e = errno;
        snprintf(st->msg, sizeof(st->msg), "cannot write '%s': %s", g->dest, strerror(e));
        return cli_errno_err(e);
    }
    g->got += (int64_t)m->chunk.len;
    if (g->verify)
        digest_update(&g->dg, m->chunk.data, m->chunk.len);
    if (g_many.on)
        atomic_fetch_add(&g_many.bytes, (int64_t)m->chunk.len);
    progress_update(&g->prog, g->got);
    return 0;
}

/* The final path: DEST, or DEST/<base name of loc> when DEST is a directory. */
static int final_path(struct cli *cli, const char *loc, const char *dest, char *out, size_t n)
{
    struct stat sb;
    const char *slash = strrchr(loc, '/');
    const char *base = slash ? slash + 1 : NULL;
    bool dir = dest[strlen(dest) - 1] == '/' || (stat(dest, &sb) == 0 && S_ISDIR(sb.st_mode));
    if (!dir) {
        snprintf(out, n, "%s", dest);
        return 0;
    }
    if (!base || !*base)
        return cli_usage(cli, "'%s' names no file; give one like @~/dir/a.csv", loc);
    if ((size_t)snprintf(out, n, "%s%s%s", dest, dest[strlen(dest) - 1] == '/' ? "" : "/", base) >=
        n)
        return cli_usage(cli, "path too long");
    return 0;
}

/* A temp file in the directory of `path`, with the mode a new file would get. */
static int open_temp(struct cli *cli, const char *path, char *tmp, size_t n)
{
    char d[1100], b[1100];
    snprintf(d, sizeof(d), "%s", path);
    snprintf(b, sizeof(b), "%s", path);
    snprintf(tmp, n, "%s/.%s.stagectl-XXXXXX", dirname(d), basename(b));
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return -cli_fail(cli, path, st_err_status_name(cli_errno_err(e)),
                         "cannot create a temp file next to '%s': %s", path, strerror(e));
    }
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    return fd;
}

static void print_done(struct cli *cli, const char *loc, const char *path, const struct get *g)
{
    char a[16];
    if (cli->json) {
        json_t *o =
            json_pack("{s:s,s:s,s:I}", "location", loc, "file", path, "bytes", (json_int_t)g->got);
        if (o && g->info)
            json_object_set_new(o, "info", out_msg_json(&g->info->base));
        out_print_json(o);
    } else if (cli_talk(cli) && (!g_many.on || !isatty(STDERR_FILENO))) {
        printf("%s -> %s (%s)\n", loc, path, out_size(a, g->got));
    }
}

/* 0 if what arrived hashes to the digest the server recorded (or it
 * recorded none, or only a part was asked for), else an error exit. */
static int check_digest(struct cli *cli, const char *loc, struct get *g)
{
    char md5[DIGEST_MD5_HEX], sha[DIGEST_SHA256_HEX];
    const char *want = NULL, *got = NULL, *algo = NULL;
    if (!g->verify)
        return 0;
    digest_final(&g->dg, md5, sha);
    g->verify = false;
    if (g->info->sha256 && digest_hex_ok(g->info->sha256, 64))
        algo = "sha256", want = g->info->sha256, got = sha;
    else if (g->info->md5 && digest_hex_ok(g->info->md5, 32))
        algo = "md5", want = g->info->md5, got = md5;
    if (!algo || strcasecmp(want, got) == 0)
        return 0;
    return cli_fail(cli, loc, "DATA_LOSS",
                    "checksum mismatch: the data received has %s %s, the server recorded %s%s",
                    algo, got, want, g->fd == STDOUT_FILENO ? " (already written to stdout)" : "");
}

static int download(struct cli *cli, const Stage__V1__DownloadFileRequest *req, struct get *g)
{
    struct rpc_status st;
    int rc = cli_connect(cli, true);
    if (rc)
        return rc;
    g->verify = req->offset == 0 && req->length == 0 && digest_init(&g->dg) == 0;
    progress_init(&g->prog, !cli->json && g->fd != STDOUT_FILENO && !g_many.on, req->location, -1);
    rc = rpc_server_stream(&cli->conn, RPC_SERVICE "DownloadFile", &req->base,
                           &stage__v1__download_file_response__descriptor, on_message, g, &st);
    progress_end(&g->prog);
    if (rc)
        return cli_fail_rpc(cli, req->location, rc, &st);
    if (!g->info)
        return cli_fail(cli, req->location, "INTERNAL", "the server sent no FileInfo");
    return check_digest(cli, req->location, g);
}

static int to_file(struct cli *cli, const Stage__V1__DownloadFileRequest *req, const char *dest)
{
    char path[1100], tmp[1200];
    struct get g = {.cli = cli, .dest = dest};
    int rc = final_path(cli, req->location, dest, path, sizeof(path));
    if (rc)
        return rc;
    g.fd = open_temp(cli, path, tmp, sizeof(tmp));
    if (g.fd < 0)
        return -g.fd;
    rc = download(cli, req, &g);
    if (!rc && fsync(g.fd) != 0)
        rc = cli_fail(cli, path, "INTERNAL", "cannot write '%s': %s", tmp, strerror(errno));
    if (close(g.fd) != 0 && !rc)
        rc = cli_fail(cli, path, "INTERNAL", "cannot write '%s': %s", tmp, strerror(errno));
    if (!rc && rename(tmp, path) != 0)
        rc = cli_fail(cli, path, st_err_status_name(cli_errno_err(errno)),
                      "cannot rename to '%s': %s", path, strerror(errno));
    if (rc)
        unlink(tmp);
    else
        print_done(cli, req->location, path, &g);
    if (g.info)
        protobuf_c_message_free_unpacked(&g.info->base, NULL);
    return rc;
}

static int to_stdout(struct cli *cli, const Stage__V1__DownloadFileRequest *req)
{
    struct get g = {.cli = cli, .dest = "stdout", .fd = STDOUT_FILENO};
    int rc = download(cli, req, &g);
    if (g.info)
        protobuf_c_message_free_unpacked(&g.info->base, NULL);
    return rc;
}

int get_to_stdout(struct cli *cli, const char *loc)
{
    Stage__V1__DownloadFileRequest req = STAGE__V1__DOWNLOAD_FILE_REQUEST__INIT;
    req.location = (char *)loc;
    return to_stdout(cli, &req);
}

/* ------------------------------------------------------------ a prefix */

struct get_item {
    char loc[1200];
    char path[4200];
};

struct lister {
    struct cli *cli;
    struct pool *pool;
    const char *stage; /* "@~" */
    const char *dest;
    size_t strip; /* bytes of each name above the prefix's directory */
    int rc;
};

bool get_name_safe(const char *name)
{
    if (!*name || name[0] == '/' || strchr(name, '\\'))
        return false;
    for (const char *p = name; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        p += n + (p[n] == '/');
    }
    return true;
}

/* mkdir -p of the directory part of `path`. */
static int make_parents(const char *path)
{
    char d[4200];
    snprintf(d, sizeof(d), "%s", path);
    for (char *p = d + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(d, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

int get_into(struct cli *cli, const char *loc, const char *path)
{
    Stage__V1__DownloadFileRequest req = STAGE__V1__DOWNLOAD_FILE_REQUEST__INIT;
    req.location = (char *)loc;
    g_many.on = true; /* one of several: no bar per file */
    return make_parents(path) == 0
               ? to_file(cli, &req, path)
               : cli_fail(cli, path, st_err_status_name(cli_errno_err(errno)),
                          "cannot create the directories of '%s': %s", path, strerror(errno));
}

static int run_item(struct cli *tcli, void *item, void *ud)
{
    (void)ud;
    struct get_item *it = item;
    int rc = get_into(tcli, it->loc, it->path);
    atomic_fetch_add(&g_many.files_done, 1);
    return rc;
}

static void tick(void *ud)
{
    (void)ud;
    g_many.prog.files_done = atomic_load(&g_many.files_done);
    g_many.prog.files_total = g_many.files_total;
    g_many.prog.total = g_many.bytes_total;
    progress_update(&g_many.prog, atomic_load(&g_many.bytes));
}

static int on_page(const ProtobufCMessage *msg, void *ud, struct rpc_status *st)
{
    struct lister *l = ud;
    const Stage__V1__ListFilesResponse *page = (const Stage__V1__ListFilesResponse *)msg;
    (void)st;
    for (size_t i = 0; i < page->n_files; i++) {
        const char *name = page->files[i]->name;
        const char *rel = strlen(name) > l->strip ? name + l->strip : "";
        struct get_item *it = malloc(sizeof(*it));
        if (!it)
            return ST_ENOMEM;
        if (!get_name_safe(name) || !get_name_safe(rel) ||
            (size_t)snprintf(it->loc, sizeof(it->loc), "%s/%s", l->stage, name) >=
                sizeof(it->loc) ||
            (size_t)snprintf(it->path, sizeof(it->path), "%s/%s", l->dest, rel) >=
                sizeof(it->path)) {
            l->rc = cli_fail(l->cli, name, "INVALID_ARGUMENT",
                             "refusing to download '%s': unsafe or too long a name", name);
            free(it);
            continue;
        }
        g_many.files_total++;
        g_many.bytes_total += page->files[i]->size;
        pool_push(l->pool, it, tick, NULL);
    }
    return 0;
}

static int get_prefix(struct cli *cli, const char *loc, const char *pattern, const char *dest,
                      int parallel)
{
    char stage[128], d[4096];
    struct rpc_status st;
    size_t sl = strcspn(loc, "/");
    if (sl >= sizeof(stage))
        return cli_usage(cli, "stage name too long in '%s'", loc);
    memcpy(stage, loc, sl);
    stage[sl] = '\0';
    const char *path = loc[sl] ? loc + sl + 1 : "";
    const char *last = strrchr(path, '/');
    snprintf(d, sizeof(d), "%s", dest);
    while (strlen(d) > 1 && d[strlen(d) - 1] == '/')
        d[strlen(d) - 1] = '\0';
    if (mkdir(d, 0777) != 0 && errno != EEXIST)
        return cli_fail(cli, dest, st_err_status_name(cli_errno_err(errno)),
                        "cannot create directory '%s': %s", dest, strerror(errno));
    int rc = cli_connect(cli, true);
    if (rc)
        return rc;
    g_many.on = true;
    progress_init(&g_many.prog, !cli->json, "get", -1);
    struct lister l = {.cli = cli, .stage = stage, .dest = d};
    l.strip = last ? (size_t)(last - path) + 1 : 0;
    l.pool = pool_new(cli, parallel, run_item, NULL);
    if (!l.pool)
        return cli_fail(cli, "get", "RESOURCE_EXHAUSTED", "cannot start %d threads", parallel);
    Stage__V1__ListFilesRequest req = STAGE__V1__LIST_FILES_REQUEST__INIT;
    req.location = (char *)loc;
    req.pattern = (char *)(pattern ? pattern : "");
    rc = rpc_server_stream(&cli->conn, RPC_SERVICE "ListFiles", &req.base,
                           &stage__v1__list_files_response__descriptor, on_page, &l, &st);
    int prc = pool_finish(l.pool, tick, NULL);
    tick(NULL);
    progress_end(&g_many.prog);
    if (rc)
        return cli_fail_rpc(cli, loc, rc, &st);
    return l.rc || prc ? CLI_EXIT_ERR : CLI_EXIT_OK;
}

static int parse_num(struct cli *cli, const char *opt, const char *v, int64_t *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end || x < 0)
        return cli_usage(cli, "%s expects a number of bytes >= 0, got '%s'", opt, v);
    *out = x;
    return 0;
}

static int run(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"offset", required_argument, NULL, O_OFFSET},
                                         {"length", required_argument, NULL, O_LENGTH},
                                         FILTER_OPTIONS,
                                         {"parallel", required_argument, NULL, O_PARALLEL},
                                         {NULL, 0, NULL, 0}};
    Stage__V1__DownloadFileRequest req = STAGE__V1__DOWNLOAD_FILE_REQUEST__INIT;
    const char *pattern = NULL;
    struct filter f = {0};
    int parallel = 4;
    int c = -1, rc = 0;
    while (!rc && (c = cli_getopt(cli, argc, argv, opts)) >= 0) {
        if (c == O_OFFSET)
            rc = parse_num(cli, "--offset", optarg, &req.offset);
        else if (c == O_LENGTH)
            rc = parse_num(cli, "--length", optarg, &req.length);
        else if (filter_opt(&f, c, optarg))
            continue;
        else if (c == O_PARALLEL)
            rc = cli_parse_parallel(cli, optarg, &parallel);
    }
    if (rc)
        return rc;
    if (c != -1)
        return CLI_OPT_EXIT(c);
    if ((rc = filter_pattern(cli, &f, &pattern)) != 0)
        return rc;
    if (argc - optind != 2)
        return cli_usage(cli, "expected @LOCATION and FILE, DIR or -");
    req.location = argv[optind];
    if ((rc = cli_check_location(cli, req.location)) != 0)
        return rc;
    const char *dest = argv[optind + 1];
    const char *loc = req.location;
    if (pattern || loc[strlen(loc) - 1] == '/' || !strchr(loc, '/')) {
        if (req.offset || req.length || strcmp(dest, "-") == 0)
            return cli_usage(cli, "a prefix downloads into a directory, without --offset/--length");
        return get_prefix(cli, loc, pattern, dest, (int)parallel);
    }
    return strcmp(dest, "-") == 0 ? to_stdout(cli, &req) : to_file(cli, &req, dest);
}

const struct cli_cmd cmd_get = {"get", run, "download a file or a prefix from a stage", usage};
