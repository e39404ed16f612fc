/* loop.c - the loop thread, its run queue of fibers, cross-thread posts and
 * the offload pool (see loop.h). */
#include "loop.h"

#include "err.h"
#include "fiber.h"
#include "log.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Handlers keep `struct job` (46 KiB) and protobuf messages on their
 * stacks; only touched pages are resident (fiber.c). */
#define FIBER_STACK     (512 * 1024)
#define OFFLOAD_SLOW_MS 5000

struct post {
    loop_fn *fn;
    void *arg;
    struct post *next;
};

struct spawn {
    loop_fn *fn;
    void *arg;
};

struct runq {
    struct fiber **v;
    size_t n, cap;
};

static struct {
    struct event_base *base;
    pthread_t tid;
    bool started;
    struct event *inbox_ev, *run_ev;
    pthread_mutex_t mu; /* inbox */
    struct post *head, *tail;
    struct runq rq;
    long fibers;
    /* offload pool */
    pthread_t *pool;
    int npool;
    pthread_mutex_t pmu;
    pthread_cond_t pcv;
    struct post *phead, *ptail;
    bool pstop;
} L = {.mu = PTHREAD_MUTEX_INITIALIZER,
       .pmu = PTHREAD_MUTEX_INITIALIZER,
       .pcv = PTHREAD_COND_INITIALIZER};

static _Thread_local bool on_loop;

struct event_base *loop_base(void)
{
    return L.base;
}

bool loop_on_thread(void)
{
    return on_loop;
}

long loop_fibers(void)
{
    return L.fibers;
}

/* ------------------------------------------------------------ run queue */

static void schedule(struct fiber *f)
{
    if (L.rq.n == L.rq.cap) {
        size_t cap = L.rq.cap ? L.rq.cap * 2 : 256;
        struct fiber **v = realloc(L.rq.v, cap * sizeof(*v));
        if (!v)
            abort(); /* losing a wake-up would hang a call forever */
        L.rq.v = v;
        L.rq.cap = cap;
    }
    L.rq.v[L.rq.n++] = f;
    event_active(L.run_ev, EV_WRITE, 0);
}

static void on_run(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
    /* Take the batch: fibers scheduled while these run go to the next round,
     * so I/O events get their turn between rounds. */
    struct runq batch = L.rq;
    memset(&L.rq, 0, sizeof(L.rq));
    for (size_t i = 0; i < batch.n; i++) {
        if (fiber_resume(batch.v[i])) {
            fiber_free(batch.v[i]);
            L.fibers--;
        }
    }
    free(batch.v);
}

static void fiber_entry(void *arg)
{
    struct spawn sp = *(struct spawn *)arg;
    free(arg);
    sp.fn(sp.arg);
}

int loop_spawn(loop_fn *fn, void *arg)
{
    struct spawn *sp = malloc(sizeof(*sp));
    if (!sp)
        return ST_ENOMEM;
    sp->fn = fn;
    sp->arg = arg;
    struct fiber *f = fiber_new(fiber_entry, sp, FIBER_STACK);
    if (!f) {
        free(sp);
        return ST_ENOMEM;
    }
    L.fibers++;
    schedule(f);
    return 0;
}

/* ------------------------------------------------------------ waiting */

struct wait_timer {
    struct waiter *w;
    struct event *ev;
};

static void wake_now(struct waiter *w)
{
    if (w->waiting && w->f) {
        w->waiting = false; /* scheduled once: by the first of wake and timeout */
        schedule(w->f);
    }
}

static void on_wait_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    wake_now(arg);
}

