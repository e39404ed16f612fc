/* queue.c - consuming st:q (see queue.h). */
#include "queue.h"

#include "config.h"
#include "err.h"
#include "job.h"
#include "keys.h"
#include "lease.h"
#include "log.h"
#include "runner.h"
#include "worker.h"

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_MS      "1000"
#define PENDING_COUNT 100
#define MAX_LEFTOVER  64 /* parts to delete for a job found terminal */

struct claim {
    struct worker *w;
    char entry[64];
    char id[JOB_ID_LEN + 1];
    enum queue_how how;
    bool requeued; /* we moved it RUNNING -> QUEUED already */
    struct job j;
};

static void claim_done(struct claim *c)
{
    struct worker *w = c->w;
    w->claiming--;
    free(c);
    worker_slot_freed(w);
}

static void ack(struct worker *w, const char *entry)
{
    const char *argv[] = {"XACK", KEY_QUEUE, KEY_QUEUE_GROUP, entry};
    const char *del[] = {"XDEL", KEY_QUEUE, entry};
    if (w->cmd) {
        redisAsyncCommandArgv(w->cmd, NULL, NULL, 4, argv, NULL);
        /* The stream holds only live work, so XLEN is the backlog. */
        redisAsyncCommandArgv(w->cmd, NULL, NULL, 3, del, NULL);
    }
}

/* A terminal job's parts that may still be in Redis. */
static void drop_parts(struct worker *w, const struct job *j)
{
    char key[KEY_MAX];
    int64_t lo = j->parts_done > 0 ? j->parts_done : 0, hi = j->parts_ready;
    if (hi - lo > MAX_LEFTOVER)
        hi = lo + MAX_LEFTOVER;
    for (int64_t n = lo; n <= hi && w->cmd; n++) {
        keys_job_part(key, sizeof(key), j->id, (long)n);
        const char *argv[] = {"DEL", key};
        redisAsyncCommandArgv(w->cmd, NULL, NULL, 2, argv, NULL);
    }
}

static void on_state_checked(redisAsyncContext *ac, void *reply, void *priv)
{
    struct claim *c = priv;
    redisReply *r = reply;
    if (r && r->type == REDIS_REPLY_STRING && job_state_terminal(job_state_parse(r->str)))
        ack(c->w, c->entry);
    claim_done(c);
}

static void on_running(int rc, void *ud)
{
    struct claim *c = ud;
    struct worker *w = c->w;
    char key[KEY_MAX];
    if (rc == 0) {
        runner_start(w, &c->j, c->entry);
    } else if (rc == ST_EPRECOND && w->cmd) { /* someone else has it */
        keys_job(key, sizeof(key), c->id);
        const char *argv[] = {"HGET", key, "state"};
        if (redisAsyncCommandArgv(w->cmd, on_state_checked, c, 3, argv, NULL) == REDIS_OK)
            return;
    } else if (rc == ST_ENOTFOUND) {
        ack(w, c->entry);
    }
    claim_done(c);
}

static void on_given_up(int rc, void *ud)
{
    struct claim *c = ud;
    if (rc == 0 || rc == ST_EPRECOND || rc == ST_ENOTFOUND)
        ack(c->w, c->entry);
    claim_done(c);
}

static int claim_decide(struct claim *c);

static void on_requeued(int rc, void *ud)
{
    struct claim *c = ud;
    if (rc == 0) {
        c->j.state = JOB_QUEUED;
        c->requeued = true;
        if (claim_decide(c) == 0)
            return;
    } else if (rc == ST_EPRECOND) {
        on_running(ST_EPRECOND, c); /* changed meanwhile: look again */
        return;
    }
    claim_done(c);
}

/* The job's owner is gone (its lease ran out, or it was us before a
 * restart): RUNNING -> QUEUED, fenced by the old owner's name, then on. */
static int reclaim(struct claim *c)
{
    struct worker *w = c->w;
    char msg[300];
    snprintf(msg, sizeof(msg), "worker %s stopped renewing its lease (died or lost Redis)",
             c->j.worker[0] ? c->j.worker : "?");
    log_warn("job=%s %s: reclaiming it after %" PRId64 " attempt(s)", c->id, msg, c->j.attempts);
    struct job_change ch = {.id = c->id,
                            .from = JOB_RUNNING,
                            .to = JOB_QUEUED,
                            .owner = c->j.worker,
                            .err = ST_EUNAVAIL,
                            .msg = msg,
                            .retention_s = w->cfg->jobs.retention_s};
    return job_change_async(w->cmd, &ch, on_requeued, c);
}

/* Decide what to do with the job of a claimed entry. 0 = the claim goes on
 * asynchronously; otherwise the caller ends it. */
