/* server.c - request slots, the completion-queue thread, call fibers,
 * stream limits and shutdown of the frontend's gRPC server (see server.h).
 *
 * Call lifecycle: a request slot (struct slot) is posted per method on the
 * one server CQ. Every event of that CQ (an arrived call, a batch of any
 * call) goes from the CQ thread to the loop (loop_post), which runs the
 * tag's function. An arrived call re-posts its slot, becomes a `struct
 * call` (live++) and runs in a fiber: authenticate, check the stream
 * limits, run the handler, log, release (live--). Shutdown
 * (docs/grpc-core.md §6.1): stop re-arming, shutdown_and_notify, wait for
 * the tag and live == 0 up to the drain time, cancel_all_calls, wait for
 * live == 0, shut the CQ down and drain it. */
#include "server.h"
#include "audit.h"
#include "rpcstats.h"
#include "tls.h"

#include "strhash.h"

#include "auth.h"
#include "call.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "job.h"
#include "log.h"
#include "loop.h"

#include <errno.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOTS_PER_METHOD 8
/* Calls in their first phase (authentication, request, the first Redis
 * reads) at once; more wait in arrival order. A call leaves that phase when
 * it first waits on its client (call.c) or ends, so long streams do not
 * hold a place. This bounds the stacks a burst touches: 10,000 WatchJob
 * calls arriving together would otherwise each touch ~100 KiB of stack
 * (struct job) before the first one is answered. */
#define STARTING_MAX 256
#define CQ_POLL_MS   1000
#define GENERIC_SLOT (-1)

struct slot {
    struct cq_tag tag; /* first: the CQ thread reads any event's tag as a cq_tag */
    struct server *s;
    int mi; /* method index or GENERIC_SLOT */
    grpc_call *call;
    gpr_timespec deadline;
    grpc_metadata_array md;
    grpc_byte_buffer *payload;
    grpc_call_details details; /* generic slot only */
};

struct user_streams {
    char user[72];
    int n;
    struct user_streams *next;
};

#define USER_BUCKETS 1024

struct server {
    const struct config *cfg;
    const struct method *methods;
    int nmethods;
    void **reg; /* registered method handles */
    grpc_server *gs;
    grpc_completion_queue *cq; /* every call's and slot's events */
    pthread_t cq_thread;
    bool cq_started, loop_started;
    struct cq_tag shutdown_tag;
    atomic_int streams; /* changed on the loop only; read anywhere */
    /* loop thread only */
    int starting;                       /* calls admitted, not yet settled */
    struct call *pend_head, *pend_tail; /* calls waiting for admission */
    struct user_streams *by_user[USER_BUCKETS];
    atomic_bool draining, cancelling;
    atomic_uint_fast64_t next_req;
    struct {
        pthread_mutex_t mu;
        pthread_cond_t cv; /* live and shutdown_done changes */
        bool stopping;     /* no more re-arming */
        bool shutdown_done;
        int live; /* calls that exist in the application */
    } synced;
};

static void unknown_handler(struct call *c)
{
    call_status(c, GRPC_STATUS_UNIMPLEMENTED, "method %s is not implemented", c->path);
}

static const struct method unknown_method = {"",   "?", SHAPE_UNARY, false, unknown_handler,
                                             NULL, NULL};

/* ------------------------------------------------------------ request slots */

static void on_slot(struct cq_tag *tag, bool ok);

static void slot_free(struct slot *sl)
{
    grpc_metadata_array_destroy(&sl->md);
    if (sl->payload)
        grpc_byte_buffer_destroy(sl->payload);
    if (sl->mi == GENERIC_SLOT)
        grpc_call_details_destroy(&sl->details);
    if (sl->call)
        grpc_call_unref(sl->call);
    free(sl);
}

