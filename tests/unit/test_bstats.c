/* Unit tests for common/bstats.c and common/rstats.c: how a request's
 * result becomes an outcome label, and the text /metrics shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bstats.h"
#include "promtext.h"
#include "rstats.h"

static void test_outcome(void **st)
{
    (void)st;
    assert_int_equal(bstats_outcome_of(0, 200, true, false, false), BSTATS_OK);
    assert_int_equal(bstats_outcome_of(0, 404, true, false, false), BSTATS_OK); /* ok_404 */
    assert_int_equal(bstats_outcome_of(0, 404, false, false, false), BSTATS_NOT_FOUND);
    assert_int_equal(bstats_outcome_of(0, 416, false, false, false), BSTATS_NOT_FOUND);
    assert_int_equal(bstats_outcome_of(0, 403, false, false, false), BSTATS_CLIENT_ERROR);
    assert_int_equal(bstats_outcome_of(0, 302, false, false, false), BSTATS_CLIENT_ERROR);
    assert_int_equal(bstats_outcome_of(0, 503, false, true, false), BSTATS_SERVER_ERROR);
    /* an <Error> in a 200 that is worth a retry */
    assert_int_equal(bstats_outcome_of(0, 200, false, true, false), BSTATS_SERVER_ERROR);
    assert_int_equal(bstats_outcome_of(7, 0, false, true, false), BSTATS_NETWORK);
    assert_int_equal(bstats_outcome_of(60, 0, false, false, false), BSTATS_NETWORK);
    assert_int_equal(bstats_outcome_of(7, 0, false, false, true), BSTATS_REFUSED);
}

static void test_op(void **st)
{
    (void)st;
    assert_int_equal(bstats_op_of("GET"), BSTATS_GET);
    assert_int_equal(bstats_op_of("HEAD"), BSTATS_HEAD);
    assert_int_equal(bstats_op_of("PUT"), BSTATS_PUT);
    assert_int_equal(bstats_op_of("POST"), BSTATS_POST);
    assert_int_equal(bstats_op_of("DELETE"), BSTATS_DELETE);
    assert_int_equal(bstats_op_of("PATCH"), BSTATS_GET); /* bounded: no new label */
    assert_int_equal(bstats_op_of(NULL), BSTATS_GET);
}

static void test_render(void **st)
{
    (void)st;
    struct promtext_buf b;
    bstats_reset();
    promtext_buf_init(&b, 1 << 16);
    bstats_render(&b);
    assert_false(b.full);
    /* the families are announced, no series yet */
    assert_non_null(strstr(b.p, "# TYPE stage_worker_backend_requests_total counter\n"));
    assert_non_null(strstr(b.p, "# TYPE stage_worker_backend_retries_total counter\n"));
    assert_non_null(strstr(b.p, "# TYPE stage_worker_backend_errors_total counter\n"));
    assert_null(strstr(b.p, "stage_worker_backend_requests_total{"));
    free(b.p);

    bstats_request(BSTATS_S3, BSTATS_PUT, BSTATS_OK);
    bstats_request(BSTATS_S3, BSTATS_PUT, BSTATS_OK);
    bstats_request(BSTATS_S3, BSTATS_GET, BSTATS_SERVER_ERROR);
    bstats_retry(BSTATS_S3, BSTATS_GET);
    bstats_error(BSTATS_S3, BSTATS_HEAD);
    /* out of range: counted in the first slot, never outside the tables */
    bstats_request((enum bstats_backend)7, (enum bstats_op) - 1, (enum bstats_outcome)99);
    promtext_buf_init(&b, 1 << 16);
    bstats_render(&b);
    assert_non_null(strstr(
        b.p, "stage_worker_backend_requests_total{backend=\"s3\",op=\"put\",outcome=\"ok\"} 2\n"));
    assert_non_null(strstr(
        b.p, "stage_worker_backend_requests_total{backend=\"s3\",op=\"get\",outcome=\"ok\"} 1\n"));
    assert_non_null(strstr(b.p, "stage_worker_backend_requests_total{backend=\"s3\",op=\"get\","
                                "outcome=\"server_error\"} 1\n"));
    assert_non_null(
        strstr(b.p, "stage_worker_backend_retries_total{backend=\"s3\",op=\"get\"} 1\n"));
    assert_non_null(
        strstr(b.p, "stage_worker_backend_errors_total{backend=\"s3\",op=\"head\"} 1\n"));
    assert_null(strstr(b.p, "op=\"post\""));
    free(b.p);
    bstats_reset();
}

static void test_reconnects(void **st)
{
    (void)st;
    struct promtext_buf b;
    uint64_t before = rstats_reconnects();
    promtext_buf_init(&b, 1 << 12);
    rstats_render(&b); /* always there, 0 included */
    assert_non_null(strstr(b.p, "# TYPE stage_redis_reconnects_total counter\n"));
    assert_non_null(strstr(b.p, "\nstage_redis_reconnects_total 0\n"));
    free(b.p);
    rstats_reconnect();
    rstats_reconnect();
    assert_int_equal(rstats_reconnects(), before + 2);
    promtext_buf_init(&b, 1 << 12);
    rstats_render(&b);
    assert_non_null(strstr(b.p, "\nstage_redis_reconnects_total 2\n"));
    free(b.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outcome),
        cmocka_unit_test(test_op),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_reconnects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
