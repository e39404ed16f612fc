/* Unit tests for common/quota.c: the decision, its message, sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "quota.h"

#define KIB 1024LL
#define MIB (1024LL * 1024)

static void test_unlimited(void **st)
{
    (void)st;
    char msg[400] = "";
    struct quota_lim none = {0, 0};
    struct quota_use u = {1LL << 50, 1LL << 40, 1LL << 50, 5};
    assert_true(quota_unlimited(&none));
    assert_false(quota_unlimited(&(struct quota_lim){1, 0}));
    assert_false(quota_unlimited(&(struct quota_lim){0, 1}));
    assert_int_equal(quota_check("s", &none, &u, 1LL << 50, 1, msg, sizeof(msg)), 0);
    assert_string_equal(msg, "");
}

/* Stored + in flight + this upload, against the limit: equal fits. */
static void test_bytes(void **st)
{
    (void)st;
    char msg[400];
    struct quota_lim l = {1536 * KIB, 0};
    struct quota_use u = {MIB, 3, 0, 0};
    assert_int_equal(quota_check("sales", &l, &u, 512 * KIB, 1, msg, sizeof(msg)), 0);
    assert_int_equal(quota_check("sales", &l, &u, 512 * KIB + 1, 1, msg, sizeof(msg)), ST_ELIMIT);
    u.res_bytes = 600 * KIB;
    assert_int_equal(quota_check("sales", &l, &u, 0, 1, msg, sizeof(msg)), ST_ELIMIT);
    assert_string_equal(msg, "stage 'sales' is over its byte quota: 1.0 MiB used + 600 KiB in "
                             "flight of 1.5 MiB, and this file needs 0 B more; remove files or "
                             "ask the stage's owner or an admin to raise the quota");
    /* files do not matter for a byte-only quota */
    u.res_bytes = 0;
    u.files = 1LL << 40;
    assert_int_equal(quota_check("sales", &l, &u, 1, 1, msg, sizeof(msg)), 0);
}

static void test_files(void **st)
{
    (void)st;
    char msg[400];
    struct quota_lim l = {0, 10};
    struct quota_use u = {5 * MIB, 8, 0, 1};
    assert_int_equal(quota_check("few", &l, &u, 1LL << 40, 1, msg, sizeof(msg)), 0);
    u.res_files = 2;
    assert_int_equal(quota_check("few", &l, &u, 0, 1, msg, sizeof(msg)), ST_ELIMIT);
    assert_string_equal(msg, "stage 'few' is over its file quota: 8 files stored + 2 in flight "
                             "of 10; remove files or ask the stage's owner or an admin to raise "
                             "the quota");
    /* both limits: bytes are named first */
    l.bytes = MIB;
    assert_int_equal(quota_check("few", &l, &u, 1, 1, msg, sizeof(msg)), ST_ELIMIT);
    assert_non_null(strstr(msg, "byte quota"));
}

