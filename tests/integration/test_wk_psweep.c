/* Integration tests of the paused-upload sweep's lease (worker/psclaim.c
 * and the sweep_claim fence of job_change(), common/job.c) against a real
 * redis-server (with_redis.sh): a sweeper that dies or stalls mid-sweep.
 * Sweeper A claims an expired paused upload; while its lease holds nobody
 * else can claim it; once the lease lapsed sweeper B claims it, and A's
 * stale claim can neither fail the job nor take it out of the paused set,
 * while B's can. The lease is tiny (LEASE_MS) and the lapse is waited for
 * with a bounded poll of B's claim, not a sleep whose length is asserted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "err.h"
#include "itredis.h"
#include "job.h"
#include "keys.h"
#include "psclaim.h"

#define LEASE_MS 100
#define POLL_MS  20
#define POLL_MAX 500 /* 10 s at most, however slow the machine (sanitizers) */

static struct config cfg;
static redisContext *rc_;

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

static redisReply *run(int argc, const char **argv, const size_t *lens)
{
    redisReply *r = redisCommandArgv(rc_, argc, argv, lens);
    assert_non_null(r);
    if (r->type == REDIS_REPLY_ERROR)
        fail_msg("redis: %s", r->str);
    return r;
}

/* HGET st:job:<id> <field>, "" when absent, into `out`. */
static void hget(const char *id, const char *field, char *out, size_t n)
{
    redisReply *r = redisCommand(rc_, "HGET st:job:%s %s", id, field);
    assert_non_null(r);
    snprintf(out, n, "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
}

static int in_paused_set(const char *id)
{
    redisReply *r = redisCommand(rc_, "ZSCORE %s %s", KEY_PAUSED, id);
    assert_non_null(r);
    int in = r->type == REDIS_REPLY_STRING;
    freeReplyObject(r);
    return in;
}

/* A parked upload whose resume window ended a second ago: QUEUED, its
 * paused_until passed, filed in the paused set by it (as runner_park()
 * leaves it). */
static void park_expired(char id[JOB_ID_LEN + 1])
{
    char key[KEY_MAX], pu[24];
    int64_t deadline = job_now_ms() - 1000;
    assert_int_equal(job_new_id(id), 0);
    assert_true(keys_job(key, sizeof(key), id) > 0);
    snprintf(pu, sizeof(pu), "%lld", (long long)deadline);
    const char *hset[] = {"HSET", key,     "kind",     "UPLOAD",   "state",        "QUEUED",
                          "user", "alice", "location", "@~/p.bin", "paused_until", pu};
    freeReplyObject(run(12, hset, NULL));
    const char *zadd[] = {"ZADD", KEY_PAUSED, pu, id};
    freeReplyObject(run(4, zadd, NULL));
}

/* One claim by `worker` at `now_ms`; 1 if it took `id`, 0 if not. Its
 * token into `token`. */
static int claim(const char *worker, int64_t now_ms, const char *id, char *token, size_t n)
{
    struct psclaim_cmd c;
    assert_int_equal(psclaim_build(&c, now_ms, LEASE_MS, worker, 4), 0);
    snprintf(token, n, "%s", c.token);
    redisReply *r = run(PSCLAIM_ARGC, c.argv, c.lens);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    int took = 0;
    for (size_t i = 0; i < r->elements; i++)
        took |= strcmp(r->element[i]->str, id) == 0;
    freeReplyObject(r);
    return took;
}

/* The sweep's last two steps as `token`'s holder runs them: fail the job
 * (fenced by the claim), then take it out of the set (fenced too). */
static int finish(const char *id, const char *token)
{
    struct job_change ch = {.id = id,
                            .from = JOB_QUEUED,
                            .to = JOB_FAILED,
                            .err = ST_ETIMEOUT,
                            .msg = "expired",
                            .retention_s = 60,
                            .sweep_claim = token};
    return job_change(rc_, &ch);
}

static long long unfile(const char *id, const char *token)
{
    struct psunfile_cmd c;
    assert_int_equal(psunfile_build(&c, id, token), 0);
    redisReply *r = run(PSUNFILE_ARGC, c.argv, c.lens);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_lapsed_lease_is_fenced(void **st)
{
    (void)st;
    char id[JOB_ID_LEN + 1], ta[PSCLAIM_TOKEN_MAX], tb[PSCLAIM_TOKEN_MAX], v[PSCLAIM_TOKEN_MAX];
    park_expired(id);

    /* A claims: the job names A and its claim */
    int64_t t0 = job_now_ms();
    assert_int_equal(claim("sweeper-a", t0, id, ta, sizeof(ta)), 1);
    hget(id, "sweeper", v, sizeof(v));
    assert_string_equal(v, "sweeper-a");
    hget(id, "sweep_claim", v, sizeof(v));
    assert_string_equal(v, ta);

    /* while A's lease holds (the same instant: no timing involved) B gets
     * nothing, and the job stays A's */
    assert_int_equal(claim("sweeper-b", t0, id, tb, sizeof(tb)), 0);
    hget(id, "sweep_claim", v, sizeof(v));
    assert_string_equal(v, ta);

    /* A "dies": nothing renews its lease. B polls, bounded, until it lapses */
    int took = 0;
    for (int i = 0; i < POLL_MAX && !took; i++) {
        took = claim("sweeper-b", job_now_ms(), id, tb, sizeof(tb));
        if (!took)
            sleep_ms(POLL_MS);
    }
    assert_int_equal(took, 1);
    assert_string_not_equal(ta, tb);
    hget(id, "sweeper", v, sizeof(v));
    assert_string_equal(v, "sweeper-b");

    /* A's stale claim finishes nothing: the job stays QUEUED and filed */
    assert_int_equal(finish(id, ta), ST_EPRECOND);
    hget(id, "state", v, sizeof(v));
    assert_string_equal(v, "QUEUED");
    assert_int_equal(unfile(id, ta), 0);
    assert_true(in_paused_set(id));

    /* B's claim does */
    assert_int_equal(finish(id, tb), 0);
    hget(id, "state", v, sizeof(v));
    assert_string_equal(v, "FAILED");
    assert_int_equal(unfile(id, tb), 1);
    assert_false(in_paused_set(id));
}

/* The same worker name claiming again after its own lease lapsed (a
 * restarted worker) gets a new token: its earlier run is fenced too. */
static void test_same_name_reclaim(void **st)
{
    (void)st;
    char id[JOB_ID_LEN + 1], t1[PSCLAIM_TOKEN_MAX], t2[PSCLAIM_TOKEN_MAX];
    park_expired(id);
    int64_t t0 = job_now_ms();
    assert_int_equal(claim("w1", t0, id, t1, sizeof(t1)), 1);
    /* past the lease, given as the claim's clock: no wait needed */
    assert_int_equal(claim("w1", t0 + LEASE_MS, id, t2, sizeof(t2)), 1);
    assert_string_not_equal(t1, t2);
    assert_int_equal(finish(id, t1), ST_EPRECOND);
    assert_int_equal(unfile(id, t1), 0);
    assert_int_equal(finish(id, t2), 0);
    assert_int_equal(unfile(id, t2), 1);
}

/* Without a fence (NULL sweep_claim) job_change() behaves as before, and a
 * job gone from Redis is unfiled whatever the token. */
static void test_unfenced_and_gone(void **st)
{
    (void)st;
    char id[JOB_ID_LEN + 1], t[PSCLAIM_TOKEN_MAX];
    park_expired(id);
    assert_int_equal(claim("w1", job_now_ms(), id, t, sizeof(t)), 1);
    redisReply *r = redisCommand(rc_, "DEL st:job:%s", id);
    freeReplyObject(r);
    assert_int_equal(unfile(id, "someone-else/1"), 1);
    assert_false(in_paused_set(id));

    park_expired(id);
    struct job_change ch = {.id = id, .from = JOB_QUEUED, .to = JOB_FAILED, .retention_s = 60};
    assert_int_equal(job_change(rc_, &ch), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lapsed_lease_is_fenced),
        cmocka_unit_test(test_same_name_reclaim),
        cmocka_unit_test(test_unfenced_and_gone),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
