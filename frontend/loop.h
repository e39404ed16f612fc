/* loop.h - the frontend's event loop thread: fibers, timers, cross-thread
 * posts and a small pool for CPU-heavy steps.
 *
 * One libevent event_base runs on one thread (the loop thread). Every call
 * handler runs there as a fiber (fiber.h); gRPC completions (server.c),
 * Redis replies (aredis.c) and Pub/Sub events (hub.c) arrive on it and wake
 * the fiber that waits for them. A fiber never blocks the thread: every wait
 * below yields, and every wait has a deadline.
 *
 * Threads: loop_post() and loop_offload()'s work run from any thread;
 * everything else only on the loop thread. */
#ifndef STAGE_FE_LOOP_H
#define STAGE_FE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct fiber;

typedef void(loop_fn)(void *arg);

/* Start the loop thread and `pool_threads` offload threads. 0 or an st_err. */
int loop_start(int pool_threads);

/* Stop the loop thread (after every fiber ended) and the pool; join them. */
void loop_stop(void);

/* The loop's event_base (for aredis.c, hub.c). */
struct event_base *loop_base(void);

/* True on the loop thread. */
bool loop_on_thread(void);

/* Run fn(arg) on the loop thread soon. Any thread; never runs inside the
 * call. 0 or ST_ENOMEM. */
int loop_post(loop_fn *fn, void *arg);

/* Run fn(arg) in a new fiber (loop thread). 0 or ST_ENOMEM. */
int loop_spawn(loop_fn *fn, void *arg);

/* Fibers alive. */
long loop_fibers(void);

/* ------------------------------------------------------------ waiting
 *
 * A fiber waits on a `struct waiter` it owns (on its stack). Whoever is to
 * wake it keeps a pointer until the wait ends and calls loop_wake(): once
 * loop_wait() returned, the waiter is gone. */
struct waiter {
    struct fiber *f;
    bool waiting, woken;
};

/* Yield until loop_wake(w) or `timeout_ms` passed: every wait has a
 * deadline (a caller that must wait longer loops). 0 if woken, ST_ETIMEOUT. */
int loop_wait(struct waiter *w, int64_t timeout_ms);

/* Wake a waiting fiber (it resumes from the loop, not inside this call).
 * A waiter that is not waiting is only marked woken. Loop thread. */
void loop_wake(struct waiter *w);

/* Yield for `ms` milliseconds. */
void loop_sleep_ms(int64_t ms);

/* Run fn(arg) on a pool thread while the calling fiber waits (PBKDF2).
 * Outside a fiber, runs fn(arg) in place. */
void loop_offload(loop_fn *fn, void *arg);

#endif
