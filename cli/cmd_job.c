/* cmd_job.c - stagectl job get|watch|list|cancel|results: GetJob (once or
 * until the end), WatchJob (live progress), ListJobs (paged), CancelJob,
 * GetJobResults (every page). */
#include "admin.h"
#include "cli.h"
#include "jobpoll.h"
#include "out.h"
#include "table.h"

#include "stage/v1/stage.pb-c.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { O_WAIT = CLI_OPT_FIRST_CMD, O_STATE, O_LIMIT, O_PAGE_TOKEN, O_ALL, O_PAUSED, O_LOCATION };

static const char usage[] =
    "usage: stagectl job get JOB_ID [--wait]\n"
    "       stagectl job watch JOB_ID\n"
    "       stagectl job list [--state STATE] [--all] [--paused] [--location LOC]\n"
    "                         [--limit N] [--page-token TOKEN]\n"
    "       stagectl job cancel JOB_ID\n"
    "       stagectl job results JOB_ID\n"
    "\n"
    "Jobs: every upload, download, list, remove, copy and stage drop is one.\n"
    "A user sees and cancels only their own jobs; admins see all.\n"
    "\n"
    "  get      kind, state (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED),\n"
    "           progress in bytes and files, times, the worker, the error\n"
    "    --wait   poll until the job ends; exit 1 unless it SUCCEEDED\n"
    "  watch    follow the job until it ends (WatchJob): a progress bar on a\n"
    "           terminal, then the final job; --json: one JSON line per change.\n"
    "           Exit 1 if the job ends FAILED or CANCELLED\n"
    "  list     newest first, as a table (--json: {\"jobs\": [...],\n"
    "           \"next_page_token\": \"...\"})\n"
    "    --state STATE       only jobs in STATE (any case)\n"
    "    --all               also the LIST and STAT jobs behind ls and stat\n"
    "    --paused            only uploads paused within their resume window (those\n"
    "                        a put of the same file with resume continues)\n"
    "    --location LOC      only jobs of LOC, exactly as it was written (@~/a.csv)\n"
    "    --limit N           at most N jobs (default 50; 0: all)\n"
    "    --page-token TOKEN  continue after a previous list (its next_page_token)\n"
    "  cancel   cancel a queued or running job (an upload leaves no partial\n"
    "           file); exit 1 if the job had already ended otherwise\n"
    "  results  per-file results of a remove or copy: NAME, STATUS, ERROR\n"
    "           (--json: one JSON line per file)\n";

static int print_job_reply(struct cli *cli, const char *id, const Stage__V1__Job *j)
{
    if (!j)
        return cli_fail(cli, id, "INTERNAL", "the server returned no job");
    out_print_job(cli->json, j);
    return CLI_EXIT_OK;
}

/* Parse options of a subcommand taking JOB_ID; returns -1 to go on. */
static int one_id(struct cli *cli, int argc, char **argv, bool *wait)
{
    static const struct option opts[] = {
        CLI_GLOBAL_OPTIONS, {"wait", no_argument, NULL, O_WAIT}, {NULL, 0, NULL, 0}};
    static const struct option plain[] = {CLI_GLOBAL_OPTIONS, {NULL, 0, NULL, 0}};
    int c;
    while ((c = cli_getopt(cli, argc, argv, wait ? opts : plain)) >= 0)
        if (c == O_WAIT)
            *wait = true;
    if (c != -1)
        return CLI_OPT_EXIT(c);
    if (argc - optind != 1)
        return cli_usage(cli, "expected one JOB_ID after '%s'", argv[0]);
    return -1;
}

/* ------------------------------------------------------------ get */

static int j_get(struct cli *cli, int argc, char **argv)
{
    Stage__V1__GetJobResponse *resp = NULL;
    struct rpc_status st;
    bool wait = false;
    int rc = one_id(cli, argc, argv, &wait);
    if (rc >= 0)
        return rc;
    const char *id = argv[optind];
    if ((rc = cli_connect(cli, true)) != 0)
        return rc;
    rc = wait ? jobpoll_wait(&cli->conn, id, &resp, &st) : jobpoll_get(&cli->conn, id, &resp, &st);
    if (rc)
        return cli_fail_rpc(cli, id, rc, &st);
    rc = print_job_reply(cli, id, resp->job);
    if (!rc && wait && resp->job->state != STAGE__V1__JOB_STATE__SUCCEEDED)
        rc = CLI_EXIT_ERR;
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return rc;
}

/* ------------------------------------------------------------ watch */

struct watch {
    struct cli *cli;
    struct progress prog;
    char label[64];
    int state; /* of the last message */
    bool started;
    char error[300]; /* "CODE: message" of the last message */
};

