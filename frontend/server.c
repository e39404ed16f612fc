/* server.c - dispatcher, handler pool and shutdown of the frontend's gRPC
 * server (see server.h).
 *
 * Call lifecycle: a request slot (struct slot) is posted per method on the
 * server CQ with its own pluck CQ for the call. When it completes, the
 * dispatcher re-posts a slot for that method, wraps the call in a
 * `struct call` (live++) and queues it; a handler thread runs it and frees
 * it (live--). Shutdown (notes/grpc-core.md §6.1): stop re-arming,
 * shutdown_and_notify, wait for the tag and live == 0 up to the drain time,
 * cancel_all_calls, wait for live == 0, shut the CQ down and drain it. */
#include "server.h"

#include "auth.h"
#include "call.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "job.h"
#include "log.h"

#include <errno.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOTS_PER_METHOD 2
#define GENERIC_SLOT     (-1)

struct slot {
    int mi; /* method index or GENERIC_SLOT */
    grpc_call *call;
    gpr_timespec deadline;
    grpc_metadata_array md;
    grpc_byte_buffer *payload;
    grpc_call_details details; /* generic slot only */
    grpc_completion_queue *cq; /* bound to the call */
};

struct hthread {
    struct server *s;
    pthread_t tid;
    struct db db;
};

struct server {
    const struct config *cfg;
    const struct method *methods;
    int nmethods;
    void **reg; /* registered method handles */
    grpc_server *gs;
    grpc_completion_queue *cq; /* the server (notification) queue */
    pthread_t dispatcher;
    bool dispatcher_started;
    struct hthread *threads;
    int nthreads, nstarted;
    char shutdown_tag;
    atomic_bool draining, cancelling;
    atomic_uint_fast64_t next_req;
    struct {
        pthread_mutex_t mu;
        pthread_cond_t cv; /* queue, live and shutdown_done changes */
        struct call **q;   /* ring of queued calls */
        int cap, head, len;
        bool closed;
        bool stopping; /* no more re-arming */
        bool shutdown_done;
        int live; /* calls that exist in the application */
    } synced;
};

static void unknown_handler(struct call *c)
{
    call_status(c, GRPC_STATUS_UNIMPLEMENTED, "method %s is not implemented", c->path);
}

static const struct method unknown_method = {"", "?", SHAPE_UNARY, false, unknown_handler};

/* ------------------------------------------------------------ request slots */

static void slot_free(struct slot *sl)
{
    grpc_metadata_array_destroy(&sl->md);
    if (sl->payload)
        grpc_byte_buffer_destroy(sl->payload);
    if (sl->mi == GENERIC_SLOT)
        grpc_call_details_destroy(&sl->details);
    if (sl->call)
        grpc_call_unref(sl->call);
    if (sl->cq) {
        grpc_completion_queue_shutdown(sl->cq);
        grpc_completion_queue_destroy(sl->cq);
    }
    free(sl);
}

