/* Integration tests for the stage quota scripts (common/quota.c) against a
 * real redis-server (with_redis.sh): reservations and what ends them, the
 * commit once per job, the clamped add. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "itredis.h"
#include "job.h"
#include "keys.h"
#include "quota.h"
#include "rconn.h"

static struct config cfg;
static redisContext *rc_;

#define ROOT "stage/internal/t/1/"
#define UK   "st:usage:" ROOT
#define RK   "st:qres:" ROOT
#define NOW  1000000LL

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

static int clean(void **st)
{
    (void)st;
    freeReplyObject(redisCommand(rc_, "FLUSHDB"));
    return 0;
}

static void set_state(const char *id, const char *state)
{
    freeReplyObject(redisCommand(rc_, "HSET " KEY_JOB_PREFIX "%s state %s", id, state));
}

/* One reserve as the frontend and the worker send it (quota_reserve_args():
 * EVALSHA, EVAL when Redis lacks the script): its reply {status, bytes,
 * files, rb, rf, granted} into out. */
static void reserve(const char *id, long long need, long long ask, long long qb, long long qf,
                    long long now, long long out[6])
{
    struct quota_reserve_cmd c;
    struct quota_lim l = {qb, qf};
    assert_int_equal(quota_reserve_args(&c, ROOT, id, need, ask, &l, now), 0);
    redisReply *r = redisCommandArgv(rc_, QUOTA_RESERVE_ARGC, c.argv, NULL);
    assert_non_null(r);
    if (r->type == REDIS_REPLY_ERROR && quota_noscript(r->str)) {
        freeReplyObject(r);
        quota_reserve_eval(&c);
        r = redisCommandArgv(rc_, QUOTA_RESERVE_ARGC, c.argv, NULL);
        assert_non_null(r);
    }
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 6);
    for (size_t i = 0; i < 6; i++)
        out[i] = r->element[i]->integer;
    freeReplyObject(r);
}

static long long hget(const char *key, const char *field)
{
    redisReply *r = redisCommand(rc_, "HGET %s %s", key, field);
    long long v = r && r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : -1;
    freeReplyObject(r);
    return v;
}

static void test_reserve_room(void **st)
{
    (void)st;
    long long o[6];
    set_state("a", "RUNNING");
    set_state("b", "RUNNING");
    freeReplyObject(redisCommand(rc_, "HSET %s bytes 1000 files 2", UK));
    /* a asks for up to 400 with 100 needed: gets 400 of the 500 left */
    reserve("a", 100, 400, 1500, 0, NOW, o);
    assert_int_equal(o[0], 1);
    assert_int_equal(o[1], 1000);
    assert_int_equal(o[5], 400);
    /* b needs 200: only 100 left (its own earlier reservation would not count) */
    reserve("b", 200, 200, 1500, 0, NOW, o);
    assert_int_equal(o[0], 0);
    assert_int_equal(o[3], 400);
    assert_int_equal(o[4], 1);
    /* b may have what is left, at most */
    reserve("b", 50, 1000, 1500, 0, NOW, o);
    assert_int_equal(o[0], 1);
    assert_int_equal(o[5], 100);
    /* a grows over its own reservation: its old one is replaced, not added */
    reserve("a", 400, 400, 1500, 0, NOW, o);
    assert_int_equal(o[0], 1);
    assert_int_equal(o[3], 100);
    /* report only: nothing reserved for "" */
    reserve("", 0, 0, 0, 0, NOW, o);
    assert_int_equal(o[3], 500);
    assert_int_equal(o[4], 2);
    assert_int_equal(hget(RK, ""), -1);
}

/* A refused job loses what it held: it is about to fail, and the upload it
 * raced with must have the room at once, not once the failure is written. */
static void test_reserve_refused_frees(void **st)
{
    (void)st;
    long long o[6];
    set_state("a", "RUNNING");
    set_state("b", "RUNNING");
    freeReplyObject(redisCommand(rc_, "HSET %s bytes 0 files 0", UK));
    reserve("a", 700, 700, 1000, 0, NOW, o);
    assert_int_equal(o[0], 1);
    reserve("b", 300, 300, 1000, 0, NOW, o);
    assert_int_equal(o[0], 1);
    reserve("a", 800, 800, 1000, 0, NOW, o); /* 800 + b's 300 > 1000 */
    assert_int_equal(o[0], 0);
    assert_int_equal(hget(RK, "a"), -1);
    reserve("b", 1000, 1000, 1000, 0, NOW, o); /* a's 700 is free again */
    assert_int_equal(o[0], 1);
    assert_int_equal(o[3], 0);
    assert_int_equal(o[5], 1000);
}

