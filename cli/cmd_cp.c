/* cmd_cp.c - stagectl cp @FROM @TO [--pattern RE] [--overwrite] [--wait]
 * [--idempotency-key K]: CopyFiles queues a COPY job, within a stage or
 * across stages and backends; --wait polls GetJob until it ends. */
#include "admin.h"
#include "cli.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <string.h>

enum { O_PATTERN = CLI_OPT_FIRST_CMD, O_OVERWRITE, O_WAIT, O_IDEM };

static const char usage[] =
    "usage: stagectl cp @FROM @TO [--pattern RE] [--overwrite] [--wait]\n"
    "                   [--idempotency-key KEY]\n"
    "\n"
    "Copy files on the server side, within a stage or between stages (even on\n"
    "different backends); nothing passes through this machine. FROM is a file\n"
    "or a key prefix (as for ls); TO a file, or a directory ending in '/'.\n"
    "Needs READ on FROM's stage and WRITE on TO's. Queues a job and prints it;\n"
    "'stagectl job results JOB_ID' lists what each file became.\n"
    "\n"
    "  --pattern RE           only names under FROM matching the PCRE2 pattern RE\n"
    "  --overwrite            replace files that exist at TO (default: skip them)\n"
    "  --wait                 poll the job until it ends; exit 1 unless it SUCCEEDED\n"
    "  --idempotency-key KEY  the same KEY again returns the first job\n";

static int copy_files(struct cli *cli, const Stage__V1__CopyFilesRequest *req, bool wait)
{
    Stage__V1__CopyFilesResponse *resp = NULL;
    int rc = admin_call(cli, "CopyFiles", &req->base, &stage__v1__copy_files_response__descriptor,
                        req->from, (ProtobufCMessage **)&resp);
    if (rc)
        return rc;
    rc = admin_job(cli, req->from, resp->job, wait);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return rc;
}

static int run(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"pattern", required_argument, NULL, O_PATTERN},
                                         {"overwrite", no_argument, NULL, O_OVERWRITE},
                                         {"wait", no_argument, NULL, O_WAIT},
                                         {"idempotency-key", required_argument, NULL, O_IDEM},
                                         {NULL, 0, NULL, 0}};
    Stage__V1__CopyFilesRequest req = STAGE__V1__COPY_FILES_REQUEST__INIT;
    bool wait = false;
    int c;
    while ((c = cli_getopt(cli, argc, argv, opts)) >= 0) {
        if (c == O_PATTERN)
            req.pattern = optarg;
        else if (c == O_OVERWRITE)
            req.overwrite = true;
        else if (c == O_WAIT)
            wait = true;
        else if (c == O_IDEM)
            req.idempotency_key = optarg;
    }
    if (c != -1)
        return CLI_OPT_EXIT(c);
    if (argc - optind != 2)
        return cli_usage(cli, "expected @FROM and @TO");
    req.from = argv[optind];
    req.to = argv[optind + 1];
    for (int i = 0; i < 2; i++) {
        const char *loc = argv[optind + i];
        if (loc[0] != '@')
            return cli_usage(cli,
                             "'%s' is not a stage location (they start with '@'); "
                             "use put and get for local files",
                             loc);
    }
    return copy_files(cli, &req, wait);
}

const struct cli_cmd cmd_cp = {"cp", run, "copy files between stage locations (server side)",
                               usage};
