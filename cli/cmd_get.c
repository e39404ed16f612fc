/* cmd_get.c - stagectl get @loc FILE|DIR|-: DownloadFile into a temp file
 * next to the target, renamed into place only when the whole file arrived. */
#include "cli.h"
#include "err.h"
#include "out.h"

#include "stage/v1/stage.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { O_OFFSET = CLI_OPT_FIRST_CMD, O_LENGTH };

static const char usage[] =
    "usage: stagectl get @LOCATION FILE|DIR|- [--offset N] [--length N]\n"
    "\n"
    "Download a file. Into DIR (an existing directory, or a path ending in '/'),\n"
    "the file keeps its base name; '-' writes to stdout. The data goes to a temp\n"
    "file next to the target, renamed into place once complete, so an interrupted\n"
    "download never leaves a partial file under the target's name.\n"
    "\n"
    "  --offset N   start at byte N\n"
    "  --length N   at most N bytes (default: to the end)\n";

struct get {
    struct cli *cli;
    int fd;
    const char *dest; /* what the user named, for messages */
    int64_t got;
    Stage__V1__FileInfo *info; /* a copy of the first message's FileInfo */
    struct progress prog;
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
    } else {
        printf("%s -> %s (%s)\n", loc, path, out_size(a, g->got));
    }
}

static int download(struct cli *cli, const Stage__V1__DownloadFileRequest *req, struct get *g)
{
    struct rpc_status st;
    int rc = cli_connect(cli, true);
    if (rc)
        return rc;
    progress_init(&g->prog, !cli->json && g->fd != STDOUT_FILENO, req->location, -1);
    rc = rpc_server_stream(&cli->conn, RPC_SERVICE "DownloadFile", &req->base,
                           &stage__v1__download_file_response__descriptor, on_message, g, &st);
    progress_end(&g->prog);
    if (rc)
        return cli_fail_rpc(cli, req->location, rc, &st);
    if (!g->info)
        return cli_fail(cli, req->location, "INTERNAL", "the server sent no FileInfo");
    return 0;
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
                                         {NULL, 0, NULL, 0}};
    Stage__V1__DownloadFileRequest req = STAGE__V1__DOWNLOAD_FILE_REQUEST__INIT;
    int c = -1, rc = 0;
    while (!rc && (c = cli_getopt(cli, argc, argv, opts)) >= 0) {
        if (c == O_OFFSET)
            rc = parse_num(cli, "--offset", optarg, &req.offset);
        else if (c == O_LENGTH)
            rc = parse_num(cli, "--length", optarg, &req.length);
    }
    if (rc)
        return rc;
    if (c != -1)
        return CLI_OPT_EXIT(c);
    if (argc - optind != 2)
        return cli_usage(cli, "expected @LOCATION and FILE, DIR or -");
    req.location = argv[optind];
    if (req.location[0] != '@')
        return cli_usage(cli, "'%s' is not a stage location (they start with '@')", req.location);
    const char *dest = argv[optind + 1];
    return strcmp(dest, "-") == 0 ? to_stdout(cli, &req) : to_file(cli, &req, dest);
}

const struct cli_cmd cmd_get = {"get", run, "download a file from a stage", usage};
