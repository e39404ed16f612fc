/* Unit tests for frontend/lthrottle.c: the failed-login throttle's
 * decisions (issue 14 finding 8: a stranger must not lock the owner out). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "lthrottle.h"

#define NOW 1700000000000LL

/* Five failures of one (user, address) lock it for 60 s; the count starts
 * again after the lock. */
static void test_pair_locks_after_five(void **st)
{
    (void)st;
    struct lthrottle_view v;
    struct lthrottle_next n;
    int64_t retry;
    memset(&v, 0, sizeof(v));
    for (long long fails = 1; fails < LTHROTTLE_PAIR_MAX; fails++) {
        v.pair_fails = fails - 1;
        assert_int_equal(lthrottle_check(&v, NOW, &retry), LTHROTTLE_ALLOW);
        lthrottle_after_fail(&v, fails, NOW, &n);
        assert_false(n.lock);
        assert_int_equal(n.expire_ms, LTHROTTLE_FORGET_S * 1000LL);
    }
    lthrottle_after_fail(&v, LTHROTTLE_PAIR_MAX, NOW, &n);
    assert_true(n.lock);
    assert_int_equal(n.level, 1);
    assert_int_equal(n.until_ms, NOW + 60000);
    assert_int_equal(n.expire_ms, 60000 + LTHROTTLE_FORGET_S * 1000LL);
    /* the record as written: count 0, level 1, locked */
    v.pair_fails = 0;
    v.pair_level = n.level;
    v.pair_until_ms = n.until_ms;
    assert_int_equal(lthrottle_check(&v, NOW, &retry), LTHROTTLE_PAIR);
    assert_int_equal(retry, 60);
    assert_int_equal(lthrottle_check(&v, NOW + 59001, &retry), LTHROTTLE_PAIR);
    assert_int_equal(retry, 1);
    assert_int_equal(lthrottle_check(&v, NOW + 60000, &retry), LTHROTTLE_ALLOW);
    /* racing failures past the limit lock with the same values */
    lthrottle_after_fail(&v, LTHROTTLE_PAIR_MAX + 2, NOW + 60000, &n);
    assert_true(n.lock);
    assert_int_equal(n.level, 2);
}

/* Each further lock doubles, up to an hour. */
static void test_backoff_doubles_to_cap(void **st)
{
    (void)st;
    static const long long want[] = {60, 120, 240, 480, 960, 1920, 3600, 3600};
    for (long long level = 1; level <= 8; level++)
        assert_int_equal(lthrottle_lock_s(level), want[level - 1]);
    assert_int_equal(lthrottle_lock_s(1000000), LTHROTTLE_LOCK_CAP_S);
    struct lthrottle_view v = {.pair_level = 3, .pair_until_ms = NOW - 1};
    struct lthrottle_next n;
    lthrottle_after_fail(&v, LTHROTTLE_PAIR_MAX, NOW, &n);
    assert_true(n.lock);
    assert_int_equal(n.level, 4);
    assert_int_equal(n.until_ms, NOW + 480000);
    /* a failure that does not lock keeps the level for FORGET_S */
    v.pair_until_ms = 0;
    lthrottle_after_fail(&v, 1, NOW, &n);
    assert_false(n.lock);
    assert_int_equal(n.level, 3);
    assert_int_equal(n.expire_ms, LTHROTTLE_FORGET_S * 1000LL);
}

/* The address limit refuses whatever the user; the user limit refuses only
 * addresses that never logged in as the user. */
static void test_peer_and_user_limits(void **st)
{
    (void)st;
    struct lthrottle_view v;
    int64_t retry;
    memset(&v, 0, sizeof(v));
    v.peer_fails = LTHROTTLE_PEER_MAX - 1;
    assert_int_equal(lthrottle_check(&v, NOW, &retry), LTHROTTLE_ALLOW);
    v.peer_fails = LTHROTTLE_PEER_MAX;
    v.peer_ttl_s = 42;
    v.known = true;
    assert_int_equal(lthrottle_check(&v, NOW, &retry), LTHROTTLE_PEER);
    assert_int_equal(retry, 42);
    v.peer_ttl_s = -1; /* a window without its expiry yet: still at least 1 s */
    assert_int_equal(lthrottle_check(&v, NOW, &retry), LTHROTTLE_PEER);
    assert_int_equal(retry, 1);
    memset(&v, 0, sizeof(v));
    v.user_fails = LTHROTTLE_USER_MAX;
    v.user_ttl_s = 30;
    assert_int_equal(lthrottle_check(&v, NOW, &retry), LTHROTTLE_USER);
    assert_int_equal(retry, 30);
    v.known = true; /* the owner's usual address */
    assert_int_equal(lthrottle_check(&v, NOW, &retry), LTHROTTLE_ALLOW);
    /* a locked pair stays locked even from a known address */
    v.pair_until_ms = NOW + 5000;
    assert_int_equal(lthrottle_check(&v, NOW, &retry), LTHROTTLE_PAIR);
    assert_int_equal(retry, 5);
}

static void test_messages(void **st)
{
    (void)st;
    char m[256];
    lthrottle_message(LTHROTTLE_PAIR, 60, "carol", m, sizeof(m));
    assert_string_equal(m,
                        "too many failed logins for user 'carol' from this address: retry in 60 s");
    lthrottle_message(LTHROTTLE_PAIR, 60, NULL, m, sizeof(m));
    assert_string_equal(m, "too many failed logins from this address: retry in 60 s");
    lthrottle_message(LTHROTTLE_PEER, 7, "carol", m, sizeof(m));
    assert_string_equal(m, "too many failed logins from this address: retry in 7 s");
    lthrottle_message(LTHROTTLE_USER, 9, "carol", m, sizeof(m));
    assert_non_null(strstr(m, "only addresses that logged in as this user before may try for 9 s"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pair_locks_after_five),
        cmocka_unit_test(test_backoff_doubles_to_cap),
        cmocka_unit_test(test_peer_and_user_limits),
        cmocka_unit_test(test_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