static void test_reserve_files(void **st)
{
    (void)st;
    long long o[6];
    set_state("a", "RUNNING");
    set_state("b", "QUEUED");
    freeReplyObject(redisCommand(rc_, "HSET %s bytes 0 files 1", UK));
    reserve("a", 0, 10, 0, 3, NOW, o);
    assert_int_equal(o[0], 1);
    reserve("b", 0, 10, 0, 3, NOW, o);
    assert_int_equal(o[0], 1);
    reserve("c", 0, 10, 0, 3, NOW, o);
    assert_int_equal(o[0], -1); /* 1 stored + 2 in flight of 3 */
    assert_int_equal(o[2], 1);
    assert_int_equal(o[4], 2);
}

/* Ended jobs, vanished jobs and expired reservations free their room. */
static void test_reserve_stale(void **st)
{
    (void)st;
    long long o[6];
    set_state("done", "SUCCEEDED");
    set_state("failed", "FAILED");
    set_state("cancelled", "CANCELLED");
    set_state("old", "RUNNING");
    set_state("live", "RUNNING");
    freeReplyObject(redisCommand(rc_,
                                 "HSET %s done 100:%lld failed 100:%lld cancelled 100:%lld "
                                 "vanished 100:%lld old 100:%lld live 100:%lld junk x",
                                 RK, NOW + 10, NOW + 10, NOW + 10, NOW + 10, NOW - 1, NOW + 10));
    reserve("new", 900, 900, 1000, 0, NOW, o);
    assert_int_equal(o[0], 1);
    assert_int_equal(o[3], 100); /* only "live" */
    redisReply *r = redisCommand(rc_, "HKEYS %s", RK);
    assert_int_equal(r->elements, 2); /* live, new */
    freeReplyObject(r);
}

/* After a Redis restart (or SCRIPT FLUSH) the script cache is empty: the
 * EVALSHA gets NOSCRIPT, the EVAL fallback runs the script and caches it,
 * and the next EVALSHA finds it. */
static void test_reserve_after_script_flush(void **st)
{
    (void)st;
    struct quota_reserve_cmd c;
    struct quota_lim l = {1000, 0};
    long long o[6];
    set_state("a", "RUNNING");
    freeReplyObject(redisCommand(rc_, "SCRIPT FLUSH"));
    assert_int_equal(quota_reserve_args(&c, ROOT, "a", 100, 100, &l, NOW), 0);
    redisReply *r = redisCommandArgv(rc_, QUOTA_RESERVE_ARGC, c.argv, NULL);
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_true(quota_noscript(r->str));
    freeReplyObject(r);
    reserve("a", 100, 100, 1000, 0, NOW, o); /* through the fallback */
    assert_int_equal(o[0], 1);
    assert_int_equal(o[5], 100);
    r = redisCommandArgv(rc_, QUOTA_RESERVE_ARGC, c.argv, NULL); /* cached again */
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->element[0]->integer, 1);
    freeReplyObject(r);
}

static void test_commit_once(void **st)
{
    (void)st;
    set_state("j", "RUNNING");
    freeReplyObject(redisCommand(rc_, "HSET %s j 500:%lld", RK, NOW + 10));
    for (int i = 0; i < 2; i++) {
        redisReply *r =
            redisCommand(rc_, "EVAL %s 3 %s %s st:job:j j 500 -1", quota_commit_lua, UK, RK);
        assert_int_equal(r->integer, i == 0 ? 1 : 0);
        freeReplyObject(r);
    }
    assert_int_equal(hget(UK, "bytes"), 500);
    assert_int_equal(hget(UK, "files"), 1);
    assert_int_equal(hget(RK, "j"), -1); /* the reservation went */
    /* an overwrite of a 500-byte file by 200 bytes */
    set_state("k", "RUNNING");
    freeReplyObject(
        redisCommand(rc_, "EVAL %s 3 %s %s st:job:k k 200 500", quota_commit_lua, UK, RK));
    assert_int_equal(hget(UK, "bytes"), 200);
    assert_int_equal(hget(UK, "files"), 1);
}

static void test_add_clamped(void **st)
{
    (void)st;
    freeReplyObject(redisCommand(rc_, "HSET %s bytes 100 files 1", UK));
    freeReplyObject(redisCommand(rc_, "HSET %s c 5:%lld", RK, NOW + 10));
    freeReplyObject(redisCommand(rc_, "EVAL %s 1 %s -300 -2", quota_add_lua, UK));
    assert_int_equal(hget(UK, "bytes"), 0); /* files stored before quotas: never below 0 */
    assert_int_equal(hget(UK, "files"), 0);
    freeReplyObject(redisCommand(rc_, "EVAL %s 2 %s %s 70 1 c", quota_add_lua, UK, RK));
    assert_int_equal(hget(UK, "bytes"), 70);
    assert_int_equal(hget(UK, "files"), 1);
    assert_int_equal(hget(RK, "c"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reserve_room, clean),
        cmocka_unit_test_setup(test_reserve_refused_frees, clean),
        cmocka_unit_test_setup(test_reserve_files, clean),
        cmocka_unit_test_setup(test_reserve_stale, clean),
        cmocka_unit_test_setup(test_reserve_after_script_flush, clean),
        cmocka_unit_test_setup(test_commit_once, clean),
        cmocka_unit_test_setup(test_add_clamped, clean),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