static int claim_decide(struct claim *c)
{
    struct worker *w = c->w;
    const struct config *cfg = w->cfg;
    struct job *j = &c->j;
    char msg[700];
    if (job_state_terminal(j->state)) {
        drop_parts(w, j);
        ack(w, c->entry);
        return 1;
    }
    if (worker_find(w, c->id))
        return 1; /* running here */
    if (j->state == JOB_QUEUED && j->attempts >= cfg->jobs.max_attempts) {
        snprintf(msg, sizeof(msg), "gave up after %" PRId64 " attempts; last error: %s",
                 j->attempts, j->error_message[0] ? j->error_message : "none recorded");
        int err = j->error_code[0] ? st_err_from_status_name(j->error_code) : ST_EUNAVAIL;
        return job_set_state_async(w->cmd, c->id, JOB_QUEUED, JOB_FAILED, NULL, err, msg,
                                   cfg->jobs.retention_s, on_given_up, c);
    }
    if (j->state == JOB_QUEUED)
        return job_set_state_async(w->cmd, c->id, JOB_QUEUED, JOB_RUNNING, cfg->worker.name, 0,
                                   NULL, cfg->jobs.retention_s, on_running, c);
    bool mine = strcmp(j->worker, cfg->worker.name) == 0;
    if (j->state == JOB_RUNNING && !c->requeued &&
        (c->how == QUEUE_RECLAIM || ((c->how == QUEUE_PENDING || c->how == QUEUE_RETRY) && mine)))
        return reclaim(c);
    return 1; /* running elsewhere: leave it */
}

static void on_job(redisAsyncContext *ac, void *reply, void *priv)
{
    struct claim *c = priv;
    int rc = reply ? 0 : ST_EUNAVAIL;
    job_init(&c->j);
    if (!rc)
        rc = job_from_reply(&c->j, reply);
    if (rc == ST_ENOTFOUND) {
        log_warn("job=%s has no record (expired?): dropping its queue entry", c->id);
        ack(c->w, c->entry);
    } else if (!rc && c->w->cmd) {
        snprintf(c->j.id, sizeof(c->j.id), "%s", c->id);
        if (claim_decide(c) == 0)
            return;
    }
    claim_done(c);
}

void queue_claim(struct worker *w, const char *entry, const char *id, enum queue_how how)
{
    char key[KEY_MAX];
    if (!id || strlen(id) > JOB_ID_LEN || keys_job(key, sizeof(key), id) < 0) {
        log_warn("queue entry %s holds no job id (deleted or malformed): acknowledged", entry);
        ack(w, entry);
        return;
    }
    if (how != QUEUE_NEW && worker_find(w, id))
        return;
    struct claim *c = calloc(1, sizeof(*c));
    if (!c)
        return;
    c->w = w;
    c->how = how;
    snprintf(c->entry, sizeof(c->entry), "%s", entry);
    snprintf(c->id, sizeof(c->id), "%s", id);
    const char *argv[] = {"HGETALL", key};
    if (!w->cmd || redisAsyncCommandArgv(w->cmd, on_job, c, 2, argv, NULL) != REDIS_OK) {
        free(c);
        return;
    }
    w->claiming++;
}

void queue_claim_entry(struct worker *w, const redisReply *e, enum queue_how how)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 ||
        e->element[0]->type != REDIS_REPLY_STRING)
        return;
    const redisReply *f = e->element[1];
    const char *id = NULL;
    for (size_t i = 0; f->type == REDIS_REPLY_ARRAY && i + 1 < f->elements; i += 2)
        if (f->element[i]->type == REDIS_REPLY_STRING && strcmp(f->element[i]->str, "job") == 0)
            id = f->element[i + 1]->str;
    queue_claim(w, e->element[0]->str, id, how);
}

/* The entries of an XREADGROUP reply; returns how many, and the last id. */
static size_t claim_reply(struct worker *w, const redisReply *r, bool pending, char *last,
                          size_t lastlen)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1)
        return 0;
    const redisReply *s = r->element[0];
    if (s->type != REDIS_REPLY_ARRAY || s->elements < 2 || s->element[1]->type != REDIS_REPLY_ARRAY)
        return 0;
    const redisReply *es = s->element[1];
    for (size_t i = 0; i < es->elements; i++) {
        const redisReply *e = es->element[i];
        if (w->stopping && e->type == REDIS_REPLY_ARRAY && e->elements > 0 &&
            e->element[0]->type == REDIS_REPLY_STRING) {
            /* A read that was in flight when the drain began: not ours to
             * start. Marked idle, so that any worker's XAUTOCLAIM takes it. */
            log_info("entry %s arrived while stopping: handed back", e->element[0]->str);
            lease_hand_back(w, e->element[0]->str);
            continue;
        }
        queue_claim_entry(w, e, pending ? QUEUE_PENDING : QUEUE_NEW);
        if (es->element[i]->type == REDIS_REPLY_ARRAY && es->element[i]->elements > 0)
            snprintf(last, lastlen, "%s", es->element[i]->element[0]->str);
    }
    return es->elements;
}

