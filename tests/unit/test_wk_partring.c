/* Unit tests for worker/partring.c: the read-ahead's bookkeeping. Reads
 * land in any order, parts are handed on strictly in order, no more than
 * `depth` parts are out or waiting at once, and a new range waits for the
 * old range's reads still out before it reuses their slots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#include "err.h"
#include "partring.h"

/* Start every read that may start now; their slot indexes in idx[]. */
static int start_all(struct partring *p, int *idx, int max)
{
    int n = 0, i;
    while (n < max && partring_next(p, &i) == 1)
        idx[n++] = i;
    return n;
}

static void test_ranges_and_bound(void **st)
{
    (void)st;
    struct partring p;
    int idx[8];
    assert_int_equal(partring_init(&p, 3, 10), 0);
    partring_reset(&p, 5, 47); /* 42 bytes: parts of 10, 10, 10, 10, 2 */
    assert_int_equal(p.total, 5);
    assert_int_equal(start_all(&p, idx, 8), 3); /* the bound */
    assert_int_equal(partring_reading(&p), 3);
    assert_int_equal(p.s[idx[0]].at, 5);
    assert_int_equal(p.s[idx[1]].at, 15);
    assert_int_equal(p.s[idx[2]].len, 10);
    assert_null(partring_head(&p));
    /* part 2 lands first: still nothing to hand on, nothing new starts */
    partring_done(&p, idx[2], p.gen, 0, NULL, 10);
    assert_null(partring_head(&p));
    assert_int_equal(start_all(&p, idx + 3, 5), 0);
    /* part 0 lands: it is the head; popping it lets part 3 start */
    partring_done(&p, idx[0], p.gen, 0, NULL, 10);
    const struct partring_slot *h = partring_head(&p);
    assert_non_null(h);
    assert_int_equal(h->n, 0);
    partring_pop(&p);
    assert_null(partring_head(&p)); /* part 1 is still out */
    assert_int_equal(start_all(&p, idx + 3, 5), 1);
    assert_int_equal(p.s[idx[3]].n, 3);
    assert_int_equal(idx[3], idx[0]); /* part n lives in slot n % depth */
    partring_done(&p, idx[1], p.gen, 0, NULL, 10);
    assert_int_equal(partring_head(&p)->n, 1);
    partring_pop(&p);
    assert_int_equal(partring_head(&p)->n, 2); /* landed earlier, kept */
    partring_pop(&p);
    assert_int_equal(start_all(&p, idx + 4, 4), 1); /* the last, short part */
    assert_int_equal(p.s[idx[4]].len, 2);
    assert_int_equal(p.s[idx[4]].at, 45);
    assert_int_equal(start_all(&p, idx + 5, 3), 0);
    partring_done(&p, idx[4], p.gen, 0, NULL, 2);
    partring_done(&p, idx[3], p.gen, 0, NULL, 10);
    assert_int_equal(partring_head(&p)->n, 3);
    partring_pop(&p);
    assert_false(partring_finished(&p));
    assert_int_equal(partring_head(&p)->n, 4);
    partring_pop(&p);
    assert_true(partring_finished(&p));
    assert_null(partring_head(&p));
    assert_int_equal(partring_reading(&p), 0);
    partring_cleanup(&p);
}

/* A failed read is handed on in its turn, with its rc and message. */
static void test_failure_in_order(void **st)
{
    (void)st;
    struct partring p;
    int idx[4];
    assert_int_equal(partring_init(&p, 4, 8), 0);
    partring_reset(&p, 0, 32);
    assert_int_equal(start_all(&p, idx, 4), 4);
    partring_done(&p, idx[1], p.gen, ST_EIO, "boom", 0);
    assert_null(partring_head(&p));
    partring_done(&p, idx[0], p.gen, 0, NULL, 8);
    assert_int_equal(partring_head(&p)->rc, 0);
    partring_pop(&p);
    const struct partring_slot *h = partring_head(&p);
    assert_int_equal(h->n, 1);
    assert_int_equal(h->rc, ST_EIO);
    assert_string_equal(h->msg, "boom");
    partring_done(&p, idx[2], p.gen, 0, NULL, 8);
    partring_done(&p, idx[3], p.gen, 0, NULL, 8);
    partring_cleanup(&p);
}

/* A new range while reads of the old one are out: their slots wait for
 * them, their bytes are dropped, and the parts of the new range go on. */
static void test_reset_with_reads_out(void **st)
{
    (void)st;
    struct partring p;
    int idx[4], i;
    assert_int_equal(partring_init(&p, 2, 4), 0);
    partring_reset(&p, 0, 16);
    assert_int_equal(start_all(&p, idx, 4), 2);
    unsigned old = p.gen;
    partring_done(&p, idx[1], old, 0, NULL, 4); /* landed, never handed on */
    partring_reset(&p, 100, 104);               /* one part, slot 0: still out */
    assert_int_equal(p.total, 1);
    assert_int_equal(partring_next(&p, &i), 0);
    assert_int_equal(partring_reading(&p), 1);
    partring_done(&p, idx[0], old, 0, NULL, 4); /* the old read lands: dropped */
    assert_null(partring_head(&p));
    assert_int_equal(partring_reading(&p), 0);
    assert_int_equal(partring_next(&p, &i), 1);
    assert_int_equal(p.s[i].at, 100);
    partring_done(&p, i, p.gen, 0, NULL, 4);
    assert_int_equal(partring_head(&p)->at, 100);
    partring_pop(&p);
    assert_true(partring_finished(&p));
    partring_cleanup(&p);
}

/* An empty range has nothing to read and is finished at once. */
static void test_empty_range(void **st)
{
    (void)st;
    struct partring p;
    int i;
    assert_int_equal(partring_init(&p, 4, 1024), 0);
    partring_reset(&p, 7, 7);
    assert_int_equal(p.total, 0);
    assert_int_equal(partring_next(&p, &i), 0);
    assert_true(partring_finished(&p));
    partring_cleanup(&p);
    assert_int_equal(partring_init(&p, 0, 1024), ST_EINVAL);
    partring_cleanup(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranges_and_bound),
        cmocka_unit_test(test_failure_in_order),
        cmocka_unit_test(test_reset_with_reads_out),
        cmocka_unit_test(test_empty_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
