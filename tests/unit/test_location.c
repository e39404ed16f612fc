/* Unit tests for common/location.c: locations, paths, names, roots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "location.h"

static void test_good_locations(void **st)
{
    (void)st;
    static const struct {
        const char *in, *stage, *path;
        bool is_dir;
    } good[] = {
        {"@~", "~", "", true},
        {"@~/", "~", "", true},
        {"@~/a/b", "~", "a/b", false},
        {"@~/dir/", "~", "dir/", true},
        {"@s1/a", "s1", "a", false},
        {"@name", "name", "", true},
        {"@name/x/", "name", "x/", true},
        {"@_S_9/2023", "_S_9", "2023", false},
        {"@s/a.b/..c/d..", "s", "a.b/..c/d..", false}, /* dots inside names are fine */
        {"@s/.hidden", "s", ".hidden", false},
        {"@s/a b/%41%2f", "s", "a b/%41%2f", false},                     /* only %2e is refused */
        {"@s/d\xc3\xa9j\xc3\xa0/f", "s", "d\xc3\xa9j\xc3\xa0/f", false}, /* UTF-8 */
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct location loc;
        char err[256] = "";
        int rc = location_parse(good[i].in, &loc, err, sizeof(err));
        if (rc)
            fail_msg("'%s': rc %d: %s", good[i].in, rc, err);
        assert_string_equal(loc.stage, good[i].stage);
        assert_string_equal(loc.path, good[i].path);
        assert_int_equal(loc.is_dir, good[i].is_dir);
    }
}

