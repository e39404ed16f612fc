/* Unit tests for storage/s3/sigv4.c against the worked examples of the S3 API
 * reference ("Signature Calculations for the Authorization Header" and
 * "Query String Authentication"), with the documented example credentials. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sigv4.h"

#define AKID   "AKIAIOSFODNN7EXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define DATE   "20130524T000000Z"
#define HOST   "examplebucket.s3.amazonaws.com"

static const struct sigv4_creds creds = {AKID, SECRET, NULL, "us-east-1", NULL};

static void check_auth(const struct sigv4_req *r, const char *signed_headers, const char *sig)
{
    char *auth = NULL, want[512];
    assert_int_equal(sigv4_sign_headers(r, &creds, &auth), 0);
    snprintf(want, sizeof(want),
             "AWS4-HMAC-SHA256 Credential=" AKID "/20130524/us-east-1/s3/aws4_request, "
             "SignedHeaders=%s, Signature=%s",
             signed_headers, sig);
    assert_string_equal(auth, want);
    free(auth);
}

static void test_get_object(void **st)
{
    (void)st;
    struct sigv4_kv h[] = {{"Host", HOST}, {"Range", "bytes=0-9"}};
    struct sigv4_req r = {"GET", "/test.txt", "", h, 2, SIGV4_EMPTY_SHA256, DATE};
    check_auth(&r, "host;range;x-amz-content-sha256;x-amz-date",
               "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    /* The canonical request as printed in the reference. */
    struct sigv4_kv h2[] = {{"host", HOST},
                            {"range", "bytes=0-9"},
                            {"x-amz-content-sha256", SIGV4_EMPTY_SHA256},
                            {"x-amz-date", DATE}};
    struct sigv4_req r2 = {"GET", "/test.txt", "", h2, 4, SIGV4_EMPTY_SHA256, DATE};
    char *canon = NULL, *sh = NULL;
    assert_int_equal(sigv4_canonical_request(&r2, &canon, &sh), 0);
    assert_string_equal(canon, "GET\n/test.txt\n\nhost:" HOST "\nrange:bytes=0-9\n"
                               "x-amz-content-sha256:" SIGV4_EMPTY_SHA256 "\n"
                               "x-amz-date:" DATE "\n\n"
                               "host;range;x-amz-content-sha256;x-amz-date\n" SIGV4_EMPTY_SHA256);
    assert_string_equal(sh, "host;range;x-amz-content-sha256;x-amz-date");
    free(canon);
    free(sh);
}

