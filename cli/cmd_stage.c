/* cmd_stage.c - stagectl stage create|drop|alter|desc|list (docs/design.md §2). */
#include "admin.h"
#include "cli.h"
#include "jobpoll.h"
#include "out.h"
#include "quota.h"
#include "table.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    O_URL = CLI_OPT_FIRST_CMD,
    O_CONN,
    O_IF_NOT_EXISTS,
    O_OR_REPLACE,
    O_IF_EXISTS,
    O_COMMENT,
    O_UNSET_COMMENT,
    O_WAIT,
    O_QBYTES,
    O_QFILES,
    O_RESET_QUOTA
};

#define CONN_MAX 16

static const char usage[] =
    "usage: stagectl stage create NAME [--url URL [--conn KEY=VALUE]...] [--comment TEXT]\n"
    "                             [--if-not-exists | --or-replace] [--wait]\n"
    "                             [--quota-bytes SIZE] [--quota-files N]\n"
    "       stagectl stage drop NAME [--if-exists] [--wait]\n"
    "       stagectl stage alter NAME [--url URL] [--conn KEY=VALUE]...\n"
    "                            [--comment TEXT | --unset-comment]\n"
    "                            [--quota-bytes SIZE] [--quota-files N] [--reset-quota]\n"
    "       stagectl stage desc NAME|@~\n"
    "       stagectl stage list\n"
    "\n"
    "Named stages. Without --url a stage is internal (its files live in the\n"
    "service's storage and are deleted when it is dropped or replaced); with\n"
    "--url (s3://bucket/path/, gcs://..., azblob://..., fs:///dir/) it is external\n"
    "and its files are never deleted by the service. Connection options, e.g.\n"
    "--conn access_key_id=... --conn secret_access_key=..., are stored encrypted\n"
    "and never shown. The user stage @~ cannot be created, dropped or altered.\n"
    "\n"
    "  --wait  after drop or --or-replace, wait for the deletion of the old files\n"
    "  --quota-bytes SIZE, --quota-files N  an internal stage's quota (owner or\n"
    "          admin; SIZE like 500MiB or 2GiB; 0 = no limit; one given alone\n"
    "          leaves the other without limit); --reset-quota: the server's default.\n"
    "          `stage desc` shows the quota and the usage; `stage desc @~` your own.\n";

struct sopts {
    const char *url, *comment;
    Stage__V1__CreateStageRequest__ConnectionEntry conn[CONN_MAX];
    Stage__V1__CreateStageRequest__ConnectionEntry *pconn[CONN_MAX];
    size_t nconn;
    bool if_not_exists, or_replace, if_exists, unset_comment, wait;
    struct cli_quota q;
};

static int add_conn(struct cli *cli, struct sopts *o, char *kv)
{
    char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return cli_usage(cli, "--conn wants KEY=VALUE, not '%s'", kv);
    if (o->nconn == CONN_MAX)
        return cli_usage(cli, "at most %d --conn options", CONN_MAX);
    *eq = '\0';
    stage__v1__create_stage_request__connection_entry__init(&o->conn[o->nconn]);
    o->conn[o->nconn].key = kv;
    o->conn[o->nconn].value = eq + 1;
    o->pconn[o->nconn] = &o->conn[o->nconn];
    o->nconn++;
    return -1;
}

