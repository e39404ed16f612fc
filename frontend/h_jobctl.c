/* h_jobctl.c - CancelJob, ListJobs, GetJobResults and WatchJob (docs/design.md §4,
 * docs/jobs.md). Visibility as GetJob: a job that is not the caller's
 * (unless admin) is NOT_FOUND. WatchJob checks the caller and reads the job
 * here, then hands the call to watch.c: one Pub/Sub subscription and one
 * read per event for every watcher of a job in this process. */
#include "authz.h"
#include "call.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "handlers.h"
#include "job.h"
#include "jobs.h"
#include "keys.h"
#include "log.h"
#include "pagetok.h"
#include "server.h"
#include "svc.h"
#include "watch.h"

#include "stage/v1/stage.pb-c.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_PAGE_DEFAULT 100
#define LIST_PAGE_MAX     1000
#define RESULTS_PAGE      1000
/* Jobs one filtered ListJobs call looks at (paused, location): a rare match
 * among many jobs costs bounded work per call, and the caller pages on. */
#define LIST_SCAN_MAX 5000

static bool id_valid(const char *id)
{
    return strlen(id) == JOB_ID_LEN && strspn(id, "0123456789abcdef") == JOB_ID_LEN;
}

/* The caller's job `id` into `j`: ST_ENOTFOUND (message in `msg`) if it is
 * missing or not visible, or a Redis error (db->err into `msg`). */
static int load_visible(struct db *db, const char *user, int64_t since, bool admin, const char *id,
                        struct job *j, char *msg, size_t n)
{
    int rc = id_valid(id) ? jobs_get(db, id, j) : ST_ENOTFOUND;
    if (!rc && !admin && !authz_owns(user, since, j->user, j->created_at))
        rc = ST_ENOTFOUND;
    if (rc == ST_ENOTFOUND)
        snprintf(msg, n, "job '%.64s' not found", id);
    else if (rc)
        snprintf(msg, n, "%s", db->err);
    return rc;
}

/* load_visible() for the caller of `s`; the id goes to the log line. */
static int load_own(struct svc *s, const char *id, struct job *j)
{
    snprintf(s->job, sizeof(s->job), "%.32s", id);
    return load_visible(s->db, s->user, s->user_since, s->admin, id, j, s->msg, sizeof(s->msg));
}

/* ------------------------------------------------------------ CancelJob */

int svc_cancel_job(struct svc *s, ProtobufCMessage *msg)
{
    const Stage__V1__CancelJobRequest *req = (const Stage__V1__CancelJobRequest *)msg;
    Stage__V1__CancelJobResponse resp = STAGE__V1__CANCEL_JOB_RESPONSE__INIT;
    Stage__V1__Job pj = STAGE__V1__JOB__INIT;
    struct job j;
    char why[160];
    int rc = load_own(s, req->job_id, &j);
    if (rc)
        return rc;
    if (!job_state_terminal(j.state)) {
        /* The state script drops the parts and wakes the worker, which sees
         * the state between parts and aborts its writer (no partial file). */
        snprintf(why, sizeof(why), "cancelled by %s", s->user);
        rc = db_set_state(s->db, j.id, JOB_STATE_NONE, JOB_CANCELLED, ST_ECANCELLED, why,
                          s->cfg->jobs.retention_s);
        if (rc && rc != ST_EPRECOND) /* EPRECOND: it ended meanwhile; report that */
            return svc_fail(s, rc, "cannot cancel job '%s': %s", j.id,
                            s->db->err[0] ? s->db->err : st_strerror(rc));
        /* A parked paused upload has no worker to see it: its deadline is
         * moved to now, so that the next sweep drops its writer at once
         * (worker/psweep.h; XX: only a job that is in the set). */
        if (rc == 0 && j.kind == JOB_UPLOAD && j.paused_until > 0)
            db_cmd(s->db, NULL, "ZADD", KEY_PAUSED, "XX", "0", j.id, NULL);
        if (jobs_get(s->db, j.id, &j))
            return svc_fail(s, ST_EUNAVAIL, "%s", s->db->err);
    }
    jobs_to_proto(&j, &pj);
    resp.job = &pj;
    return svc_reply(s, &resp.base);
}

/* ------------------------------------------------------------ ListJobs */

struct jobs_page {
    struct job *jobs;
    size_t n, max;
    char last_id[JOB_ID_LEN + 1];
    char last_score[24];
    bool more;
    bool reads;           /* LIST and STAT jobs too */
    int64_t since;        /* a user's list: only jobs since it was created (0 for admins) */
    bool paused;          /* only uploads paused within their window (job_paused) */
    const char *location; /* "" or only jobs of this location */
    int64_t now_ms;       /* for `paused` */
    size_t scan_max;      /* 0, or jobs to look at in this call at most */
    size_t scanned;
};