static void test_put_object(void **st)
{
    (void)st;
    const char *body = "Welcome to Amazon S3.";
    char hash[65], *path = NULL;
    sigv4_sha256_hex(body, strlen(body), hash);
    assert_string_equal(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    assert_int_equal(sigv4_uri_encode("/test$file.text", true, &path), 0);
    assert_string_equal(path, "/test%24file.text");
    struct sigv4_kv h[] = {{"Host", HOST},
                           {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                           {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
    struct sigv4_req r = {"PUT", path, "", h, 3, hash, DATE};
    check_auth(&r, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
               "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    free(path);
}

static void test_get_lifecycle(void **st)
{
    (void)st;
    char *q = NULL;
    struct sigv4_kv p[] = {{"lifecycle", NULL}};
    assert_int_equal(sigv4_query(p, 1, &q), 0);
    assert_string_equal(q, "lifecycle=");
    struct sigv4_kv h[] = {{"Host", HOST}};
    struct sigv4_req r = {"GET", "/", q, h, 1, SIGV4_EMPTY_SHA256, DATE};
    check_auth(&r, "host;x-amz-content-sha256;x-amz-date",
               "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    free(q);
}

static void test_list_objects(void **st)
{
    (void)st;
    char *q = NULL;
    struct sigv4_kv p[] = {{"prefix", "J"}, {"max-keys", "2"}}; /* unsorted on purpose */
    assert_int_equal(sigv4_query(p, 2, &q), 0);
    assert_string_equal(q, "max-keys=2&prefix=J");
    struct sigv4_kv h[] = {{"Host", HOST}};
    struct sigv4_req r = {"GET", "/", q, h, 1, SIGV4_EMPTY_SHA256, DATE};
    check_auth(&r, "host;x-amz-content-sha256;x-amz-date",
               "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
    free(q);
}

static void test_presigned_get(void **st)
{
    (void)st;
    char *q = NULL;
    struct sigv4_kv h[] = {{"Host", HOST}};
    struct sigv4_req r = {"GET", "/test.txt", NULL, h, 1, NULL, DATE};
    assert_int_equal(sigv4_presign(&r, NULL, 0, &creds, 86400, &q), 0);
    assert_string_equal(q, "X-Amz-Algorithm=AWS4-HMAC-SHA256"
                           "&X-Amz-Credential=" AKID "%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                           "&X-Amz-Date=" DATE "&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                           "&X-Amz-Signature="
                           "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    free(q);
    assert_int_equal(sigv4_presign(&r, NULL, 0, &creds, SIGV4_PRESIGN_MAX + 1, &q), ST_EINVAL);
    assert_int_equal(sigv4_presign(&r, NULL, 0, &creds, 0, &q), ST_EINVAL);
}

/* A session token is signed (header and query) and changes the signature. */
static void test_session_token(void **st)
{
    (void)st;
    struct sigv4_creds c = creds;
    c.session_token = "tok/en+=";
    struct sigv4_kv h[] = {{"Host", HOST}};
    struct sigv4_req r = {"GET", "/test.txt", "", h, 1, SIGV4_EMPTY_SHA256, DATE};
    char *auth = NULL, *q = NULL;
    assert_int_equal(sigv4_sign_headers(&r, &c, &auth), 0);
    assert_non_null(strstr(auth, "SignedHeaders=host;x-amz-content-sha256;x-amz-date;"
                                 "x-amz-security-token, "));
    free(auth);
    assert_int_equal(sigv4_presign(&r, NULL, 0, &c, 60, &q), 0);
    assert_non_null(strstr(q, "&X-Amz-Security-Token=tok%2Fen%2B%3D&"));
    free(q);
}

static void test_encoding(void **st)
{
    (void)st;
    char *s = NULL;
    assert_int_equal(sigv4_uri_encode("a b/c+d~e!*'()\xc3\xa9", true, &s), 0);
    assert_string_equal(s, "a%20b/c%2Bd~e%21%2A%27%28%29%C3%A9");
    free(s);
    assert_int_equal(sigv4_uri_encode("l/", false, &s), 0);
    assert_string_equal(s, "l%2F");
    free(s);
    struct sigv4_kv p[] = {{"uploads", NULL}, {"list-type", "2"}, {"continuation-token", "a/b="}};
    assert_int_equal(sigv4_query(p, 3, &s), 0);
    assert_string_equal(s, "continuation-token=a%2Fb%3D&list-type=2&uploads=");
    free(s);
    assert_int_equal(sigv4_query(NULL, 0, &s), 0);
    assert_string_equal(s, "");
    free(s);
    char d[17];
    sigv4_amz_date(1369353600, d);
    assert_string_equal(d, DATE);
}

/* Header values are trimmed and inner spaces folded. */
static void test_trim(void **st)
{
    (void)st;
    struct sigv4_kv h[] = {{"X-Foo", "  a   b  "}, {"Host", "h"}};
    struct sigv4_req r = {"GET", "/", NULL, h, 2, "x", DATE};
    char *canon = NULL, *sh = NULL;
    assert_int_equal(sigv4_canonical_request(&r, &canon, &sh), 0);
    assert_string_equal(canon, "GET\n/\n\nhost:h\nx-foo:a b\n\nhost;x-foo\nx");
    free(canon);
    free(sh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_object),    cmocka_unit_test(test_put_object),
        cmocka_unit_test(test_get_lifecycle), cmocka_unit_test(test_list_objects),
        cmocka_unit_test(test_presigned_get), cmocka_unit_test(test_session_token),
        cmocka_unit_test(test_encoding),      cmocka_unit_test(test_trim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