static int parse(struct cli *cli, int argc, char **argv, struct sopts *o, int nargs)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"url", required_argument, NULL, O_URL},
                                         {"conn", required_argument, NULL, O_CONN},
                                         {"if-not-exists", no_argument, NULL, O_IF_NOT_EXISTS},
                                         {"or-replace", no_argument, NULL, O_OR_REPLACE},
                                         {"if-exists", no_argument, NULL, O_IF_EXISTS},
                                         {"comment", required_argument, NULL, O_COMMENT},
                                         {"unset-comment", no_argument, NULL, O_UNSET_COMMENT},
                                         {"wait", no_argument, NULL, O_WAIT},
                                         {"quota-bytes", required_argument, NULL, O_QBYTES},
                                         {"quota-files", required_argument, NULL, O_QFILES},
                                         {"reset-quota", no_argument, NULL, O_RESET_QUOTA},
                                         {NULL, 0, NULL, 0}};
    int c, rc;
    memset(o, 0, sizeof(*o));
    while ((c = cli_getopt(cli, argc, argv, opts)) >= 0) {
        if (c == O_URL)
            o->url = optarg;
        else if (c == O_CONN && (rc = add_conn(cli, o, optarg)) >= 0)
            return rc;
        else if (c == O_IF_NOT_EXISTS)
            o->if_not_exists = true;
        else if (c == O_OR_REPLACE)
            o->or_replace = true;
        else if (c == O_IF_EXISTS)
            o->if_exists = true;
        else if (c == O_COMMENT)
            o->comment = optarg;
        else if (c == O_UNSET_COMMENT)
            o->unset_comment = true;
        else if (c == O_WAIT)
            o->wait = true;
        else if ((c == O_QBYTES || c == O_QFILES) &&
                 (rc = cli_quota_opt(cli, &o->q, c == O_QBYTES, optarg)) != 0)
            return rc;
        else if (c == O_RESET_QUOTA)
            o->q.reset = true;
    }
    if (c != -1)
        return CLI_OPT_EXIT(c);
    if (argc - optind != nargs)
        return cli_usage(cli, nargs ? "expected one stage NAME" : "no arguments expected");
    return -1;
}

/* Quota and usage: a size for people, and the exact figure for scripts. */
static void print_quota(const Stage__V1__Stage *s)
{
    char v[64], h[32];
    quota_fmt_limit(s->quota_bytes, true, h, sizeof(h));
    snprintf(v, sizeof(v), s->quota_bytes > 0 ? "%s (%lld)" : "%s", h, (long long)s->quota_bytes);
    admin_kv("quota_bytes:", v);
    quota_fmt_limit(s->quota_files, false, v, sizeof(v));
    admin_kv("quota_files:", v);
    quota_fmt_bytes(s->used_bytes, h, sizeof(h));
    snprintf(v, sizeof(v), "%s (%lld)", h, (long long)s->used_bytes);
    admin_kv("used_bytes:", v);
    snprintf(v, sizeof(v), "%lld", (long long)s->used_files);
    admin_kv("used_files:", v);
    quota_fmt_bytes(s->inflight_bytes, h, sizeof(h));
    snprintf(v, sizeof(v), "%s (%lld) in %lld uploads", h, (long long)s->inflight_bytes,
             (long long)s->inflight_files);
    admin_kv("inflight:", v);
}

static void print_stage(const Stage__V1__Stage *s)
{
    char t[32];
    admin_kv("name:", s->name);
    admin_kv("stage_type:", s->stage_type);
    admin_kv("storage_type:", s->storage_type);
    admin_kv("url:", s->url[0] ? s->url : NULL);
    admin_kv("endpoint:", s->endpoint[0] ? s->endpoint : NULL);
    admin_kv("has_credentials:", s->has_credentials ? "true" : "false");
    admin_kv("has_encryption_key:", s->has_encryption_key ? "true" : "false");
    for (size_t i = 0; i < s->n_storage_params; i++)
        printf("%-19s %s=%s\n", "storage_params:", s->storage_params[i]->key,
               s->storage_params[i]->value);
    admin_kv("owner:", s->owner);
    admin_kv("creator:", s->creator);
    admin_kv("created_on:", out_time(t, s->created_on));
    admin_kv("comment:", s->comment);
    if (strcmp(s->stage_type, "External") != 0)
        print_quota(s);
}

/* The `stage` of an AlterStage or DescribeStage reply. */
static int print_stage_reply(struct cli *cli, const ProtobufCMessage *resp)
{
    const ProtobufCMessage *s = out_msg_sub(resp, "stage", &stage__v1__stage__descriptor);
    (void)cli;
    if (s)
        print_stage((const Stage__V1__Stage *)s);
    return CLI_EXIT_OK;
}

