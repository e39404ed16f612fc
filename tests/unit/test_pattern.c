/* Unit tests for common/pattern.c: anchored PCRE2 matching under limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "pattern.h"

/* 1 or 0; any error fails the test. */
static int m(const struct pattern *p, const char *s)
{
    char err[256] = "";
    int rc = pattern_match(p, s, strlen(s), err, sizeof(err));
    if (rc < 0)
        fail_msg("'%s': rc %d: %s", s, rc, err);
    return rc;
}

static struct pattern *must(const char *re)
{
    struct pattern *p = NULL;
    char err[256] = "";
    int rc = pattern_compile(&p, re, err, sizeof(err));
    if (rc)
        fail_msg("'%s': rc %d: %s", re, rc, err);
    return p;
}

static void test_whole_match(void **st)
{
    (void)st;
    static const struct {
        const char *re, *subject;
        bool match;
    } rows[] = {
        {".*[.]csv", "a/b.csv", true},
        {".*[.]csv", "b.csv", true},
        {".*[.]csv", "b.csv.gz", false}, /* end-anchored */
        {"csv", "b.csv", false},         /* no substring semantics */
        {"csv", "csv", true},
        {"b", "abc", false}, /* start-anchored */
        {"a|b", "b", true},  /* alternation still anchored as a whole */
        {"a|b", "ab", false},
        {"2023/.*", "2023/01/x.parquet", true},
        {"2023/.*", "x/2023/y", false},
        {"[^/]*\\.json", "a.json", true},
        {"[^/]*\\.json", "d/a.json", false},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct pattern *p = must(rows[i].re);
        if (m(p, rows[i].subject) != rows[i].match)
            fail_msg("'%s' vs '%s': want %d", rows[i].re, rows[i].subject, rows[i].match);
        pattern_free(p);
    }
}

static void test_length_arg(void **st)
{
    (void)st;
    struct pattern *p = must("abc");
    assert_int_equal(pattern_match(p, "abcdef", 3, NULL, 0), 1); /* only subject[0..len) counts */
    assert_int_equal(pattern_match(p, "abcdef", 4, NULL, 0), 0);
    assert_int_equal(pattern_match(p, "ab\0c", 4, NULL, 0), 0); /* embedded NUL is part of it */
    pattern_free(p);
}

static void test_bad_regex(void **st)
{
    (void)st;
    struct pattern *p = (struct pattern *)&p; /* must be reset to NULL */
    char err[256] = "";
    assert_int_equal(pattern_compile(&p, "(ab", err, sizeof(err)), ST_EINVAL);
    assert_null(p);
    assert_non_null(strstr(err, "pattern: "));
    assert_non_null(strstr(err, "missing closing parenthesis"));
    assert_non_null(strstr(err, "at offset 3"));
    assert_int_equal(pattern_compile(&p, "a[", err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "at offset 2"));
    assert_int_equal(pattern_compile(&p, "*a", err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "at offset 0"));
    assert_int_equal(pattern_compile(&p, "\xff", err, sizeof(err)), ST_EINVAL); /* not UTF-8 */
    assert_int_equal(pattern_compile(&p, "(", NULL, 0), ST_EINVAL);
}

static void test_empty_matches_all(void **st)
{
    (void)st;
    struct pattern *p = must("");
    assert_non_null(p);
    assert_int_equal(m(p, ""), 1);
    assert_int_equal(m(p, "a/b/c.csv"), 1);
    assert_int_equal(pattern_match(p, "\xff", 1, NULL, 0), 1);
    p = pattern_free(p);
    assert_null(p);
    p = must(NULL);
    assert_int_equal(m(p, "x"), 1);
    pattern_free(p);
    assert_null(pattern_free(NULL));
}

static void test_utf8(void **st)
{
    (void)st;
    struct pattern *p = must("d\xc3\xa9j\xc3\xa0/.\\.txt");   /* "déjà/.\.txt" */
    assert_true(m(p, "d\xc3\xa9j\xc3\xa0/\xe2\x82\xac.txt")); /* '.' eats one code point: € */
    assert_false(m(p, "deja/x.txt"));
    assert_false(m(p, "d\xc3\xa9j\xc3\xa0/ab.txt"));
    assert_false(m(p, "d\xff/x.txt")); /* invalid UTF-8 subject: no match, no crash */
    pattern_free(p);
    p = must("\\p{Greek}+");
    assert_true(m(p, "\xce\xb1\xce\xb2"));
    assert_false(m(p, "ab"));
    pattern_free(p);
}

