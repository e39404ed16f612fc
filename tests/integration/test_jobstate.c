/* Integration tests for job_set_state() / job_set_state_async() (common/job.c)
 * and rconn (common/rconn.c) against a real redis-server (with_redis.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "err.h"
#include "itredis.h"
#include "job.h"
#include "keys.h"
#include "rconn.h"

static struct config cfg;
static redisContext *rc_; /* the test's sync connection */

static int group_setup(void **st)
{
    (void)st;
    return itredis_connect(&cfg, &rc_);
}

static int group_teardown(void **st)
{
    (void)st;
    redisFree(rc_);
    return 0;
}

/* ------------------------------------------------------------ helpers */

static redisReply *cmd(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(rc_, fmt, ap);
    va_end(ap);
    assert_non_null(r);
    assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
    return r;
}

static long long cmd_int(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(rc_, fmt, ap);
    va_end(ap);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

/* Store a fresh QUEUED upload job with the given part counters; its id into `id`. */
static void create_job(char id[JOB_ID_LEN + 1], int64_t parts_done, int64_t parts_ready)
{
    struct job j;
    const char *argv[JOB_MAX_ARGS + 2];
    size_t lens[JOB_MAX_ARGS + 2];
    char scratch[JOB_SCRATCH], key[KEY_MAX];
    job_init(&j);
    assert_int_equal(job_new_id(j.id), 0);
    j.kind = JOB_UPLOAD;
    j.state = JOB_QUEUED;
    snprintf(j.user, sizeof(j.user), "alice");
    snprintf(j.stage, sizeof(j.stage), "~");
    snprintf(j.location, sizeof(j.location), "@~/a.csv");
    j.created_at = job_now_ms();
    j.part_size = 65536;
    j.window = 4;
    j.parts_done = parts_done;
    j.parts_ready = parts_ready;
    assert_true(keys_job(key, sizeof(key), j.id) > 0);
    argv[0] = "HSET";
    lens[0] = 4;
    argv[1] = key;
    lens[1] = strlen(key);
    int n = job_to_argv(&j, argv + 2, lens + 2, JOB_MAX_ARGS, scratch);
    assert_true(n > 0);
    redisReply *r = redisCommandArgv(rc_, n + 2, argv, lens);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    freeReplyObject(r);
    memcpy(id, j.id, JOB_ID_LEN + 1);
}

static void load_job(const char *id, struct job *j)
{
    redisReply *r = cmd("HGETALL st:job:%s", id);
    job_init(j);
    assert_int_equal(job_from_reply(j, r), 0);
    freeReplyObject(r);
}

/* ------------------------------------------------------------ sync */

static void test_queued_to_running(void **st)
{
    (void)st;
    char id[JOB_ID_LEN + 1];
    struct job j;
    create_job(id, 0, 0);
    int64_t before = job_now_ms();
    assert_int_equal(job_set_state(rc_, id, JOB_QUEUED, JOB_RUNNING, "w1", 0, NULL, 60), 0);
    load_job(id, &j);
    assert_int_equal(j.state, JOB_RUNNING);
    assert_string_equal(j.worker, "w1");
    assert_int_equal(j.attempts, 1);
    assert_true(j.started_at >= before && j.started_at <= job_now_ms());
    assert_int_equal(j.finished_at, 0);
    assert_string_equal(j.user, "alice"); /* other fields untouched */
    /* not terminal: no TTL on the job */
    assert_int_equal(cmd_int("PTTL st:job:%s", id), -1);
}

static void test_refused_transitions(void **st)
{
    (void)st;
    char id[JOB_ID_LEN + 1];
    struct job j;
    create_job(id, 0, 0);
    assert_int_equal(job_set_state(rc_, id, JOB_QUEUED, JOB_RUNNING, "w1", 0, NULL, 60), 0);
    /* invalid in C: never reaches Redis */
    assert_int_equal(job_set_state(rc_, id, JOB_RUNNING, JOB_RUNNING, "w2", 0, NULL, 60),
                     ST_EINVAL);
    assert_int_equal(job_set_state(rc_, id, JOB_QUEUED, JOB_SUCCEEDED, NULL, 0, NULL, 60),
                     ST_EINVAL);
    /* someone else won the race */
    assert_int_equal(job_set_state(rc_, id, JOB_QUEUED, JOB_RUNNING, "w2", 0, NULL, 60),
                     ST_EPRECOND);
    /* "any non-terminal state" still checks the transition in the script */
    assert_int_equal(job_set_state(rc_, id, JOB_STATE_NONE, JOB_RUNNING, "w2", 0, NULL, 60),
                     ST_EPRECOND);
    load_job(id, &j);
    assert_int_equal(j.state, JOB_RUNNING);
    assert_string_equal(j.worker, "w1");
    assert_int_equal(j.attempts, 1);
}

static void test_retry_counts_attempts(void **st)
{
    (void)st;
    char id[JOB_ID_LEN + 1];
    struct job j;
    create_job(id, 0, 0);
    assert_int_equal(job_set_state(rc_, id, JOB_QUEUED, JOB_RUNNING, "w1", 0, NULL, 60), 0);
    assert_int_equal(job_set_state(rc_, id, JOB_RUNNING, JOB_QUEUED, NULL, 0, NULL, 60), 0);
    assert_int_equal(job_set_state(rc_, id, JOB_QUEUED, JOB_RUNNING, "w2", 0, NULL, 60), 0);
    load_job(id, &j);
    assert_int_equal(j.attempts, 2);
    assert_string_equal(j.worker, "w2");
    /* JOB_STATE_NONE = from any non-terminal state */
    assert_int_equal(job_set_state(rc_, id, JOB_STATE_NONE, JOB_CANCELLED, NULL, 0, NULL, 60), 0);
    assert_int_equal(job_set_state(rc_, id, JOB_STATE_NONE, JOB_FAILED, NULL, 0, NULL, 60),
                     ST_EPRECOND);
    load_job(id, &j);
    assert_int_equal(j.state, JOB_CANCELLED);
}

static void test_running_to_failed(void **st)
{
    (void)st;
    char id[JOB_ID_LEN + 1];
    struct job j;
    create_job(id, 2, 4);
    for (int n = 0; n <= 5; n++)
        freeReplyObject(cmd("SET st:job:%s:part:%d data%d", id, n, n));
    assert_int_equal(job_set_state(rc_, id, JOB_QUEUED, JOB_RUNNING, "w1", 0, NULL, 100), 0);
    assert_int_equal(job_set_state(rc_, id, JOB_RUNNING, JOB_FAILED, NULL, ST_ENOTFOUND,
                                   "file 'a.csv' vanished", 100),
                     0);
    load_job(id, &j);
    assert_int_equal(j.state, JOB_FAILED);
    assert_string_equal(j.error_code, "NOT_FOUND");
    assert_string_equal(j.error_message, "file 'a.csv' vanished");
    assert_true(j.finished_at >= j.started_at && j.finished_at > 0);
    long long pttl = cmd_int("PTTL st:job:%s", id);
    assert_true(pttl > 0 && pttl <= 100000);
    /* parts_done .. parts_ready inclusive are gone; others untouched */
    for (int n = 0; n <= 5; n++) {
        long long want = (n >= 2 && n <= 4) ? 0 : 1;
        if (cmd_int("EXISTS st:job:%s:part:%d", id, n) != want)
            fail_msg("part %d: want exists=%lld", n, want);
    }
    /* the frontend's wake-up list got both changes, and expires */
    redisReply *r = cmd("LRANGE st:job:%s:fe 0 -1", id);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, "RUNNING");
    assert_string_equal(r->element[1]->str, "FAILED");
    freeReplyObject(r);
    assert_true(cmd_int("TTL st:job:%s:fe", id) > 0);
    /* terminal is final */
    assert_int_equal(job_set_state(rc_, id, JOB_FAILED, JOB_QUEUED, NULL, 0, NULL, 100), ST_EINVAL);
}

