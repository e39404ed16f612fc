/* Unit tests for storage/azblob/azbatch.c: Blob Batch bodies (each
 * sub-request signed on its own; e2e.azblob_batch has azurite check the
 * signatures) and answers read per key, in Azure's documented form and in
 * azurite's, including broken ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "azbatch.h"
#include "azsign.h"
#include "err.h"

#define ACCOUNT "devstoreaccount1"
#define KEY                                                                                        \
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
#define DATE "Sat, 05 Dec 2026 01:02:03 GMT"

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void test_body(void **state)
{
    (void)state;
    const char *paths[] = {"/devstoreaccount1/ctr/a", "/devstoreaccount1/ctr/d/b%20c"};
    struct azbatch_req r = {ACCOUNT, KEY, "batch_0a1b", DATE, paths, 2};
    char *body = NULL, *auth = NULL, want[1024];
    size_t len = 0;
    assert_int_equal(azbatch_body(&r, &body, &len), 0);
    assert_int_equal(strlen(body), len);
    assert_int_equal(count(body, "--batch_0a1b\r\n"), 2);
    assert_int_equal(count(body, "--batch_0a1b--\r\n"), 1);
    assert_string_equal(body + len - strlen("--batch_0a1b--\r\n"), "--batch_0a1b--\r\n");
    /* the second sub-request as a whole, its signature of its own path */
    struct azsign_kv h[] = {{"x-ms-date", DATE}, {"Content-Length", "0"}};
    struct azsign_req sub = {"DELETE", paths[1], NULL, 0, h, 2};
    assert_int_equal(azsign_shared_key(ACCOUNT, KEY, &sub, &auth), 0);
    snprintf(want, sizeof(want),
             "--batch_0a1b\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary"
             "\r\nContent-ID: 1\r\n\r\nDELETE /devstoreaccount1/ctr/d/b%%20c HTTP/1.1\r\n"
             "x-ms-date: %s\r\nAuthorization: %s\r\nContent-Length: 0\r\n\r\n--batch_0a1b--\r\n",
             DATE, auth);
    assert_non_null(strstr(body, want));
    assert_non_null(
        strstr(body, "Content-ID: 0\r\n\r\nDELETE /devstoreaccount1/ctr/a HTTP/1.1\r\n"));
    free(auth);
    free(body);
}

static void test_body_refused(void **state)
{
    (void)state;
    const char *ok[AZBATCH_MAX + 1];
    for (size_t i = 0; i <= AZBATCH_MAX; i++)
        ok[i] = "/a/ctr/x";
    char *body = NULL;
    size_t len = 0;
    struct azbatch_req r = {ACCOUNT, KEY, "b", DATE, ok, AZBATCH_MAX};
    assert_int_equal(azbatch_body(&r, &body, &len), 0); /* 256: the most */
    free(body);
    body = NULL;
    r.n = AZBATCH_MAX + 1;
    assert_int_equal(azbatch_body(&r, &body, &len), ST_EINVAL);
    r.n = 0;
    assert_int_equal(azbatch_body(&r, &body, &len), ST_EINVAL);
    r.n = 1;
    r.boundary = "a b"; /* would not survive the Content-Type header */
    assert_int_equal(azbatch_body(&r, &body, &len), ST_EINVAL);
    r.boundary = "";
    assert_int_equal(azbatch_body(&r, &body, &len), ST_EINVAL);
    r.boundary = "b";
    const char *space[] = {"/a/ctr/x y"}, *crlf[] = {"/a/ctr/x\r\nX: y"}, *rel[] = {"a/ctr/x"};
    r.paths = space; /* a space would end the request line */
    assert_int_equal(azbatch_body(&r, &body, &len), ST_EINVAL);
    r.paths = crlf; /* a header injected into the sub-request */
    assert_int_equal(azbatch_body(&r, &body, &len), ST_EINVAL);
    r.paths = rel;
    assert_int_equal(azbatch_body(&r, &body, &len), ST_EINVAL);
    r.paths = ok;
    r.key_b64 = "not base64!";
    assert_int_equal(azbatch_body(&r, &body, &len), ST_EINVAL);
    assert_null(body);
}

