/* Unit tests for storage/registry.c, storage/backend_open.c and
 * storage/confspec.c: the one table of schemes, a constructor for exactly
 * the schemes it calls available, and the configured storage's spec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "backend_open.h"
#include "config.h"
#include "confspec.h"
#include "err.h"
#include "registry.h"
#include "storspec.h"

static void test_find(void **state)
{
    (void)state;
    assert_int_equal(registry_find("s3")->type, STORSPEC_S3);
    assert_int_equal(registry_find("fs")->type, STORSPEC_FS);
    assert_int_equal(registry_find("gcs")->type, STORSPEC_GCS);
    assert_int_equal(registry_find("azblob")->type, STORSPEC_AZBLOB);
    assert_null(registry_find("S3"));
    assert_null(registry_find("s"));
    assert_null(registry_find("s3x"));
    assert_null(registry_find(""));
    assert_null(registry_find(NULL));
    assert_non_null(registry_find_n("s3://b/", 2));
    assert_null(registry_get(STORSPEC_NONE));
    assert_string_equal(storspec_type_name(STORSPEC_AZBLOB), "azblob");
    assert_string_equal(storspec_type_name(STORSPEC_NONE), "");
}

static void test_names(void **state)
{
    (void)state;
    char buf[64], small[6];
    assert_string_equal(registry_names(buf, sizeof(buf), false), "fs, s3, gcs, azblob");
    assert_string_equal(registry_names(buf, sizeof(buf), true), "fs, s3, gcs, azblob");
    assert_string_equal(registry_names(small, sizeof(small), false), "fs, s");
    assert_true(registry_available("s3"));
    assert_true(registry_available("gcs"));
    assert_true(registry_available("azblob"));
    assert_false(registry_available("nope"));
    assert_false(registry_available(NULL));
}

/* `available` and backend_open()'s constructors say the same, and a known
 * scheme without one is FAILED_PRECONDITION with the old message. */
static void test_open_agrees(void **state)
{
    (void)state;
    for (int t = STORSPEC_FS; t <= STORSPEC_AZBLOB; t++) {
        const struct registry_scheme *r = registry_get((enum storspec_type)t);
        assert_non_null(r);
        assert_int_equal(r->available, backend_open_has((enum storspec_type)t));
        if (r->available)
            continue;
        struct storspec sp = {.type = (enum storspec_type)t};
        struct backend *b = (struct backend *)&sp;
        char err[200] = "", want[64];
        assert_int_equal(backend_open(&b, NULL, &sp, NULL, err, sizeof(err)), ST_EPRECOND);
        assert_null(b);
        snprintf(want, sizeof(want), "backend %s is not available yet", r->name);
        assert_non_null(strstr(err, want));
    }
}

/* The configured storage: azblob opens on its section, gcs without its
 * credential says so, an unknown type is invalid. */
static void test_open_config(void **state)
{
    (void)state;
    static struct config cfg;
    char err[200] = "";
    struct backend *b = NULL;
    struct event_base *base = event_base_new();
    assert_non_null(base);
    config_defaults(&cfg);
    snprintf(cfg.storage.type, sizeof(cfg.storage.type), "azblob");
    /* without the account the constructor says what is missing */
    assert_int_equal(backend_open_config(&b, base, &cfg, err, sizeof(err)), ST_EINVAL);
    assert_null(b);
    assert_non_null(strstr(err, "account_name and account_key"));
    snprintf(cfg.storage.azblob.container, sizeof(cfg.storage.azblob.container), "stage");
    snprintf(cfg.storage.azblob.account_name, sizeof(cfg.storage.azblob.account_name), "acct");
    snprintf(cfg.storage.azblob.account_key, sizeof(cfg.storage.azblob.account_key), "a2V5");
    assert_int_equal(backend_open_config(&b, base, &cfg, err, sizeof(err)), 0);
    assert_non_null(b);
    assert_string_equal(b->ops->name, "azblob");
    backend_free(b);
    b = NULL;
    /* gcs without a credential: the constructor says what is missing */
    snprintf(cfg.storage.type, sizeof(cfg.storage.type), "gcs");
    snprintf(cfg.storage.gcs.bucket, sizeof(cfg.storage.gcs.bucket), "b");
    assert_int_equal(backend_open_config(&b, NULL, &cfg, err, sizeof(err)), ST_EINVAL);
    assert_null(b);
    assert_non_null(strstr(err, "'credential'"));
    snprintf(cfg.storage.type, sizeof(cfg.storage.type), "ftp");
    assert_int_equal(backend_open_config(&b, NULL, &cfg, err, sizeof(err)), ST_EINVAL);
    event_base_free(base);
}

