/* hub.c - the frontend's one Pub/Sub connection and its fan-out (hub.h).
 *
 * A topic is one channel st:ev:<id>. Its life: SUBSCRIBING (sent, not yet
 * confirmed) -> ACTIVE -> UNSUBSCRIBING once its last subscriber left ->
 * freed on the unsubscribe reply, or back to SUBSCRIBING if a subscriber
 * came meanwhile. hiredis 0.14 keeps one callback per channel and drops it
 * on the unsubscribe reply, so a channel is never subscribed again before
 * that reply arrived: a re-SUBSCRIBE in between would lose its messages.
 *
 * Delivery is deferred to a loop event, over a snapshot of the topic's
 * subscribers each holding a reference, so a subscriber may free itself or
 * others from its function. */
#include "hub.h"

#include "err.h"
#include "job.h"
#include "log.h"
#include "loop.h"
#include "primary.h"
#include "rconn.h"
#include "rstats.h"
#include "strhash.h"

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS      4096
#define RECONNECT_MS 250

enum topic_state { T_SUBSCRIBING, T_ACTIVE, T_UNSUBSCRIBING };

struct topic {
    char ch[16 + JOB_ID_LEN + 1]; /* st:ev:<id> */
    enum topic_state state;
    struct hub_sub *subs;
    long nsubs;
    bool queued; /* in the delivery queue */
    struct topic *next;
};

struct hub_sub {
    struct topic *t; /* NULL once freed by its owner */
    hub_fn *fn;
    void *ud;
    struct hub_sub *prev, *next;
    int refs;
    /* hub_wait() */
    long events;
    struct waiter *w;
};

static struct {
    const struct config *cfg;
    redisAsyncContext *ac;
    bool stopping;
    struct event *reconnect, *deliver;
    struct topic *b[BUCKETS];
    long channels, subscribers;
    struct topic **q; /* topics with an event to deliver */
    size_t nq, capq;
    struct topic **delivering; /* the batch on_deliver() walks */
    size_t ndelivering;
} H;

static struct topic **find(const char *ch)
{
    struct topic **p = &H.b[strhash(ch) % BUCKETS];
    while (*p && strcmp((*p)->ch, ch) != 0)
        p = &(*p)->next;
    return p;
}

static void topic_free(struct topic *t)
{
    struct topic **p = find(t->ch);
    if (*p == t)
        *p = t->next;
    for (size_t i = 0; t->queued && i < H.nq; i++)
        if (H.q[i] == t)
            H.q[i] = NULL;
    for (size_t i = 0; i < H.ndelivering; i++)
        if (H.delivering[i] == t)
            H.delivering[i] = NULL;
    H.channels--;
    free(t);
}

/* ------------------------------------------------------------ delivery */

static void sub_unref(struct hub_sub *s)
{
    if (--s->refs == 0)
        free(s);
}

static void queue_topic(struct topic *t)
{
    if (t->queued || t->nsubs == 0)
        return;
    if (H.nq == H.capq) {
        size_t cap = H.capq ? H.capq * 2 : 64;
        struct topic **v = realloc(H.q, cap * sizeof(*v));
        if (!v)
            return; /* subscribers re-read on their own timeout */
        H.q = v;
        H.capq = cap;
    }
    t->queued = true;
    H.q[H.nq++] = t;
    event_active(H.deliver, EV_WRITE, 0);
}

static void deliver_topic(struct topic *t)
{
    t->queued = false;
    long n = t->nsubs, i = 0;
    struct hub_sub **snap = n > 0 ? malloc((size_t)n * sizeof(*snap)) : NULL;
    if (!snap)
        return;
    for (struct hub_sub *s = t->subs; s && i < n; s = s->next, i++) {
        s->refs++;
        snap[i] = s;
    }
    for (long k = 0; k < i; k++) {
        if (snap[k]->t)
            snap[k]->fn(snap[k]->ud);
        sub_unref(snap[k]);
    }
    free(snap);
}

static void on_deliver(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
    struct topic **q = H.q;
    size_t n = H.nq;
    H.q = NULL;
    H.nq = H.capq = 0;
    H.delivering = q;
    H.ndelivering = n;
    for (size_t i = 0; i < n; i++)
        if (q[i])
            deliver_topic(q[i]); /* may free later topics of q: they are NULLed */
    H.delivering = NULL;
    H.ndelivering = 0;
    free(q);
}

/* ------------------------------------------------------------ Redis side */

static void on_sub_reply(redisAsyncContext *ac, void *reply, void *priv);

static void send_sub(struct topic *t, const char *verb)
{
    if (!H.ac)
        return; /* (re)subscribed on reconnect */
    const char *argv[2] = {verb, t->ch};
    if (redisAsyncCommandArgv(H.ac, on_sub_reply, NULL, 2, argv, NULL) != REDIS_OK)
        log_warn("hub: cannot send %s %s", verb, t->ch);
}

static void on_sub_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac, (void)priv;
    redisReply *r = reply;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 2 || !r->element[0]->str ||
        !r->element[1]->str)
        return;
    const char *kind = r->element[0]->str;
    struct topic *t = *find(r->element[1]->str);
    if (!t)
        return;
    if (strcmp(kind, "message") == 0) {
        queue_topic(t);
    } else if (strcmp(kind, "subscribe") == 0) {
        if (t->state == T_SUBSCRIBING && t->nsubs == 0) {
            t->state = T_UNSUBSCRIBING; /* everyone left before the reply */
            send_sub(t, "UNSUBSCRIBE");
        } else if (t->state == T_SUBSCRIBING) {
            t->state = T_ACTIVE;
            queue_topic(t); /* anything before the subscription: re-read */
        }
    } else if (strcmp(kind, "unsubscribe") == 0 && t->state == T_UNSUBSCRIBING) {
        if (t->nsubs == 0) {
            topic_free(t);
        } else {
            t->state = T_SUBSCRIBING;
            send_sub(t, "SUBSCRIBE");
        }
    }
}