static void test_bad_locations(void **st)
{
    (void)st;
    static char long_path[1100];
    memcpy(long_path, "@~/", 3);
    memset(long_path + 3, 'a', 1025);
    long_path[3 + 1025] = '\0';
    static const struct {
        const char *in, *needle;
    } bad[] = {
        {"@~/../x", "location '@~/../x': '..' segments are not allowed"},
        {"@~/a/..", "'..' segments"},
        {"@~/..", "'..' segments"},
        {"@~/a/./b", "'.' segments are not allowed"},
        {"@~/.", "'.' segments"},
        {"@~//etc/passwd", "must not start with '/'"},
        {"@~/a//b", "empty segments"},
        {"@~/a\\b", "backslashes"},
        {"@~/a%2e%2e/b", "'%2e'"},
        {"@~/%2E%2E/b", "'%2e'"},
        {"@~/x%2Ey", "'%2e'"},
        {"@~/\x01", "control character 0x01 at offset 0"},
        {"@~/a\x7f", "control character 0x7f"},
        {"@~/a\tb", "control character 0x09"},
        {"@~/\xff", "invalid UTF-8"},
        {"@~/\xc0\xaf", "invalid UTF-8"},     /* overlong '/' */
        {"@~/\xed\xa0\x80", "invalid UTF-8"}, /* surrogate */
        {"~/x", "must start with '@'"},
        {"", "must start with '@'"},
        {"s1/a", "must start with '@'"},
        {"@", "stage name is missing"},
        {"@/x", "stage name is missing"},
        {"@1abc", "must start with a letter"},
        {"@bad-name", "character '-' at offset 3"},
        {"@@s1/x", "drop the leading '@'"},
        {"@~x/a", "invalid stage name"},
        {"@a\x01/b", "invalid stage name"},
        {"@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "too long"},
        {long_path, "the path is too long (1025 bytes, max 1024)"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct location loc;
        char err[256] = "";
        int rc = location_parse(bad[i].in, &loc, err, sizeof(err));
        if (rc != ST_EINVAL || !strstr(err, bad[i].needle))
            fail_msg("row %zu: rc %d, err '%s', want '%s'", i, rc, err, bad[i].needle);
        assert_string_equal(loc.stage, "");
        /* the message is printable: control bytes never reach a log line */
        for (const char *p = err; *p; p++)
            assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
    }
    struct location loc;
    char err[64];
    assert_int_equal(location_parse(NULL, &loc, err, sizeof(err)), ST_EINVAL);
    assert_int_equal(location_parse("@~/..", &loc, NULL, 0), ST_EINVAL);
}

static void test_path_edges(void **st)
{
    (void)st;
    char err[256], p[1100];
    assert_int_equal(location_path_check("", true, err, sizeof(err)), 0);
    assert_int_equal(location_path_check(NULL, true, err, sizeof(err)), 0);
    assert_int_equal(location_path_check("", false, err, sizeof(err)), ST_EINVAL);
    assert_string_equal(err, "path is empty");
    assert_int_equal(location_path_check("a/b/c.csv", false, err, sizeof(err)), 0);
    assert_int_equal(location_path_check("a/b/", false, err, sizeof(err)), 0);
    assert_int_equal(location_path_check("a/../b", false, err, sizeof(err)), ST_EINVAL);
    assert_string_equal(err, "path 'a/../b': '..' segments are not allowed");
    assert_int_equal(location_path_check("/abs", true, err, sizeof(err)), ST_EINVAL);
    /* exactly LOCATION_PATH_MAX is fine, one more is not */
    memset(p, 'x', LOCATION_PATH_MAX);
    p[LOCATION_PATH_MAX] = '\0';
    assert_int_equal(location_path_check(p, false, err, sizeof(err)), 0);
    struct location loc;
    char in[1100] = "@s/";
    strcat(in, p);
    assert_int_equal(location_parse(in, &loc, err, sizeof(err)), 0);
    assert_int_equal(strlen(loc.path), LOCATION_PATH_MAX);
    p[LOCATION_PATH_MAX] = 'x';
    p[LOCATION_PATH_MAX + 1] = '\0';
    assert_int_equal(location_path_check(p, false, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "...")); /* the quote is truncated */
}

static void test_names(void **st)
{
    (void)st;
    char err[256], n[80];
    static const char *const good[] = {"s1", "_", "A", "my_stage_2", "Z9"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_int_equal(location_name_check(good[i], "stage", err, sizeof(err)), 0);
    memset(n, 'a', 64);
    n[64] = '\0';
    assert_int_equal(location_name_check(n, "stage", err, sizeof(err)), 0);
    n[64] = 'a';
    n[65] = '\0';
    assert_int_equal(location_name_check(n, "stage", err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "too long"));

    assert_int_equal(location_name_check("@s1", "stage", err, sizeof(err)), ST_EINVAL);
    assert_string_equal(err, "stage name '@s1' is invalid: drop the leading '@' (it marks a "
                             "location, not a name)");
    assert_int_equal(location_name_check("~", "stage", err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "reserved"));
    assert_int_equal(location_name_check("", "user", err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "user name"));
    assert_int_equal(location_name_check(NULL, "user", err, sizeof(err)), ST_EINVAL);
    assert_int_equal(location_name_check("1x", "stage", err, sizeof(err)), ST_EINVAL);
    assert_int_equal(location_name_check("a.b", "stage", err, sizeof(err)), ST_EINVAL);
    assert_int_equal(location_name_check("a/b", "stage", err, sizeof(err)), ST_EINVAL);
    assert_int_equal(location_name_check("caf\xc3\xa9", "stage", err, sizeof(err)), ST_EINVAL);
}

static void test_roots(void **st)
{
    (void)st;
    char buf[128];
    assert_int_equal(location_user_root(buf, sizeof(buf), "root"), 16);
    assert_string_equal(buf, "stage/user/root/");
    assert_int_equal(location_internal_root(buf, sizeof(buf), "s1"), 18);
    assert_string_equal(buf, "stage/internal/s1/");
    /* names that could escape are refused, and so is a short buffer */
    assert_int_equal(location_user_root(buf, sizeof(buf), "../x"), -1);
    assert_int_equal(location_internal_root(buf, sizeof(buf), "a/b"), -1);
    assert_int_equal(location_internal_root(buf, sizeof(buf), NULL), -1);
    assert_int_equal(location_user_root(buf, 10, "root"), -1);
    assert_int_equal(location_user_root(buf, 17, "root"), 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_locations), cmocka_unit_test(test_bad_locations),
        cmocka_unit_test(test_path_edges),     cmocka_unit_test(test_names),
        cmocka_unit_test(test_roots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
