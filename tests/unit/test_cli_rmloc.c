/* Unit tests for cli/rmloc.c: one file as RemoveFiles location + pattern. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "pattern.h"
#include "rmloc.h"

static void split_ok(const char *loc, const char *dir, const char *pat)
{
    char d[256], p[256];
    assert_int_equal(rmloc_split(loc, d, sizeof(d), p, sizeof(p)), 0);
    assert_string_equal(d, dir);
    assert_string_equal(p, pat);
}

static void test_split(void **st)
{
    (void)st;
    split_ok("@~/a.csv", "@~/", "a\\.csv");
    split_ok("@~/2024/users.csv", "@~/2024/", "users\\.csv");
    split_ok("@sales/x/y/z", "@sales/x/y/", "z");
    split_ok("@~/a b(1)+[x]*?.csv", "@~/", "a\\ b\\(1\\)\\+\\[x\\]\\*\\?\\.csv");
    split_ok("@~/caf\xc3\xa9", "@~/", "caf\xc3\xa9");
}

static void test_names_no_file(void **st)
{
    (void)st;
    char d[64], p[64];
    assert_int_equal(rmloc_split("@~", d, sizeof(d), p, sizeof(p)), ST_EINVAL);
    assert_int_equal(rmloc_split("@~/", d, sizeof(d), p, sizeof(p)), ST_EINVAL);
    assert_int_equal(rmloc_split("@~/dir/", d, sizeof(d), p, sizeof(p)), ST_EINVAL);
    assert_int_equal(rmloc_split("x/a", d, sizeof(d), p, sizeof(p)), ST_EINVAL);
    assert_int_equal(rmloc_split("@~/aaaaaaaa", d, sizeof(d), p, 8), ST_ELIMIT);
}

/* The pattern matches the one name, as the server matches it, and nothing
 * that merely starts with it. */
static void test_matches_only_the_name(void **st)
{
    (void)st;
    static const char *names[] = {"2024", "a.csv", "x(1)|y", "a\\Eb.*", "[a]"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char loc[64], d[64], p[64], err[256] = "", longer[64];
        struct pattern *re = NULL;
        snprintf(loc, sizeof(loc), "@~/%s", names[i]);
        assert_int_equal(rmloc_split(loc, d, sizeof(d), p, sizeof(p)), 0);
        assert_int_equal(pattern_compile(&re, p, err, sizeof(err)), 0);
        assert_int_equal(pattern_match(re, names[i], strlen(names[i]), err, sizeof(err)), 1);
        snprintf(longer, sizeof(longer), "%s.csv", names[i]);
        assert_int_equal(pattern_match(re, longer, strlen(longer), err, sizeof(err)), 0);
        assert_int_equal(pattern_match(re, "a", 1, err, sizeof(err)), 0);
        pattern_free(re);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_names_no_file),
        cmocka_unit_test(test_matches_only_the_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
