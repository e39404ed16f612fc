/* cmd_rm.c - stagectl rm @loc [--pattern RE] [--dry-run] [--wait]: RemoveFiles
 * queues a REMOVE job; --wait polls GetJob until it ends. */
#include "cli.h"
#include "jobpoll.h"
#include "out.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <string.h>

enum { O_PATTERN = CLI_OPT_FIRST_CMD, O_DRY_RUN, O_WAIT };

static const char usage[] =
    "usage: stagectl rm @LOCATION [--pattern RE] [--dry-run] [--wait]\n"
    "\n"
    "Remove files: every file under the key prefix LOCATION (as for ls), or\n"
    "only those matching RE. Queues a job and prints it.\n"
    "\n"
    "  --pattern RE  only names matching the PCRE2 pattern RE (as for ls)\n"
    "  --dry-run     count what would be removed; remove nothing\n"
    "  --wait        poll the job until it ends; exit 1 unless it SUCCEEDED\n";

/* Print the final job; CLI_EXIT_ERR unless it succeeded. */
static int finish(struct cli *cli, const char *loc, const Stage__V1__Job *j)
{
    out_print_job(cli->json, j);
    if (j->state == STAGE__V1__JOB_STATE__SUCCEEDED)
        return CLI_EXIT_OK;
    fprintf(stderr, "%s: %s %s: job %s ended %s: %s: %s\n", CLI_PROG, cli->cmd->name, loc, j->id,
            j->state == STAGE__V1__JOB_STATE__CANCELLED ? "CANCELLED" : "FAILED",
            j->error_code[0] ? j->error_code : "UNKNOWN", j->error_message);
    return CLI_EXIT_ERR;
}

static int remove_files(struct cli *cli, const Stage__V1__RemoveFilesRequest *req, bool wait)
{
    Stage__V1__RemoveFilesResponse *resp = NULL;
    Stage__V1__GetJobResponse *got = NULL;
    struct rpc_status st;
    int rc = cli_connect(cli, true);
    if (rc)
        return rc;
    rc = rpc_unary(&cli->conn, RPC_SERVICE "RemoveFiles", &req->base,
                   &stage__v1__remove_files_response__descriptor, (ProtobufCMessage **)&resp, &st);
    if (rc)
        return cli_fail_rpc(cli, req->location, rc, &st);
    if (!resp->job) {
        rc = cli_fail(cli, req->location, "INTERNAL", "the server returned no job");
    } else if (!wait) {
        out_print_job(cli->json, resp->job);
    } else if ((rc = jobpoll_wait(&cli->conn, resp->job->id, &got, &st)) != 0) {
        rc = cli_fail_rpc(cli, resp->job->id, rc, &st);
    } else {
        rc = finish(cli, req->location, got->job);
        protobuf_c_message_free_unpacked(&got->base, NULL);
    }
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return rc;
}

static int run(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"pattern", required_argument, NULL, O_PATTERN},
                                         {"dry-run", no_argument, NULL, O_DRY_RUN},
                                         {"wait", no_argument, NULL, O_WAIT},
                                         {NULL, 0, NULL, 0}};
    Stage__V1__RemoveFilesRequest req = STAGE__V1__REMOVE_FILES_REQUEST__INIT;
    bool wait = false;
    int c;
    while ((c = cli_getopt(cli, argc, argv, opts)) >= 0) {
        if (c == O_PATTERN)
            req.pattern = optarg;
        else if (c == O_DRY_RUN)
            req.dry_run = true;
        else if (c == O_WAIT)
            wait = true;
    }
    if (c != -1)
        return CLI_OPT_EXIT(c);
    if (argc - optind != 1)
        return cli_usage(cli, "expected one @LOCATION");
    req.location = argv[optind];
    if (req.location[0] != '@')
        return cli_usage(cli, "'%s' is not a stage location (they start with '@')", req.location);
    return remove_files(cli, &req, wait);
}

const struct cli_cmd cmd_rm = {"rm", run, "remove files (prefix, optional pattern)", usage};