static int print_stages(struct cli *cli, const ProtobufCMessage *resp)
{
    static const char *const heads[] = {"NAME", "TYPE",    "STORAGE", "OWNER",
                                        "URL",  "CREATED", "COMMENT"};
    const Stage__V1__ListStagesResponse *r = (const Stage__V1__ListStagesResponse *)resp;
    struct table *tb = table_new(7, heads);
    char t[32];
    int rc = 0;
    for (size_t i = 0; tb && !rc && i < r->n_stages; i++) {
        const Stage__V1__Stage *s = r->stages[i];
        const char *cells[] = {s->name,
                               s->stage_type,
                               s->storage_type,
                               s->owner,
                               s->url[0] ? s->url : "-",
                               out_time(t, s->created_on),
                               s->comment};
        rc = table_add(tb, cells);
    }
    return admin_table_done(cli, "stages", tb, rc);
}

/* The end of a drop/replace: with `wait`, wait for the deletion job of the
 * old files first. People get the lines about the job (the stage was
 * printed before); --json gets one document: the reply, plus the final job
 * under "deletion_job" when waited for. CLI_EXIT_ERR if the deletion failed. */
static int deletion(struct cli *cli, const ProtobufCMessage *resp, const char *job_id, bool wait)
{
    Stage__V1__GetJobResponse *got = NULL;
    struct rpc_status st;
    int rc = 0;
    if (job_id[0] && wait && (rc = jobpoll_wait(&cli->conn, job_id, &got, &st)) != 0)
        return cli_fail_rpc(cli, job_id, rc, &st);
    const Stage__V1__Job *j = got ? got->job : NULL;
    bool ok = !j || j->state == STAGE__V1__JOB_STATE__SUCCEEDED;
    if (cli->json) {
        json_t *doc = out_msg_json(resp);
        if (doc && j)
            json_object_set_new(doc, "deletion_job", out_msg_json(&j->base));
        out_print_json(doc);
    } else if (job_id[0] && cli_talk(cli)) {
        printf("%-19s %s%s\n", "deletion job:", job_id,
               !j   ? ""
               : ok ? " (old files deleted)"
                    : " (FAILED)");
    }
    if (!ok) {
        fprintf(stderr, "%s: %s: job %s: deleting the old files failed: %s: %s\n", CLI_PROG,
                cli->cmd->name, job_id, j->error_code, j->error_message);
        rc = CLI_EXIT_ERR;
    }
    if (got)
        protobuf_c_message_free_unpacked(&got->base, NULL);
    return rc;
}

/* CreateStage or DropStage (`rpc`, about stage `name`): people see the new
 * stage, or with `drop` a line saying it is gone; then the deletion of the
 * old files the call may have queued (its `job_id`). */
