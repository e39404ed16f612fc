/* lease.c - leases, reclaim and retry sleep (see lease.h). */
#include "lease.h"

#include "config.h"
#include "err.h"
#include "job.h"
#include "keys.h"
#include "log.h"
#include "queue.h"
#include "runner.h"
#include "worker.h"

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* KEYS[1] job hash, KEYS[2] the stream. ARGV: entry, worker, lease_until.
 * 1 renewed; 0 the job ended (the run finds out by itself); -1 another
 * worker owns it now (we lost the lease). */
static const char renew_lua[] =
    "local st = redis.call('HGET', KEYS[1], 'state')\n"
    "if st ~= 'RUNNING' and st ~= 'QUEUED' then return 0 end\n"
    "if redis.call('HGET', KEYS[1], 'worker') ~= ARGV[2] then return -1 end\n"
    "local c = redis.call('XCLAIM', KEYS[2], 'workers', ARGV[2], 0, ARGV[1], 'JUSTID')\n"
    "if #c == 0 then return -1 end\n"
    "redis.call('HSET', KEYS[1], 'lease_until', ARGV[3])\n"
    "return 1\n";

struct sleeper {
    struct worker *w;
    struct event *ev;
    char entry[64];
    char id[JOB_ID_LEN + 1];
    struct sleeper *next;
};

struct renew {
    struct worker *w;
    char id[JOB_ID_LEN + 1];
};

int64_t lease_backoff_ms(int attempt, int base_ms, int max_ms, uint32_t rnd)
{
    int64_t d = base_ms > 0 ? base_ms : 1;
    for (int i = 1; i < attempt && d < max_ms; i++)
        d *= 2;
    if (max_ms > 0 && d > max_ms)
        d = max_ms;
    return d / 2 + (int64_t)(rnd % (uint32_t)(d / 2 + 1));
}

static void on_renewed(redisAsyncContext *ac, void *reply, void *priv)
{
    struct renew *n = priv;
    redisReply *r = reply;
    struct run *run = worker_find(n->w, n->id);
    if (r && r->type == REDIS_REPLY_INTEGER && r->integer < 0 && run)
        runner_cancel(run, ST_EUNAVAIL, "lost the lease: another worker took the job over", true);
    else if (r && r->type == REDIS_REPLY_ERROR)
        log_warn("job=%s lease renewal failed: %s", n->id, r->str);
    free(n);
}

static void renew(struct worker *w, const char *id, const char *entry)
{
    char key[KEY_MAX], until[24];
    struct renew *n = calloc(1, sizeof(*n));
    if (!n || !w->cmd || keys_job(key, sizeof(key), id) < 0) {
        free(n);
        return;
    }
    n->w = w;
    snprintf(n->id, sizeof(n->id), "%s", id);
    snprintf(until, sizeof(until), "%" PRId64, job_now_ms() + w->cfg->jobs.lease_ms);
    const char *argv[] = {"EVAL", renew_lua,           "2",  key, KEY_QUEUE,
                          entry,  w->cfg->worker.name, until};
    if (redisAsyncCommandArgv(w->cmd, on_renewed, n, 8, argv, NULL) != REDIS_OK)
        free(n);
}

static void on_lease_tick(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    for (size_t i = 0; i < w->nruns; i++) {
        struct run *r = w->runs[i];
        if (!r->lost && !r->done)
            renew(w, r->j.id, r->entry);
    }
    for (struct sleeper *s = w->sleepers; s; s = s->next)
        renew(w, s->id, s->entry);
}

/* ------------------------------------------------------------ reclaim */

static void on_autoclaim(redisAsyncContext *ac, void *reply, void *priv)
{
    struct worker *w = priv;
    redisReply *r = reply;
    w->autoclaiming = false;
    if (!r)
        return;
    if (r->type == REDIS_REPLY_ERROR) {
        if (strncmp(r->str, "NOGROUP", 7) != 0)
            log_warn("XAUTOCLAIM failed: %s", r->str);
        return;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2)
        return;
    if (r->element[0]->type == REDIS_REPLY_STRING)
        snprintf(w->autoclaim_cursor, sizeof(w->autoclaim_cursor), "%s", r->element[0]->str);
    const redisReply *es = r->element[1];
    for (size_t i = 0; es->type == REDIS_REPLY_ARRAY && i < es->elements; i++)
        queue_claim_entry(w, es->element[i], QUEUE_RECLAIM);
}