/* Whether `j`, a job of the scanned index, belongs on the page. */
static bool wanted(const struct jobs_page *p, const struct job *j, int state)
{
    bool read = j->kind == JOB_LIST || j->kind == JOB_STAT;
    bool mine = p->since <= 0 || j->created_at >= p->since; /* not an earlier same-name user's */
    return (state == 0 || (int)j->state == state) && (p->reads || !read) && mine &&
           (!p->paused || job_paused(j, p->now_ms)) &&
           (!*p->location || strcmp(j->location, p->location) == 0);
}

/* Rank to start at: after the token's job ("<id>.<score>"), which may have
 * moved (new jobs come first) or expired (then by its score). */
static int start_rank(struct svc *s, const char *zkey, const char *token, long long *rank)
{
    char id[JOB_ID_LEN + 1], score[20], min[32];
    redisReply *r = NULL;
    *rank = 0;
    if (!*token)
        return 0;
    if (pagetok_jobs_parse(token, JOB_ID_LEN, id, score))
        return svc_fail(s, ST_EINVAL, "page_token '%.64s' is not one this server gave", token);
    int rc = db_cmd(s->db, &r, "ZREVRANK", zkey, id, NULL);
    if (!rc && r->type == REDIS_REPLY_INTEGER) {
        *rank = r->integer + 1;
    } else if (!rc) {
        freeReplyObject(r);
        r = NULL;
        snprintf(min, sizeof(min), "(%s", score);
        rc = db_cmd(s->db, &r, "ZCOUNT", zkey, min, "+inf", NULL);
        if (!rc)
            *rank = db_reply_int(r, 0);
    }
    if (r)
        freeReplyObject(r);
    return rc ? svc_fail(s, rc, "%s", s->db->err) : 0;
}

/* Add the jobs of ids[0..n) that exist and match `state` (and are not
 * reads, unless p->reads); prune ids whose job expired. Returns the number
 * of ids looked at. */
static size_t take(struct db *db, const char *zkey, const redisReply *ids, int state,
                   struct jobs_page *p)
{
    size_t i;
    for (i = 0; i + 1 < ids->elements && p->n < p->max; i += 2) {
        const char *id = ids->element[i]->str;
        struct job *j = &p->jobs[p->n];
        int rc = jobs_get(db, id, j);
        if (rc == ST_ENOTFOUND) {
            db_cmd(db, NULL, "ZREM", zkey, id, NULL); /* expired (jobs.retention_s) */
            continue;
        }
        if (rc)
            continue;
        snprintf(p->last_id, sizeof(p->last_id), "%s", id);
        snprintf(p->last_score, sizeof(p->last_score), "%s", ids->element[i + 1]->str);
        if (wanted(p, j, state))
            p->n++;
    }
    p->scanned += i / 2;
    return i / 2;
}

static int collect(struct db *db, const char *zkey, long long rank, int state, struct jobs_page *p)
{
    char from[24], to[24];
    for (;;) {
        redisReply *r = NULL;
        long long batch = (long long)p->max * 2;
        snprintf(from, sizeof(from), "%lld", rank);
        snprintf(to, sizeof(to), "%lld", rank + batch - 1);
        int rc = db_cmd(db, &r, "ZREVRANGE", zkey, from, to, "WITHSCORES", NULL);
        if (rc)
            return rc;
        size_t got = r->type == REDIS_REPLY_ARRAY ? r->elements / 2 : 0;
        size_t seen = got ? take(db, zkey, r, state, p) : 0;
        freeReplyObject(r);
        rank += (long long)seen;
        if (p->n >= p->max || (p->scan_max && p->scanned >= p->scan_max)) {
            p->more = seen < got || got == (size_t)batch;
            return 0;
        }
        if (got < (size_t)batch)
            return 0;
    }
}