static void test_unknown_job(void **st)
{
    (void)st;
    char id[JOB_ID_LEN + 1];
    assert_int_equal(job_new_id(id), 0);
    assert_int_equal(job_set_state(rc_, id, JOB_QUEUED, JOB_RUNNING, "w1", 0, NULL, 60),
                     ST_ENOTFOUND);
    assert_int_equal(cmd_int("EXISTS st:job:%s", id), 0); /* not created by the script */
    assert_int_equal(job_set_state(rc_, NULL, JOB_QUEUED, JOB_RUNNING, "w1", 0, NULL, 60),
                     ST_EINVAL);
}

static void test_publish(void **st)
{
    (void)st;
    char id[JOB_ID_LEN + 1], err[256];
    redisContext *sub;
    create_job(id, 0, 0);
    assert_int_equal(rconn_connect(&cfg, &sub, err, sizeof(err)), 0);
    redisReply *r = redisCommand(sub, "SUBSCRIBE st:ev:%s", id);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    freeReplyObject(r);
    assert_int_equal(job_set_state(rc_, id, JOB_QUEUED, JOB_RUNNING, "w1", 0, NULL, 60), 0);
    void *v = NULL;
    assert_int_equal(redisGetReply(sub, &v), REDIS_OK); /* bounded by the 5 s timeout */
    r = v;
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 3);
    assert_string_equal(r->element[0]->str, "message");
    char chan[KEY_MAX];
    keys_job_events(chan, sizeof(chan), id);
    assert_string_equal(r->element[1]->str, chan);
    assert_string_equal(r->element[2]->str, "RUNNING");
    freeReplyObject(r);
    redisFree(sub);
}

/* ------------------------------------------------------------ async */

struct async_run {
    struct event_base *base;
    int calls;
    int rc;
};

static void on_state(int rc, void *ud)
{
    struct async_run *a = ud;
    a->calls++;
    a->rc = rc;
    event_base_loopbreak(a->base);
}

