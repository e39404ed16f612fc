/* Unit tests for storage/s3/s3url.c: endpoints, addressing styles, presigned
 * URLs (the S3 reference's query-string example) and backend part sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_s3.h"
#include "err.h"
#include "s3url.h"
#include "storspec.h"

static struct storspec spec(const char *ep, bool vhost)
{
    struct storspec s;
    memset(&s, 0, sizeof(s));
    s.type = STORSPEC_S3;
    snprintf(s.bucket, sizeof(s.bucket), "examplebucket");
    snprintf(s.endpoint_url, sizeof(s.endpoint_url), "%s", ep);
    s.virtual_host = vhost;
    snprintf(s.access_key_id, sizeof(s.access_key_id), "AKIAIOSFODNN7EXAMPLE");
    snprintf(s.secret_access_key, sizeof(s.secret_access_key),
             "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    return s;
}

static void test_parse(void **st)
{
    (void)st;
    char err[200] = "";
    struct s3url u;
    struct storspec s = spec("http://127.0.0.1:9000/", false);
    assert_int_equal(s3url_parse(&s, &u, err, sizeof(err)), 0);
    assert_string_equal(u.scheme_host, "http://127.0.0.1:9000");
    assert_string_equal(u.host, "127.0.0.1:9000");
    assert_string_equal(u.bucket_path, "/examplebucket");
    assert_string_equal(u.region, "us-east-1");
    s = spec("", true);
    snprintf(s.region, sizeof(s.region), "eu-west-1");
    assert_int_equal(s3url_parse(&s, &u, err, sizeof(err)), 0);
    assert_string_equal(u.scheme_host, "https://examplebucket.s3.eu-west-1.amazonaws.com");
    assert_string_equal(u.bucket_path, "");
    s = spec("ftp://x", false);
    assert_int_equal(s3url_parse(&s, &u, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "http://"));
    s = spec("http://h/path", false);
    assert_int_equal(s3url_parse(&s, &u, err, sizeof(err)), ST_EINVAL);
    s = spec("http://h", false);
    s.bucket[0] = '\0';
    assert_int_equal(s3url_parse(&s, &u, err, sizeof(err)), ST_EINVAL);
}

/* The "Query String Request Authentication" example of the S3 reference. */
static void test_presign_example(void **st)
{
    (void)st;
    char err[200] = "", *url = NULL;
    struct storspec s = spec("https://s3.amazonaws.com", true);
    assert_int_equal(
        s3url_presign(&s, "test.txt", false, NULL, 86400, 1369353600, &url, err, sizeof(err)), 0);
    assert_string_equal(url, "https://examplebucket.s3.amazonaws.com/test.txt"
                             "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                             "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
                             "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
                             "&X-Amz-SignedHeaders=host&X-Amz-Signature="
                             "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    free(url);
}

static void test_presign_put(void **st)
{
    (void)st;
    char err[200] = "", *url = NULL;
    struct storspec s = spec("http://127.0.0.1:9000", false);
    assert_int_equal(
        s3url_presign(&s, "stage/a b.csv", true, "text/csv", 0, 1369353600, &url, err, sizeof(err)),
        0);
    assert_non_null(strstr(url, "http://127.0.0.1:9000/examplebucket/stage/a%20b.csv?"));
    assert_non_null(strstr(url, "&X-Amz-Expires=3600&"));
    assert_non_null(strstr(url, "&X-Amz-SignedHeaders=content-type%3Bhost&"));
    free(url);
    assert_int_equal(s3url_presign(&s, "k", true, NULL, 604801, 0, &url, err, sizeof(err)),
                     ST_EINVAL);
    assert_non_null(strstr(err, "604800"));
    assert_null(url);
    assert_int_equal(s3url_presign(&s, "k", false, NULL, -5, 0, &url, err, sizeof(err)), ST_EINVAL);
    s.secret_access_key[0] = '\0';
    assert_int_equal(s3url_presign(&s, "k", false, NULL, 60, 0, &url, err, sizeof(err)), ST_EINVAL);
}

static void test_part_size(void **st)
{
    (void)st;
    const size_t MiB = 1 << 20;
    assert_int_equal(backend_s3_part_size(0, -1), 5 * MiB);
    assert_int_equal(backend_s3_part_size(64 * 1024, 0), 5 * MiB);
    assert_int_equal(backend_s3_part_size(8 * MiB, 1LL << 30), 8 * MiB);
    /* 80,000 MiB + 1 needs more than 10,000 parts of 8 MiB: grown to 9 MiB. */
    assert_int_equal(backend_s3_part_size(8 * MiB, 80000LL * MiB + 1), 9 * MiB);
    /* 5 TiB: 524,288,000 bytes per part (500 MiB), whole MiB. */
    size_t ps = backend_s3_part_size(8 * MiB, 5LL << 40);
    assert_true(ps * 10000 >= (5ULL << 40));
    assert_int_equal(ps % MiB, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_presign_example),
        cmocka_unit_test(test_presign_put),
        cmocka_unit_test(test_part_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
