/* worker.c - connections, the run table, wake-ups and the drain (worker.h).
 * The only file that includes the hiredis libevent adapter. */
#include "worker.h"

#include "config.h"
#include "err.h"
#include "keys.h"
#include "lease.h"
#include "log.h"
#include "primary.h"
#include "psweep.h"
#include "queue.h"
#include "rconn.h"
#include "rstats.h"
#include "runner.h"

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAKE_PREFIX "st:wake:"

enum conn_role { CONN_CMD, CONN_BLK, CONN_SUB };
static const char *const role_names[] = {"commands", "queue", "wake-ups"};

static redisAsyncContext **slot(struct worker *w, enum conn_role role)
{
    return role == CONN_CMD ? &w->cmd : role == CONN_BLK ? &w->blk : &w->sub;
}

static enum conn_role role_of(struct worker *w, const redisAsyncContext *ac)
{
    return ac == w->cmd ? CONN_CMD : ac == w->blk ? CONN_BLK : CONN_SUB;
}

static void schedule_reconnect(struct worker *w)
{
    static const struct timeval one = {1, 0};
    if (!w->stopping)
        evtimer_add(w->reconnect_ev, &one);
}

/* ------------------------------------------------------------ wake-ups */

static void on_wake(redisAsyncContext *ac, void *reply, void *priv)
{
    struct worker *w = priv;
    redisReply *r = reply;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 4)
        return;
    if (strcmp(r->element[0]->str, "pmessage") != 0 || r->element[2]->type != REDIS_REPLY_STRING)
        return;
    const char *ch = r->element[2]->str;
    size_t n = strlen(WAKE_PREFIX);
    if (strncmp(ch, WAKE_PREFIX, n) != 0)
        return;
    struct run *run = worker_find(w, ch + n);
    if (run)
        runner_wake(run);
}

/* ------------------------------------------------------------ connections */

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct worker *w = ac->data;
    enum conn_role role = role_of(w, ac);
    if (status != REDIS_OK) {
        if (w->connect_fails[role]++ % 30 == 0) /* once, then every 30 s */
            log_warn("redis (%s): cannot connect: %s; retrying every second", role_names[role],
                     ac->errstr);
        *slot(w, role) = NULL; /* hiredis frees it */
        primary_suspect();     /* with Sentinel: ask again before the next try */
        schedule_reconnect(w);
        return;
    }
    w->connect_fails[role] = 0;
    log_info("redis (%s): connected", role_names[role]);
    if (role == CONN_SUB) {
        const char *argv[] = {"PSUBSCRIBE", KEY_WAKE_PATTERN};
        redisAsyncCommandArgv(w->sub, on_wake, w, 2, argv, NULL);
    } else {
        queue_on_connected(w);
    }
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct worker *w = ac->data;
    enum conn_role role = role_of(w, ac);
    *slot(w, role) = NULL;
    if (!w->stopping) /* broken, or dropped after READONLY (runner.c): opened again */
        rstats_reconnect();
    if (role == CONN_BLK)
        queue_on_disconnected(w);
    if (status != REDIS_OK)
        primary_suspect();
    if (status != REDIS_OK && !w->stopping) {
        log_warn("redis (%s): connection lost: %s; reconnecting", role_names[role], ac->errstr);
        schedule_reconnect(w);
    }
    worker_slot_freed(w); /* a drain may be waiting for this */
}

static int conn_open(struct worker *w, enum conn_role role)
{
    char err[300] = "";
    redisAsyncContext *ac = NULL;
    int rc = rconn_connect_async(w->cfg, &ac, err, sizeof(err));
    if (rc) {
        log_warn("redis (%s): %s", role_names[role], err);
        return rc;
    }
    if (redisLibeventAttach(ac, w->base) != REDIS_OK) {
        redisAsyncFree(ac);
        return ST_EUNAVAIL;
    }
    ac->data = w; /* for the connect/disconnect callbacks */
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    *slot(w, role) = ac;
    return 0;
}

static void on_reconnect(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    bool missing = false;
    for (int role = CONN_CMD; role <= CONN_SUB && !w->stopping; role++)
        if (!*slot(w, role) && conn_open(w, role) != 0)
            missing = true;
    if (missing)
        schedule_reconnect(w);
}

