/* cmd_rm.c - stagectl rm @loc [--pattern RE] [--dry-run] [--wait]
 * [--idempotency-key K]: RemoveFiles queues a REMOVE job; --wait polls
 * GetJob until it ends. */
#include "admin.h"
#include "cli.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <string.h>

enum { O_PATTERN = CLI_OPT_FIRST_CMD, O_DRY_RUN, O_WAIT, O_IDEM };

static const char usage[] =
    "usage: stagectl rm @LOCATION [--pattern RE] [--dry-run] [--wait]\n"
    "                   [--idempotency-key KEY]\n"
    "\n"
    "Remove files: every file under the key prefix LOCATION (as for ls), or\n"
    "only those matching RE. Queues a job and prints it; 'stagectl job results\n"
    "JOB_ID' lists what each file became.\n"
    "\n"
    "  --pattern RE           only names matching the PCRE2 pattern RE (as for ls)\n"
    "  --dry-run              count what would be removed; remove nothing\n"
    "  --wait                 poll the job until it ends; exit 1 unless it SUCCEEDED\n"
    "  --idempotency-key KEY  the same KEY again (1-128 printable characters, no\n"
    "                         spaces) returns the first job instead of a new one\n";

static int remove_files(struct cli *cli, const Stage__V1__RemoveFilesRequest *req, bool wait)
{
    Stage__V1__RemoveFilesResponse *resp = NULL;
    int rc =
        admin_call(cli, "RemoveFiles", &req->base, &stage__v1__remove_files_response__descriptor,
                   req->location, (ProtobufCMessage **)&resp);
    if (rc)
        return rc;
    rc = admin_job(cli, req->location, resp->job, wait);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return rc;
}

static int run(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"pattern", required_argument, NULL, O_PATTERN},
                                         {"dry-run", no_argument, NULL, O_DRY_RUN},
                                         {"wait", no_argument, NULL, O_WAIT},
                                         {"idempotency-key", required_argument, NULL, O_IDEM},
                                         {NULL, 0, NULL, 0}};
    Stage__V1__RemoveFilesRequest req = STAGE__V1__REMOVE_FILES_REQUEST__INIT;
    bool wait = false;
    int c, rc;
    while ((c = cli_getopt(cli, argc, argv, opts)) >= 0) {
        if (c == O_PATTERN)
            req.pattern = optarg;
        else if (c == O_DRY_RUN)
            req.dry_run = true;
        else if (c == O_WAIT)
            wait = true;
        else if (c == O_IDEM)
            req.idempotency_key = optarg;
    }
    if (c != -1)
        return CLI_OPT_EXIT(c);
    if ((rc = cli_location_arg(cli, argc, argv, &req.location)) != 0)
        return rc;
    return remove_files(cli, &req, wait);
}

const struct cli_cmd cmd_rm = {"rm", run, "remove files (prefix, optional pattern)", usage};