static void test_too_long(void **st)
{
    (void)st;
    char re[1100], err[128];
    struct pattern *p;
    memset(re, 'a', 1024);
    re[1024] = '\0';
    assert_int_equal(pattern_compile(&p, re, err, sizeof(err)), 0);
    pattern_free(p);
    re[1024] = 'a';
    re[1025] = '\0';
    assert_int_equal(pattern_compile(&p, re, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "too long"));
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Catastrophic backtracking is an error, quickly; never "no match". Without
 * the limits "(a|a)+$" over 40 a's and a b takes 2^40 steps (PCRE2's default
 * limit of 10,000,000 stops it after ~0.2 s as a plain no-match). */
static void test_too_expensive(void **st)
{
    (void)st;
    static const char *res[] = {"(a|a)+$", "(a+)+$", "(a|aa)+$", "(.*a){12}", "(a+a+)+$"};
    char subject[64], err[256];
    memset(subject, 'a', 40);
    subject[40] = 'b';
    subject[41] = '\0';
    for (size_t i = 0; i < sizeof(res) / sizeof(res[0]); i++) {
        struct pattern *p = must(res[i]);
        double t0 = now_s();
        for (int k = 0; k < 100; k++) { /* a page of 100 such names */
            err[0] = '\0';
            int rc = pattern_match(p, subject, strlen(subject), err, sizeof(err));
            if (rc != ST_EINVAL)
                fail_msg("'%s' vs a*40 b: rc %d, want ST_EINVAL", res[i], rc);
            if (!strstr(err, "pattern too expensive: "))
                fail_msg("'%s': message '%s'", res[i], err);
        }
        double dt = now_s() - t0;
        if (dt > 2.0)
            fail_msg("'%s': 100 matches took %.2f s", res[i], dt);
        print_message("'%s': 100 limit hits in %.1f ms (%s)\n", res[i], dt * 1e3, err);
        assert_int_equal(m(p, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
                         1); /* still a regex */
        pattern_free(p);
    }
}

/* The limits leave room for real patterns over long names. */
static void test_limits_fit_real_names(void **st)
{
    (void)st;
    char name[1100];
    size_t n = 0;
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(name + n, sizeof(name) - n, "dir%05d/", i);
    snprintf(name + n, sizeof(name) - n, "part-0001.csv");
    static const struct {
        const char *re;
        int want;
    } rows[] = {
        {".*[.]csv", 1},           {"(.*/)*[^/]*[.]csv", 1},
        {".*/.*/.*/.*[.]csv", 1},  {"(dir[0-9]+/)+part-[0-9]+[.](csv|tsv)", 1},
        {".*a.*b.*c.*[.]json", 0}, {"(?:[a-z0-9]+/)*x", 0},
        {".*dir00050/.*", 1},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct pattern *p = must(rows[i].re);
        if (m(p, name) != rows[i].want)
            fail_msg("'%s' over a %zu-byte name: want %d", rows[i].re, strlen(name), rows[i].want);
        pattern_free(p);
    }
}

static void test_check(void **st)
{
    (void)st;
    char err[256] = "";
    assert_int_equal(pattern_check("", err, sizeof(err)), 0);
    assert_int_equal(pattern_check(NULL, err, sizeof(err)), 0);
    assert_int_equal(pattern_check(".*[.]csv", err, sizeof(err)), 0);
    assert_int_equal(pattern_check("(a|a)+$", err, sizeof(err)), 0); /* costly, not wrong */
    assert_int_equal(pattern_check("(ab", err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "at offset 3"));
    char re[1100];
    memset(re, 'a', 1025);
    re[1025] = '\0';
    assert_int_equal(pattern_check(re, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "too long"));
    assert_int_equal(pattern_check("(", NULL, 0), ST_EINVAL);
}

struct share {
    const struct pattern *p;
    int hits;
};

static void *matcher(void *arg)
{
    struct share *s = arg;
    for (int i = 0; i < 2000; i++) {
        char name[32];
        snprintf(name, sizeof(name), "d%d/f%d.%s", i % 7, i, i % 2 ? "csv" : "tsv");
        s->hits += m(s->p, name);
    }
    return NULL;
}

static void test_shared_by_threads(void **st)
{
    (void)st;
    struct pattern *p = must(".*[.]csv");
    pthread_t t[4];
    struct share s[4];
    for (int i = 0; i < 4; i++) {
        s[i] = (struct share){p, 0};
        assert_int_equal(pthread_create(&t[i], NULL, matcher, &s[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(s[i].hits, 1000);
    }
    pattern_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_match),
        cmocka_unit_test(test_length_arg),
        cmocka_unit_test(test_bad_regex),
        cmocka_unit_test(test_empty_matches_all),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_shared_by_threads),
        cmocka_unit_test(test_too_expensive),
        cmocka_unit_test(test_limits_fit_real_names),
        cmocka_unit_test(test_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
