/* test_fe_inflight.c - the frontend's count of upload bytes in Redis. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "inflight.h"

static void test_admit_and_release(void **st)
{
    (void)st;
    long long a = 0, b = 0;
    assert_true(inflight_admit(0, 1LL << 40)); /* 0: no limit */
    assert_true(inflight_admit(100, 100));
    inflight_add(&a, 60);
    inflight_add(&b, 30);
    assert_int_equal(inflight_total(), 90);
    assert_true(inflight_admit(100, 10));
    assert_false(inflight_admit(100, 11));
    /* the worker stored 50 of a's 60 bytes: a's share follows bytes_done */
    inflight_sync(&a, 10);
    assert_int_equal(a, 10);
    assert_int_equal(inflight_total(), 40);
    inflight_sync(&a, -5); /* never below zero */
    assert_int_equal(a, 0);
    inflight_release(&b);
    inflight_release(&b); /* twice: nothing more */
    assert_int_equal(b, 0);
    assert_int_equal(inflight_total(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_admit_and_release)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
