/* watch.c - WatchJob watchers and their per-job groups (see watch.h).
 *
 * A group's read is one HGETALL with a deadline (redis.timeout_ms); a read
 * that fails is retried after RETRY_MS, and every POLL_MS a group reads
 * again even without an event (a safety net under Pub/Sub, which can drop
 * a message). Each watcher compares the job with a summary of what it last
 * sent, so a watcher only costs its call and a few words. */
#include "watch.h"

#include "aredis.h"
#include "call.h"
#include "config.h"
#include "err.h"
#include "hub.h"
#include "job.h"
#include "jobs.h"
#include "keys.h"
#include "log.h"
#include "loop.h"
#include "server.h"
#include "strhash.h"

#include "stage/v1/stage.pb-c.h"

#include <event2/event.h>
#include <grpc/status.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS  4096
#define RETRY_MS 1000
#define POLL_MS  30000

struct summary {
    int state;
    long long bytes_done, bytes_total, files_done, files_total, attempts;
    unsigned long long text; /* hash of worker and error_message */
    bool set;
};

struct watcher {
    struct call *c;
    struct wgroup *g;
    struct watcher *prev, *next;
    struct summary sent;
    bool inflight;  /* a batch is out */
    bool pending;   /* the job changed while a send was out */
    bool finishing; /* the status batch started */
    bool closed;    /* the close op completed */
    int end_code;   /* status to end with once the last message is out */
    char end_msg[200];
    bool end_ready;
};

struct gread {
    struct wgroup *g; /* NULL once abandoned */
};

struct wgroup {
    char id[JOB_ID_LEN + 1];
    const struct config *cfg;
    struct hub_sub *sub;
    struct watcher *ws;
    long n;
    struct job *j; /* the latest read (one per group) */
    bool have;
    struct gread *rd;
    int slot;
    bool again;
    struct event *timer; /* read deadline, retry, poll */
    struct wgroup *next;
};

static struct {
    struct wgroup *b[BUCKETS];
    long groups, watchers;
} W;