static void on_deadline(evutil_socket_t fd, short what, void *ud)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(ud);
}

/* Run the loop until the callback ran (or 5 s passed). */
static void run_until_called(struct async_run *a)
{
    struct timeval tv = {5, 0};
    struct event *t = evtimer_new(a->base, on_deadline, a->base);
    evtimer_add(t, &tv);
    event_base_dispatch(a->base); /* on_state or on_deadline breaks the loop */
    event_free(t);
}

static void test_async(void **st)
{
    (void)st;
    char id[JOB_ID_LEN + 1], err[256];
    struct async_run a = {event_base_new(), 0, 99};
    redisAsyncContext *ac;
    struct job j;
    create_job(id, 0, 0);
    assert_int_equal(rconn_connect_async(&cfg, &ac, err, sizeof(err)), 0);
    assert_int_equal(redisLibeventAttach(ac, a.base), REDIS_OK);

    assert_int_equal(
        job_set_state_async(ac, id, JOB_QUEUED, JOB_RUNNING, "aw", 0, NULL, 60, on_state, &a), 0);
    assert_int_equal(a.calls, 0); /* never inside the call */
    run_until_called(&a);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.rc, 0);
    load_job(id, &j);
    assert_int_equal(j.state, JOB_RUNNING);
    assert_string_equal(j.worker, "aw");

    /* a refused call returns the error and never calls back */
    a.calls = 0;
    assert_int_equal(
        job_set_state_async(ac, id, JOB_RUNNING, JOB_RUNNING, "aw", 0, NULL, 60, on_state, &a),
        ST_EINVAL);
    /* the race is lost in Redis: reported through the callback */
    assert_int_equal(
        job_set_state_async(ac, id, JOB_QUEUED, JOB_RUNNING, "aw", 0, NULL, 60, on_state, &a), 0);
    run_until_called(&a);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.rc, ST_EPRECOND);

    a.calls = 0;
    char ghost[JOB_ID_LEN + 1];
    job_new_id(ghost);
    assert_int_equal(
        job_set_state_async(ac, ghost, JOB_QUEUED, JOB_RUNNING, "aw", 0, NULL, 60, on_state, &a),
        0);
    run_until_called(&a);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.rc, ST_ENOTFOUND);

    /* drain: no further callback arrives */
    struct timeval tv = {0, 100000};
    event_base_loopexit(a.base, &tv);
    event_base_dispatch(a.base);
    assert_int_equal(a.calls, 1);
    redisAsyncFree(ac);
    event_base_free(a.base);
}

/* A pending command on a freed context is called back once with ST_EUNAVAIL. */
static void test_async_free_pending(void **st)
{
    (void)st;
    char id[JOB_ID_LEN + 1], err[256];
    struct async_run a = {event_base_new(), 0, 99};
    redisAsyncContext *ac;
    create_job(id, 0, 0);
    assert_int_equal(rconn_connect_async(&cfg, &ac, err, sizeof(err)), 0);
    assert_int_equal(redisLibeventAttach(ac, a.base), REDIS_OK);
    assert_int_equal(
        job_set_state_async(ac, id, JOB_QUEUED, JOB_RUNNING, "aw", 0, NULL, 60, on_state, &a), 0);
    redisAsyncFree(ac);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.rc, ST_EUNAVAIL);
    event_base_free(a.base);
}

/* ------------------------------------------------------------ rconn */

static void test_rconn_select(void **st)
{
    (void)st;
    struct config c2 = cfg;
    char err[256], id[JOB_ID_LEN + 1];
    redisContext *c;
    assert_true(strlen(cfg.redis.url) + 3 <= sizeof(c2.redis.url));
    strcat(c2.redis.url, "/3");
    job_new_id(id);
    assert_int_equal(rconn_connect(&c2, &c, err, sizeof(err)), 0);
    redisReply *r = redisCommand(c, "SET st:test:%s x", id);
    assert_non_null(r);
    freeReplyObject(r);
    redisFree(c);
    assert_int_equal(cmd_int("EXISTS st:test:%s", id), 0); /* db 0 */
    freeReplyObject(cmd("SELECT 3"));
    assert_int_equal(cmd_int("EXISTS st:test:%s", id), 1);
    freeReplyObject(cmd("SELECT 0"));

    /* a password the server does not expect: refused, and not in the message */
    snprintf(c2.redis.password, sizeof(c2.redis.password), "hunter2");
    assert_int_equal(rconn_connect(&c2, &c, err, sizeof(err)), ST_EUNAVAIL);
    assert_non_null(strstr(err, "AUTH"));
    assert_null(strstr(err, "hunter2"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queued_to_running),
        cmocka_unit_test(test_refused_transitions),
        cmocka_unit_test(test_retry_counts_attempts),
        cmocka_unit_test(test_running_to_failed),
        cmocka_unit_test(test_unknown_job),
        cmocka_unit_test(test_publish),
        cmocka_unit_test(test_async),
        cmocka_unit_test(test_async_free_pending),
        cmocka_unit_test(test_rconn_select),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