static void watch_progress(struct watch *w, const Stage__V1__Job *j)
{
    char s[16];
    snprintf(w->label, sizeof(w->label), "job %.8s %-9s", j->id,
             out_enum_name(&stage__v1__job_state__descriptor, j->state, s));
    if (!w->started) {
        progress_init(&w->prog, true, w->label, j->bytes_total > 0 ? j->bytes_total : -1);
        w->prog.base = j->bytes_done; /* the rate counts what moved while we watch */
        w->started = true;
    }
    w->prog.total = j->bytes_total > 0 ? j->bytes_total : -1;
    w->prog.files_done = j->files_done;
    w->prog.files_total = j->files_total;
    w->prog.last_ms = 0; /* every change is drawn */
    progress_update(&w->prog, j->bytes_done);
}

static int on_watch(const ProtobufCMessage *msg, void *ud, struct rpc_status *st)
{
    struct watch *w = ud;
    const Stage__V1__WatchJobResponse *m = (const Stage__V1__WatchJobResponse *)msg;
    (void)st;
    if (!m->job)
        return 0;
    w->state = m->job->state;
    snprintf(w->error, sizeof(w->error), "%s: %s", m->job->error_code, m->job->error_message);
    if (w->cli->json) {
        out_print_json(out_msg_json(&m->job->base));
        return 0;
    }
    watch_progress(w, m->job);
    if (jobpoll_terminal(m->job)) {
        progress_end(&w->prog);
        out_print_job(false, m->job);
    }
    return 0;
}

static int j_watch(struct cli *cli, int argc, char **argv)
{
    Stage__V1__WatchJobRequest req = STAGE__V1__WATCH_JOB_REQUEST__INIT;
    struct watch w = {.cli = cli};
    struct rpc_status st;
    int rc = one_id(cli, argc, argv, NULL);
    if (rc >= 0)
        return rc;
    req.job_id = argv[optind];
    if ((rc = cli_connect(cli, true)) != 0)
        return rc;
    rc = rpc_server_stream(&cli->conn, RPC_SERVICE "WatchJob", &req.base,
                           &stage__v1__watch_job_response__descriptor, on_watch, &w, &st);
    if (w.started)
        progress_end(&w.prog);
    if (rc)
        return cli_fail_rpc(cli, req.job_id, rc, &st);
    if (w.state == STAGE__V1__JOB_STATE__SUCCEEDED)
        return CLI_EXIT_OK;
    if (w.state == STAGE__V1__JOB_STATE__FAILED || w.state == STAGE__V1__JOB_STATE__CANCELLED) {
        fprintf(stderr, "%s: job %s: ended %s: %s\n", CLI_PROG, req.job_id,
                w.state == STAGE__V1__JOB_STATE__FAILED ? "FAILED" : "CANCELLED", w.error);
        return CLI_EXIT_ERR;
    }
    return cli_fail(cli, req.job_id, "UNAVAILABLE", "the watch ended before the job did");
}

/* ------------------------------------------------------------ list */

static int parse_state(struct cli *cli, const char *s, Stage__V1__JobState *out)
{
    char up[16];
    size_t i = 0;
    for (; s[i] && i + 1 < sizeof(up); i++) /* running or RUNNING */
        up[i] = (char)toupper((unsigned char)s[i]);
    up[i] = '\0';
    const ProtobufCEnumValue *v =
        s[i] ? NULL
             : protobuf_c_enum_descriptor_get_value_by_name(&stage__v1__job_state__descriptor, up);
    if (!v || v->value == 0)
        return cli_usage(cli,
                         "--state expects QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED, "
                         "not '%s'",
                         s);
    *out = (Stage__V1__JobState)v->value;
    return 0;
}

static int add_job_row(struct table *t, const Stage__V1__Job *j)
{
    char k[16], s[16], b[16], f[48], c[32];
    bool moves = j->kind == STAGE__V1__JOB_KIND__UPLOAD ||
                 j->kind == STAGE__V1__JOB_KIND__DOWNLOAD || j->kind == STAGE__V1__JOB_KIND__COPY;
    snprintf(f, sizeof(f), "%lld/%lld", (long long)j->files_done, (long long)j->files_total);
    const char *cells[] = {
        j->id, out_enum_name(&stage__v1__job_kind__descriptor, j->kind, k),
        /* a paused resumable upload is RUNNING or QUEUED to the
           state machine; say what the user can do about it */
        j->resume_until > 0 ? "PAUSED"
                            : out_enum_name(&stage__v1__job_state__descriptor, j->state, s),
        j->user, moves ? out_size(b, j->bytes_total > 0 ? j->bytes_total : j->bytes_done) : "-",
        j->files_total > 0 ? f : "", out_time(c, j->created_at), j->location};
    return table_add(t, cells);
}

