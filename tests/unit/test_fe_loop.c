/* test_fe_loop.c - the frontend's fibers and event loop (frontend/fiber.c,
 * frontend/loop.c): a fiber keeps its stack across yields; wake beats a
 * timeout and a timeout ends a wait nobody wakes; wake-ups never run inside
 * the call that made them; offloaded work runs on another thread while the
 * fiber waits; thousands of fibers wait at once. Runs under ASan + UBSan in
 * tests/run.sh (fiber switches are announced to ASan). */
#include "err.h"
#include "fiber.h"
#include "loop.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

/* ------------------------------------------------------------ bare fibers */

static int trace[16], ntrace;

static void counter(void *arg)
{
    int base = *(int *)arg;
    char big[64 * 1024]; /* a deep frame: stacks are larger than a page */
    memset(big, base, sizeof(big));
    for (int i = 0; i < 3; i++) {
        trace[ntrace++] = base + i + big[i * 1000] - base;
        fiber_yield();
    }
}

static void test_fiber_yield_resume(void **state)
{
    (void)state;
    int a = 10, b = 20;
    ntrace = 0;
    struct fiber *fa = fiber_new(counter, &a, 256 * 1024);
    struct fiber *fb = fiber_new(counter, &b, 256 * 1024);
    assert_non_null(fa);
    assert_non_null(fb);
    assert_null(fiber_current());
    while (!fiber_done(fa) || !fiber_done(fb)) {
        fiber_resume(fa);
        fiber_resume(fb);
    }
    int want[] = {10, 20, 11, 21, 12, 22};
    assert_int_equal(ntrace, 6);
    assert_memory_equal(trace, want, sizeof(want));
    long before = fiber_count();
    fiber_free(fa);
    fiber_free(fb);
    assert_int_equal(fiber_count(), before - 2);
    fiber_free(NULL);
}

/* ------------------------------------------------------------ the loop */

struct shared {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    int results[8];
    struct waiter *w;
    int order[8], norder;
};

static struct shared S = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void finish(int slot, int value)
{
    pthread_mutex_lock(&S.mu);
    S.results[slot] = value;
    S.done++;
    pthread_cond_broadcast(&S.cv);
    pthread_mutex_unlock(&S.mu);
}

static void wait_done(int n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 30; /* room for a slow machine; the test fails, not hangs */
    pthread_mutex_lock(&S.mu);
    while (S.done < n)
        if (pthread_cond_timedwait(&S.cv, &S.mu, &until))
            break;
    int got = S.done;
    pthread_mutex_unlock(&S.mu);
    assert_int_equal(got, n);
}

static void reset(void)
{
    pthread_mutex_lock(&S.mu);
    S.done = 0;
    S.norder = 0;
    memset(S.results, 0, sizeof(S.results));
    S.w = NULL;
    pthread_mutex_unlock(&S.mu);
}

/* A fiber that nobody wakes: its wait ends by the timeout. */
static void f_timeout(void *arg)
{
    (void)arg;
    struct waiter w = {0};
    finish(0, loop_wait(&w, 20) == ST_ETIMEOUT ? 1 : -1);
}

/* A fiber that waits with a long timeout; another wakes it. */
static void f_sleeper(void *arg)
{
    (void)arg;
    struct waiter w = {0};
    S.w = &w;
    int rc = loop_wait(&w, 60000);
    S.w = NULL;
    S.order[S.norder++] = 3;
    finish(1, rc == 0 ? 1 : -1);
}

static void f_waker(void *arg)
{
    (void)arg;
    while (!S.w)
        loop_sleep_ms(1);
    S.order[S.norder++] = 1;
    loop_wake(S.w);
    /* the woken fiber resumes from the loop, not inside loop_wake */
    S.order[S.norder++] = 2;
    finish(2, 1);
}

static void test_loop_wait_wake_timeout(void **state)
{
    (void)state;
    reset();
    assert_int_equal(loop_spawn(f_timeout, NULL), 0);
    wait_done(1);
    assert_int_equal(S.results[0], 1);
    reset();
    assert_int_equal(loop_spawn(f_sleeper, NULL), 0);
    assert_int_equal(loop_spawn(f_waker, NULL), 0);
    wait_done(2);
    assert_int_equal(S.results[1], 1);
    assert_int_equal(S.results[2], 1);
    int want[] = {1, 2, 3}; /* wake, the waker goes on, then the woken one */
    assert_int_equal(S.norder, 3);
    assert_memory_equal(S.order, want, sizeof(want));
}

/* A wake that comes before the wait: the wait returns at once. */
static void f_prewoken(void *arg)
{
    (void)arg;
    struct waiter w = {0};
    loop_wake(&w);
    finish(0, loop_wait(&w, 60000) == 0 ? 1 : -1);
}

static void test_loop_wake_before_wait(void **state)
{
    (void)state;
    reset();
    assert_int_equal(loop_spawn(f_prewoken, NULL), 0);
    wait_done(1);
    assert_int_equal(S.results[0], 1);
}

struct work {
    pthread_t thread;
    int in, out;
};

static void square(void *arg)
{
    struct work *w = arg;
    w->thread = pthread_self();
    w->out = w->in * w->in;
}

static void f_offload(void *arg)
{
    (void)arg;
    struct work w = {.in = 12};
    loop_offload(square, &w);
    bool other = !pthread_equal(w.thread, pthread_self());
    finish(0, w.out == 144 && other ? 1 : -1);
}

static void test_loop_offload(void **state)
{
    (void)state;
    reset();
    assert_int_equal(loop_spawn(f_offload, NULL), 0);
    wait_done(1);
    assert_int_equal(S.results[0], 1);
}

#define MANY 5000
static int many_done;

static void f_many(void *arg)
{
    (void)arg;
    struct waiter w = {0};
    loop_wait(&w, 50); /* all of them wait at once */
    if (++many_done == MANY)
        finish(0, 1);
}

static void spawn_many(void *arg)
{
    (void)arg;
    for (int i = 0; i < MANY; i++)
        if (loop_spawn(f_many, NULL))
            finish(0, -1);
}

static void test_loop_many_fibers(void **state)
{
    (void)state;
    reset();
    many_done = 0;
    assert_int_equal(loop_post(spawn_many, NULL), 0);
    wait_done(1);
    assert_int_equal(S.results[0], 1);
}

static int setup(void **state)
{
    (void)state;
    return loop_start(2);
}

static int teardown(void **state)
{
    (void)state;
    loop_stop();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fiber_yield_resume),    cmocka_unit_test(test_loop_wait_wake_timeout),
        cmocka_unit_test(test_loop_wake_before_wait), cmocka_unit_test(test_loop_offload),
        cmocka_unit_test(test_loop_many_fibers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