static int slot_post(struct server *s, int mi)
{
    struct slot *sl = calloc(1, sizeof(*sl));
    if (!sl)
        return ST_ENOMEM;
    sl->tag.fn = on_slot;
    sl->s = s;
    sl->mi = mi;
    grpc_metadata_array_init(&sl->md);
    grpc_call_error e;
    if (mi == GENERIC_SLOT) {
        grpc_call_details_init(&sl->details);
        e = grpc_server_request_call(s->gs, &sl->call, &sl->details, &sl->md, s->cq, s->cq, sl);
    } else {
        bool payload = s->methods[mi].shape != SHAPE_CLIENT_STREAM &&
                       s->methods[mi].shape != SHAPE_BIDI_STREAM;
        e = grpc_server_request_registered_call(s->gs, s->reg[mi], &sl->call, &sl->deadline,
                                                &sl->md, payload ? &sl->payload : NULL, s->cq,
                                                s->cq, sl);
    }
    if (e != GRPC_CALL_OK) {
        log_error("request_call for %s failed: grpc_call_error %d",
                  mi == GENERIC_SLOT ? "*" : s->methods[mi].path, (int)e);
        slot_free(sl);
        return ST_EINTERNAL;
    }
    return 0;
}

/* Move an arrived call out of its slot (the slot is freed). */
static struct call *call_from_slot(struct server *s, struct slot *sl)
{
    struct call *c = calloc(1, sizeof(*c));
    struct db *db = calloc(1, sizeof(*db));
    if (!c || !db) {
        free(c);
        free(db);
        return NULL;
    }
    c->call = sl->call;
    c->md = sl->md;
    c->payload = sl->payload;
    c->srv = s;
    c->cfg = s->cfg;
    c->db = db;
    db_init(c->db, s->cfg);
    c->req = atomic_fetch_add(&s->next_req, 1) + 1;
    c->start_ms = job_now_ms();
    if (sl->mi == GENERIC_SLOT) {
        c->m = &unknown_method;
        c->deadline = sl->details.deadline;
        snprintf(c->path, sizeof(c->path), "%.*s", (int)GRPC_SLICE_LENGTH(sl->details.method),
                 (const char *)GRPC_SLICE_START_PTR(sl->details.method));
        grpc_call_details_destroy(&sl->details);
    } else {
        c->m = &s->methods[sl->mi];
        c->deadline = sl->deadline;
        snprintf(c->path, sizeof(c->path), "%s", c->m->path);
    }
    free(sl);
    return c;
}

/* ------------------------------------------------------------ stream limits */

static struct user_streams **user_slot(struct server *s, const char *user)
{
    struct user_streams **u = &s->by_user[strhash(user) % USER_BUCKETS];
    while (*u && strcmp((*u)->user, user) != 0)
        u = &(*u)->next;
    return u;
}

/* Count a streaming call in, or answer RESOURCE_EXHAUSTED naming the
 * limit. Unary calls are never counted: they always have room. */
static int streams_admit(struct server *s, struct call *c)
{
    const struct config *cfg = s->cfg;
    int open = atomic_load(&s->streams);
    if (open >= cfg->server.max_streams) {
        call_status(c, GRPC_STATUS_RESOURCE_EXHAUSTED,
                    "this frontend holds %d streams (server.max_streams %d); retry later or "
                    "on another frontend",
                    open, cfg->server.max_streams);
        return ST_ELIMIT;
    }
    struct user_streams **u = user_slot(s, c->user);
    if (*u && (*u)->n >= cfg->server.max_streams_per_user) {
        call_status(c, GRPC_STATUS_RESOURCE_EXHAUSTED,
                    "user '%s' holds %d streams on this frontend "
                    "(server.max_streams_per_user %d); close some first",
                    c->user, (*u)->n, cfg->server.max_streams_per_user);
        return ST_ELIMIT;
    }
    if (!*u) {
        *u = calloc(1, sizeof(**u));
        if (!*u) {
            call_fail(c, ST_ENOMEM, "out of memory");
            return ST_ENOMEM;
        }
        snprintf((*u)->user, sizeof((*u)->user), "%s", c->user);
    }
    (*u)->n++;
    atomic_fetch_add(&s->streams, 1);
    c->streaming = true;
    return 0;
}