struct jlist {
    Stage__V1__ListJobsRequest req;
    long limit, count; /* limit 0: all */
    json_t *jobs;      /* --json */
    struct table *t;   /* people */
    char next[128];
};

/* protobuf-c's default for a string is "" (protobuf_c_empty_string). */
static bool has_location(const Stage__V1__ListJobsRequest *req)
{
    return req->location && *req->location;
}

static bool filtered(const Stage__V1__ListJobsRequest *req)
{
    return req->paused || has_location(req);
}

/* The filters again on the client: a server that predates them answers
 * every job (as put --resume expects, putresume.h). */
static bool matches(const Stage__V1__ListJobsRequest *req, const Stage__V1__Job *j)
{
    bool loc = !has_location(req) || strcmp(j->location, req->location) == 0;
    return loc && (!req->paused || j->resume_until > 0);
}

/* One ListJobs page into `l`; 0 or an exit code. `*more`: there is a next page. */
static int list_page(struct cli *cli, struct jlist *l, bool *more)
{
    Stage__V1__ListJobsResponse *resp = NULL;
    long want = l->limit ? l->limit - l->count : 1000;
    l->req.page_size = (int32_t)(want > 1000 ? 1000 : want);
    int rc = admin_call(cli, "ListJobs", &l->req.base, &stage__v1__list_jobs_response__descriptor,
                        "jobs", (ProtobufCMessage **)&resp);
    if (rc)
        return rc;
    for (size_t i = 0; !rc && i < resp->n_jobs; i++) {
        if (!matches(&l->req, resp->jobs[i]))
            continue;
        l->count++;
        if (l->jobs)
            rc = json_array_append_new(l->jobs, out_msg_json(&resp->jobs[i]->base));
        else
            rc = add_job_row(l->t, resp->jobs[i]);
    }
    snprintf(l->next, sizeof(l->next), "%s", resp->next_page_token);
    /* With a filter the server looks at a bounded number of jobs per call,
     * so a page may be empty and still have a next one; without, an empty
     * page ends the list even if a token came (no endless paging). */
    *more = l->next[0] && (resp->n_jobs > 0 || filtered(&l->req));
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    if (rc)
        return cli_fail(cli, "jobs", "RESOURCE_EXHAUSTED", "out of memory");
    return 0;
}

static int list_print(struct cli *cli, struct jlist *l)
{
    bool more = true;
    while (more && (!l->limit || l->count < l->limit)) {
        int rc = list_page(cli, l, &more);
        if (rc)
            return rc;
        l->req.page_token = l->next;
    }
    if (!more)
        l->next[0] = '\0';
    if (l->jobs) {
        json_t *doc = json_pack("{s:O,s:s}", "jobs", l->jobs, "next_page_token", l->next);
        out_print_json(doc);
        return CLI_EXIT_OK;
    }
    table_print(l->t);
    if (l->next[0] && !cli->json)
        fprintf(stderr, "more jobs: stagectl job list%s%s%s --page-token %s\n",
                l->req.paused ? " --paused" : "", has_location(&l->req) ? " --location " : "",
                has_location(&l->req) ? l->req.location : "", l->next);
    return CLI_EXIT_OK;
}

static int j_list(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"state", required_argument, NULL, O_STATE},
                                         {"limit", required_argument, NULL, O_LIMIT},
                                         {"page-token", required_argument, NULL, O_PAGE_TOKEN},
                                         {"all", no_argument, NULL, O_ALL},
                                         {"paused", no_argument, NULL, O_PAUSED},
                                         {"location", required_argument, NULL, O_LOCATION},
                                         {NULL, 0, NULL, 0}};
    static const char *const heads[] = {"ID",    "KIND",   "STATE",   "USER",
                                        ">SIZE", ">FILES", "CREATED", "LOCATION"};
    struct jlist l;
    Stage__V1__ListJobsRequest init = STAGE__V1__LIST_JOBS_REQUEST__INIT;
    memset(&l, 0, sizeof(l));
    l.req = init;
    l.limit = 50;
    int c, rc;
    while ((c = cli_getopt(cli, argc, argv, opts)) >= 0) {
        char *end;
        if (c == O_STATE && (rc = parse_state(cli, optarg, &l.req.state)) != 0)
            return rc;
        if (c == O_PAGE_TOKEN)
            l.req.page_token = optarg;
        if (c == O_ALL)
            l.req.include_reads = true;
        if (c == O_PAUSED)
            l.req.paused = true;
        if (c == O_LOCATION && !*optarg)
            return cli_usage(cli, "--location expects a location such as @~/a.csv");
        if (c == O_LOCATION)
            l.req.location = optarg;
        if (c == O_LIMIT && ((l.limit = strtol(optarg, &end, 10)) < 0 || *end || !*optarg))
            return cli_usage(cli, "--limit expects a number >= 0, not '%s'", optarg);
    }
    if (c != -1)
        return CLI_OPT_EXIT(c);
    if (argc - optind != 0)
        return cli_usage(cli, "job list takes no arguments");
    if (cli->json)
        l.jobs = json_array();
    else
        l.t = table_new(8, heads);
    if (!l.jobs && !l.t)
        return cli_fail(cli, "jobs", "RESOURCE_EXHAUSTED", "out of memory");
    rc = list_print(cli, &l);
    json_decref(l.jobs);
    table_free(l.t);
    return rc;
}

