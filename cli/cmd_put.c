/* cmd_put.c - stagectl put FILE... @loc: UploadFile, streaming each file in
 * 1 MiB chunks (one chunk in memory per upload). A regular file is read
 * twice: first for its SHA-256, sent in the header, which the worker checks
 * before it stores the file (end to end: a file changed while it was sent,
 * or bytes damaged on the way, are refused, nothing stored); stdin is read
 * once and sent without (the server still records its digests). Several files, globs and
 * directories (-r) are uploaded by a pool of threads (--parallel).
 * A regular file's upload is resumable: if this process dies or loses the
 * network, the server keeps the job (upload.resume_window_s) and `put
 * --resume` sends only the rest; Ctrl-C instead tells the server to cancel
 * (docs/jobs.md "Resumable uploads"). */
#include "digest.h" /* first: it asks OpenSSL for the (deprecated) raw contexts */

#include "cli.h"
#include "err.h"
#include "out.h"
#include "pool.h"
#include "put.h"
#include "putresume.h"

#include "stage/v1/stage.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <grpc/status.h>
#include <libgen.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK     (1024 * 1024)
#define LOC_MAX   1200
#define PATH_MAX_ 4096

enum {
    O_OVERWRITE = CLI_OPT_FIRST_CMD,
    O_NO_WAIT,
    O_WAIT,
    O_PARALLEL,
    O_RESUME,
    O_CONTENT_TYPE,
    O_IDEM
};

static const char usage[] =
    "usage: stagectl put FILE... @LOCATION [-r] [--parallel N] [--overwrite]\n"
    "                    [--resume | --idempotency-key KEY] [--wait | --no-wait]\n"
    "                    [--content-type TYPE]\n"
    "\n"
    "Upload files to a stage location such as @~/dir/a.csv. A location that ends\n"
    "with '/' or names only a stage (@~) gets each file's base name appended; with\n"
    "several files it must be such a directory. FILE may be '-' (stdin, one file\n"
    "only) or a quoted glob ('data/*.csv'). With one file the upload job is\n"
    "printed; with several, one line per file (one JSON object per file with\n"
    "--json) and a progress bar on a terminal.\n"
    "\n"
    "  -r, --recursive      upload directories with their tree (like cp -r)\n"
    "  --parallel N         files uploaded at once (1-64, default 4)\n"
    "  --overwrite          replace existing files; otherwise a single file that\n"
    "                       exists fails with ALREADY_EXISTS and, of several files,\n"
    "                       existing ones are skipped\n"
    "  --resume             send an idempotency key made of the target, size and\n"
    "                       mtime, so running the same put again after an\n"
    "                       interruption does not upload finished files twice;\n"
    "                       a file whose upload broke off (client killed,\n"
    "                       network lost) continues from the last stored part\n"
    "                       if the server still keeps it (same target, size and\n"
    "                       content), else starts again. Ctrl-C cancels an\n"
    "                       upload for good (CANCELLED, nothing kept)\n"
    "  --idempotency-key KEY  the same KEY again (1-128 printable characters, no\n"
    "                       spaces) returns the first upload's job instead of\n"
    "                       uploading again; with several files each gets\n"
    "                       KEY-<hash of its location>\n"
    "  --wait               return when the file is stored (the default); exit 1\n"
    "                       if the upload job fails\n"
    "  --no-wait            return once every byte is accepted and the job is queued\n"
    "                       or running, instead of when the file is stored\n"
    "  --content-type TYPE  stored with the object (S3 backends)\n";

struct put_opts {
    bool overwrite, wait, resume, many;
    const char *content_type, *idem;
    _Atomic int64_t bytes;               /* sent, over all files */
    _Atomic int64_t files_done, skipped; /* ended files */
    int64_t bytes_total, files_total;    /* known so far */
    struct progress prog;
};

struct put {
    struct cli *cli;
    struct put_opts *o;
    _Atomic int64_t *bytes;
    int fd;
    const char *file;
    bool header_sent;
    bool cancel_sent; /* Ctrl-C: the `cancel` message went out */
    char resume_id[64];
    Stage__V1__UploadHeader hdr;
    Stage__V1__UploadFileRequest msg;
    uint8_t *buf;
    int64_t sent;
    struct progress prog;
    char key[200];
    char sha256[DIGEST_SHA256_HEX];
};