static void make_group(struct worker *w);

static bool read_failed(struct worker *w, const redisReply *r)
{
    if (r && r->type == REDIS_REPLY_ERROR) {
        log_error("XREADGROUP failed: %s", r->str);
        if (strncmp(r->str, "NOGROUP", 7) == 0)
            w->group_ready = false;
        static const struct timeval one = {1, 0};
        evtimer_add(w->retry_ev, &one);
        return true;
    }
    return !r;
}

static void scan_next(struct worker *w);

static void on_pending(redisAsyncContext *ac, void *reply, void *priv)
{
    struct worker *w = priv;
    w->reading = false;
    if (read_failed(w, reply)) {
        w->scanning = false;
        return;
    }
    if (claim_reply(w, reply, true, w->scan_cursor, sizeof(w->scan_cursor)) < PENDING_COUNT) {
        w->scanning = false;
        if (w->rescan)
            make_group(w);
        else
            queue_poll(w);
        return;
    }
    scan_next(w);
}

static void scan_next(struct worker *w)
{
    char count[16];
    snprintf(count, sizeof(count), "%d", PENDING_COUNT);
    const char *argv[] = {"XREADGROUP", "GROUP",   KEY_QUEUE_GROUP, w->cfg->worker.name, "COUNT",
                          count,        "STREAMS", KEY_QUEUE,       w->scan_cursor};
    if (!w->blk || redisAsyncCommandArgv(w->blk, on_pending, w, 9, argv, NULL) != REDIS_OK) {
        w->scanning = false;
        return;
    }
    w->reading = true;
}

static void on_group(redisAsyncContext *ac, void *reply, void *priv)
{
    struct worker *w = priv;
    redisReply *r = reply;
    static const struct timeval one = {1, 0};
    w->reading = false;
    if (!r)
        return;
    if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) != 0) {
        log_error("XGROUP CREATE %s %s failed: %s; retrying", KEY_QUEUE, KEY_QUEUE_GROUP, r->str);
        evtimer_add(w->retry_ev, &one);
        return;
    }
    w->group_ready = true;
    w->scanning = true;
    snprintf(w->scan_cursor, sizeof(w->scan_cursor), "0");
    scan_next(w);
}

/* Every command on the blocking connection is one at a time (w->reading). */
static void make_group(struct worker *w)
{
    const char *argv[] = {"XGROUP", "CREATE", KEY_QUEUE, KEY_QUEUE_GROUP, "0", "MKSTREAM"};
    w->rescan = false;
    if (w->stopping)
        return;
    if (w->blk && !w->reading &&
        redisAsyncCommandArgv(w->blk, on_group, w, 6, argv, NULL) == REDIS_OK)
        w->reading = true;
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    if (!w->group_ready)
        make_group(w);
    else
        queue_poll(w);
}

void queue_on_connected(struct worker *w)
{
    if (!w->retry_ev)
        w->retry_ev = evtimer_new(w->base, on_retry, w);
    if (w->reading || w->scanning)
        w->rescan = true; /* after the command in flight */
    else
        make_group(w); /* then the pending scan, then reading */
}

void queue_on_disconnected(struct worker *w)
{
    w->reading = false;
    w->group_ready = false;
    w->scanning = false;
    w->rescan = false;
}

static void on_read(redisAsyncContext *ac, void *reply, void *priv)
{
    struct worker *w = priv;
    char last[64];
    w->reading = false;
    if (read_failed(w, reply))
        return;
    claim_reply(w, reply, false, last, sizeof(last));
    if (w->rescan)
        make_group(w);
    else
        queue_poll(w);
}

void queue_poll(struct worker *w)
{
    char count[16];
    int free_slots = worker_free_slots(w);
    if (w->stopping || w->reading || w->scanning || !w->group_ready || !w->blk || free_slots <= 0)
        return;
    snprintf(count, sizeof(count), "%d", free_slots);
    const char *argv[] = {"XREADGROUP", "GROUP", KEY_QUEUE_GROUP, w->cfg->worker.name, "COUNT",
                          count,        "BLOCK", BLOCK_MS,        "STREAMS",           KEY_QUEUE,
                          ">"};
    if (redisAsyncCommandArgv(w->blk, on_read, w, 11, argv, NULL) == REDIS_OK)
        w->reading = true;
}
