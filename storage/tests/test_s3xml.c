/* Unit tests for storage/s3/s3xml.c: S3 reply parsing, request bodies and the
 * retry classification. Bodies are the shapes of the S3 API reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "s3xml.h"

#define NS "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""

static void test_list(void **st)
{
    (void)st;
    const char *b = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<ListBucketResult " NS "><Name>bucket</Name><Prefix/>"
                    "<KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>"
                    "<Contents><Key>a &amp; b.csv</Key><LastModified>2009-10-12T17:50:30.000Z"
                    "</LastModified><ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>"
                    "<Size>434234</Size><StorageClass>STANDARD</StorageClass></Contents>"
                    "<Contents><Key>z</Key><LastModified>2009-10-12T17:50:30Z</LastModified>"
                    "<ETag>\"x\"</ETag><Size>0</Size></Contents>"
                    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="
                    "</NextContinuationToken></ListBucketResult>";
    struct s3xml_list l;
    assert_int_equal(s3xml_parse_list(b, strlen(b), &l), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.obj[0].key, "a & b.csv");
    assert_int_equal(l.obj[0].size, 434234);
    assert_int_equal(l.obj[0].mtime_ms, 1255369830000LL);
    assert_string_equal(l.obj[0].etag, "\"fba9dede5f27731c9771645a39863328\"");
    assert_string_equal(l.obj[1].key, "z");
    assert_int_equal(l.obj[1].size, 0);
    assert_true(l.truncated);
    assert_string_equal(l.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    s3xml_list_free(&l);

    const char *last = "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>";
    assert_int_equal(s3xml_parse_list(last, strlen(last), &l), 0);
    assert_int_equal(l.n, 0);
    assert_false(l.truncated);
    assert_null(l.next_token);
    s3xml_list_free(&l);

    /* Truncated without a token would loop: refused. */
    const char *bad = "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>";
    assert_int_equal(s3xml_parse_list(bad, strlen(bad), &l), ST_EIO);
    assert_int_equal(s3xml_parse_list("<html/>", 7, &l), ST_EIO);
    assert_int_equal(s3xml_parse_list("not xml", 7, &l), ST_EIO);
}