static unsigned long long hash_text(const struct job *j)
{
    unsigned long long h = 1469598103934665603ull;
    for (const char *p = j->worker; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
    for (const char *p = j->error_message; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

static struct summary summarize(const struct job *j)
{
    struct summary s = {.state = j->state,
                        .bytes_done = j->bytes_done,
                        .bytes_total = j->bytes_total,
                        .files_done = j->files_done,
                        .files_total = j->files_total,
                        .attempts = j->attempts,
                        .text = hash_text(j),
                        .set = true};
    return s;
}

static bool same(const struct summary *a, const struct summary *b)
{
    return a->set && b->set && a->state == b->state && a->bytes_done == b->bytes_done &&
           a->bytes_total == b->bytes_total && a->files_done == b->files_done &&
           a->files_total == b->files_total && a->attempts == b->attempts && a->text == b->text;
}

/* ------------------------------------------------------------ watchers */

static void group_leave(struct watcher *w);
static void offer(struct watcher *w);

static void release_if_done(struct watcher *w)
{
    if (!w->closed || w->inflight)
        return;
    struct call *c = w->c;
    if (!c->finished && c->status == 0) {
        c->status = GRPC_STATUS_CANCELLED;
        snprintf(c->status_msg, sizeof(c->status_msg), "the client stopped watching");
    }
    group_leave(w);
    free(w);
    W.watchers--;
    server_call_end(c);
}

static void on_finished(struct call *c, bool ok)
{
    (void)ok;
    struct watcher *w = c->owner;
    w->inflight = false;
    release_if_done(w);
}

static void finish(struct watcher *w, int code, const char *msg)
{
    if (w->finishing || w->closed)
        return;
    w->finishing = true;
    w->inflight = true;
    if (call_finish_start(w->c, code, msg, on_finished)) {
        w->inflight = false;
        release_if_done(w);
    }
}

static void on_sent(struct call *c, bool ok)
{
    struct watcher *w = c->owner;
    w->inflight = false;
    if (!ok || w->closed) {
        release_if_done(w);
        return;
    }
    if (job_state_terminal(w->sent.state)) {
        finish(w, GRPC_STATUS_OK, NULL);
        return;
    }
    if (w->end_ready) {
        finish(w, w->end_code, w->end_msg);
        return;
    }
    if (w->pending) {
        w->pending = false;
        offer(w);
    }
}

/* Send the group's job if it changed since this watcher's last message. */
static void offer(struct watcher *w)
{
    struct wgroup *g = w->g;
    if (w->finishing || w->closed || !g->have)
        return;
    if (w->inflight) {
        w->pending = true;
        return;
    }
    struct summary now = summarize(g->j);
    if (same(&now, &w->sent)) {
        if (job_state_terminal(now.state))
            finish(w, GRPC_STATUS_OK, NULL);
        return;
    }
    Stage__V1__WatchJobResponse resp = STAGE__V1__WATCH_JOB_RESPONSE__INIT;
    Stage__V1__Job pj = STAGE__V1__JOB__INIT;
    jobs_to_proto(g->j, &pj);
    resp.job = &pj;
    w->sent = now;
    w->inflight = true;
    if (call_send_start(w->c, &resp.base, on_sent))
        w->inflight = false; /* the call is cancelled: on_close releases it */
}

/* End every watcher of the group with a status (job gone, shutdown). */
static void end_all(struct wgroup *g, int code, const char *msg)
{
    for (struct watcher *w = g->ws, *next; w; w = next) {
        next = w->next;
        if (w->inflight) {
            w->end_ready = true;
            w->end_code = code;
            snprintf(w->end_msg, sizeof(w->end_msg), "%s", msg);
        } else {
            finish(w, code, msg);
        }
    }
}

static void on_close(struct call *c, bool ok)
{
    (void)ok;
    struct watcher *w = c->owner;
    w->closed = true;
    release_if_done(w);
}

/* ------------------------------------------------------------ groups */

static struct wgroup **group_find(const char *id)
{
    struct wgroup **p = &W.b[strhash(id) % BUCKETS];
    while (*p && strcmp((*p)->id, id) != 0)
        p = &(*p)->next;
    return p;
}

static void group_arm(struct wgroup *g, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(g->timer, &tv);
}

static void group_read(struct wgroup *g);

static void on_read(redisAsyncContext *ac, void *reply, void *ud)
{
    (void)ac;
    struct gread *rd = ud;
    struct wgroup *g = rd->g;
    free(rd);
    if (!g)
        return; /* abandoned: timed out, or the group is gone */
    g->rd = NULL;
    redisReply *r = reply;
    if (!r || r->type == REDIS_REPLY_ERROR) {
        group_arm(g, RETRY_MS);
        return;
    }
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 0) {
        char msg[120];
        snprintf(msg, sizeof(msg), "job '%s' expired while being watched", g->id);
        end_all(g, GRPC_STATUS_NOT_FOUND, msg);
        return;
    }
    struct job tmp;
    job_init(&tmp);
    if (job_from_reply(&tmp, r) == 0) {
        *g->j = tmp;
        g->have = true;
        for (struct watcher *w = g->ws, *next; w; w = next) {
            next = w->next; /* offer may end and free w */
            offer(w);
        }
    }
    if (*group_find(g->id) != g)
        return; /* every watcher left: the group is gone */
    if (g->again) {
        g->again = false;
        group_read(g);
    } else {
        group_arm(g, POLL_MS);
    }
}

static void group_read(struct wgroup *g)
{
    char key[KEY_MAX], err[200];
    if (g->rd) {
        g->again = true;
        return;
    }
    redisAsyncContext *ac = aredis_ctx(g->slot, err, sizeof(err));
    struct gread *rd = ac ? calloc(1, sizeof(*rd)) : NULL;
    keys_job(key, sizeof(key), g->id);
    const char *argv[2] = {"HGETALL", key};
    if (rd) {
        rd->g = g;
        if (redisAsyncCommandArgv(ac, on_read, rd, 2, argv, NULL) != REDIS_OK) {
            free(rd);
            rd = NULL;
        }
    }
    if (!rd) {
        group_arm(g, RETRY_MS);
        return;
    }
    g->rd = rd;
    group_arm(g, g->cfg->redis.timeout_ms > 0 ? g->cfg->redis.timeout_ms : 5000);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct wgroup *g = arg;
    if (g->rd) { /* no reply in time: give it up, retry later */
        g->rd->g = NULL;
        g->rd = NULL;
        group_arm(g, RETRY_MS);
        return;
    }
    group_read(g);
}

static void on_event(void *ud)
{
    group_read(ud);
}

static struct wgroup *group_get(const char *id, const struct config *cfg)
{
    struct wgroup **p = group_find(id);
    if (*p)
        return *p;
    struct wgroup *g = calloc(1, sizeof(*g));
    struct job *j = malloc(sizeof(*j));
    struct event *t = g ? evtimer_new(loop_base(), on_timer, g) : NULL;
    if (!g || !j || !t) {
        free(g);
        free(j);
        if (t)
            event_free(t);
        return NULL;
    }
    snprintf(g->id, sizeof(g->id), "%s", id);
    g->cfg = cfg;
    g->j = j;
    g->timer = t;
    g->slot = aredis_pick();
    g->sub = hub_sub_new(id, on_event, g);
    if (!g->sub) {
        event_free(t);
        free(j);
        free(g);
        return NULL;
    }
    *p = g;
    W.groups++;
    group_arm(g, POLL_MS);
    return g;
}

static void group_leave(struct watcher *w)
{
    struct wgroup *g = w->g;
    if (w->prev)
        w->prev->next = w->next;
    else
        g->ws = w->next;
    if (w->next)
        w->next->prev = w->prev;
    if (--g->n > 0)
        return;
    struct wgroup **p = group_find(g->id);
    if (*p == g)
        *p = g->next;
    if (g->rd)
        g->rd->g = NULL;
    hub_sub_free(g->sub);
    event_free(g->timer);
    free(g->j);
    free(g);
    W.groups--;
}

void watch_start(struct call *c, const struct job *j)
{
    struct wgroup *g = group_get(j->id, c->cfg);
    struct watcher *w = g ? calloc(1, sizeof(*w)) : NULL;
    if (!w) {
        if (g && g->n == 0) { /* made for this watcher: undo */
            struct watcher tmp = {.g = g};
            g->n = 1;
            g->ws = &tmp;
            group_leave(&tmp);
        }
        call_fail(c, ST_ENOMEM, "out of memory");
        return; /* the fiber answers and releases as usual */
    }
    w->c = c;
    w->g = g;
    w->next = g->ws;
    if (g->ws)
        g->ws->prev = w;
    g->ws = w;
    g->n++;
    W.watchers++;
    c->detached = true;
    c->owner = w;
    if (!g->have) {
        *g->j = *j;
        g->have = true;
    }
    call_on_close(c, on_close);
    offer(w); /* the job as read by the handler, at once */
}

long watch_watchers(void)
{
    return W.watchers;
}

long watch_groups(void)
{
    return W.groups;
}