/* ------------------------------------------------------------ cancel */

static int j_cancel(struct cli *cli, int argc, char **argv)
{
    Stage__V1__CancelJobRequest req = STAGE__V1__CANCEL_JOB_REQUEST__INIT;
    Stage__V1__CancelJobResponse *resp = NULL;
    char s[16];
    int rc = one_id(cli, argc, argv, NULL);
    if (rc >= 0)
        return rc;
    req.job_id = argv[optind];
    rc = admin_call(cli, "CancelJob", &req.base, &stage__v1__cancel_job_response__descriptor,
                    req.job_id, (ProtobufCMessage **)&resp);
    if (rc)
        return rc;
    rc = print_job_reply(cli, req.job_id, resp->job);
    if (!rc && resp->job->state != STAGE__V1__JOB_STATE__CANCELLED) {
        fprintf(stderr, "%s: job %s: not cancelled: it had already ended %s\n", CLI_PROG,
                req.job_id, out_enum_name(&stage__v1__job_state__descriptor, resp->job->state, s));
        rc = CLI_EXIT_ERR;
    }
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return rc;
}

/* ------------------------------------------------------------ results */

/* One page of results, printed; the next page token in `next`. */
static int results_page(struct cli *cli, Stage__V1__GetJobResultsRequest *req, struct table *t,
                        char *next, size_t n)
{
    Stage__V1__GetJobResultsResponse *resp = NULL;
    int rc = admin_call(cli, "GetJobResults", &req->base,
                        &stage__v1__get_job_results_response__descriptor, req->job_id,
                        (ProtobufCMessage **)&resp);
    if (rc)
        return rc;
    for (size_t i = 0; !rc && i < resp->n_results; i++) {
        const Stage__V1__JobResult *r = resp->results[i];
        if (cli->json) {
            out_print_json(out_msg_json(&r->base));
        } else {
            const char *cells[] = {r->name, r->status, r->error[0] ? r->error : ""};
            if (table_add(t, cells))
                rc = cli_fail(cli, req->job_id, "RESOURCE_EXHAUSTED", "out of memory");
        }
    }
    snprintf(next, n, "%s", resp->n_results ? resp->next_page_token : "");
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return rc;
}

static int j_results(struct cli *cli, int argc, char **argv)
{
    static const char *const heads[] = {"NAME", "STATUS", "ERROR"};
    Stage__V1__GetJobResultsRequest req = STAGE__V1__GET_JOB_RESULTS_REQUEST__INIT;
    char next[128] = "";
    int rc = one_id(cli, argc, argv, NULL);
    if (rc >= 0)
        return rc;
    req.job_id = argv[optind];
    struct table *t = NULL;
    bool first = true;
    do {
        /* people get one table per page (the header once), so memory stays bounded */
        if (!cli->json && !(t = table_new(3, heads)))
            return cli_fail(cli, req.job_id, "RESOURCE_EXHAUSTED", "out of memory");
        req.page_token = next;
        rc = results_page(cli, &req, t, next, sizeof(next));
        if (!rc && t)
            table_print_opt(t, first);
        t = table_free(t);
        first = false;
    } while (!rc && next[0]);
    return rc;
}

static int run(struct cli *cli, int argc, char **argv)
{
    static const struct admin_sub subs[] = {
        {"get", j_get},       {"watch", j_watch},     {"list", j_list}, {"ls", j_list},
        {"cancel", j_cancel}, {"results", j_results}, {NULL, NULL}};
    return admin_dispatch(cli, argc, argv, subs);
}

const struct cli_cmd cmd_job = {"job", run, "jobs: get, watch, list, cancel, results", usage};