static void test_initiate(void **st)
{
    (void)st;
    const char *b = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                    "<InitiateMultipartUploadResult " NS "><Bucket>example-bucket</Bucket>"
                    "<Key>example-object</Key><UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS"
                    "5tMnRzIHVwbG9hZA</UploadId></InitiateMultipartUploadResult>";
    char id[256];
    assert_int_equal(s3xml_parse_initiate(b, strlen(b), id, sizeof(id)), 0);
    assert_string_equal(id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
    const char *none = "<InitiateMultipartUploadResult/>";
    assert_int_equal(s3xml_parse_initiate(none, strlen(none), id, sizeof(id)), ST_EIO);
}

static void test_complete(void **st)
{
    (void)st;
    const char *etags[] = {"\"a54357aff0632cce46d942af68356b38\"",
                           "\"0c78aef83f66abc1fa1e8477f296d394\""};
    char *b = s3xml_complete_body(etags, 2);
    assert_string_equal(b, "<CompleteMultipartUpload>"
                           "<Part><PartNumber>1</PartNumber>"
                           "<ETag>&quot;a54357aff0632cce46d942af68356b38&quot;</ETag></Part>"
                           "<Part><PartNumber>2</PartNumber>"
                           "<ETag>&quot;0c78aef83f66abc1fa1e8477f296d394&quot;</ETag></Part>"
                           "</CompleteMultipartUpload>");
    free(b);

    struct s3xml_error e;
    memset(&e, 0, sizeof(e));
    const char *ok = "<CompleteMultipartUploadResult " NS "><Location>http://x</Location>"
                     "<ETag>\"3858f62230ac3c915f300c664312c11f-9\"</ETag>"
                     "</CompleteMultipartUploadResult>";
    assert_int_equal(s3xml_parse_complete(ok, strlen(ok), &e), 0);
    /* S3 may answer 200 then stream an <Error>: a failure. */
    const char *err = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n\n     "
                      "<Error><Code>InternalError</Code><Message>We encountered an internal "
                      "error. Please try again.</Message><RequestId>656c76696e6727732072657175"
                      "657374</RequestId></Error>";
    assert_int_equal(s3xml_parse_complete(err, strlen(err), &e), ST_EPRECOND);
    assert_string_equal(e.code, "InternalError");
    assert_string_equal(e.message, "We encountered an internal error. Please try again.");
    assert_int_equal(s3_retry_class(0, 200, e.code), S3_TRANSIENT);
    const char *err2 = "<Error><Code>InvalidPart</Code><Message>m</Message></Error>";
    assert_int_equal(s3xml_parse_complete(err2, strlen(err2), &e), ST_EPRECOND);
    assert_int_equal(s3_retry_class(0, 200, e.code), S3_PERMANENT);
    assert_int_equal(s3xml_parse_complete("", 0, &e), ST_EIO);
}

static void test_delete(void **st)
{
    (void)st;
    const char *keys[] = {"sample1.txt", "a<&>'\".txt", "locked.txt"};
    char *b = s3xml_delete_body(keys, 3);
    assert_string_equal(b, "<Delete><Quiet>true</Quiet>"
                           "<Object><Key>sample1.txt</Key></Object>"
                           "<Object><Key>a&lt;&amp;&gt;&apos;&quot;.txt</Key></Object>"
                           "<Object><Key>locked.txt</Key></Object></Delete>");
    free(b);
    const char *r = "<DeleteResult " NS "><Deleted><Key>sample1.txt</Key></Deleted>"
                    "<Error><Key>locked.txt</Key><Code>AccessDenied</Code>"
                    "<Message>Access Denied</Message></Error>"
                    "<Error><Key>a&lt;&amp;&gt;&apos;&quot;.txt</Key><Code>InternalError</Code>"
                    "<Message>x</Message></Error></DeleteResult>";
    int errs[3] = {0, 0, 0};
    char msg[128] = "";
    assert_int_equal(s3xml_parse_delete(r, strlen(r), keys, 3, errs, msg, sizeof(msg)), 0);
    assert_int_equal(errs[0], 0);
    assert_int_equal(errs[1], ST_EIO);
    assert_int_equal(errs[2], ST_EPERM);
    assert_string_equal(msg, "locked.txt: AccessDenied: Access Denied");
    assert_int_equal(s3xml_parse_delete("<x/>", 4, keys, 3, errs, msg, sizeof(msg)), ST_EIO);
}

static void test_error(void **st)
{
    (void)st;
    const char *b = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
                    "SignatureDoesNotMatch</Code><Message>The request signature we calculated "
                    "does not match the signature you provided.</Message></Error>";
    struct s3xml_error e;
    assert_int_equal(s3xml_parse_error(b, strlen(b), &e), 0);
    assert_string_equal(e.code, "SignatureDoesNotMatch");
    assert_int_equal(s3xml_parse_error("<a/>", 4, &e), ST_EIO);
    assert_int_equal(s3xml_parse_error(NULL, 0, &e), ST_EIO);
}

static void test_time(void **st)
{
    (void)st;
    assert_int_equal(s3xml_time_ms("1970-01-01T00:00:01.5Z"), 1500);
    assert_int_equal(s3xml_time_ms("2009-10-12T17:50:30.123Z"), 1255369830123LL);
    assert_int_equal(s3xml_time_ms("garbage"), -1);
}

static void test_retry(void **st)
{
    (void)st;
    static const struct {
        int curl;
        long status;
        const char *code;
        enum s3_retry want;
    } rows[] = {
        {0, 200, NULL, S3_OK},
        {0, 204, "", S3_OK},
        {0, 206, NULL, S3_OK},
        {0, 200, "InternalError", S3_TRANSIENT},
        {0, 200, "NoSuchUpload", S3_PERMANENT},
        {0, 400, "InvalidArgument", S3_PERMANENT},
        {0, 400, "RequestTimeout", S3_TRANSIENT},
        {0, 403, "SignatureDoesNotMatch", S3_PERMANENT},
        {0, 403, "RequestTimeTooSkewed", S3_TRANSIENT},
        {0, 404, "NoSuchKey", S3_PERMANENT},
        {0, 408, NULL, S3_TRANSIENT},
        {0, 409, "BucketNotEmpty", S3_PERMANENT},
        {0, 416, NULL, S3_PERMANENT},
        {0, 429, NULL, S3_TRANSIENT},
        {0, 500, NULL, S3_TRANSIENT},
        {0, 501, "NotImplemented", S3_PERMANENT},
        {0, 503, "SlowDown", S3_TRANSIENT},
        {0, 504, NULL, S3_TRANSIENT},
        {6, 0, NULL, S3_TRANSIENT},  /* could not resolve */
        {7, 0, NULL, S3_TRANSIENT},  /* could not connect */
        {28, 0, NULL, S3_TRANSIENT}, /* timeout */
        {52, 0, NULL, S3_TRANSIENT}, /* empty reply */
        {56, 0, NULL, S3_TRANSIENT}, /* recv error */
        {65, 0, NULL, S3_TRANSIENT}, /* send failed, body could not be rewound */
        {1, 0, NULL, S3_PERMANENT},  /* unsupported protocol */
        {3, 0, NULL, S3_PERMANENT},  /* malformed URL */
        {60, 0, NULL, S3_PERMANENT}, /* peer certificate */
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        enum s3_retry got = s3_retry_class(rows[i].curl, rows[i].status, rows[i].code);
        if (got != rows[i].want)
            fail_msg("row %zu (curl %d, %ld %s): got %d want %d", i, rows[i].curl, rows[i].status,
                     rows[i].code ? rows[i].code : "-", got, rows[i].want);
    }
}

int main(void)
{
    s3xml_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list),     cmocka_unit_test(test_initiate),
        cmocka_unit_test(test_complete), cmocka_unit_test(test_delete),
        cmocka_unit_test(test_error),    cmocka_unit_test(test_time),
        cmocka_unit_test(test_retry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