static void streams_release(struct server *s, struct call *c)
{
    if (!c->streaming)
        return;
    struct user_streams **u = user_slot(s, c->user);
    if (*u && --(*u)->n == 0) {
        struct user_streams *dead = *u;
        *u = dead->next;
        free(dead);
    }
    atomic_fetch_sub(&s->streams, 1);
    c->streaming = false;
}

/* ------------------------------------------------------------ calls */

static void call_release(struct server *s, struct call *c)
{
    streams_release(s, c);
    call_cleanup(c);
    db_cleanup(c->db);
    free(c->db);
    free(c);
    pthread_mutex_lock(&s->synced.mu);
    s->synced.live--;
    pthread_cond_broadcast(&s->synced.cv);
    pthread_mutex_unlock(&s->synced.mu);
}

static void audit_call(struct call *c)
{
    const char *rpc = c->m == &unknown_method ? c->path : c->m->rpc;
    if (!audit_enabled() || !audit_wanted(rpc, c->status))
        return;
    const char *peer = call_peer(c);
    struct audit_rec a = {job_now_ms(), c->req,    rpc,
                          c->user,      peer,      c->location,
                          c->job,       c->status, c->status ? c->status_msg : ""};
    audit_record(&a);
}

static void log_call(struct call *c)
{
    rpcstats_record(c->m == &unknown_method ? NULL : c->m, c->status, job_now_ms() - c->start_ms,
                    c->bytes);
    audit_call(c);
    const char *st = st_grpc_status_name(c->status);
    int lvl = c->status == GRPC_STATUS_OK ? LOG_LVL_INFO : LOG_LVL_WARN;
    if (c->status == GRPC_STATUS_UNAUTHENTICATED || c->status == GRPC_STATUS_NOT_FOUND ||
        c->status == GRPC_STATUS_INVALID_ARGUMENT || c->status == GRPC_STATUS_UNIMPLEMENTED)
        lvl = LOG_LVL_INFO;
    LOG_AT(lvl,
           "req=%" PRIu64 " rpc=%s user=%s%s%s%s%s status=%s bytes=%" PRId64 " ms=%" PRId64
           "%s%s%s",
           c->req, c->m == &unknown_method ? c->path : c->m->rpc, c->user[0] ? c->user : "-",
           c->location[0] ? " location=" : "", c->location, c->job[0] ? " job=" : "", c->job, st,
           c->bytes, job_now_ms() - c->start_ms, c->status ? " msg=\"" : "",
           c->status ? c->status_msg : "", c->status ? "\"" : "");
}

void server_call_end(struct call *c)
{
    log_call(c);
    call_release(c->srv, c);
}

/* The fiber of one call. */
static void run_call(void *arg)
{
    struct call *c = arg;
    bool stream = c->m->shape != SHAPE_UNARY;
    if (call_begin(c) == 0 && (!c->m->auth || auth_call(c) == 0) &&
        (!stream || c->m == &unknown_method || streams_admit(c->srv, c) == 0))
        c->m->fn(c);
    server_call_settled(c);
    if (c->detached)
        return; /* a state machine answers, logs and releases it (watch.c) */
    if (!c->finished && !c->broken)
        call_fail(c, ST_EINTERNAL, "%s: the handler ended without a status", c->m->rpc);
    if (c->broken && !c->finished)
        c->status = GRPC_STATUS_CANCELLED;
    log_call(c);
    call_release(c->srv, c);
}

/* Start waiting calls while fewer than STARTING_MAX are starting. */
static void admit(struct server *s)
{
    while (s->pend_head && s->starting < STARTING_MAX) {
        struct call *c = s->pend_head;
        s->pend_head = c->next_pending;
        if (!s->pend_head)
            s->pend_tail = NULL;
        c->next_pending = NULL;
        s->starting++;
        if (loop_spawn(run_call, c)) {
            log_error("out of memory: call dropped");
            s->starting--;
            c->settled = true;
            grpc_call_cancel(c->call, NULL);
            c->finished = true;
            call_release(s, c);
        }
    }
}

