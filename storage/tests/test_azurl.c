/* Unit tests for storage/azblob/azurl.c: endpoints (the account's default,
 * path-style emulator URLs), request paths, and the shape of SAS URLs (their
 * signatures are test_azsign.c's and the emulator's, e2e.azblob_sign). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "azurl.h"
#include "err.h"
#include "storspec.h"

#define KEY                                                                                        \
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

static struct storspec sp;

static void spec(const char *endpoint, const char *account, const char *container)
{
    memset(&sp, 0, sizeof(sp));
    sp.type = STORSPEC_AZBLOB;
    strcpy(sp.endpoint_url, endpoint);
    strcpy(sp.account_name, account);
    strcpy(sp.bucket, container);
}

static void test_parse(void **state)
{
    (void)state;
    struct azurl u;
    char err[200], *p = NULL;
    spec("", "acct", "ctr");
    assert_int_equal(azurl_parse(&sp, &u, err, sizeof(err)), 0);
    assert_string_equal(u.scheme_host, "https://acct.blob.core.windows.net");
    assert_string_equal(u.prefix, "");
    assert_int_equal(azurl_path(&u, "dir/a b+c.csv", &p), 0);
    assert_string_equal(p, "/ctr/dir/a%20b%2Bc.csv");
    free(p);
    spec("http://127.0.0.1:10000/devstoreaccount1/", "devstoreaccount1", "my-ctr");
    assert_int_equal(azurl_parse(&sp, &u, err, sizeof(err)), 0);
    assert_string_equal(u.scheme_host, "http://127.0.0.1:10000");
    assert_string_equal(u.prefix, "/devstoreaccount1");
    assert_int_equal(azurl_path(&u, NULL, &p), 0);
    assert_string_equal(p, "/devstoreaccount1/my-ctr");
    free(p);
    assert_int_equal(azurl_path(&u, "k", &p), 0);
    assert_string_equal(p, "/devstoreaccount1/my-ctr/k");
    free(p);
}

static void test_parse_refused(void **state)
{
    (void)state;
    struct azurl u;
    char err[200];
    const char *bad_ep[] = {"ftp://h",    "http://",    "http://h/p?x=1",
                            "http://u@h", "http://h#f", "127.0.0.1:10000"};
    for (size_t i = 0; i < sizeof(bad_ep) / sizeof(bad_ep[0]); i++) {
        spec(bad_ep[i], "a", "ctr");
        assert_int_equal(azurl_parse(&sp, &u, err, sizeof(err)), ST_EINVAL);
    }
    const char *bad_ctr[] = {"", "ab", "Upper", "a/b", "a_b"};
    for (size_t i = 0; i < sizeof(bad_ctr) / sizeof(bad_ctr[0]); i++) {
        spec("", "a", bad_ctr[i]);
        assert_int_equal(azurl_parse(&sp, &u, err, sizeof(err)), ST_EINVAL);
    }
    spec("", "", "ctr");
    assert_int_equal(azurl_parse(&sp, &u, err, sizeof(err)), ST_EINVAL);
}

static void test_presign(void **state)
{
    (void)state;
    char err[200] = "", *url = NULL;
    spec("http://127.0.0.1:10000/devstoreaccount1", "devstoreaccount1", "ctr");
    assert_int_equal(
        azurl_presign(&sp, "a b.csv", false, "text/csv", 0, 1796432523, &url, err, sizeof(err)),
        ST_EINVAL); /* no key */
    strcpy(sp.account_key, KEY);
    assert_int_equal(
        azurl_presign(&sp, "a b.csv", false, "text/csv", 0, 1796432523, &url, err, sizeof(err)), 0);
    /* start 5 min back, expiry the default hour */
    assert_non_null(strstr(url,
                           "http://127.0.0.1:10000/devstoreaccount1/ctr/a%20b.csv?sv=2021-12-02"
                           "&st=2026-12-05T00%3A57%3A03Z&se=2026-12-05T02%3A02%3A03Z&sr=b&sp=r"
                           "&rsct=text%2Fcsv&sig="));
    assert_null(strstr(url, KEY));
    free(url);
    assert_int_equal(
        azurl_presign(&sp, "up.bin", true, "text/csv", 60, 1796432523, &url, err, sizeof(err)), 0);
    assert_non_null(strstr(url, "&sr=b&sp=cw&sig="));
    assert_null(strstr(url, "rsct")); /* an upload's type is the uploader's header */
    free(url);
    assert_int_equal(azurl_presign(&sp, "k", false, NULL, 604801, 0, &url, err, sizeof(err)),
                     ST_EINVAL);
    assert_int_equal(azurl_presign(&sp, "", false, NULL, 60, 0, &url, err, sizeof(err)), ST_EINVAL);
    assert_null(url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_refused),
        cmocka_unit_test(test_presign),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