/* Azure's documented answer (Blob Batch REST reference), CRLF line ends. */
static const char AZURE[] =
    "--batchresponse_66925647-d0cb-4109-b6d3-28efe3e1e5ed\r\n"
    "Content-Type: application/http\r\nContent-ID: 0\r\n\r\n"
    "HTTP/1.1 202 Accepted\r\nx-ms-delete-type-permanent: true\r\n"
    "x-ms-request-id: 778fdc83-801e-0000-62ff-033467000000\r\nx-ms-version: 2018-11-09\r\n\r\n"
    "--batchresponse_66925647-d0cb-4109-b6d3-28efe3e1e5ed\r\n"
    "Content-Type: application/http\r\nContent-ID: 1\r\n\r\n"
    "HTTP/1.1 202 Accepted\r\nx-ms-delete-type-permanent: true\r\n"
    "x-ms-request-id: 778fdc83-801e-0000-62ff-033467000001\r\nx-ms-version: 2018-11-09\r\n\r\n"
    "--batchresponse_66925647-d0cb-4109-b6d3-28efe3e1e5ed\r\n"
    "Content-Type: application/http\r\nContent-ID: 2\r\n\r\n"
    "HTTP/1.1 404 The specified blob does not exist.\r\nx-ms-error-code: BlobNotFound\r\n"
    "x-ms-request-id: 778fdc83-801e-0000-62ff-033467000002\r\nx-ms-version: 2018-11-09\r\n"
    "Content-Length: 216\r\nContent-Type: application/xml\r\n\r\n"
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"
    "<Error><Code>BlobNotFound</Code><Message>The specified blob does not exist.\r\n"
    "RequestId:778fdc83-801e-0000-62ff-033467000002\r\n"
    "Time:2018-06-14T16:46:54.6080575Z</Message></Error>\r\n"
    "--batchresponse_66925647-d0cb-4109-b6d3-28efe3e1e5ed--\r\n";

static void test_parse_azure(void **state)
{
    (void)state;
    int errs[3];
    char msg[128];
    assert_int_equal(azbatch_parse(AZURE, strlen(AZURE), errs, 3, msg, sizeof(msg)), 0);
    assert_int_equal(errs[0], 0);
    assert_int_equal(errs[1], 0);
    assert_int_equal(errs[2], ST_ENOTFOUND);
    assert_string_equal(msg, ""); /* gone is what a delete asked for */
    /* a fourth key the answer does not name */
    int four[4];
    assert_int_equal(azbatch_parse(AZURE, strlen(AZURE), four, 4, NULL, 0), 0);
    assert_int_equal(four[3], ST_EIO);
}

/* azurite 3.35.0's form: parts in any order, a failure with an XML body. */
static const char AZURITE[] =
    "--batch_0a1b\r\nContent-Type: application/http\r\nContent-ID: 1\r\n\r\n"
    "HTTP/1.1 412 There is currently a lease on the blob and no lease ID was specified.\r\n"
    "x-ms-error-code: LeaseIdMissing\r\nx-ms-request-id: 1\r\n\r\n"
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Error><Code>LeaseIdMissing</Code></Error>\r\n"
    "\r\n"
    "--batch_0a1b\r\nContent-Type: application/http\r\nContent-ID: 0\r\n\r\n"
    "HTTP/1.1 202 Accepted\r\nx-ms-delete-type-permanent: true\r\n\r\n"
    "--batch_0a1b\r\nContent-Type: application/http\r\nContent-ID: 2\r\n\r\n"
    "HTTP/1.1 503 Server Busy\r\nx-ms-error-code: ServerBusy\r\n\r\n"
    "--batch_0a1b--";