int svc_list_jobs(struct svc *s, ProtobufCMessage *msg)
{
    const Stage__V1__ListJobsRequest *req = (const Stage__V1__ListJobsRequest *)msg;
    Stage__V1__ListJobsResponse resp = STAGE__V1__LIST_JOBS_RESPONSE__INIT;
    struct jobs_page p = {0};
    char zkey[KEY_MAX], token[80] = "";
    long long rank = 0;
    int state = (int)req->state;
    p.reads = req->include_reads;
    p.since = s->admin ? 0 : s->user_since;
    p.paused = req->paused;
    p.location = req->location ? req->location : "";
    p.now_ms = job_now_ms();
    p.scan_max = p.paused || *p.location ? LIST_SCAN_MAX : 0;
    p.max = req->page_size <= 0              ? LIST_PAGE_DEFAULT
            : req->page_size > LIST_PAGE_MAX ? LIST_PAGE_MAX
                                             : (size_t)req->page_size;
    if (s->admin)
        snprintf(zkey, sizeof(zkey), "%s", KEY_ALL_JOBS);
    else
        keys_user_jobs(zkey, sizeof(zkey), s->user);
    if (state < 0 || state >= JOB_STATE_LAST)
        return svc_fail(s, ST_EINVAL, "state %d is not a job state", state);
    int rc = start_rank(s, zkey, req->page_token, &rank);
    if (rc)
        return rc;
    p.jobs = calloc(p.max, sizeof(*p.jobs));
    Stage__V1__Job *pj = calloc(p.max, sizeof(*pj));
    Stage__V1__Job **pp = calloc(p.max, sizeof(*pp));
    if (!p.jobs || !pj || !pp) {
        rc = svc_fail(s, ST_ENOMEM, "out of memory for a page of %zu jobs", p.max);
        goto out;
    }
    rc = collect(s->db, zkey, rank, state, &p);
    if (rc) {
        svc_fail(s, rc, "%s", s->db->err);
        goto out;
    }
    for (size_t i = 0; i < p.n; i++) {
        stage__v1__job__init(&pj[i]);
        jobs_to_proto(&p.jobs[i], &pj[i]);
        pp[i] = &pj[i];
    }
    resp.n_jobs = p.n;
    resp.jobs = pp;
    if (p.more && p.last_id[0])
        snprintf(token, sizeof(token), "%s.%s", p.last_id, p.last_score);
    resp.next_page_token = token;
    rc = svc_reply(s, &resp.base);
out:
    free(p.jobs);
    free(pj);
    free(pp);
    return rc;
}

/* ------------------------------------------------------------ GetJobResults */

static void result_of(char *s, Stage__V1__JobResult *out)
{
    char *name = strchr(s, '\t'), *err = name ? strchr(name + 1, '\t') : NULL;
    stage__v1__job_result__init(out);
    out->status = s;
    if (!name || !err)
        return;
    *name++ = '\0';
    *err++ = '\0';
    out->name = name;
    out->error = err;
}

int svc_get_job_results(struct svc *s, ProtobufCMessage *msg)
{
    const Stage__V1__GetJobResultsRequest *req = (const Stage__V1__GetJobResultsRequest *)msg;
    Stage__V1__GetJobResultsResponse resp = STAGE__V1__GET_JOB_RESULTS_RESPONSE__INIT;
    struct job j;
    char key[KEY_MAX + 16], from[24], to[24], next[24] = "";
    redisReply *r = NULL;
    long long start = 0;
    int rc = load_own(s, req->job_id, &j);
    if (rc)
        return rc;
    if ((rc = pagetok_offset_parse(req->page_token, &start)) != 0)
        return svc_fail(s, rc, "page_token '%.64s' is not one this server gave", req->page_token);
    keys_job(key, sizeof(key), j.id);
    strcat(key, ":results");
    snprintf(from, sizeof(from), "%lld", start);
    snprintf(to, sizeof(to), "%lld", start + RESULTS_PAGE); /* one more: is there a next page? */
    rc = db_cmd(s->db, &r, "LRANGE", key, from, to, NULL);
    if (rc)
        return svc_fail(s, rc, "%s", s->db->err);
    size_t n = r->type == REDIS_REPLY_ARRAY ? r->elements : 0;
    if (n > RESULTS_PAGE) {
        n = RESULTS_PAGE;
        snprintf(next, sizeof(next), "%lld", start + RESULTS_PAGE);
    }
    Stage__V1__JobResult *res = calloc(n ? n : 1, sizeof(*res));
    Stage__V1__JobResult **pp = calloc(n ? n : 1, sizeof(*pp));
    if (!res || !pp) {
        rc = svc_fail(s, ST_ENOMEM, "out of memory");
    } else {
        for (size_t i = 0; i < n; i++) {
            result_of(r->element[i]->str, &res[i]);
            pp[i] = &res[i];
        }
        resp.n_results = n;
        resp.results = pp;
        resp.next_page_token = next;
        rc = svc_reply(s, &resp.base);
    }
    free(res);
    free(pp);
    freeReplyObject(r);
    return rc;
}

/* ------------------------------------------------------------ WatchJob */

void h_watch_job(struct call *c)
{
    Stage__V1__WatchJobRequest *req;
    struct job j;
    char msg[512];
    if (call_read_request(c, &stage__v1__watch_job_request__descriptor, &req))
        return;
    snprintf(c->job, sizeof(c->job), "%.32s", req->job_id);
    int rc =
        load_visible(c->db, c->user, c->user_since, c->admin, req->job_id, &j, msg, sizeof(msg));
    protobuf_c_message_free_unpacked(&req->base, NULL);
    if (rc)
        call_fail(c, rc, "%s", msg);
    else
        watch_start(c, &j); /* the call is the watcher's now, or answered */
}
