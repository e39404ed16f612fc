/* Unit tests for common/promtext.c: histogram buckets, the text format, and
 * a buffer that stays within its bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "promtext.h"

static void test_hist(void **st)
{
    (void)st;
    struct promtext_hist h = {0};
    struct promtext_buf b;
    promtext_observe(&h, 0.0005); /* first bucket */
    promtext_observe(&h, 0.001);  /* le is inclusive */
    promtext_observe(&h, 0.2);
    promtext_observe(&h, 1000); /* +Inf */
    promtext_buf_init(&b, 1 << 16);
    promtext_head(&b, "x_seconds", "histogram", "test");
    promtext_hist(&b, "x_seconds", "method=\"GetJob\"", &h);
    assert_false(b.full);
    assert_non_null(strstr(b.p, "# TYPE x_seconds histogram\n"));
    assert_non_null(strstr(b.p, "x_seconds_bucket{method=\"GetJob\",le=\"0.001\"} 2\n"));
    assert_non_null(strstr(b.p, "x_seconds_bucket{method=\"GetJob\",le=\"0.1\"} 2\n"));
    assert_non_null(strstr(b.p, "x_seconds_bucket{method=\"GetJob\",le=\"0.25\"} 3\n"));
    assert_non_null(strstr(b.p, "x_seconds_bucket{method=\"GetJob\",le=\"60\"} 3\n"));
    assert_non_null(strstr(b.p, "x_seconds_bucket{method=\"GetJob\",le=\"+Inf\"} 4\n"));
    assert_non_null(strstr(b.p, "x_seconds_count{method=\"GetJob\"} 4\n"));
    assert_non_null(strstr(b.p, "x_seconds_sum{method=\"GetJob\"} 1000.2015"));
    free(b.p);
}

static void test_values(void **st)
{
    (void)st;
    struct promtext_buf b;
    promtext_buf_init(&b, 1 << 16);
    promtext_value(&b, "a_total", "", 3);
    promtext_value(&b, "b_total", "code=\"OK\"", 12345678901.0);
    assert_string_equal(b.p, "a_total 3\nb_total{code=\"OK\"} 12345678901\n");
    free(b.p);
}

static void test_bounded(void **st)
{
    (void)st;
    struct promtext_buf b;
    promtext_buf_init(&b, 100);
    for (int i = 0; i < 50; i++)
        promtext_value(&b, "some_metric_total", "", i);
    assert_true(b.full);
    assert_true(b.len < 100);
    assert_int_equal(b.p[b.len], '\0');
    free(b.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hist),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