static void test_parse_azurite(void **state)
{
    (void)state;
    int errs[3];
    char msg[128];
    assert_int_equal(azbatch_parse(AZURITE, strlen(AZURITE), errs, 3, msg, sizeof(msg)), 0);
    assert_int_equal(errs[0], 0);
    assert_int_equal(errs[1], ST_EPRECOND);
    assert_int_equal(errs[2], ST_EAGAIN);
    assert_string_equal(msg, "HTTP 412 LeaseIdMissing");
}

static void test_parse_lf_only(void **state)
{
    (void)state;
    const char lf[] =
        "--x\nContent-ID: 1\n\nHTTP/1.1 403 Forbidden\nx-ms-error-code: "
        "AuthorizationFailure\n\n--x\nContent-ID: 0\n\nHTTP/1.1 202 Accepted\n\n--x--\n";
    int errs[2];
    char msg[64];
    assert_int_equal(azbatch_parse(lf, strlen(lf), errs, 2, msg, sizeof(msg)), 0);
    assert_int_equal(errs[0], 0);
    assert_int_equal(errs[1], ST_EPERM);
    assert_string_equal(msg, "HTTP 403 AuthorizationFailure");
}

static void test_parse_broken(void **state)
{
    (void)state;
    int errs[2] = {0, 0};
    char msg[64];
    /* not multipart: every key unknown */
    const char xml[] = "<?xml version=\"1.0\"?><Error><Code>InvalidInput</Code></Error>";
    assert_int_equal(azbatch_parse(xml, strlen(xml), errs, 2, msg, sizeof(msg)), ST_EIO);
    assert_int_equal(errs[0], ST_EIO);
    assert_int_equal(errs[1], ST_EIO);
    assert_int_equal(azbatch_parse(NULL, 0, errs, 2, msg, sizeof(msg)), ST_EIO);
    /* a Content-ID out of range, a negative one, one too long, a status line cut short,
     * a part cut off at the end: none is a result */
    const char bad[] = "--x\r\nContent-ID: 7\r\n\r\nHTTP/1.1 202 Accepted\r\n\r\n"
                       "--x\r\nContent-ID: -1\r\n\r\nHTTP/1.1 202 Accepted\r\n\r\n"
                       "--x\r\nContent-ID: 0000000000001\r\n\r\nHTTP/1.1 202 Accepted\r\n\r\n"
                       "--x\r\nContent-ID: 0\r\n\r\nHTTP/1.1\r\n\r\n"
                       "--x\r\nContent-ID: 1\r\n";
    assert_int_equal(azbatch_parse(bad, strlen(bad), errs, 2, msg, sizeof(msg)), 0);
    assert_int_equal(errs[0], ST_EIO);
    assert_int_equal(errs[1], ST_EIO);
    /* an error code with control bytes comes out printable */
    const char ctl[] = "--x\r\nContent-ID: 0\r\n\r\nHTTP/1.1 409 Conflict\r\n"
                       "x-ms-error-code: Bad\x01\x1b[31m\r\n\r\n--x--\r\n";
    assert_int_equal(azbatch_parse(ctl, strlen(ctl), errs, 1, msg, sizeof(msg)), 0);
    assert_int_equal(errs[0], ST_EPRECOND);
    assert_string_equal(msg, "HTTP 409 Bad??[31m");
}

static void test_status(void **state)
{
    (void)state;
    assert_int_equal(azbatch_status_err(202), 0);
    assert_int_equal(azbatch_status_err(404), ST_ENOTFOUND);
    assert_int_equal(azbatch_status_err(403), ST_EPERM);
    assert_int_equal(azbatch_status_err(412), ST_EPRECOND);
    assert_int_equal(azbatch_status_err(429), ST_EAGAIN);
    assert_int_equal(azbatch_status_err(500), ST_EAGAIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body),          cmocka_unit_test(test_body_refused),
        cmocka_unit_test(test_parse_azure),   cmocka_unit_test(test_parse_azurite),
        cmocka_unit_test(test_parse_lf_only), cmocka_unit_test(test_parse_broken),
        cmocka_unit_test(test_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
