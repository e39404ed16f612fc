/* Unit tests for common/sentinel.c: list parsing, rotation, replies. Offline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "sentinel.h"

/* Hand-built replies: hiredis replies are plain structs. */
static redisReply S(int type, const char *s)
{
    redisReply r = {0};
    r.type = type;
    r.str = (char *)s;
    r.len = s ? strlen(s) : 0;
    return r;
}

static redisReply A(redisReply **el, size_t n)
{
    redisReply r = {0};
    r.type = REDIS_REPLY_ARRAY;
    r.element = el;
    r.elements = n;
    return r;
}

static void test_parse_list(void **st)
{
    (void)st;
    struct sentinel_list l;
    char err[256] = "";
    assert_int_equal(sentinel_parse_list("a:1, b:2 [::1]:3,c", &l, err, sizeof(err)), 0);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.s[0].host, "a");
    assert_int_equal(l.s[0].port, 1);
    assert_string_equal(l.s[1].host, "b");
    assert_int_equal(l.s[1].port, 2);
    assert_string_equal(l.s[2].host, "::1");
    assert_int_equal(l.s[2].port, 3);
    assert_string_equal(l.s[3].host, "c");
    assert_int_equal(l.s[3].port, SENTINEL_DEFAULT_PORT);
    /* duplicates once */
    assert_int_equal(sentinel_parse_list("a:1,a:1 , a:2", &l, err, sizeof(err)), 0);
    assert_int_equal(l.n, 2);
}

static void test_parse_list_bad(void **st)
{
    (void)st;
    static const char *const bad[] = {
        "", " , ", "a:0", "a:65536", "a:x", ":1", "[::1", "[::1]x", "::1:26379", "a:123456",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sentinel_list l;
        char err[256] = "";
        assert_int_equal(sentinel_parse_list(bad[i], &l, err, sizeof(err)), ST_EINVAL);
        assert_true(strstr(err, "redis.sentinels") != NULL);
        assert_int_equal(l.n, 0);
    }
    char many[1024] = "";
    for (int i = 0; i <= SENTINEL_MAX; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "h%d:1,", i);
    struct sentinel_list l;
    char err[256];
    assert_int_equal(sentinel_parse_list(many, &l, err, sizeof(err)), ST_EINVAL);
}

static void test_rotation(void **st)
{
    (void)st;
    struct sentinel_list l;
    char err[256];
    assert_int_equal(sentinel_parse_list("a:1,b:1,c:1", &l, err, sizeof(err)), 0);
    assert_string_equal(sentinel_nth(&l, 0)->host, "a");
    assert_string_equal(sentinel_nth(&l, 2)->host, "c");
    /* a died; b answered as the second asked: b first from now on, then c, then a */
    sentinel_answered(&l, 1);
    assert_string_equal(sentinel_nth(&l, 0)->host, "b");
    assert_string_equal(sentinel_nth(&l, 1)->host, "c");
    assert_string_equal(sentinel_nth(&l, 2)->host, "a");
    sentinel_answered(&l, 2); /* then only a answered */
    assert_string_equal(sentinel_nth(&l, 0)->host, "a");
    sentinel_answered(&l, 0);
    assert_string_equal(sentinel_nth(&l, 0)->host, "a");
    assert_null(sentinel_nth(&l, -1));
}

static void test_master_reply(void **st)
{
    (void)st;
    char host[64], err[256];
    int port = 0;
    redisReply h = S(REDIS_REPLY_STRING, "10.0.0.5"), p = S(REDIS_REPLY_STRING, "6380");
    redisReply *el[] = {&h, &p};
    redisReply ok = A(el, 2);
    assert_int_equal(sentinel_parse_master(&ok, host, sizeof(host), &port, err, sizeof(err)), 0);
    assert_string_equal(host, "10.0.0.5");
    assert_int_equal(port, 6380);

    redisReply nil = S(REDIS_REPLY_NIL, NULL);
    assert_int_equal(sentinel_parse_master(&nil, host, sizeof(host), &port, err, sizeof(err)),
                     ST_ENOTFOUND);
    redisReply e = S(REDIS_REPLY_ERROR, "NOAUTH Authentication required.");
    assert_int_equal(sentinel_parse_master(&e, host, sizeof(host), &port, err, sizeof(err)),
                     ST_EUNAVAIL);
    assert_true(strstr(err, "NOAUTH") != NULL);
    assert_int_equal(sentinel_parse_master(NULL, host, sizeof(host), &port, err, sizeof(err)),
                     ST_EUNAVAIL);
    redisReply badport = S(REDIS_REPLY_STRING, "0");
    redisReply *el2[] = {&h, &badport};
    redisReply bad = A(el2, 2);
    assert_int_equal(sentinel_parse_master(&bad, host, sizeof(host), &port, err, sizeof(err)),
                     ST_EUNAVAIL);
    redisReply one = A(el, 1);
    assert_int_equal(sentinel_parse_master(&one, host, sizeof(host), &port, err, sizeof(err)),
                     ST_EUNAVAIL);
    char tiny[4]; /* a host that does not fit is refused, not cut */
    assert_int_equal(sentinel_parse_master(&ok, tiny, sizeof(tiny), &port, err, sizeof(err)),
                     ST_EUNAVAIL);
}

