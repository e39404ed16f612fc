/* Unit tests for storage/gcs/backend_gcs.c without a network: the writer
 * state's text form, and backend_gcs_new's refusals (no credential, a bad
 * one naming the part, a bad endpoint) and its no-I/O construction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "backend_gcs.h"
#include "err.h"
#include "gcs_testkey.h"
#include "storspec.h"

static void test_state(void **st)
{
    (void)st;
    struct backend_gcs_state s = {.chunk = 8 << 20, .stored = 16 << 20}, back;
    snprintf(s.session, sizeof(s.session), "%s",
             "http://127.0.0.1:1/upload/storage/v1/b/b/o?uploadType=resumable&upload_id=x");
    char buf[4096];
    assert_int_equal(backend_gcs_state_format(buf, sizeof(buf), &s), 0);
    assert_string_equal(buf, "gcsw1 8388608 16777216 http://127.0.0.1:1/upload/storage/v1/b/b/"
                             "o?uploadType=resumable&upload_id=x");
    assert_int_equal(backend_gcs_state_parse(buf, &back), 0);
    assert_int_equal(back.chunk, s.chunk);
    assert_int_equal(back.stored, s.stored);
    assert_string_equal(back.session, s.session);
    assert_int_equal(backend_gcs_state_format(buf, 20, &s), ST_ELIMIT);
    s.session[0] = '\0';
    assert_int_equal(backend_gcs_state_format(buf, sizeof(buf), &s), 0);
    assert_string_equal(buf, "gcsw1 8388608 16777216 -");
    assert_int_equal(backend_gcs_state_parse(buf, &back), 0);
    assert_string_equal(back.session, "");
    snprintf(s.session, sizeof(s.session), "http://a b");
    assert_int_equal(backend_gcs_state_format(buf, sizeof(buf), &s), ST_EINVAL);
    const char *bad[] = {"",
                         "gcsw1",
                         "s3w1 8388608 0 -",
                         "gcsw1 1000 0 -",         /* not a 256 KiB multiple */
                         "gcsw1 8388608 -1 -",     /* negative */
                         "gcsw1 8388608 0 - more", /* trailing */
                         "gcsw1 0 0 -"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(backend_gcs_state_parse(bad[i], &back), ST_EINVAL);
}

static void test_new(void **st)
{
    (void)st;
    struct event_base *base = event_base_new();
    struct storspec *sp = calloc(1, sizeof(*sp));
    char err[256] = "";
    struct backend *b = NULL;
    sp->type = STORSPEC_GCS;
    snprintf(sp->bucket, sizeof(sp->bucket), "bkt");
    snprintf(sp->root, sizeof(sp->root), "data/");
    assert_int_equal(backend_gcs_new(&b, base, sp, NULL, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "'credential'"));
    snprintf(sp->credential, sizeof(sp->credential), "{\"type\":\"service_account\"}");
    assert_int_equal(backend_gcs_new(&b, base, sp, NULL, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "client_email is missing"));
    assert_null(b);
    char *json = gcs_test_json("http://127.0.0.1:1/token");
    snprintf(sp->credential, sizeof(sp->credential), "%s", json);
    snprintf(sp->endpoint_url, sizeof(sp->endpoint_url), "ftp://x");
    assert_int_equal(backend_gcs_new(&b, base, sp, NULL, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "endpoint_url"));
    snprintf(sp->endpoint_url, sizeof(sp->endpoint_url), "http://127.0.0.1:1");
    assert_int_equal(backend_gcs_new(&b, base, sp, NULL, err, sizeof(err)), 0);
    assert_string_equal(b->ops->name, "gcs");
    assert_false(backend_busy(b)); /* nothing fetched or sent yet */
    assert_null(backend_free(b));
    free(json);
    storspec_wipe(sp);
    free(sp);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state),
        cmocka_unit_test(test_new),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