/* ------------------------------------------------------------ run table */

int worker_add_run(struct worker *w, struct run *r)
{
    struct run **p = realloc(w->runs, (w->nruns + 1) * sizeof(*p));
    if (!p)
        return ST_ENOMEM;
    w->runs = p;
    w->runs[w->nruns++] = r;
    return 0;
}

void worker_remove_run(struct worker *w, struct run *r)
{
    for (size_t i = 0; i < w->nruns; i++)
        if (w->runs[i] == r) {
            w->runs[i] = w->runs[--w->nruns];
            return;
        }
}

struct run *worker_find(struct worker *w, const char *job_id)
{
    for (size_t i = 0; i < w->nruns; i++)
        if (strcmp(w->runs[i]->j.id, job_id) == 0)
            return w->runs[i];
    return NULL;
}

int worker_free_slots(const struct worker *w)
{
    return w->cfg->worker.concurrency - (int)w->nruns - w->claiming;
}

/* ------------------------------------------------------------ stop */

static void close_all(struct worker *w)
{
    for (int role = CONN_CMD; role <= CONN_SUB; role++) {
        redisAsyncContext *ac = *slot(w, role);
        if (ac) /* pending replies still arrive; then on_disconnect() */
            redisAsyncDisconnect(ac);
    }
}

void worker_slot_freed(struct worker *w)
{
    if (!w->stopping) {
        queue_poll(w);
        return;
    }
    if (w->nruns > 0 || w->claiming > 0 || w->sweeping > 0)
        return;
    if (!w->draining_done) {
        w->draining_done = true;
        log_info("all jobs ended; disconnecting");
        evtimer_del(w->drain_ev);
        close_all(w);
    }
    if (!w->cmd && !w->blk && !w->sub)
        event_base_loopexit(w->base, NULL);
}

static void hand_back_running(struct worker *w)
{
    for (size_t i = w->nruns; i-- > 0;)
        runner_hand_back(w->runs[i], "the worker is shutting down");
}

static void on_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    log_warn("drain timeout: handing back %zu running job(s)", w->nruns);
    hand_back_running(w);
}

void worker_stop(struct worker *w)
{
    struct timeval tv = {w->cfg->worker.drain_timeout_s, 0};
    if (w->stopping) {
        hand_back_running(w);
        return;
    }
    w->stopping = true;
    evtimer_del(w->reconnect_ev);
    lease_stop(w);
    log_info("stopping: no new jobs; waiting up to %d s for %zu running job(s)",
             w->cfg->worker.drain_timeout_s, w->nruns);
    evtimer_add(w->drain_ev, &tv);
    worker_slot_freed(w);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    log_info("signal %d", (int)sig);
    worker_stop(arg);
}

/* ------------------------------------------------------------ setup */

int worker_init(struct worker *w, const struct config *cfg, struct event_base *base,
                struct backend *backend)
{
    memset(w, 0, sizeof(*w));
    w->cfg = cfg;
    w->base = base;
    w->backend = backend;
    w->reconnect_ev = evtimer_new(base, on_reconnect, w);
    w->drain_ev = evtimer_new(base, on_drain_timeout, w);
    w->sigterm_ev = evsignal_new(base, SIGTERM, on_signal, w);
    w->sigint_ev = evsignal_new(base, SIGINT, on_signal, w);
    if (!w->reconnect_ev || !w->drain_ev || !w->sigterm_ev || !w->sigint_ev)
        return ST_ENOMEM;
    evsignal_add(w->sigterm_ev, NULL);
    evsignal_add(w->sigint_ev, NULL);
    int rc = lease_init(w);
    return rc ? rc : psweep_init(w);
}

int worker_start(struct worker *w)
{
    on_reconnect(-1, 0, w);
    return 0;
}

void worker_cleanup(struct worker *w)
{
    lease_cleanup(w);
    psweep_cleanup(w);
    struct event *evs[] = {w->reconnect_ev, w->drain_ev, w->sigterm_ev, w->sigint_ev, w->retry_ev};
    for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
        if (evs[i])
            event_free(evs[i]);
    free(w->runs);
}