/* An item of a multi-file put. */
struct put_item {
    char file[PATH_MAX_];
    char loc[LOC_MAX];
};

/* Read up to CHUNK bytes (fewer only at the end of the input). */
static ssize_t read_chunk(int fd, uint8_t *buf)
{
    size_t got = 0;
    while (got < CHUNK) {
        ssize_t r = read(fd, buf + got, CHUNK - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Ctrl-C: the uploads tell the server to cancel (a process that just died
 * would leave a resumable job). A second Ctrl-C kills as usual. */
static volatile sig_atomic_t g_interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    g_interrupted = 1;
}

static void sigint_catch(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sa.sa_flags = (int)SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

static int produce(const ProtobufCMessage **m, void *ud, struct rpc_status *st)
{
    struct put *p = ud;
    Stage__V1__UploadFileRequest init = STAGE__V1__UPLOAD_FILE_REQUEST__INIT;
    p->msg = init;
    *m = &p->msg.base;
    if (!p->header_sent) {
        p->header_sent = true;
        p->msg.msg_case = STAGE__V1__UPLOAD_FILE_REQUEST__MSG_HEADER;
        p->msg.header = &p->hdr;
        return 1;
    }
    if (p->cancel_sent)
        return 0; /* the server answers CANCELLED */
    if (g_interrupted) {
        p->cancel_sent = true;
        p->msg.msg_case = STAGE__V1__UPLOAD_FILE_REQUEST__MSG_CANCEL;
        p->msg.cancel = true;
        return 1;
    }
    ssize_t n = read_chunk(p->fd, p->buf);
    if (n < 0) {
        int e = errno;
        snprintf(st->msg, sizeof(st->msg), "cannot read '%s': %s", p->file, strerror(e));
        return cli_errno_err(e);
    }
    if (n == 0)
        return 0;
    p->msg.msg_case = STAGE__V1__UPLOAD_FILE_REQUEST__MSG_CHUNK;
    p->msg.chunk.data = p->buf;
    p->msg.chunk.len = (size_t)n;
    p->sent += n;
    if (p->bytes)
        atomic_fetch_add(p->bytes, n);
    progress_update(&p->prog, p->sent);
    return 1;
}

/* `loc` + `name` when `loc` is a directory ("@~/dir/") or a bare stage
 * ("@~"), else `loc`. */
static int join_loc(const char *loc, const char *name, char *out, size_t n)
{
    bool dir = loc[strlen(loc) - 1] == '/' || !strchr(loc, '/');
    if (!dir)
        return snprintf(out, n, "%s", loc) < (int)n ? 0 : -1;
    return (size_t)snprintf(out, n, "%s%s%s", loc, loc[strlen(loc) - 1] == '/' ? "" : "/", name) < n
               ? 0
               : -1;
}

static bool loc_is_dir(const char *loc)
{
    return loc[strlen(loc) - 1] == '/' || !strchr(loc, '/');
}

/* The idempotency key of --resume: the same target, size and mtime give the
 * same key, so the server answers a repeated upload with the first job. */
static void resume_key(const char *loc, const struct stat *sb, char out[200])
{
    char txt[LOC_MAX + 64];
    unsigned char md[SHA256_DIGEST_LENGTH];
    int n = snprintf(txt, sizeof(txt), "%s|%lld|%lld.%09ld", loc, (long long)sb->st_size,
                     (long long)sb->st_mtim.tv_sec, (long)sb->st_mtim.tv_nsec);
    SHA256((const unsigned char *)txt, (size_t)n, md);
    strcpy(out, "put-");
    for (int i = 0; i < 16; i++)
        snprintf(out + 4 + 2 * i, 3, "%02x", md[i]);
}

/* --idempotency-key KEY: KEY itself for one file; KEY-<16 hex of sha256 of
 * the location> for each of several, so the same command maps every file to
 * the same key again. */
static void idem_key(const struct put_opts *o, const char *loc, char out[200])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    if (!o->many) {
        snprintf(out, 200, "%s", o->idem);
        return;
    }
    SHA256((const unsigned char *)loc, strlen(loc), md);
    int n = snprintf(out, 200, "%.150s-", o->idem);
    for (int i = 0; i < 8; i++)
        snprintf(out + n + 2 * i, 3, "%02x", md[i]);
}

/* The SHA-256 of the regular file `fd` (read through `buf`, CHUNK bytes)
 * into `hex`; the file offset is back at 0. 0 or -1 with errno. */
static int hash_file(int fd, uint8_t *buf, char *hex)
{
    struct digest d;
    char md5[DIGEST_MD5_HEX];
    ssize_t n;
    if (digest_init_sha256(&d) != 0) {
        errno = ENOMEM;
        return -1;
    }
    while ((n = read_chunk(fd, buf)) > 0)
        digest_update(&d, buf, (size_t)n);
    digest_final(&d, md5, hex);
    if (n < 0)
        return -1;
    return lseek(fd, 0, SEEK_SET) < 0 ? -1 : 0;
}

static int open_input(struct put *p, const char *loc)
{
    struct stat sb;
    p->fd = strcmp(p->file, "-") == 0 ? STDIN_FILENO : open(p->file, O_RDONLY | O_CLOEXEC);
    if (p->fd < 0 || fstat(p->fd, &sb) != 0) {
        int e = errno;
        return cli_fail(p->cli, p->file, st_err_status_name(cli_errno_err(e)),
                        "cannot open '%s': %s", p->file, strerror(e));
    }
    if (S_ISDIR(sb.st_mode))
        return cli_fail(p->cli, p->file, "INVALID_ARGUMENT", "'%s' is a directory (use -r)",
                        p->file);
    p->hdr.has_size = S_ISREG(sb.st_mode);
    p->hdr.resumable = p->hdr.has_size; /* stdin cannot be read again */
    p->hdr.size = p->hdr.has_size ? (int64_t)sb.st_size : 0;
    if (S_ISREG(sb.st_mode)) {
        if (hash_file(p->fd, p->buf, p->sha256) != 0) {
            int e = errno;
            return cli_fail(p->cli, p->file, st_err_status_name(cli_errno_err(e)),
                            "cannot read '%s': %s", p->file, strerror(e));
        }
        p->hdr.sha256 = p->sha256;
    }
    if (p->o->idem) {
        idem_key(p->o, loc, p->key);
        p->hdr.idempotency_key = p->key;
    } else if (p->o->resume && S_ISREG(sb.st_mode)) {
        resume_key(loc, &sb, p->key);
        p->hdr.idempotency_key = p->key;
    }
    progress_init(&p->prog, !p->cli->json && !p->o->many, loc, p->hdr.has_size ? p->hdr.size : -1);
    return 0;
}

/* One line (or JSON object) for a file of a multi-file put. */
static void print_item(struct cli *cli, const char *file, const char *loc, const char *what,
                       const Stage__V1__Job *j)
{
    char a[16];
    if (cli->json) {
        json_t *o = json_pack("{s:s,s:s,s:s}", "file", file, "location", loc, "result", what);
        if (o && j)
            json_object_set_new(o, "job", out_msg_json(&j->base));
        out_print_json(o);
    } else if (cli_talk(cli) && !isatty(STDERR_FILENO)) {
        printf("%-8s %s -> %s%s%s%s\n", what, file, loc, j ? " (" : "",
               j ? out_size(a, j->bytes_total) : "", j ? ")" : "");
    }
}

/* The newest paused upload of `loc` with the file's size: ListJobs filtered
 * by the server (paused, location; a server that predates the filters
 * answers every job and putresume_pick() sorts them out), paged through up
 * to PUTRESUME_PAGES_MAX pages. The answer `*out` (free it) and the index
 * in it, or -1. */
static int resume_lookup(struct put *p, const char *loc, Stage__V1__ListJobsResponse **out)
{
    char token[128] = "";
    *out = NULL;
    for (int page = 0; page < PUTRESUME_PAGES_MAX; page++) {
        Stage__V1__ListJobsRequest req = STAGE__V1__LIST_JOBS_REQUEST__INIT;
        Stage__V1__ListJobsResponse *resp = NULL;
        struct rpc_status st;
        req.page_size = PUTRESUME_PAGE_SIZE;
        req.page_token = token;
        req.paused = true;
        req.location = (char *)loc;
        if (rpc_unary(&p->cli->conn, RPC_SERVICE "ListJobs", &req.base,
                      &stage__v1__list_jobs_response__descriptor, (ProtobufCMessage **)&resp, &st))
            return -1;
        int i = putresume_pick(resp->jobs, resp->n_jobs, loc, p->hdr.size,
                               0); /* the server judges the window: clocks differ */
        if (i >= 0) {
            *out = resp;
            return i;
        }
        bool more = resp->next_page_token && *resp->next_page_token &&
                    strlen(resp->next_page_token) < sizeof(token);
        if (more)
            snprintf(token, sizeof(token), "%s", resp->next_page_token);
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        if (!more)
            break;
    }
    return -1;
}

/* --resume: a paused upload of this file to continue: seek past its stored
 * bytes and name it in the header. Nothing found (or the lookup failed):
 * the upload starts from 0 as usual. */
static void resume_find(struct put *p, const char *loc)
{
    Stage__V1__ListJobsResponse *resp = NULL;
    char a[16];
    int i = resume_lookup(p, loc, &resp);
    if (i < 0)
        return;
    int64_t off = putresume_offset(resp->jobs[i]->resume_offset, p->hdr.size);
    if (off > 0 && lseek(p->fd, (off_t)off, SEEK_SET) == (off_t)off) {
        snprintf(p->resume_id, sizeof(p->resume_id), "%s", resp->jobs[i]->id);
        p->hdr.resume_job_id = p->resume_id;
        p->hdr.resume_offset = off;
        p->hdr.idempotency_key = (char *)""; /* the job is named */
        p->sent = off;
        if (cli_talk(p->cli))
            fprintf(stderr, "put: %s: resuming job %s at %s\n", loc, p->resume_id,
                    out_size(a, off));
    }
    protobuf_c_message_free_unpacked(&resp->base, NULL);
}

/* The server refused to resume (the job ended, its window passed, the file
 * differs): upload from the start instead. */
static bool resume_restart(struct put *p, const char *loc, const struct rpc_status *st)
{
    if (!p->hdr.resume_job_id || !p->hdr.resume_job_id[0] || g_interrupted ||
        (st->code != GRPC_STATUS_FAILED_PRECONDITION && st->code != GRPC_STATUS_NOT_FOUND) ||
        lseek(p->fd, 0, SEEK_SET) != 0)
        return false;
    if (cli_talk(p->cli))
        fprintf(stderr, "put: %s: cannot resume (%s); uploading from the start\n", loc, st->msg);
    p->hdr.resume_job_id = (char *)"";
    p->hdr.resume_offset = 0;
    p->hdr.idempotency_key = p->key;
    p->header_sent = false;
    p->sent = 0;
    return true;
}

static int upload(struct put *p, const char *loc)
{
    Stage__V1__UploadFileResponse *resp = NULL;
    struct rpc_status st;
    struct cli *cli = p->cli;
    int rc = cli_connect(cli, true);
    if (rc)
        return rc;
    if (p->o->resume && p->hdr.has_size)
        resume_find(p, loc);
    do
        rc = rpc_client_stream(&cli->conn, RPC_SERVICE "UploadFile", produce, p,
                               &stage__v1__upload_file_response__descriptor,
                               (ProtobufCMessage **)&resp, &st);
    while (rc && resume_restart(p, loc, &st));
    progress_end(&p->prog);
    if (rc == ST_EPRECOND && st.code == GRPC_STATUS_ALREADY_EXISTS && p->o->many &&
        !p->o->overwrite) {
        atomic_fetch_add(&p->o->skipped, 1);
        print_item(cli, p->file, loc, "skipped", NULL);
        return CLI_EXIT_OK;
    }
    if (rc)
        return cli_fail_rpc(cli, loc, rc, &st);
    if (resp->job && p->o->many)
        print_item(cli, p->file, loc, "uploaded", resp->job);
    else if (resp->job && (cli->json || !cli->quiet))
        out_print_job(cli->json, resp->job);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return CLI_EXIT_OK;
}

/* Upload `file` to `loc` on `cli`'s connection. Returns an exit code. */
static int put_one(struct cli *cli, struct put_opts *o, const char *file, const char *loc)
{
    struct put p;
    Stage__V1__UploadHeader hdr = STAGE__V1__UPLOAD_HEADER__INIT;
    memset(&p, 0, sizeof(p));
    p.hdr = hdr;
    p.hdr.wait = o->wait;
    p.hdr.overwrite = o->overwrite;
    p.hdr.content_type = (char *)(o->content_type ? o->content_type : "");
    p.hdr.location = (char *)loc;
    p.cli = cli;
    p.o = o;
    p.bytes = o->many ? &o->bytes : NULL;
    p.file = file;
    p.fd = -1;
    int rc = 0;
    if (!(p.buf = malloc(CHUNK)))
        rc = cli_fail(cli, file, "RESOURCE_EXHAUSTED", "out of memory");
    if (!rc)
        rc = open_input(&p, loc); /* hashes a regular file through p.buf */
    if (!rc)
        rc = upload(&p, loc);
    free(p.buf);
    if (p.fd > STDIN_FILENO)
        close(p.fd);
    return rc;
}

int put_replace(struct cli *cli, const char *file, const char *loc)
{
    /* as a file of several: a line per file, no bar of its own, and an
     * existing target replaced (sync decided it differs) */
    static struct put_opts o = {.overwrite = true, .wait = true, .many = true};
    return put_one(cli, &o, file, loc);
}

/* ------------------------------------------------------------ many files */

static int run_item(struct cli *tcli, void *item, void *ud)
{
    struct put_opts *o = ud;
    struct put_item *it = item;
    int rc = put_one(tcli, o, it->file, it->loc);
    atomic_fetch_add(&o->files_done, 1);
    return rc;
}

static void tick(void *ud)
{
    struct put_opts *o = ud;
    o->prog.files_done = atomic_load(&o->files_done);
    o->prog.files_total = o->files_total;
    o->prog.total = o->bytes_total;
    progress_update(&o->prog, atomic_load(&o->bytes));
}

struct walk {
    struct cli *cli;
    struct pool *pool;
    struct put_opts *o;
    const char *dest;
    size_t strip; /* bytes of the path before the part that goes into the location */
    int rc;
};

static struct walk *g_walk; /* nftw() has no user pointer; one walk at a time */

static int queue_file(struct walk *w, const char *file, const char *name, const struct stat *sb)
{
    struct put_item *it = malloc(sizeof(*it));
    if (!it)
        return CLI_EXIT_ERR;
    snprintf(it->file, sizeof(it->file), "%s", file);
    if (join_loc(w->dest, name, it->loc, sizeof(it->loc))) {
        free(it);
        w->rc = cli_fail(w->cli, file, "INVALID_ARGUMENT", "location too long for '%s'", file);
        return w->rc;
    }
    w->o->files_total++;
    w->o->bytes_total += sb->st_size;
    pool_push(w->pool, it, tick, w->o);
    return 0;
}

static int walk_cb(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)ftw;
    if (type == FTW_F && S_ISREG(sb->st_mode))
        queue_file(g_walk, path, path + g_walk->strip, sb);
    return 0;
}

/* Queue `arg` (a file, or with -r a directory tree). */
static int queue_arg(struct cli *cli, struct walk *w, const char *arg, bool recursive)
{
    struct stat sb;
    char copy[PATH_MAX_];
    if (stat(arg, &sb) != 0)
        return cli_fail(cli, arg, st_err_status_name(cli_errno_err(errno)), "cannot open '%s': %s",
                        arg, strerror(errno));
    snprintf(copy, sizeof(copy), "%s", arg);
    while (strlen(copy) > 1 && copy[strlen(copy) - 1] == '/')
        copy[strlen(copy) - 1] = '\0';
    if (!S_ISDIR(sb.st_mode))
        return queue_file(w, arg, basename(copy), &sb);
    if (!recursive)
        return cli_fail(cli, arg, "INVALID_ARGUMENT", "'%s' is a directory (use -r)", arg);
    /* like cp -r: the directory's own name is kept under the target */
    const char *base = basename(copy);
    w->strip = strlen(copy) - strlen(base);
    g_walk = w;
    if (nftw(copy, walk_cb, 32, FTW_PHYS) != 0)
        return cli_fail(cli, arg, "INTERNAL", "cannot walk '%s': %s", arg, strerror(errno));
    return 0;
}

static bool has_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static int put_many(struct cli *cli, struct put_opts *o, char **files, int nfiles, const char *dest,
                    bool recursive, int parallel)
{
    if (!loc_is_dir(dest))
        return cli_usage(cli,
                         "with several files the location must be a directory "
                         "(end it with '/'), not '%s'",
                         dest);
    progress_init(&o->prog, !cli->json, "put", -1);
    struct walk w = {.cli = cli, .o = o, .dest = dest};
    w.pool = pool_new(cli, parallel, run_item, o);
    if (!w.pool)
        return cli_fail(cli, "put", "RESOURCE_EXHAUSTED", "cannot start %d threads", parallel);
    int rc = 0;
    for (int i = 0; i < nfiles && rc != CLI_EXIT_USAGE; i++) {
        int r = 0;
        glob_t g;
        if (strcmp(files[i], "-") == 0) {
            r = cli_usage(cli, "stdin ('-') can only be uploaded alone");
        } else if (has_glob(files[i]) && glob(files[i], 0, NULL, &g) == 0) {
            for (size_t k = 0; k < g.gl_pathc; k++) {
                int rk = queue_arg(cli, &w, g.gl_pathv[k], recursive);
                r = rk > r ? rk : r;
            }
            globfree(&g);
        } else if (has_glob(files[i])) {
            r = cli_fail(cli, files[i], "NOT_FOUND", "no file matches '%s'", files[i]);
        } else {
            r = queue_arg(cli, &w, files[i], recursive);
        }
        rc = r > rc ? r : rc;
    }
    rc = w.rc > rc ? w.rc : rc;
    int prc = pool_finish(w.pool, tick, o);
    tick(o);
    progress_end(&o->prog);
    if (cli_talk(cli) && isatty(STDERR_FILENO))
        fprintf(stderr, "put: %lld file(s) ended, %lld skipped\n",
                (long long)atomic_load(&o->files_done), (long long)atomic_load(&o->skipped));
    return rc == CLI_EXIT_USAGE ? rc : (rc || prc) ? CLI_EXIT_ERR : CLI_EXIT_OK;
}

static int run(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"overwrite", no_argument, NULL, O_OVERWRITE},
                                         {"no-wait", no_argument, NULL, O_NO_WAIT},
                                         {"wait", no_argument, NULL, O_WAIT},
                                         {"idempotency-key", required_argument, NULL, O_IDEM},
                                         {"parallel", required_argument, NULL, O_PARALLEL},
                                         {"resume", no_argument, NULL, O_RESUME},
                                         {"content-type", required_argument, NULL, O_CONTENT_TYPE},
                                         {"recursive", no_argument, NULL, 'r'},
                                         {NULL, 0, NULL, 0}};
    static struct put_opts o; /* shared with the pool threads */
    char loc[LOC_MAX];
    int c, parallel = 4;
    bool recursive = false;
    memset(&o, 0, sizeof(o));
    o.wait = true;
    while ((c = cli_getopt(cli, argc, argv, opts)) >= 0) {
        if (c == O_OVERWRITE) {
            o.overwrite = true;
        } else if (c == O_NO_WAIT) {
            o.wait = false;
        } else if (c == O_WAIT) {
            o.wait = true;
        } else if (c == O_IDEM) {
            o.idem = optarg;
        } else if (c == O_RESUME) {
            o.resume = true;
        } else if (c == O_CONTENT_TYPE) {
            o.content_type = optarg;
        } else if (c == 'r') {
            recursive = true;
        } else if (c == O_PARALLEL) {
            int rc = cli_parse_parallel(cli, optarg, &parallel);
            if (rc)
                return rc;
        }
    }
    if (c != -1)
        return CLI_OPT_EXIT(c);
    if (argc - optind < 2)
        return cli_usage(cli, "expected FILE... and @LOCATION");
    if (o.idem && o.resume)
        return cli_usage(cli, "--resume and --idempotency-key exclude each other");
    sigint_catch();
    const char *dest = argv[argc - 1];
    int rc = cli_check_location(cli, dest);
    if (rc)
        return rc;
    int nfiles = argc - optind - 1;
    const char *file = argv[optind];
    struct stat sb;
    bool single = nfiles == 1 && !recursive && !has_glob(file) &&
                  (strcmp(file, "-") == 0 || stat(file, &sb) != 0 || !S_ISDIR(sb.st_mode));
    if (!single) {
        o.many = true;
        return put_many(cli, &o, argv + optind, nfiles, dest, recursive, parallel);
    }
    if (strcmp(file, "-") == 0 && loc_is_dir(dest))
        return cli_usage(cli, "uploading stdin needs a file name in the location, not '%s'", dest);
    char copy[PATH_MAX_];
    snprintf(copy, sizeof(copy), "%s", file);
    if (join_loc(dest, basename(copy), loc, sizeof(loc)))
        return cli_usage(cli, "location too long");
    return put_one(cli, &o, file, loc);
}

const struct cli_cmd cmd_put = {"put", run, "upload files to a stage", usage};
