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

/* An alternation of several names matches each of them and nothing else
 * (no prefix, no other name, no regex meaning of their characters). */
static void test_alternation(void **st)
{
    (void)st;
    static const char *names[] = {"dir/a.csv", "x(1)|y", "2024", "[a]*"};
    char pat[RMLOC_PATTERN_MAX + 1] = "", err[256] = "";
    struct pattern *re = NULL;
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(rmloc_alt_add(pat, sizeof(pat), names[i]), 0);
    assert_string_equal(pat, "(?:dir\\/a\\.csv|x\\(1\\)\\|y|2024|\\[a\\]\\*)");
    assert_int_equal(pattern_compile(&re, pat, err, sizeof(err)), 0);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(pattern_match(re, names[i], strlen(names[i]), err, sizeof(err)), 1);
    static const char *others[] = {"dir/a.csv.bak", "x(1)", "y", "2024.csv", "a", "[a]", ""};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
        assert_int_equal(pattern_match(re, others[i], strlen(others[i]), err, sizeof(err)), 0);
    pattern_free(re);
}

/* A name that would pass the server's limit leaves the pattern as it was. */
static void test_alternation_limit(void **st)
{
    (void)st;
    char pat[RMLOC_PATTERN_MAX + 1] = "", name[600], before[sizeof(pat)];
    memset(name, 'a', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    assert_int_equal(rmloc_alt_add(pat, sizeof(pat), name), 0);
    memcpy(before, pat, sizeof(pat));
    assert_int_equal(rmloc_alt_add(pat, sizeof(pat), name), ST_ELIMIT);
    assert_string_equal(pat, before);
    assert_int_equal(rmloc_alt_add(pat, 16, "b"), ST_ELIMIT); /* the buffer too */
    memset(name, '.', sizeof(name) - 1);                      /* escaped: twice as long */
    pat[0] = '\0';
    assert_int_equal(rmloc_alt_add(pat, sizeof(pat), name), ST_ELIMIT);
    assert_string_equal(pat, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_names_no_file),
        cmocka_unit_test(test_matches_only_the_name),
        cmocka_unit_test(test_alternation),
        cmocka_unit_test(test_alternation_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