static int replace_or_drop(struct cli *cli, const char *rpc, const ProtobufCMessage *req,
                           const ProtobufCMessageDescriptor *resp_desc, const char *name, bool drop,
                           bool wait)
{
    ProtobufCMessage *resp = NULL;
    int rc = admin_call(cli, rpc, req, resp_desc, name, &resp);
    if (rc)
        return rc;
    if (cli_talk(cli) && drop)
        printf("stage %s dropped\n", name);
    else if (!cli->json)
        print_stage_reply(cli, resp);
    rc = deletion(cli, resp, out_msg_string(resp, "job_id"), wait);
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

static int s_create(struct cli *cli, int argc, char **argv)
{
    Stage__V1__CreateStageRequest req = STAGE__V1__CREATE_STAGE_REQUEST__INIT;
    struct sopts o;
    int rc = parse(cli, argc, argv, &o, 1);
    if (rc >= 0)
        return rc;
    req.name = argv[optind];
    req.url = (char *)(o.url ? o.url : "");
    req.comment = (char *)(o.comment ? o.comment : "");
    req.n_connection = o.nconn;
    req.connection = o.pconn;
    req.if_not_exists = o.if_not_exists;
    req.or_replace = o.or_replace;
    req.set_quota = o.q.set;
    req.quota_bytes = o.q.bytes;
    req.quota_files = o.q.files;
    return replace_or_drop(cli, "CreateStage", &req.base,
                           &stage__v1__create_stage_response__descriptor, req.name, false, o.wait);
}

static int s_drop(struct cli *cli, int argc, char **argv)
{
    Stage__V1__DropStageRequest req = STAGE__V1__DROP_STAGE_REQUEST__INIT;
    struct sopts o;
    int rc = parse(cli, argc, argv, &o, 1);
    if (rc >= 0)
        return rc;
    req.name = argv[optind];
    req.if_exists = o.if_exists;
    return replace_or_drop(cli, "DropStage", &req.base, &stage__v1__drop_stage_response__descriptor,
                           req.name, true, o.wait);
}

static int s_alter(struct cli *cli, int argc, char **argv)
{
    Stage__V1__AlterStageRequest req = STAGE__V1__ALTER_STAGE_REQUEST__INIT;
    Stage__V1__AlterStageRequest__ConnectionEntry conn[CONN_MAX], *pconn[CONN_MAX];
    struct sopts o;
    int rc = parse(cli, argc, argv, &o, 1);
    if (rc >= 0)
        return rc;
    if (!o.url && !o.nconn && !o.comment && !o.unset_comment && !o.q.set && !o.q.reset)
        return cli_usage(cli, "nothing to change: give --url, --conn, --comment, --unset-comment, "
                              "--quota-bytes, --quota-files or --reset-quota");
    req.name = argv[optind];
    req.url = (char *)(o.url ? o.url : "");
    for (size_t i = 0; i < o.nconn; i++) {
        stage__v1__alter_stage_request__connection_entry__init(&conn[i]);
        conn[i].key = o.conn[i].key;
        conn[i].value = o.conn[i].value;
        pconn[i] = &conn[i];
    }
    req.n_connection = o.nconn;
    req.connection = pconn;
    req.set_comment = o.comment != NULL;
    req.comment = (char *)(o.comment ? o.comment : "");
    req.unset_comment = o.unset_comment;
    req.set_quota = o.q.set;
    req.quota_bytes = o.q.bytes;
    req.quota_files = o.q.files;
    req.reset_quota = o.q.reset;
    return admin_call_print(cli, "AlterStage", &req.base,
                            &stage__v1__alter_stage_response__descriptor, req.name,
                            print_stage_reply);
}

static int s_desc(struct cli *cli, int argc, char **argv)
{
    Stage__V1__DescribeStageRequest req = STAGE__V1__DESCRIBE_STAGE_REQUEST__INIT;
    struct sopts o;
    int rc = parse(cli, argc, argv, &o, 1);
    if (rc >= 0)
        return rc;
    req.name = argv[optind];
    if (req.name[0] == '@') /* "@~" as the other commands write it */
        req.name++;
    return admin_call_print(cli, "DescribeStage", &req.base,
                            &stage__v1__describe_stage_response__descriptor, req.name,
                            print_stage_reply);
}

static int s_list(struct cli *cli, int argc, char **argv)
{
    Stage__V1__ListStagesRequest req = STAGE__V1__LIST_STAGES_REQUEST__INIT;
    struct sopts o;
    int rc = parse(cli, argc, argv, &o, 0);
    if (rc >= 0)
        return rc;
    return admin_call_print(cli, "ListStages", &req.base,
                            &stage__v1__list_stages_response__descriptor, "stages", print_stages);
}

static int run(struct cli *cli, int argc, char **argv)
{
    static const struct admin_sub subs[] = {
        {"create", s_create}, {"drop", s_drop}, {"alter", s_alter}, {"desc", s_desc},
        {"list", s_list},     {"ls", s_list},   {NULL, NULL}};
    return admin_dispatch(cli, argc, argv, subs);
}

const struct cli_cmd cmd_stage = {"stage", run, "create, drop, alter, describe, list stages",
                                  usage};
