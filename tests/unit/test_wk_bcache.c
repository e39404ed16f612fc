/* Unit tests for worker/bcache.c: references, replacement of a stage's
 * definition, least-recently-used eviction of idle entries only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "bcache.h"
#include "err.h"

static int freed[64]; /* freed[i]: times value i was handed to the callback */
static int values[64];

static void on_free(void *value, void *ud)
{
    (void)ud;
    freed[(int *)value - values]++;
}

static void *v(int i)
{
    return &values[i];
}

static const unsigned char *h(int i)
{
    static unsigned char hashes[8][BCACHE_HASH_LEN];
    memset(hashes[i], i + 1, BCACHE_HASH_LEN);
    return hashes[i];
}

static int reset(void **st)
{
    (void)st;
    memset(freed, 0, sizeof(freed));
    return 0;
}

static void test_get_put_release(void **st)
{
    (void)st;
    struct bcache *c = bcache_new(4, on_free, NULL);
    assert_null(bcache_get(c, "a", h(0)));
    assert_int_equal(bcache_put(c, "a", h(0), v(0)), 0);
    assert_ptr_equal(bcache_get(c, "a", h(0)), v(0));
    assert_null(bcache_get(c, "a", h(1))); /* another definition */
    assert_null(bcache_get(c, "b", h(0))); /* another stage */
    assert_int_equal(bcache_in_use(c), 1);
    assert_int_equal(bcache_release(c, v(0)), 0);
    assert_int_equal(bcache_release(c, v(0)), 0);
    assert_int_equal(bcache_in_use(c), 0);
    assert_int_equal(bcache_release(c, v(0)), ST_ENOTFOUND); /* no reference left */
    assert_int_equal(bcache_release(c, v(9)), ST_ENOTFOUND);
    assert_int_equal(freed[0], 0); /* idle, within max: kept */
    assert_int_equal(bcache_count(c), 1);
    bcache_free(c);
    assert_int_equal(freed[0], 1);
}

/* An insert for a stage retires its other definitions: idle ones at once,
 * one in use at its last release, and a retired one is never found. */
static void test_replace(void **st)
{
    (void)st;
    struct bcache *c = bcache_new(4, on_free, NULL);
    assert_int_equal(bcache_put(c, "a", h(0), v(0)), 0);
    assert_int_equal(bcache_release(c, v(0)), 0);
    assert_int_equal(bcache_put(c, "a", h(1), v(1)), 0); /* v0 idle: freed now */
    assert_int_equal(freed[0], 1);
    assert_int_equal(bcache_put(c, "a", h(2), v(2)), 0); /* v1 in use: kept */
    assert_int_equal(freed[1], 0);
    assert_null(bcache_get(c, "a", h(1)));
    assert_int_equal(bcache_count(c), 2);
    assert_int_equal(bcache_release(c, v(1)), 0);
    assert_int_equal(freed[1], 1);
    assert_int_equal(bcache_count(c), 1);
    for (int i = 0; i < 300; i++) /* 300 alters: one entry */
        assert_int_equal(bcache_get(c, "a", h(2)) == v(2) && bcache_release(c, v(2)) == 0, 1);
    assert_int_equal(bcache_release(c, v(2)), 0);
    assert_int_equal(bcache_count(c), 1);
    bcache_free(c);
    assert_int_equal(freed[2], 1);
}

/* Beyond max the least recently used idle entry goes; entries in use stay
 * beyond max and nothing is refused. */
static void test_lru_and_in_use(void **st)
{
    (void)st;
    const char *names[] = {"s0", "s1", "s2", "s3", "s4", "s5"};
    struct bcache *c = bcache_new(2, on_free, NULL);
    assert_int_equal(bcache_put(c, names[0], h(0), v(0)), 0);
    assert_int_equal(bcache_put(c, names[1], h(0), v(1)), 0);
    bcache_release(c, v(0));
    bcache_release(c, v(1));
    assert_ptr_equal(bcache_get(c, names[0], h(0)), v(0)); /* s0 now the most recent */
    bcache_release(c, v(0));
    assert_int_equal(bcache_put(c, names[2], h(0), v(2)), 0); /* evicts s1 */
    assert_int_equal(freed[1], 1);
    assert_int_equal(freed[0], 0);
    assert_ptr_equal(bcache_get(c, names[0], h(0)), v(0));
    /* all in use: held beyond max, none refused */
    for (int i = 3; i < 6; i++)
        assert_int_equal(bcache_put(c, names[i], h(0), v(i)), 0);
    assert_int_equal(bcache_count(c), 5);
    assert_int_equal(freed[0] + freed[2] + freed[3] + freed[4] + freed[5], 0);
    for (int i = 0; i < 6; i++)
        if (i != 1)
            bcache_release(c, v(i));
    assert_int_equal(bcache_count(c), 2);
    assert_int_equal(bcache_in_use(c), 0);
    assert_int_equal(freed[4] + freed[5], 0); /* released last: the most recent */
    bcache_free(c);
    for (int i = 0; i < 6; i++)
        assert_int_equal(freed[i], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_get_put_release, reset),
        cmocka_unit_test_setup(test_replace, reset),
        cmocka_unit_test_setup(test_lru_and_in_use, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
