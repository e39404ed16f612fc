/* Unit tests for frontend/pagetok.c: page tokens come from the client;
 * GetJobResults' `start + RESULTS_PAGE` overflowed for a huge one (issue 14
 * #12), a ListJobs token with a bad score reached Redis (INTERNAL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>

#include "err.h"
#include "pagetok.h"

static void test_good(void **st)
{
    (void)st;
    static const struct {
        const char *tok;
        long long want;
    } rows[] = {
        {"", 0},
        {"0", 0},
        {"1", 1},
        {"1000", 1000},
        {"999999999999", 999999999999LL},
        {"1000000000000", PAGETOK_OFFSET_MAX},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        long long v = -1;
        if (pagetok_offset_parse(rows[i].tok, &v) != 0 || v != rows[i].want)
            fail_msg("'%s': got %lld, want %lld", rows[i].tok, v, rows[i].want);
    }
    long long v = -1;
    assert_int_equal(pagetok_offset_parse(NULL, &v), 0);
    assert_int_equal(v, 0);
    /* the largest offset leaves room for any page */
    assert_true(PAGETOK_OFFSET_MAX <= LLONG_MAX - 1000000);
}

static void test_bad(void **st)
{
    (void)st;
    static const char *bad[] = {
        "9223372036854775807", /* LLONG_MAX: + 1000 overflowed */
        "9223372036854775808",
        "99999999999999999999999",
        "1000000000001",
        "-1",
        "+1",
        " 1",
        "1 ",
        "01",
        "00",
        "0x10",
        "1e3",
        "abc",
        "1.5",
        "\xff",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long long v = -1;
        if (pagetok_offset_parse(bad[i], &v) != ST_EINVAL)
            fail_msg("'%s' was accepted as %lld", bad[i], v);
        assert_int_equal(v, 0);
    }
}

/* Every token the server gives (offsets of whole pages) parses back. */
static void test_round_trip(void **st)
{
    (void)st;
    char tok[24];
    for (long long off = 0; off <= 10000000; off += 1000) {
        long long v = -1;
        snprintf(tok, sizeof(tok), "%lld", off);
        assert_int_equal(pagetok_offset_parse(tok, &v), 0);
        assert_int_equal(v, off);
    }
}

static void test_jobs_token(void **st)
{
    (void)st;
    char id[33], score[20];
    const char *good = "0123456789abcdef0123456789abcdef.1764877000123";
    assert_int_equal(pagetok_jobs_parse(good, 32, id, score), 0);
    assert_string_equal(id, "0123456789abcdef0123456789abcdef");
    assert_string_equal(score, "1764877000123");
    static const char *bad[] = {
        "",
        ".",
        "0123456789abcdef0123456789abcdef",
        "0123456789abcdef0123456789abcdef.",
        "0123456789abcdef0123456789abcdef.abc", /* Redis: "min or max is not a float" */
        "0123456789abcdef0123456789abcdef.-inf",
        "0123456789abcdef0123456789abcdef.1e3",
        "0123456789abcdef0123456789abcdef.12345678901234567890",
        "0123456789ABCDEF0123456789abcdef.1",
        "0123456789abcdef0123456789abcde.1",
        "0123456789abcdef0123456789abcdef0.1",
        "0123456789abcdef0123456789abcdef.1.2",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (pagetok_jobs_parse(bad[i], 32, id, score) != ST_EINVAL)
            fail_msg("'%s' was accepted", bad[i]);
    assert_int_equal(pagetok_jobs_parse(NULL, 32, id, score), ST_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_jobs_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
