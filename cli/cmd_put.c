/* cmd_put.c - stagectl put FILE @loc: UploadFile, streaming the file in
 * 1 MiB chunks (one chunk in memory at a time), and print the Job. */
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

#define CHUNK (1024 * 1024)

enum { O_OVERWRITE = CLI_OPT_FIRST_CMD, O_NO_WAIT };

static const char usage[] =
    "usage: stagectl put FILE @LOCATION [--overwrite] [--no-wait]\n"
    "\n"
    "Upload FILE ('-' = stdin) to a stage location such as @~/dir/a.csv. A\n"
    "location that ends with '/' or names only a stage (@~) gets FILE's base name\n"
    "appended. Prints the upload job.\n"
    "\n"
    "  --overwrite  replace an existing file (otherwise ALREADY_EXISTS)\n"
    "  --no-wait    return once every byte is accepted and the job is queued or\n"
    "               running, instead of when the file is stored\n";

struct put {
    struct cli *cli;
    int fd;
    const char *file;
    bool header_sent;
    Stage__V1__UploadHeader hdr;
    Stage__V1__UploadFileRequest msg;
    uint8_t *buf;
    int64_t sent;
    struct progress prog;
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
    progress_update(&p->prog, p->sent);
    return 1;
}

/* The location to upload to: `loc`, with FILE's base name appended when
 * `loc` is a directory ("@~/dir/") or a bare stage ("@~"). */
static int target_location(struct cli *cli, const char *file, const char *loc, char *out, size_t n)
{
    if (loc[0] != '@')
        return cli_usage(cli, "'%s' is not a stage location (they start with '@')", loc);
    bool dir = loc[strlen(loc) - 1] == '/' || !strchr(loc, '/');
    if (!dir) {
        snprintf(out, n, "%s", loc);
        return 0;
    }
    if (strcmp(file, "-") == 0)
        return cli_usage(cli, "uploading stdin needs a file name in the location, not '%s'", loc);
    char copy[1024];
    snprintf(copy, sizeof(copy), "%s", file);
    const char *base = basename(copy);
    if ((size_t)snprintf(out, n, "%s%s%s", loc, loc[strlen(loc) - 1] == '/' ? "" : "/", base) >= n)
        return cli_usage(cli, "location too long");
    return 0;
}

static int open_input(struct cli *cli, struct put *p, const char *loc)
{
    struct stat sb;
    p->fd = strcmp(p->file, "-") == 0 ? STDIN_FILENO : open(p->file, O_RDONLY | O_CLOEXEC);
    if (p->fd < 0 || fstat(p->fd, &sb) != 0) {
        int e = errno;
        return cli_fail(cli, p->file, st_err_status_name(cli_errno_err(e)), "cannot open '%s': %s",
                        p->file, strerror(e));
    }
    if (S_ISDIR(sb.st_mode))
        return cli_fail(cli, p->file, "INVALID_ARGUMENT", "'%s' is a directory", p->file);
    p->hdr.has_size = S_ISREG(sb.st_mode);
    p->hdr.size = p->hdr.has_size ? (int64_t)sb.st_size : 0;
    progress_init(&p->prog, !cli->json, loc, p->hdr.has_size ? p->hdr.size : -1);
    return 0;
}

static int upload(struct cli *cli, struct put *p, const char *loc)
{
    Stage__V1__UploadFileResponse *resp = NULL;
    struct rpc_status st;
    int rc = cli_connect(cli, true);
    if (rc)
        return rc;
    rc = rpc_client_stream(&cli->conn, RPC_SERVICE "UploadFile", produce, p,
                           &stage__v1__upload_file_response__descriptor, (ProtobufCMessage **)&resp,
                           &st);
    progress_end(&p->prog);
    if (rc)
        return cli_fail_rpc(cli, loc, rc, &st);
    if (resp->job)
        out_print_job(cli->json, resp->job);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return CLI_EXIT_OK;
}

static int run(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"overwrite", no_argument, NULL, O_OVERWRITE},
                                         {"no-wait", no_argument, NULL, O_NO_WAIT},
                                         {NULL, 0, NULL, 0}};
    struct put p;
    Stage__V1__UploadHeader hdr = STAGE__V1__UPLOAD_HEADER__INIT;
    char loc[1200];
    int c;
    memset(&p, 0, sizeof(p));
    p.hdr = hdr;
    p.hdr.wait = true;
    p.fd = -1;
    while ((c = cli_getopt(cli, argc, argv, opts)) >= 0) {
        if (c == O_OVERWRITE)
            p.hdr.overwrite = true;
        else if (c == O_NO_WAIT)
            p.hdr.wait = false;
    }
    if (c != -1)
        return CLI_OPT_EXIT(c);
    if (argc - optind != 2)
        return cli_usage(cli, "expected FILE and @LOCATION");
    p.cli = cli;
    p.file = argv[optind];
    int rc = target_location(cli, p.file, argv[optind + 1], loc, sizeof(loc));
    if (rc)
        return rc;
    p.hdr.location = loc;
    rc = open_input(cli, &p, loc);
    if (!rc && !(p.buf = malloc(CHUNK)))
        rc = cli_fail(cli, p.file, "RESOURCE_EXHAUSTED", "out of memory");
    if (!rc)
        rc = upload(cli, &p, loc);
    free(p.buf);
    if (p.fd > STDIN_FILENO)
        close(p.fd);
    return rc;
}

const struct cli_cmd cmd_put = {"put", run, "upload a file to a stage", usage};
