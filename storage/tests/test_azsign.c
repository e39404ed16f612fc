/* Unit tests for storage/azblob/azsign.c: SharedKey and service SAS
 * signatures against the ones @azure/storage-blob 12.32.0 computes offline
 * for the same requests (storage/tests/azsign_vectors.js made every
 * expected value below; none comes from the code under test), with the
 * emulator's published account key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "azsign.h"
#include "err.h"

#define ACCOUNT "devstoreaccount1"
#define KEY                                                                                        \
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
#define DATE "Sat, 05 Dec 2026 01:02:03 GMT"
#define T0   ((time_t)1796432523) /* 2026-12-05T01:02:03Z */

static void check(const struct azsign_req *r, const char *sig)
{
    char *auth = NULL;
    assert_int_equal(azsign_shared_key(ACCOUNT, KEY, r, &auth), 0);
    char want[128];
    snprintf(want, sizeof(want), "SharedKey %s:%s", ACCOUNT, sig);
    assert_string_equal(auth, want);
    free(auth);
}

static void test_put_block(void **state)
{
    (void)state;
    const struct azsign_kv q[] = {{"comp", "block"}, {"blockid", "MDAwMDAx"}};
    const struct azsign_kv h[] = {
        {"Content-Length", "5"}, {"x-ms-version", "2021-12-02"}, {"x-ms-date", DATE}};
    const struct azsign_req r = {"PUT", "/" ACCOUNT "/ctr/dir/a%20b.csv", q, 2, h, 3};
    char *sts = NULL;
    assert_int_equal(azsign_string_to_sign(ACCOUNT, &r, &sts), 0);
    /* the documented layout: 12 standard fields, x-ms-* sorted, resource */
    assert_string_equal(sts,
                        "PUT\n\n\n5\n\n\n\n\n\n\n\n\n"
                        "x-ms-date:" DATE "\nx-ms-version:2021-12-02\n"
                        "/" ACCOUNT "/" ACCOUNT "/ctr/dir/a%20b.csv\nblockid:MDAwMDAx\ncomp:block");
    free(sts);
    check(&r, "EBjW96nDalrNNnKkmED1b3bhissds83/YM6FlVuwUqc=");
}

/* Query values sign decoded ("dir/", "m 1"), names sorted. */
static void test_list(void **state)
{
    (void)state;
    const struct azsign_kv q[] = {{"restype", "container"},
                                  {"comp", "list"},
                                  {"prefix", "dir/"},
                                  {"marker", "m 1"},
                                  {"maxresults", "2"}};
    const struct azsign_kv h[] = {{"x-ms-version", "2021-12-02"}, {"x-ms-date", DATE}};
    const struct azsign_req r = {"GET", "/" ACCOUNT "/ctr", q, 5, h, 2};
    check(&r, "GWi2pcCYlWEJ1X5uIy4hN7rHjfVFpjcdvtn6WFKyMs8=");
    char *qs = NULL;
    assert_int_equal(azsign_query(q, 5, &qs), 0);
    assert_string_equal(qs, "restype=container&comp=list&prefix=dir%2F&marker=m%201&maxresults=2");
    free(qs);
}

/* Content-Length 0 signs as empty; metadata headers sort among x-ms-*. */
static void test_put_blob_empty(void **state)
{
    (void)state;
    const struct azsign_kv h[] = {
        {"Content-Length", "0"},
        {"Content-Type", "text/csv"},
        {"x-ms-blob-type", "BlockBlob"},
        {"x-ms-meta-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"x-ms-meta-creator", "alice"},
        {"x-ms-version", "2021-12-02"},
        {"x-ms-date", DATE}};
    const struct azsign_req r = {"PUT", "/" ACCOUNT "/ctr/e", NULL, 0, h, 7};
    check(&r, "rZkgz3BbAIDolLOIEIAaTkrsjvCCTLuZY6gN3T4QBXY=");
}

static void test_get_range(void **state)
{
    (void)state;
    const struct azsign_kv h[] = {
        {"x-ms-range", "bytes=0-9"}, {"x-ms-version", "2021-12-02"}, {"X-MS-DATE", DATE}};
    const struct azsign_req r = {"GET", "/" ACCOUNT "/ctr/k", NULL, 0, h, 3};
    check(&r, "UyYjxYbvRjekTOa+XLE82mwddQmfUalDy871koKR0yU=");
}

static void test_sas(void **state)
{
    (void)state;
    char *q = NULL;
    struct azsign_sas s = {ACCOUNT, KEY, "ctr", "dir/a b.csv", "r", T0, T0 + 3600, "text/csv"};
    assert_int_equal(azsign_sas_query(&s, &q), 0);
    assert_string_equal(q, "sv=2021-12-02&st=2026-12-05T01%3A02%3A03Z&se=2026-12-05T02%3A02%3A03Z"
                           "&sr=b&sp=r&rsct=text%2Fcsv"
                           "&sig=kR9FSCWA8odKzgwk4PCKyizWEaW6djoyaWZF2siIzGM%3D");
    free(q);
    struct azsign_sas w = {ACCOUNT, KEY, "ctr", "up/x.bin", "cw", 0, T0 + 600, NULL};
    assert_int_equal(azsign_sas_query(&w, &q), 0);
    assert_string_equal(q, "sv=2021-12-02&se=2026-12-05T01%3A12%3A03Z&sr=b&sp=cw"
                           "&sig=HolS03d%2FK95d8OeEZfpTefrjdgitEwyiF0ksYVgpTpQ%3D");
    free(q);
}

static void test_dates(void **state)
{
    (void)state;
    char d[30], i[21];
    azsign_http_date(T0, d);
    assert_string_equal(d, DATE);
    azsign_iso_date(T0, i);
    assert_string_equal(i, "2026-12-05T01:02:03Z");
}

static void test_refusals(void **state)
{
    (void)state;
    char *out = NULL;
    const struct azsign_kv bad_h[] = {{"x-ms-meta-a", "x\r\nInjected: 1"}};
    const struct azsign_req r = {"GET", "/a/b", NULL, 0, bad_h, 1};
    assert_int_equal(azsign_shared_key(ACCOUNT, KEY, &r, &out), ST_EINVAL);
    const struct azsign_req ok = {"GET", "/a/b", NULL, 0, NULL, 0};
    assert_int_equal(azsign_shared_key(ACCOUNT, "not base64!", &ok, &out), ST_EINVAL);
    assert_int_equal(azsign_shared_key(ACCOUNT, "", &ok, &out), ST_EINVAL);
    assert_int_equal(azsign_shared_key("", KEY, &ok, &out), ST_EINVAL);
    assert_null(out);
    struct azsign_sas s = {ACCOUNT, KEY, "ctr", "b",
                           "r",     T0,  T0,    NULL}; /* expiry not after start */
    assert_int_equal(azsign_sas_query(&s, &out), ST_EINVAL);
    s.expiry = T0 + 1;
    s.blob = "a\nb";
    assert_int_equal(azsign_sas_query(&s, &out), ST_EINVAL);
    assert_null(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_block),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_put_blob_empty),
        cmocka_unit_test(test_get_range),
        cmocka_unit_test(test_sas),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
