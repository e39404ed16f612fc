/* admin.c - shared helpers of the catalog commands (see admin.h). */
#include "admin.h"

#include "jobpoll.h"
#include "out.h"

#include <stdio.h>
#include <string.h>

int admin_call(struct cli *cli, const char *rpc, const ProtobufCMessage *req,
               const ProtobufCMessageDescriptor *resp_desc, const char *object,
               ProtobufCMessage **resp)
{
    char method[128];
    struct rpc_status st;
    int rc = cli_connect(cli, true);
    if (rc)
        return rc;
    snprintf(method, sizeof(method), "%s%s", RPC_SERVICE, rpc);
    rc = rpc_unary(&cli->conn, method, req, resp_desc, resp, &st);
    if (rc)
        return cli_fail_rpc(cli, object, rc, &st);
    return 0;
}

int admin_call_print(struct cli *cli, const char *rpc, const ProtobufCMessage *req,
                     const ProtobufCMessageDescriptor *resp_desc, const char *object,
                     admin_print_fn *print)
{
    ProtobufCMessage *resp = NULL;
    int rc = admin_call(cli, rpc, req, resp_desc, object, &resp);
    if (rc)
        return rc;
    if (!admin_json(cli, resp))
        rc = print(cli, resp);
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

int admin_table_done(struct cli *cli, const char *object, struct table *t, int rc)
{
    if (t && !rc)
        table_print(t);
    else
        rc = cli_fail(cli, object, "RESOURCE_EXHAUSTED", "out of memory");
    table_free(t);
    return rc;
}

bool admin_json(struct cli *cli, const ProtobufCMessage *m)
{
    if (!cli->json)
        return false;
    out_print_json(out_msg_json(m));
    return true;
}

void admin_kv(const char *key, const char *value)
{
    if (value)
        printf("%-19s %s\n", key, value);
}

int admin_password(struct cli *cli, const char *arg, bool from_stdin, char *out, size_t n)
{
    out[0] = '\0';
    if (arg) {
        if (strlen(arg) >= n)
            return cli_usage(cli, "the password is too long");
        snprintf(out, n, "%s", arg);
        return 0;
    }
    if (!from_stdin)
        return 0;
    if (!fgets(out, (int)n, stdin))
        return cli_usage(cli, "no password on stdin");
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

int admin_dispatch(struct cli *cli, int argc, char **argv, const struct admin_sub *subs)
{
    if (argc < 2 || argv[1][0] == '-') {
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            fputs(cli->cmd->usage, stdout);
            return CLI_EXIT_OK;
        }
        return cli_usage(cli, "expected a subcommand");
    }
    for (const struct admin_sub *s = subs; s->name; s++)
        if (strcmp(s->name, argv[1]) == 0)
            return s->run(cli, argc - 1, argv + 1);
    return cli_usage(cli, "unknown subcommand '%s'", argv[1]);
}

/* Print the final job; CLI_EXIT_ERR unless it succeeded. */
static int job_end(struct cli *cli, const char *object, const Stage__V1__Job *j)
{
    if (j->state != STAGE__V1__JOB_STATE__SUCCEEDED)
        return admin_job_failed(cli, object, j);
    if (cli->json || !cli->quiet)
        out_print_job(cli->json, j);
    return CLI_EXIT_OK;
}

int admin_job_failed(struct cli *cli, const char *object, const Stage__V1__Job *j)
{
    out_print_job(cli->json, j);
    fprintf(stderr, "%s: %s %s: job %s ended %s: %s: %s\n", CLI_PROG, cli->cmd->name, object, j->id,
            j->state == STAGE__V1__JOB_STATE__CANCELLED ? "CANCELLED" : "FAILED",
            j->error_code[0] ? j->error_code : "UNKNOWN", j->error_message);
    return CLI_EXIT_ERR;
}

int admin_job_wait(struct cli *cli, const char *id, const char *object, int64_t *done)
{
    Stage__V1__GetJobResponse *got = NULL;
    struct rpc_status st;
    int rc = jobpoll_wait(&cli->conn, id, &got, &st);
    if (rc)
        return cli_fail_rpc(cli, id, rc, &st);
    if (!got->job)
        rc = cli_fail(cli, object, "INTERNAL", "the server returned no job");
    else if (got->job->state != STAGE__V1__JOB_STATE__SUCCEEDED)
        rc = admin_job_failed(cli, object, got->job);
    else if (done)
        *done = got->job->files_done;
    protobuf_c_message_free_unpacked(&got->base, NULL);
    return rc;
}

int admin_job(struct cli *cli, const char *object, const Stage__V1__Job *j, bool wait)
{
    Stage__V1__GetJobResponse *got = NULL;
    struct rpc_status st;
    if (!j)
        return cli_fail(cli, object, "INTERNAL", "the server returned no job");
    if (!wait && !cli->json && cli->quiet) {
        printf("%s\n", j->id); /* what a script needs to follow the job */
        return CLI_EXIT_OK;
    }
    if (!wait) {
        out_print_job(cli->json, j);
        return CLI_EXIT_OK;
    }
    int rc = jobpoll_wait(&cli->conn, j->id, &got, &st);
    if (rc)
        return cli_fail_rpc(cli, j->id, rc, &st);
    rc = got->job ? job_end(cli, object, got->job)
                  : cli_fail(cli, j->id, "INTERNAL", "the server returned no job");
    protobuf_c_message_free_unpacked(&got->base, NULL);
    return rc;
}

int admin_call_job(struct cli *cli, const char *rpc, const ProtobufCMessage *req,
                   const ProtobufCMessageDescriptor *resp_desc, const char *object, bool wait)
{
    ProtobufCMessage *resp = NULL;
    int rc = admin_call(cli, rpc, req, resp_desc, object, &resp);
    if (rc)
        return rc;
    const ProtobufCMessage *j = out_msg_sub(resp, "job", &stage__v1__job__descriptor);
    rc = admin_job(cli, object, (const Stage__V1__Job *)j, wait);
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

enum { O_WAIT = CLI_OPT_FIRST_CMD, O_IDEM, O_SWITCH };

/* The switch option `c` stands for, or NULL. */
static bool *switch_of(const struct admin_switch *sw, int n, int c)
{
    for (int i = 0; i < n; i++)
        if (c == (sw[i].short_name ? sw[i].short_name : O_SWITCH + i))
            return sw[i].set;
    return NULL;
}

int admin_jobopts_parse(struct cli *cli, int argc, char **argv, const struct admin_switch *sw,
                        struct admin_jobopts *o)
{
    static const struct option common[] = {CLI_GLOBAL_OPTIONS,
                                           FILTER_OPTIONS,
                                           {"wait", no_argument, NULL, O_WAIT},
                                           {"idempotency-key", required_argument, NULL, O_IDEM}};
    const size_t nc = sizeof(common) / sizeof(common[0]);
    struct option opts[sizeof(common) / sizeof(common[0]) + ADMIN_SWITCHES_MAX + 1];
    int n = 0, c;
    bool *set;
    memset(o, 0, sizeof(*o));
    memcpy(opts, common, sizeof(common));
    for (; sw && sw[n].name && n < ADMIN_SWITCHES_MAX; n++) {
        *sw[n].set = false;
        opts[nc + (size_t)n] = (struct option){sw[n].name, no_argument, NULL,
                                               sw[n].short_name ? sw[n].short_name : O_SWITCH + n};
    }
    opts[nc + (size_t)n] = (struct option){NULL, 0, NULL, 0};
    while ((c = cli_getopt(cli, argc, argv, opts)) >= 0) {
        if (filter_opt(&o->filter, c, optarg))
            continue;
        if ((set = switch_of(sw, n, c)) != NULL)
            *set = true;
        else if (c == O_WAIT)
            o->wait = true;
        else if (c == O_IDEM)
            o->idem = optarg;
    }
    if (c != -1)
        return CLI_OPT_EXIT(c);
    c = filter_pattern(cli, &o->filter, &o->pattern);
    return c ? c : -1;
}