static void test_role(void **st)
{
    (void)st;
    char err[256];
    redisReply m = S(REDIS_REPLY_STRING, "master"), off = {.type = REDIS_REPLY_INTEGER};
    redisReply *el[] = {&m, &off};
    redisReply master = A(el, 2);
    assert_int_equal(sentinel_check_role(&master, err, sizeof(err)), 0);
    redisReply s = S(REDIS_REPLY_STRING, "slave");
    redisReply *el2[] = {&s};
    redisReply slave = A(el2, 1);
    assert_int_equal(sentinel_check_role(&slave, err, sizeof(err)), ST_EUNAVAIL);
    assert_true(strstr(err, "slave") != NULL);
    redisReply e = S(REDIS_REPLY_ERROR, "LOADING Redis is loading");
    assert_int_equal(sentinel_check_role(&e, err, sizeof(err)), ST_EUNAVAIL);
    redisReply empty = A(NULL, 0);
    assert_int_equal(sentinel_check_role(&empty, err, sizeof(err)), ST_EUNAVAIL);
    assert_int_equal(sentinel_check_role(NULL, err, sizeof(err)), ST_EUNAVAIL);
}

static void test_switch(void **st)
{
    (void)st;
    char host[64] = "";
    int port = 0;
    redisReply k = S(REDIS_REPLY_STRING, "message"), ch = S(REDIS_REPLY_STRING, "+switch-master");
    redisReply msg = S(REDIS_REPLY_STRING, "stage 127.0.0.1 6390 127.0.0.1 6391");
    redisReply *el[] = {&k, &ch, &msg};
    redisReply r = A(el, 3);
    assert_int_equal(sentinel_parse_switch(&r, "stage", host, sizeof(host), &port), 1);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 6391);
    assert_int_equal(sentinel_parse_switch(&r, "other", host, sizeof(host), &port), 0);
    redisReply sub = S(REDIS_REPLY_STRING, "subscribe");
    redisReply *el2[] = {&sub, &ch, &msg};
    redisReply r2 = A(el2, 3);
    assert_int_equal(sentinel_parse_switch(&r2, "stage", host, sizeof(host), &port), 0);
    redisReply shortmsg = S(REDIS_REPLY_STRING, "stage 127.0.0.1 6390");
    redisReply *el3[] = {&k, &ch, &shortmsg};
    redisReply r3 = A(el3, 3);
    assert_int_equal(sentinel_parse_switch(&r3, "stage", host, sizeof(host), &port), 0);
    assert_int_equal(sentinel_parse_switch(NULL, "stage", host, sizeof(host), &port), 0);
}

static void test_errors_and_retry(void **st)
{
    (void)st;
    assert_true(
        sentinel_error_means_failover("READONLY You can't write against a read only replica."));
    assert_true(sentinel_error_means_failover("LOADING Redis is loading the dataset in memory"));
    assert_true(sentinel_error_means_failover("MASTERDOWN Link with MASTER is down"));
    assert_false(sentinel_error_means_failover("OOM command not allowed"));
    assert_false(sentinel_error_means_failover("WRONGTYPE Operation against a key"));
    assert_false(sentinel_error_means_failover(NULL));
    assert_true(sentinel_cmd_retryable("HGETALL", 7));
    assert_true(sentinel_cmd_retryable("hget", 4));
    assert_true(sentinel_cmd_retryable("EXISTSX", 6)); /* the length decides */
    assert_false(sentinel_cmd_retryable("EXISTSX", 7));
    static const char *const writes[] = {"XADD", "INCR", "HINCRBY", "APPEND", "EVALSHA", "EVAL",
                                         "SET",  "DEL",  "MULTI",   "EXEC",   "BLPOP",   "WAIT"};
    for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++)
        assert_false(sentinel_cmd_retryable(writes[i], strlen(writes[i])));
    assert_false(sentinel_cmd_retryable(NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_list),
        cmocka_unit_test(test_parse_list_bad),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_master_reply),
        cmocka_unit_test(test_role),
        cmocka_unit_test(test_switch),
        cmocka_unit_test(test_errors_and_retry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