static void on_reclaim_tick(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    char idle[24], count[16];
    int n = worker_free_slots(w);
    if (w->stopping || w->autoclaiming || !w->cmd || !w->group_ready || n <= 0)
        return;
    snprintf(idle, sizeof(idle), "%d", w->cfg->jobs.lease_ms);
    snprintf(count, sizeof(count), "%d", n);
    if (!w->autoclaim_cursor[0])
        snprintf(w->autoclaim_cursor, sizeof(w->autoclaim_cursor), "0-0");
    const char *argv[] = {"XAUTOCLAIM", KEY_QUEUE,           KEY_QUEUE_GROUP, w->cfg->worker.name,
                          idle,         w->autoclaim_cursor, "COUNT",         count};
    if (redisAsyncCommandArgv(w->cmd, on_autoclaim, w, 8, argv, NULL) == REDIS_OK)
        w->autoclaiming = true;
}

/* ------------------------------------------------------------ sleep */

static void unlink_sleeper(struct worker *w, struct sleeper *s)
{
    for (struct sleeper **p = &w->sleepers; *p; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            return;
        }
}

static void on_wakeup(evutil_socket_t fd, short what, void *arg)
{
    struct sleeper *s = arg;
    struct worker *w = s->w;
    unlink_sleeper(w, s);
    log_info("job=%s backoff over: claiming it again", s->id);
    queue_claim(w, s->entry, s->id, QUEUE_RETRY);
    event_free(s->ev);
    free(s);
}

void lease_sleep(struct worker *w, const char *entry, const char *id, int64_t delay_ms)
{
    struct sleeper *s = calloc(1, sizeof(*s));
    struct timeval tv = {(time_t)(delay_ms / 1000), (suseconds_t)(delay_ms % 1000) * 1000};
    if (!s || !(s->ev = evtimer_new(w->base, on_wakeup, s))) {
        free(s);
        lease_hand_back(w, entry); /* someone else retries it */
        return;
    }
    s->w = w;
    snprintf(s->entry, sizeof(s->entry), "%s", entry);
    snprintf(s->id, sizeof(s->id), "%s", id);
    s->next = w->sleepers;
    w->sleepers = s;
    evtimer_add(s->ev, &tv);
}

void lease_hand_back(struct worker *w, const char *entry)
{
    char idle[24];
    snprintf(idle, sizeof(idle), "%lld", (long long)w->cfg->jobs.lease_ms * 1000);
    const char *argv[] = {"XCLAIM", KEY_QUEUE, KEY_QUEUE_GROUP, w->cfg->worker.name, "0", entry,
                          "IDLE",   idle,      "JUSTID"};
    if (w->cmd)
        redisAsyncCommandArgv(w->cmd, NULL, NULL, 9, argv, NULL);
}

void lease_stop(struct worker *w)
{
    while (w->sleepers) {
        struct sleeper *s = w->sleepers;
        w->sleepers = s->next;
        log_info("job=%s handed back while waiting for its retry", s->id);
        lease_hand_back(w, s->entry);
        event_free(s->ev);
        free(s);
    }
}

/* ------------------------------------------------------------ setup */

int lease_init(struct worker *w)
{
    int lease = w->cfg->jobs.lease_ms > 0 ? w->cfg->jobs.lease_ms : 15000;
    int every = lease / 4 < 250 ? 250 : lease / 4 > 2000 ? 2000 : lease / 4;
    struct timeval renew_tv = {lease / 3 / 1000, (lease / 3 % 1000) * 1000};
    struct timeval claim_tv = {every / 1000, (every % 1000) * 1000};
    w->lease_ev = event_new(w->base, -1, EV_PERSIST, on_lease_tick, w);
    w->reclaim_ev = event_new(w->base, -1, EV_PERSIST, on_reclaim_tick, w);
    if (!w->lease_ev || !w->reclaim_ev)
        return ST_ENOMEM;
    evtimer_add(w->lease_ev, &renew_tv);
    evtimer_add(w->reclaim_ev, &claim_tv);
    return 0;
}

void lease_cleanup(struct worker *w)
{
    lease_stop(w);
    if (w->lease_ev)
        event_free(w->lease_ev);
    if (w->reclaim_ev)
        event_free(w->reclaim_ev);
    w->lease_ev = w->reclaim_ev = NULL;
}