static void test_user_stage_message(void **st)
{
    (void)st;
    char msg[400];
    struct quota_lim l = {100 * KIB, 0};
    struct quota_use u = {60 * KIB, 1, 0, 0};
    assert_int_equal(quota_check("~", &l, &u, 60 * KIB, 1, msg, sizeof(msg)), ST_ELIMIT);
    assert_string_equal(msg, "your user stage @~ is over its byte quota: 60 KiB used + 0 B in "
                             "flight of 100 KiB, and this file needs 60 KiB more; remove files "
                             "or ask an admin to raise the quota");
    /* a short buffer truncates, never overflows */
    char small[16];
    assert_int_equal(quota_check("~", &l, &u, 60 * KIB, 1, small, sizeof(small)), ST_ELIMIT);
    assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void test_fmt(void **st)
{
    (void)st;
    char b[32];
    static const struct {
        long long v;
        const char *s;
    } cases[] = {{0, "0 B"},
                 {1023, "1023 B"},
                 {1024, "1 KiB"},
                 {600 * KIB, "600 KiB"},
                 {1536, "1.5 KiB"},
                 {MIB, "1.0 MiB"},
                 {1536 * KIB, "1.5 MiB"},
                 {5LL << 30, "5.0 GiB"},
                 {3LL << 40, "3.0 TiB"},
                 {1LL << 62, "4096.0 PiB"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        quota_fmt_bytes(cases[i].v, b, sizeof(b));
        assert_string_equal(b, cases[i].s);
    }
    quota_fmt_limit(0, true, b, sizeof(b));
    assert_string_equal(b, "unlimited");
    quota_fmt_limit(0, false, b, sizeof(b));
    assert_string_equal(b, "unlimited");
    quota_fmt_limit(MIB, true, b, sizeof(b));
    assert_string_equal(b, "1.0 MiB");
    quota_fmt_limit(7, false, b, sizeof(b));
    assert_string_equal(b, "7");
}

/* The reserve command both the frontend and the worker send. */
static void test_reserve_args(void **st)
{
    (void)st;
    struct quota_reserve_cmd c;
    struct quota_lim l = {5 * MIB, 7};
    assert_int_equal(quota_reserve_args(&c, "stage/user/u/", "J1", 100, 50, &l, 1234), 0);
    static const char *const want[QUOTA_RESERVE_ARGC] = {"EVALSHA",
                                                         NULL,
                                                         "2",
                                                         "st:usage:stage/user/u/",
                                                         "st:qres:stage/user/u/",
                                                         "J1",
                                                         "100",
                                                         "100",
                                                         "5242880",
                                                         "7",
                                                         "1234",
                                                         NULL,
                                                         KEY_JOB_PREFIX};
    for (size_t i = 0; i < QUOTA_RESERVE_ARGC; i++)
        if (want[i])
            assert_string_equal(c.argv[i], want[i]);
    assert_string_equal(c.argv[11], "86400000"); /* QUOTA_RES_TTL_MS */
    assert_int_equal(strlen(c.argv[1]), 40);     /* the script's SHA1 in hex */
    assert_int_equal(strspn(c.argv[1], "0123456789abcdef"), 40);
    assert_int_equal(quota_reserve_args(&c, "stage/user/u/", "J1", 100, 200, &l, 1234), 0);
    assert_string_equal(c.argv[7], "200"); /* ask above need stays */
    quota_reserve_eval(&c);
    assert_string_equal(c.argv[0], "EVAL");
    assert_ptr_equal(c.argv[1], quota_reserve_lua);
    assert_string_equal(c.argv[5], "J1");
    char root[KEY_ROOT_MAX];
    memset(root, 'r', sizeof(root) - 1);
    root[sizeof(root) - 1] = '\0';
    assert_int_equal(quota_reserve_args(&c, root, "J1", 1, 1, &l, 1), ST_EINVAL);
    assert_true(quota_noscript("NOSCRIPT No matching script. Please use EVAL."));
    assert_false(quota_noscript("ERR something else"));
    assert_false(quota_noscript(NULL));
}

static void test_parse_size(void **st)
{
    (void)st;
    long long v = -1;
    static const struct {
        const char *s;
        long long v;
    } ok[] = {{"0", 0},
              {"1500000", 1500000},
              {"1KiB", KIB},
              {"1.5MiB", 1536 * KIB},
              {"600 KiB", 600 * KIB},
              {"2G", 2LL << 30},
              {"2gb", 2LL << 30},
              {"1TiB", 1LL << 40},
              {"10b", 10}};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(quota_parse_size(ok[i].s, &v), 0);
        assert_true(v == ok[i].v);
    }
    static const char *const bad[] = {"",    "-1",    "+5",  " 5",  "MiB",
                                      "5XB", "1e300", "nan", "inf", "99999999TiB"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(quota_parse_size(bad[i], &v), ST_EINVAL);
    assert_int_equal(quota_parse_size(NULL, &v), ST_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unlimited),    cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_files),        cmocka_unit_test(test_user_stage_message),
        cmocka_unit_test(test_fmt),          cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_reserve_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
