/* Unit tests for cli/globre.c: --include/--exclude globs as one anchored
 * PCRE2 pattern, checked with the server's own matcher (pattern.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "globre.h"
#include "pattern.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Does `name` pass includes `inc` and excludes `exc`, as the server matches? */
static int sel(const char *const *inc, size_t ni, const char *const *exc, size_t ne,
               const char *name)
{
    char re[GLOBRE_MAX + 1], err[256] = "";
    struct pattern *p = NULL;
    assert_int_equal(globre_build(inc, ni, exc, ne, re, sizeof(re), err, sizeof(err)), 0);
    assert_int_equal(pattern_compile(&p, re, err, sizeof(err)), 0);
    int m = pattern_match(p, name, strlen(name), err, sizeof(err));
    pattern_free(p);
    assert_true(m == 0 || m == 1);
    return m;
}

static int inc1(const char *glob, const char *name)
{
    const char *g[] = {glob};
    return sel(g, 1, NULL, 0, name);
}

static void test_translation(void **st)
{
    (void)st;
    const char *inc[] = {"*.csv", "d/**"}, *exc[] = {"x?.csv"};
    char re[GLOBRE_MAX + 1], err[256];
    assert_int_equal(globre_build(inc, 2, exc, 1, re, sizeof(re), err, sizeof(err)), 0);
    assert_string_equal(re, "(?s)(?!(?:x[^/]\\.csv)\\z)(?:[^/]*\\.csv|d\\/.*)");
    assert_int_equal(globre_build(NULL, 0, exc, 1, re, sizeof(re), err, sizeof(err)), 0);
    assert_string_equal(re, "(?s)(?!(?:x[^/]\\.csv)\\z).*");
}

static void test_star_question(void **st)
{
    (void)st;
    assert_int_equal(inc1("*.csv", "a.csv"), 1);
    assert_int_equal(inc1("*.csv", ".csv"), 1);
    assert_int_equal(inc1("*.csv", "d/a.csv"), 0); /* '*' stops at '/' */
    assert_int_equal(inc1("*.csv", "a.csv.bak"), 0);
    assert_int_equal(inc1("*.csv", "aXcsv"), 0); /* '.' is a literal */
    assert_int_equal(inc1("**.csv", "d/e/a.csv"), 1);
    assert_int_equal(inc1("d/**", "d/e/f"), 1);
    assert_int_equal(inc1("d/**", "e/d/f"), 0);
    assert_int_equal(inc1("f?.csv", "f1.csv"), 1);
    assert_int_equal(inc1("f?.csv", "f12.csv"), 0);
    assert_int_equal(inc1("f?.csv", "f/.csv"), 0);
    assert_int_equal(inc1("caf?", "caf\xc3\xa9"), 1); /* one character, two bytes */
    assert_int_equal(inc1("a\nb", "a\nb"), 1);
}

static void test_classes_and_literals(void **st)
{
    (void)st;
    assert_int_equal(inc1("f[12].csv", "f2.csv"), 1);
    assert_int_equal(inc1("f[12].csv", "f3.csv"), 0);
    assert_int_equal(inc1("f[!12].csv", "f3.csv"), 1);
    assert_int_equal(inc1("f[!12].csv", "f1.csv"), 0);
    assert_int_equal(inc1("f[a-c]", "fb"), 1);
    assert_int_equal(inc1("f[a-c]", "fd"), 0);
    assert_int_equal(inc1("f[]a]", "f]"), 1);
    assert_int_equal(inc1("f[a-]", "f-"), 1);
    assert_int_equal(inc1("f[\\^]", "f^"), 1);
    assert_int_equal(inc1("a\\*b", "a*b"), 1);
    assert_int_equal(inc1("a\\*b", "axb"), 0);
    assert_int_equal(inc1("(a)|b+$.{1}", "(a)|b+$.{1}"), 1);
    assert_int_equal(inc1("(a)|b+$.{1}", "b"), 0);
}

static void test_include_exclude(void **st)
{
    (void)st;
    const char *inc[] = {"*.csv", "*.tsv"}, *exc[] = {"tmp*", "*.bak.csv"};
    assert_int_equal(sel(inc, 2, exc, 2, "a.csv"), 1);
    assert_int_equal(sel(inc, 2, exc, 2, "a.tsv"), 1);
    assert_int_equal(sel(inc, 2, exc, 2, "a.txt"), 0);
    assert_int_equal(sel(inc, 2, exc, 2, "tmp1.csv"), 0);
    assert_int_equal(sel(inc, 2, exc, 2, "a.bak.csv"), 0);
    assert_int_equal(sel(NULL, 0, exc, 2, "tmpx"), 0);
    assert_int_equal(sel(NULL, 0, exc, 2, "x/tmp"), 1); /* '*' of tmp* does not reach x/ */
    assert_int_equal(sel(NULL, 0, exc, 2, "keep"), 1);
    const char *exc2[] = {"a"}; /* an exclude is the whole name, not a prefix */
    assert_int_equal(sel(NULL, 0, exc2, 1, "ab"), 1);
    assert_int_equal(sel(NULL, 0, exc2, 1, "a"), 0);
}

static void test_rejected(void **st)
{
    (void)st;
    char re[GLOBRE_MAX + 1], err[256] = "", big[800];
    const char *bad[][1] = {{""}, {"f[12"}, {"f[!"}, {"a\\"}};
    for (size_t i = 0; i < N(bad); i++) {
        err[0] = '\0';
        assert_int_equal(globre_build(bad[i], 1, NULL, 0, re, sizeof(re), err, sizeof(err)),
                         ST_EINVAL);
        assert_true(err[0] != '\0');
        assert_string_equal(re, "");
    }
    memset(big, '.', sizeof(big) - 1); /* each '.' is escaped: 2 bytes */
    big[sizeof(big) - 1] = '\0';
    const char *g[] = {big};
    assert_int_equal(globre_build(g, 1, NULL, 0, re, sizeof(re), err, sizeof(err)), ST_ELIMIT);
    assert_string_equal(re, "");
    const char *s[] = {"*"};
    assert_int_equal(globre_build(s, 1, NULL, 0, re, 8, err, sizeof(err)), ST_ELIMIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_translation),
        cmocka_unit_test(test_star_question),
        cmocka_unit_test(test_classes_and_literals),
        cmocka_unit_test(test_include_exclude),
        cmocka_unit_test(test_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