/* The configured storage's spec for each type: the section's fields, the
 * root without a leading '/' and with a trailing one, secrets included. */
static void test_confspec(void **state)
{
    (void)state;
    static struct config cfg;
    static struct storspec sp;
    char err[200] = "";
    config_defaults(&cfg);
    assert_int_equal(confspec_from_config(&cfg, &sp, err, sizeof(err)), 0);
    assert_int_equal(sp.type, STORSPEC_FS);
    assert_string_equal(sp.root, "./data");
    snprintf(cfg.storage.type, sizeof(cfg.storage.type), "azblob");
    snprintf(cfg.storage.azblob.container, sizeof(cfg.storage.azblob.container), "ctr");
    snprintf(cfg.storage.azblob.root, sizeof(cfg.storage.azblob.root), "/svc/a");
    snprintf(cfg.storage.azblob.endpoint_url, sizeof(cfg.storage.azblob.endpoint_url),
             "http://e/a");
    snprintf(cfg.storage.azblob.account_name, sizeof(cfg.storage.azblob.account_name), "a");
    snprintf(cfg.storage.azblob.account_key, sizeof(cfg.storage.azblob.account_key), "a2V5");
    assert_int_equal(confspec_from_config(&cfg, &sp, err, sizeof(err)), 0);
    assert_int_equal(sp.type, STORSPEC_AZBLOB);
    assert_string_equal(sp.bucket, "ctr");
    assert_string_equal(sp.root, "svc/a/");
    assert_string_equal(sp.url, "azblob://ctr/svc/a/");
    assert_string_equal(sp.endpoint_url, "http://e/a");
    assert_string_equal(sp.account_name, "a");
    assert_string_equal(sp.account_key, "a2V5");
    storspec_wipe(&sp);
    assert_string_equal(sp.account_key, "");
    snprintf(cfg.storage.type, sizeof(cfg.storage.type), "s3");
    snprintf(cfg.storage.s3.bucket, sizeof(cfg.storage.s3.bucket), "bkt");
    assert_int_equal(confspec_from_config(&cfg, &sp, err, sizeof(err)), 0);
    assert_string_equal(sp.url, "s3://bkt/");
    assert_string_equal(sp.root, "");
    assert_string_equal(sp.region, "us-east-1");
    snprintf(cfg.storage.type, sizeof(cfg.storage.type), "gcs");
    snprintf(cfg.storage.gcs.bucket, sizeof(cfg.storage.gcs.bucket), "g");
    snprintf(cfg.storage.gcs.root, sizeof(cfg.storage.gcs.root), "r/");
    assert_int_equal(confspec_from_config(&cfg, &sp, err, sizeof(err)), 0);
    assert_string_equal(sp.url, "gcs://g/r/");
    snprintf(cfg.storage.type, sizeof(cfg.storage.type), "ftp");
    assert_int_equal(confspec_from_config(&cfg, &sp, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "'ftp'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),        cmocka_unit_test(test_names),
        cmocka_unit_test(test_open_agrees), cmocka_unit_test(test_open_config),
        cmocka_unit_test(test_confspec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
