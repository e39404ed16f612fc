/* Unit tests for common/copypath.c: CopyFiles target names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "copypath.h"
#include "err.h"

static void test_dir_targets(void **st)
{
    (void)st;
    static const struct {
        const char *from, *to, *rel, *want;
    } rows[] = {
        {"data/", "out/", "data/x/y.csv", "out/x/y.csv"},
        {"data/", "", "data/a.csv", "a.csv"},
        {"data", "out/", "data/x/y.csv", "out/data/x/y.csv"},
        {"data", "out/", "data.csv", "out/data.csv"},
        {"d/a.csv", "out/", "d/a.csv", "out/a.csv"},
        {"d/a.csv", "out/", "d/a.csv.bak", "out/a.csv.bak"},
        {"", "out/", "a/b.csv", "out/a/b.csv"},
        {"", "", "a/b.csv", "a/b.csv"},
        {"a/b/2023", "x/", "a/b/2023/01.csv", "x/2023/01.csv"},
    };
    char out[64];
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        assert_true(copypath_to_dir(rows[i].to));
        assert_int_equal(copypath_target(rows[i].from, rows[i].to, rows[i].rel, out, sizeof(out)),
                         0);
        assert_string_equal(out, rows[i].want);
    }
}

static void test_file_target(void **st)
{
    (void)st;
    char out[64] = "";
    assert_false(copypath_to_dir("b.csv"));
    assert_int_equal(copypath_target("a.csv", "dir/b.csv", "a.csv", out, sizeof(out)), 0);
    assert_string_equal(out, "dir/b.csv");
    /* a file target takes only the exact source, not the other prefix matches */
    assert_int_equal(copypath_target("a.csv", "b.csv", "a.csv.bak", out, sizeof(out)),
                     ST_ENOTFOUND);
}

static void test_limits(void **st)
{
    (void)st;
    char out[8];
    assert_int_equal(copypath_target("x/", "out/", "y/z", out, sizeof(out)), ST_ENOTFOUND);
    assert_int_equal(copypath_target("x/", "out/", "x/long_name", out, sizeof(out)), ST_ELIMIT);
    assert_int_equal(copypath_target("x", "toolong_name", "x", out, sizeof(out)), ST_ELIMIT);
}

static void test_overlaps(void **st)
{
    (void)st;
    assert_true(copypath_overlaps("", "b/"));         /* whole stage into itself */
    assert_true(copypath_overlaps("data", "data2/")); /* "data2/..." matches prefix "data" */
    assert_true(copypath_overlaps("data/", "data/sub/"));
    assert_true(copypath_overlaps("a.csv", "a.csv")); /* onto itself */
    assert_false(copypath_overlaps("data/", "out/"));
    assert_false(copypath_overlaps("data/", "")); /* shorter names: it ends */
    assert_false(copypath_overlaps("data/a.csv", "b.csv"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dir_targets),
        cmocka_unit_test(test_file_target),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_overlaps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
