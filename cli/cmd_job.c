/* cmd_job.c - stagectl job get ID [--wait]: GetJob, once or until it ends. */
#include "cli.h"
#include "jobpoll.h"
#include "out.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <string.h>

enum { O_WAIT = CLI_OPT_FIRST_CMD };

static const char usage[] =
    "usage: stagectl job get JOB_ID [--wait]\n"
    "\n"
    "Show a job: kind, state (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED),\n"
    "progress in bytes and files, times, the worker, and the error if it failed.\n"
    "\n"
    "  --wait  poll until the job ends; exit 1 unless it SUCCEEDED\n";

static int job_get(struct cli *cli, const char *id, bool wait)
{
    Stage__V1__GetJobResponse *resp = NULL;
    struct rpc_status st;
    int rc = cli_connect(cli, true);
    if (rc)
        return rc;
    rc = wait ? jobpoll_wait(&cli->conn, id, &resp, &st) : jobpoll_get(&cli->conn, id, &resp, &st);
    if (rc)
        return cli_fail_rpc(cli, id, rc, &st);
    if (!resp->job) {
        rc = cli_fail(cli, id, "INTERNAL", "the server returned no job");
    } else {
        out_print_job(cli->json, resp->job);
        if (wait && resp->job->state != STAGE__V1__JOB_STATE__SUCCEEDED)
            rc = CLI_EXIT_ERR;
    }
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return rc;
}

static int run(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_GLOBAL_OPTIONS, {"wait", no_argument, NULL, O_WAIT}, {NULL, 0, NULL, 0}};
    bool wait = false;
    int c;
    while ((c = cli_getopt(cli, argc, argv, opts)) >= 0)
        if (c == O_WAIT)
            wait = true;
    if (c != -1)
        return CLI_OPT_EXIT(c);
    if (argc - optind < 1)
        return cli_usage(cli, "expected a subcommand: get");
    if (strcmp(argv[optind], "get") != 0)
        return cli_usage(cli, "unknown subcommand '%s' (known: get)", argv[optind]);
    if (argc - optind != 2)
        return cli_usage(cli, "expected one JOB_ID after 'get'");
    return job_get(cli, argv[optind + 1], wait);
}

const struct cli_cmd cmd_job = {"job", run, "show a job (get ID [--wait])", usage};
