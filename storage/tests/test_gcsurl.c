/* Unit tests for storage/gcs/gcsurl.c: V4 signed URLs compared byte for
 * byte with the ones @google-cloud/storage 7.19.0 made offline from the
 * same key and time (gcs_vectors.tsv, made by gcs_vectors.js), and the
 * JSON API URLs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "gcs_testkey.h"
#include "gcscred.h"
#include "gcsurl.h"

static struct gcscred *cred;

static int setup(void **st)
{
    (void)st;
    char *json = gcs_test_json(NULL);
    char err[256];
    int rc = gcscred_parse(json, false, &cred, err, sizeof(err));
    free(json);
    return rc;
}

static int teardown(void **st)
{
    (void)st;
    cred = gcscred_free(cred);
    return 0;
}

static void test_vectors(void **st)
{
    (void)st;
    FILE *f = fopen(STORAGE_TESTS_DIR "/gcs_vectors.tsv", "r");
    assert_non_null(f);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        char *fld[7], *save = NULL, *p = line;
        for (int i = 0; i < 7; i++, p = NULL)
            fld[i] = strtok_r(p, "\t", &save);
        assert_non_null(fld[6]);
        struct gcsurl_presign ps = {.endpoint = strcmp(fld[1], "-") ? fld[1] : NULL,
                                    .method = fld[0],
                                    .bucket = fld[2],
                                    .key = fld[3],
                                    .now = (time_t)atoll(fld[4]),
                                    .expires_s = atol(fld[5])};
        char *url = NULL;
        assert_int_equal(gcsurl_presign(cred, &ps, &url), 0);
        if (strcmp(url, fld[6]) != 0)
            fail_msg("vector %d (%s %s):\n got %s\nwant %s", n, fld[0], fld[3], url, fld[6]);
        free(url);
        n++;
    }
    fclose(f);
    assert_int_equal(n, 5);
}

static void test_texts(void **st)
{
    (void)st;
    struct gcsurl_presign ps = {NULL, "GET", "bkt", "a b/c", 1796432523, 900};
    char *canon = NULL, *ts = NULL;
    assert_int_equal(gcsurl_presign_texts(cred, &ps, &canon, &ts), 0);
    assert_string_equal(
        canon, "GET\n/bkt/a%20b/c\nX-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=" //
               "stage-test%40stage-test-project.iam.gserviceaccount.com%2F20261205%2Fauto%2F"
               "storage%2Fgoog4_request&X-Goog-Date=20261205T010203Z&X-Goog-Expires=900&"
               "X-Goog-SignedHeaders=host\nhost:storage.googleapis.com\n\nhost\nUNSIGNED-PAYLOAD");
    const char *ts_head =
        "GOOG4-RSA-SHA256\n20261205T010203Z\n20261205/auto/storage/goog4_request\n";
    assert_memory_equal(ts, ts_head, strlen(ts_head));
    assert_int_equal(strlen(ts), strlen(ts_head) + 64); /* hex SHA-256 of the canonical request */
    free(canon);
    free(ts);
    struct gcsurl_presign bad[] = {
        {NULL, "GET", "bkt", "k", 0, 0},          {NULL, "GET", "bkt", "k", 0, 604801},
        {NULL, "GET", "b/x", "k", 0, 60},         {NULL, "GET", "bkt", "", 0, 60},
        {"ftp://h", "GET", "bkt", "k", 0, 60},    {"http://", "GET", "bkt", "k", 0, 60},
        {"http://a@b", "GET", "bkt", "k", 0, 60},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *url = NULL;
        assert_int_equal(gcsurl_presign(cred, &bad[i], &url), ST_EINVAL);
        assert_null(url);
    }
}

static void test_api_urls(void **st)
{
    (void)st;
    char *u = NULL, *o = NULL, *h = NULL;
    assert_int_equal(gcsurl_object(NULL, "bkt", "a/b c.csv", NULL, "alt=media", &u), 0);
    assert_string_equal(
        u, "https://storage.googleapis.com/storage/v1/b/bkt/o/a%2Fb%20c.csv?alt=media");
    free(u);
    assert_int_equal(
        gcsurl_object("http://127.0.0.1:4443/x", "bkt", "s/k", "rewriteTo/b/bkt/o/d", NULL, &u), 0);
    assert_string_equal(u, "http://127.0.0.1:4443/storage/v1/b/bkt/o/s%2Fk/rewriteTo/b/bkt/o/d");
    free(u);
    assert_int_equal(gcsurl_bucket("http://[::1]:80", "bkt", 1, "uploadType=resumable", &u), 0);
    assert_string_equal(u, "http://[::1]:80/upload/storage/v1/b/bkt/o?uploadType=resumable");
    free(u);
    assert_int_equal(gcsurl_origin("http://[::1]:80/p", &o, &h), 0);
    assert_string_equal(o, "http://[::1]:80");
    assert_string_equal(h, "[::1]");
    free(o);
    free(h);
    assert_int_equal(gcsurl_object(NULL, "bkt", "", NULL, NULL, &u), ST_EINVAL);
    assert_int_equal(gcsurl_bucket(NULL, "b?x", 0, NULL, &u), ST_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_texts),
        cmocka_unit_test(test_api_urls),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