static void schedule_reconnect(void)
{
    struct timeval tv = {0, RECONNECT_MS * 1000};
    if (!H.stopping)
        evtimer_add(H.reconnect, &tv);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    if (ac != H.ac)
        return;
    H.ac = NULL;
    if (!H.stopping)
        rstats_reconnect();
    if (status != REDIS_OK)
        primary_suspect(); /* with Sentinel: a failover may be under way */
    if (!H.stopping)
        log_warn("hub: Pub/Sub connection lost (%s); resubscribing",
                 status == REDIS_OK ? "closed" : ac->errstr);
    /* Every channel is gone with the connection. */
    for (int i = 0; i < BUCKETS; i++) {
        struct topic *t = H.b[i];
        while (t) {
            struct topic *next = t->next;
            if (t->nsubs == 0)
                topic_free(t);
            else
                t->state = T_SUBSCRIBING;
            t = next;
        }
    }
    schedule_reconnect();
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    if (status == REDIS_OK || ac != H.ac)
        return;
    /* hiredis 0.14 frees a context whose connect failed without calling
     * the disconnect callback: forget it here and try again. */
    log_warn("hub: cannot connect: %s", ac->errstr);
    primary_suspect();
    H.ac = NULL;
    schedule_reconnect();
}

static void connect_now(void)
{
    char err[300];
    redisAsyncContext *ac = NULL;
    if (rconn_connect_async(H.cfg, &ac, err, sizeof(err))) {
        log_warn("hub: %s", err);
        schedule_reconnect();
        return;
    }
    if (redisLibeventAttach(ac, loop_base()) != REDIS_OK) {
        redisAsyncFree(ac);
        schedule_reconnect();
        return;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    H.ac = ac;
    for (int i = 0; i < BUCKETS; i++)
        for (struct topic *t = H.b[i]; t; t = t->next) {
            t->state = T_SUBSCRIBING;
            send_sub(t, "SUBSCRIBE");
        }
}

static void on_reconnect(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
    if (!H.ac && !H.stopping)
        connect_now();
}

static void start_on_loop(void *arg)
{
    (void)arg;
    H.reconnect = evtimer_new(loop_base(), on_reconnect, NULL);
    H.deliver = event_new(loop_base(), -1, 0, on_deliver, NULL);
    connect_now();
}

void hub_start(const struct config *cfg)
{
    H.cfg = cfg;
    loop_post(start_on_loop, NULL);
}

static void stop_on_loop(void *arg)
{
    (void)arg;
    H.stopping = true;
    if (H.ac)
        redisAsyncFree(H.ac);
    H.ac = NULL;
}

void hub_stop(void)
{
    loop_post(stop_on_loop, NULL);
}

/* ------------------------------------------------------------ subscribers */

struct hub_sub *hub_sub_new(const char *id, hub_fn *fn, void *ud)
{
    char ch[sizeof(((struct topic *)0)->ch)];
    if (snprintf(ch, sizeof(ch), "st:ev:%s", id) >= (int)sizeof(ch))
        return NULL;
    struct hub_sub *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    struct topic **p = find(ch), *t = *p;
    if (!t) {
        t = calloc(1, sizeof(*t));
        if (!t) {
            free(s);
            return NULL;
        }
        snprintf(t->ch, sizeof(t->ch), "%s", ch);
        t->state = T_SUBSCRIBING;
        *p = t;
        H.channels++;
        send_sub(t, "SUBSCRIBE");
    }
    s->t = t;
    s->fn = fn;
    s->ud = ud;
    s->refs = 1;
    s->next = t->subs;
    if (t->subs)
        t->subs->prev = s;
    t->subs = s;
    t->nsubs++;
    H.subscribers++;
    if (t->state == T_ACTIVE)
        queue_topic(t); /* the newcomer reads once, as after a SUBSCRIBE */
    return s;
}

void hub_sub_free(struct hub_sub *s)
{
    if (!s)
        return;
    struct topic *t = s->t;
    if (t) {
        if (s->prev)
            s->prev->next = s->next;
        else
            t->subs = s->next;
        if (s->next)
            s->next->prev = s->prev;
        t->nsubs--;
        H.subscribers--;
        if (t->nsubs == 0 && t->state == T_ACTIVE) {
            t->state = T_UNSUBSCRIBING;
            if (H.ac)
                send_sub(t, "UNSUBSCRIBE");
            else
                topic_free(t);
        }
        /* SUBSCRIBING with no one left: its subscribe reply unsubscribes */
    }
    s->t = NULL;
    sub_unref(s);
}

long hub_channels(void)
{
    return H.channels;
}

long hub_subscribers(void)
{
    return H.subscribers;
}

/* ------------------------------------------------------------ fibers */

static void on_wait_event(void *ud)
{
    struct hub_sub *s = ud;
    s->events++;
    if (s->w)
        loop_wake(s->w);
}

int hub_wait(struct hub_sub **sub, const char *id, int64_t timeout_ms)
{
    if (!*sub) {
        *sub = hub_sub_new(id, on_wait_event, NULL);
        if (*sub)
            (*sub)->ud = *sub;
    }
    struct hub_sub *s = *sub;
    if (!s) { /* out of memory: fall back to polling */
        loop_sleep_ms(timeout_ms);
        return ST_ETIMEOUT;
    }
    if (s->events > 0) {
        s->events = 0;
        return 0;
    }
    struct waiter w = {0};
    s->w = &w;
    int rc = loop_wait(&w, timeout_ms);
    s->w = NULL;
    s->events = 0;
    return rc;
}