void server_call_settled(struct call *c)
{
    if (c->settled)
        return;
    c->settled = true;
    c->srv->starting--;
    admit(c->srv);
}

/* Loop thread: a request slot fired. */
static void on_slot(struct cq_tag *tag, bool ok)
{
    struct slot *sl = (struct slot *)tag;
    struct server *s = sl->s;
    if (!ok) {
        slot_free(sl); /* not matched: shutting down */
        return;
    }
    pthread_mutex_lock(&s->synced.mu);
    bool rearm = !s->synced.stopping;
    s->synced.live++;
    pthread_mutex_unlock(&s->synced.mu);
    if (rearm)
        slot_post(s, sl->mi);
    struct call *c = call_from_slot(s, sl);
    if (!c) {
        slot_free(sl);
        pthread_mutex_lock(&s->synced.mu);
        s->synced.live--;
        pthread_cond_broadcast(&s->synced.cv);
        pthread_mutex_unlock(&s->synced.mu);
        return;
    }
    if (s->pend_tail)
        s->pend_tail->next_pending = c;
    else
        s->pend_head = c;
    s->pend_tail = c;
    admit(s);
}

static void on_shutdown(struct cq_tag *tag, bool ok)
{
    (void)ok;
    struct server *s = (struct server *)((char *)tag - offsetof(struct server, shutdown_tag));
    pthread_mutex_lock(&s->synced.mu);
    s->synced.shutdown_done = true;
    pthread_cond_broadcast(&s->synced.cv);
    pthread_mutex_unlock(&s->synced.mu);
}

/* ------------------------------------------------------------ CQ thread */

struct cq_event {
    struct cq_tag *tag;
    bool ok;
};

static void run_event(void *arg)
{
    struct cq_event ev = *(struct cq_event *)arg;
    free(arg);
    ev.tag->fn(ev.tag, ev.ok);
}

static void *cq_main(void *arg)
{
    struct server *s = arg;
    for (;;) {
        /* A deadline only so no wait here is unbounded: a timeout just
         * loops; the queue's shutdown ends the thread. */
        gpr_timespec until = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                          gpr_time_from_millis(CQ_POLL_MS, GPR_TIMESPAN));
        grpc_event ev = grpc_completion_queue_next(s->cq, until, NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type != GRPC_OP_COMPLETE)
            continue;
        struct cq_event *e = malloc(sizeof(*e));
        while (!e) /* a lost completion would hang its call: wait for memory */
            e = malloc(sizeof(*e));
        e->tag = ev.tag;
        e->ok = ev.success != 0;
        while (loop_post(run_event, e))
            ;
    }
    return NULL;
}

/* ------------------------------------------------------------ lifecycle */

/* Seconds from the config as a gRPC millisecond argument; 0 = never. */
static int age_ms(int s)
{
    return s <= 0 || s > INT_MAX / 1000 ? INT_MAX : s * 1000;
}