int loop_wait(struct waiter *w, int64_t timeout_ms)
{
    if (w->woken) {
        w->woken = false;
        return 0;
    }
    if (timeout_ms < 0)
        timeout_ms = 0;
    w->f = fiber_current();
    w->waiting = true;
    struct event *ev = evtimer_new(L.base, on_wait_timeout, w);
    struct timeval tv = {(time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000};
    if (!ev || evtimer_add(ev, &tv))
        abort(); /* a wait without its deadline could hang a call forever */
    fiber_yield();
    w->waiting = false;
    event_free(ev);
    bool woken = w->woken;
    w->woken = false;
    return woken ? 0 : ST_ETIMEOUT;
}

void loop_wake(struct waiter *w)
{
    w->woken = true;
    wake_now(w);
}

void loop_sleep_ms(int64_t ms)
{
    if (!fiber_current()) { /* a thread of its own (presign relays) may sleep */
        struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        return;
    }
    struct waiter w = {0};
    loop_wait(&w, ms);
}

/* ------------------------------------------------------------ posts */

/* Append to a FIFO of posts (caller holds its lock). */
static void push(struct post **head, struct post **tail, struct post *p)
{
    p->next = NULL;
    if (*tail)
        (*tail)->next = p;
    else
        *head = p;
    *tail = p;
}

static void on_inbox(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
    pthread_mutex_lock(&L.mu);
    struct post *p = L.head;
    L.head = L.tail = NULL;
    pthread_mutex_unlock(&L.mu);
    while (p) {
        struct post *next = p->next;
        p->fn(p->arg);
        free(p);
        p = next;
    }
}

int loop_post(loop_fn *fn, void *arg)
{
    struct post *p = malloc(sizeof(*p));
    if (!p)
        return ST_ENOMEM;
    p->fn = fn;
    p->arg = arg;
    pthread_mutex_lock(&L.mu);
    bool first = L.head == NULL;
    push(&L.head, &L.tail, p);
    pthread_mutex_unlock(&L.mu);
    if (first)
        event_active(L.inbox_ev, EV_READ, 0);
    return 0;
}

/* ------------------------------------------------------------ offload */

struct offload {
    loop_fn *fn;
    void *arg;
    struct waiter w;
};

static void offload_done(void *arg)
{
    struct offload *o = arg;
    loop_wake(&o->w);
}

static void *pool_main(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&L.pmu);
        while (!L.phead && !L.pstop)
            pthread_cond_wait(&L.pcv, &L.pmu);
        struct post *p = L.phead;
        if (p) {
            L.phead = p->next;
            if (!L.phead)
                L.ptail = NULL;
        }
        pthread_mutex_unlock(&L.pmu);
        if (!p)
            return NULL;
        struct offload *o = p->arg;
        free(p);
        o->fn(o->arg);
        while (loop_post(offload_done, o))
            ; /* out of memory: retrying beats a fiber that never resumes */
    }
}

void loop_offload(loop_fn *fn, void *arg)
{
    struct post *p = malloc(sizeof(*p));
    if (!fiber_current() || L.npool == 0 || !p) {
        free(p);
        fn(arg);
        return;
    }
    struct offload o = {.fn = fn, .arg = arg};
    p->fn = NULL;
    p->arg = &o;
    pthread_mutex_lock(&L.pmu);
    push(&L.phead, &L.ptail, p);
    pthread_cond_signal(&L.pcv);
    pthread_mutex_unlock(&L.pmu);
    /* fn is a hash of fixed cost; `o` lives on this stack until it ran */
    while (loop_wait(&o.w, OFFLOAD_SLOW_MS) == ST_ETIMEOUT)
        log_warn("offloaded work not done after %d ms: the pool is saturated", OFFLOAD_SLOW_MS);
}

/* ------------------------------------------------------------ lifecycle */

static void *loop_main(void *arg)
{
    (void)arg;
    on_loop = true;
    event_base_loop(L.base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

int loop_start(int pool_threads)
{
    evthread_use_pthreads();
    L.base = event_base_new();
    if (!L.base)
        return ST_ENOMEM;
    L.inbox_ev = event_new(L.base, -1, 0, on_inbox, NULL);
    L.run_ev = event_new(L.base, -1, 0, on_run, NULL);
    if (!L.inbox_ev || !L.run_ev)
        return ST_ENOMEM;
    L.pool = calloc((size_t)(pool_threads > 0 ? pool_threads : 1), sizeof(*L.pool));
    if (!L.pool)
        return ST_ENOMEM;
    for (int i = 0; i < pool_threads; i++) {
        if (pthread_create(&L.pool[i], NULL, pool_main, NULL))
            return ST_EINTERNAL;
        L.npool++;
    }
    if (pthread_create(&L.tid, NULL, loop_main, NULL))
        return ST_EINTERNAL;
    L.started = true;
    return 0;
}

static void do_break(void *arg)
{
    (void)arg;
    event_base_loopbreak(L.base);
}

void loop_stop(void)
{
    if (L.started) {
        loop_post(do_break, NULL);
        pthread_join(L.tid, NULL);
        L.started = false;
    }
    pthread_mutex_lock(&L.pmu);
    L.pstop = true;
    pthread_cond_broadcast(&L.pcv);
    pthread_mutex_unlock(&L.pmu);
    for (int i = 0; i < L.npool; i++)
        pthread_join(L.pool[i], NULL);
    L.npool = 0;
    free(L.pool);
    L.pool = NULL;
}