static int slot_post(struct server *s, int mi)
{
    struct slot *sl = calloc(1, sizeof(*sl));
    if (!sl)
        return ST_ENOMEM;
    sl->mi = mi;
    grpc_metadata_array_init(&sl->md);
    sl->cq = grpc_completion_queue_create_for_pluck(NULL);
    grpc_call_error e;
    if (mi == GENERIC_SLOT) {
        grpc_call_details_init(&sl->details);
        e = grpc_server_request_call(s->gs, &sl->call, &sl->details, &sl->md, sl->cq, s->cq, sl);
    } else {
        bool payload = s->methods[mi].shape != SHAPE_CLIENT_STREAM;
        e = grpc_server_request_registered_call(s->gs, s->reg[mi], &sl->call, &sl->deadline,
                                                &sl->md, payload ? &sl->payload : NULL, sl->cq,
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
    if (!c)
        return NULL;
    c->call = sl->call;
    c->cq = sl->cq;
    c->md = sl->md;
    c->payload = sl->payload;
    c->srv = s;
    c->cfg = s->cfg;
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

/* ------------------------------------------------------------ work queue */

static bool queue_push(struct server *s, struct call *c)
{
    bool ok = false;
    pthread_mutex_lock(&s->synced.mu);
    s->synced.live++;
    if (s->synced.len < s->synced.cap && !s->synced.closed) {
        s->synced.q[(s->synced.head + s->synced.len) % s->synced.cap] = c;
        s->synced.len++;
        ok = true;
        pthread_cond_broadcast(&s->synced.cv);
    }
    pthread_mutex_unlock(&s->synced.mu);
    return ok;
}

static struct call *queue_pop(struct server *s)
{
    struct call *c = NULL;
    pthread_mutex_lock(&s->synced.mu);
    while (s->synced.len == 0 && !s->synced.closed)
        pthread_cond_wait(&s->synced.cv, &s->synced.mu);
    if (s->synced.len > 0) {
        c = s->synced.q[s->synced.head];
        s->synced.head = (s->synced.head + 1) % s->synced.cap;
        s->synced.len--;
    }
    pthread_mutex_unlock(&s->synced.mu);
    return c;
}

static void call_release(struct server *s, struct call *c)
{
    call_cleanup(c);
    free(c);
    pthread_mutex_lock(&s->synced.mu);
    s->synced.live--;
    pthread_cond_broadcast(&s->synced.cv);
    pthread_mutex_unlock(&s->synced.mu);
}

/* ------------------------------------------------------------ threads */

static void log_call(const struct call *c)
{
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

static void run_call(struct call *c)
{
    if (call_begin(c) == 0 && (!c->m->auth || auth_call(c) == 0))
        c->m->fn(c);
    if (!c->finished && !c->broken)
        call_fail(c, ST_EINTERNAL, "%s: the handler ended without a status", c->m->rpc);
    if (c->broken && !c->finished)
        c->status = GRPC_STATUS_CANCELLED;
    log_call(c);
}

static void *handler_main(void *arg)
{
    struct hthread *t = arg;
    struct call *c;
    while ((c = queue_pop(t->s)) != NULL) {
        c->db = &t->db;
        run_call(c);
        call_release(t->s, c);
    }
    db_cleanup(&t->db);
    return NULL;
}

static void answer_busy(struct server *s, struct call *c)
{
    call_status(c, GRPC_STATUS_RESOURCE_EXHAUSTED,
                "server busy: all %d handler threads are taken, retry later", s->nthreads);
    log_call(c);
    call_release(s, c);
}

static void dispatch(struct server *s, struct slot *sl)
{
    pthread_mutex_lock(&s->synced.mu);
    bool rearm = !s->synced.stopping;
    pthread_mutex_unlock(&s->synced.mu);
    if (rearm)
        slot_post(s, sl->mi);
    struct call *c = call_from_slot(s, sl);
    if (!c) {
        slot_free(sl);
        return;
    }
    if (!queue_push(s, c))
        answer_busy(s, c);
}

static void *dispatcher_main(void *arg)
{
    struct server *s = arg;
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type != GRPC_OP_COMPLETE)
            continue;
        if (ev.tag == &s->shutdown_tag) {
            pthread_mutex_lock(&s->synced.mu);
            s->synced.shutdown_done = true;
            pthread_cond_broadcast(&s->synced.cv);
            pthread_mutex_unlock(&s->synced.mu);
        } else if (!ev.success) {
            slot_free(ev.tag); /* not matched: shutting down */
        } else {
            dispatch(s, ev.tag);
        }
    }
    return NULL;
}

/* ------------------------------------------------------------ lifecycle */

struct server *server_new(const struct config *cfg, const struct method *methods, int n, char *err,
                          size_t errlen)
{
    struct server *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->cfg = cfg;
    s->methods = methods;
    s->nmethods = n;
    s->nthreads = cfg->server.threads > 0 ? cfg->server.threads : 1;
    s->synced.cap = s->nthreads * 2 < 8 ? 8 : s->nthreads * 2;
    s->reg = calloc((size_t)n, sizeof(*s->reg));
    s->threads = calloc((size_t)s->nthreads, sizeof(*s->threads));
    s->synced.q = calloc((size_t)s->synced.cap, sizeof(*s->synced.q));
    pthread_mutex_init(&s->synced.mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->synced.cv, &ca);
    pthread_condattr_destroy(&ca);
    if (!s->reg || !s->threads || !s->synced.q) {
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
    };
    grpc_channel_args args = {.num_args = sizeof(argv) / sizeof(argv[0]), .args = argv};
    s->gs = grpc_server_create(&args, NULL);
    s->cq = grpc_completion_queue_create_for_next(NULL);
    grpc_server_register_completion_queue(s->gs, s->cq, NULL);
    for (int i = 0; i < n; i++) {
        s->reg[i] = grpc_server_register_method(s->gs, methods[i].path, NULL,
                                                methods[i].shape == SHAPE_CLIENT_STREAM
                                                    ? GRPC_SRM_PAYLOAD_NONE
                                                    : GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER,
                                                0);
        if (!s->reg[i]) {
            snprintf(err, errlen, "cannot register method %s", methods[i].path);
            return server_free(s);
        }
    }
    return s;
}

static int post_all_slots(struct server *s)
{
    for (int i = 0; i < s->nmethods; i++)
        for (int k = 0; k < SLOTS_PER_METHOD; k++)
            if (slot_post(s, i))
                return ST_EINTERNAL;
    return slot_post(s, GENERIC_SLOT);
}

int server_start(struct server *s, char *err, size_t errlen)
{
    grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
    int port = grpc_server_add_http2_port(s->gs, s->cfg->server.listen, creds);
    grpc_server_credentials_release(creds);
    if (port == 0) {
        snprintf(err, errlen, "cannot listen on %s", s->cfg->server.listen);
        return ST_EUNAVAIL;
    }
    grpc_server_start(s->gs);
    if (pthread_create(&s->dispatcher, NULL, dispatcher_main, s)) {
        snprintf(err, errlen, "cannot start the dispatcher thread");
        return ST_EINTERNAL;
    }
    s->dispatcher_started = true;
    for (int i = 0; i < s->nthreads; i++) {
        s->threads[i].s = s;
        db_init(&s->threads[i].db, s->cfg);
        if (pthread_create(&s->threads[i].tid, NULL, handler_main, &s->threads[i])) {
            snprintf(err, errlen, "cannot start handler thread %d", i);
            return ST_EINTERNAL;
        }
        s->nstarted++;
    }
    if (post_all_slots(s)) {
        snprintf(err, errlen, "cannot post request slots");
        return ST_EINTERNAL;
    }
    log_info("listening on %s (port %d), %d handler threads", s->cfg->server.listen, port,
             s->nthreads);
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
    if (!s || !s->dispatcher_started)
        return;
    log_info("shutting down: draining calls for up to %d s", s->cfg->server.drain_timeout_s);
    atomic_store(&s->draining, true);
    pthread_mutex_lock(&s->synced.mu);
    s->synced.stopping = true;
    pthread_mutex_unlock(&s->synced.mu);
    grpc_server_shutdown_and_notify(s->gs, s->cq, &s->shutdown_tag);
    drain_calls(s);
    grpc_completion_queue_shutdown(s->cq);
    pthread_join(s->dispatcher, NULL);
    s->dispatcher_started = false;
    pthread_mutex_lock(&s->synced.mu);
    s->synced.closed = true;
    pthread_cond_broadcast(&s->synced.cv);
    pthread_mutex_unlock(&s->synced.mu);
    for (int i = 0; i < s->nstarted; i++)
        pthread_join(s->threads[i].tid, NULL);
    s->nstarted = 0;
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
    free(s->synced.q);
    free(s->threads);
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