struct server *server_new(const struct config *cfg, const struct method *methods, int n, char *err,
                          size_t errlen)
{
    struct server *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->cfg = cfg;
    s->methods = methods;
    s->nmethods = n;
    rpcstats_init(methods, n);
    s->shutdown_tag.fn = on_shutdown;
    s->reg = calloc((size_t)n, sizeof(*s->reg));
    pthread_mutex_init(&s->synced.mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->synced.cv, &ca);
    pthread_condattr_destroy(&ca);
    if (!s->reg) {
        snprintf(err, errlen, "out of memory");
        return server_free(s);
    }
    /* BDP probing grows a stream's receive window to whatever the link
     * carries: a client faster than Redis then parks tens of MiB in the
     * transport (e2e.memory: frontend peak 84 -> 38 MiB with a fixed 4 MiB
     * window, at the same MiB/s). */
    grpc_arg argv[] = {
        {.type = GRPC_ARG_INTEGER,
         .key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
         .value.integer = cfg->server.max_message_bytes},
        {.type = GRPC_ARG_INTEGER, .key = (char *)GRPC_ARG_HTTP2_BDP_PROBE, .value.integer = 0},
        {.type = GRPC_ARG_INTEGER,
         .key = (char *)GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES,
         .value.integer = cfg->server.stream_window_bytes},
        /* behind an L4 balancer a channel sticks to one pod: an aged
         * connection is asked to go so clients spread over new pods */
        {.type = GRPC_ARG_INTEGER,
         .key = (char *)GRPC_ARG_MAX_CONNECTION_AGE_MS,
         .value.integer = age_ms(cfg->server.max_connection_age_s)},
        {.type = GRPC_ARG_INTEGER,
         .key = (char *)GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
         .value.integer = age_ms(cfg->server.max_connection_age_grace_s)},
        {.type = GRPC_ARG_INTEGER,
         .key = (char *)GRPC_ARG_KEEPALIVE_TIME_MS,
         .value.integer = age_ms(cfg->server.keepalive_time_s)},
        {.type = GRPC_ARG_INTEGER,
         .key = (char *)GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
         .value.integer = age_ms(cfg->server.keepalive_timeout_s)},
        /* clients keep long streams alive with pings of their own, idle or
         * not: never answer them with GOAWAY too_many_pings */
        {.type = GRPC_ARG_INTEGER,
         .key = (char *)GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS,
         .value.integer = 1},
        {.type = GRPC_ARG_INTEGER,
         .key = (char *)GRPC_ARG_HTTP2_MAX_PING_STRIKES,
         .value.integer = 0},
        {.type = GRPC_ARG_INTEGER,
         .key = (char *)GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
         .value.integer = 1000},
    };
    grpc_channel_args args = {.num_args = sizeof(argv) / sizeof(argv[0]), .args = argv};
    s->gs = grpc_server_create(&args, NULL);
    s->cq = grpc_completion_queue_create_for_next(NULL);
    grpc_server_register_completion_queue(s->gs, s->cq, NULL);
    for (int i = 0; i < n; i++) {
        bool reads =
            methods[i].shape == SHAPE_CLIENT_STREAM || methods[i].shape == SHAPE_BIDI_STREAM;
        s->reg[i] = grpc_server_register_method(
            s->gs, methods[i].path, NULL,
            reads ? GRPC_SRM_PAYLOAD_NONE : GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
        if (!s->reg[i]) {
            snprintf(err, errlen, "cannot register method %s", methods[i].path);
            return server_free(s);
        }
    }
    return s;
}

struct post_slots {
    struct server *s;
    int rc;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
};

/* Slots are posted from the loop, like every re-arm after them. */
static void post_all_slots(void *arg)
{
    struct post_slots *p = arg;
    int rc = 0;
    for (int i = 0; i < p->s->nmethods && !rc; i++)
        for (int k = 0; k < SLOTS_PER_METHOD && !rc; k++)
            rc = slot_post(p->s, i);
    if (!rc)
        rc = slot_post(p->s, GENERIC_SLOT);
    pthread_mutex_lock(&p->mu);
    p->rc = rc;
    p->done = true;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

int server_start(struct server *s, char *err, size_t errlen)
{
    grpc_server_credentials *creds = tls_grpc_credentials(s->cfg, err, errlen);
    if (!creds)
        return ST_EINVAL;
    int port = grpc_server_add_http2_port(s->gs, s->cfg->server.listen, creds);
    grpc_server_credentials_release(creds);
    if (port == 0) {
        snprintf(err, errlen, "cannot listen on %s", s->cfg->server.listen);
        return ST_EUNAVAIL;
    }
    grpc_server_start(s->gs);
    if (pthread_create(&s->cq_thread, NULL, cq_main, s)) {
        snprintf(err, errlen, "cannot start the completion-queue thread");
        return ST_EINTERNAL;
    }
    s->cq_started = true;
    /* on the heap: if the loop does not answer in time, it still owns `p` */
    struct post_slots *p = calloc(1, sizeof(*p));
    struct timespec dl;
    if (!p)
        return snprintf(err, errlen, "out of memory"), ST_ENOMEM;
    *p = (struct post_slots){
        .s = s, .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 10;
    bool done = loop_post(post_all_slots, p) == 0;
    pthread_mutex_lock(&p->mu);
    while (done && !p->done && pthread_cond_timedwait(&p->cv, &p->mu, &dl) == 0)
        ;
    done = done && p->done;
    int prc = p->rc;
    pthread_mutex_unlock(&p->mu);
    if (!done) {
        snprintf(err, errlen, "the event loop did not post the request slots within 10 s");
        return ST_EINTERNAL;
    }
    free(p);
    if (prc) {
        snprintf(err, errlen, "cannot post request slots");
        return ST_EINTERNAL;
    }
    log_info("listening on %s (port %d%s): calls on one event loop, %d offload threads",
             s->cfg->server.listen, port,
             !tls_enabled(s->cfg)                   ? ", plaintext"
             : s->cfg->server.tls_client_ca_file[0] ? ", TLS, client certificates required"
                                                    : ", TLS",
             s->cfg->server.threads);
    return 0;
}

/* Wait (mutex held) until the server's shutdown tag fired and no call is
 * live, or until `deadline`. True if both happened. */
static bool wait_idle_locked(struct server *s, const struct timespec *deadline)
{
    while (!(s->synced.shutdown_done && s->synced.live == 0)) {
        int e = deadline ? pthread_cond_timedwait(&s->synced.cv, &s->synced.mu, deadline)
                         : pthread_cond_wait(&s->synced.cv, &s->synced.mu);
        if (e == ETIMEDOUT)
            return false;
    }
    return true;
}

static void drain_calls(struct server *s)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += s->cfg->server.drain_timeout_s > 0 ? s->cfg->server.drain_timeout_s : 0;
    pthread_mutex_lock(&s->synced.mu);
    bool idle = wait_idle_locked(s, &deadline);
    int live = s->synced.live;
    pthread_mutex_unlock(&s->synced.mu);
    if (!idle) {
        log_warn("drain timeout (%d s): cancelling %d live calls", s->cfg->server.drain_timeout_s,
                 live);
        atomic_store(&s->cancelling, true);
        grpc_server_cancel_all_calls(s->gs);
        pthread_mutex_lock(&s->synced.mu);
        wait_idle_locked(s, NULL);
        pthread_mutex_unlock(&s->synced.mu);
    }
}

void server_stop(struct server *s)
{
    if (!s || !s->cq_started)
        return;
    log_info("shutting down: draining calls for up to %d s", s->cfg->server.drain_timeout_s);
    atomic_store(&s->draining, true);
    pthread_mutex_lock(&s->synced.mu);
    s->synced.stopping = true;
    pthread_mutex_unlock(&s->synced.mu);
    grpc_server_shutdown_and_notify(s->gs, s->cq, &s->shutdown_tag);
    drain_calls(s);
    grpc_completion_queue_shutdown(s->cq);
    pthread_join(s->cq_thread, NULL);
    s->cq_started = false;
    log_info("all calls ended");
}

struct server *server_free(struct server *s)
{
    if (!s)
        return NULL;
    if (s->gs)
        grpc_server_destroy(s->gs);
    if (s->cq)
        grpc_completion_queue_destroy(s->cq);
    pthread_mutex_destroy(&s->synced.mu);
    pthread_cond_destroy(&s->synced.cv);
    free(s->reg);
    free(s);
    return NULL;
}

bool server_draining(const struct server *s)
{
    return atomic_load(&((struct server *)s)->draining);
}

bool server_cancelling(const struct server *s)
{
    return atomic_load(&((struct server *)s)->cancelling);
}

int server_streams(const struct server *s)
{
    return atomic_load(&((struct server *)s)->streams);
}

bool server_saturated(const struct server *s)
{
    return server_streams(s) >= s->cfg->server.max_streams;
}
