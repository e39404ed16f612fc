/* Unit tests for storage/registry.c and storage/backend_open.c: the one
 * table of schemes, and a constructor for exactly the schemes it calls
 * available. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "backend_open.h"
#include "config.h"
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

/* The configured storage: azblob, whose backend serves stages only, refuses
 * to start, gcs without its credential says so, an unknown type is invalid. */
static void test_open_config(void **state)
{
    (void)state;
    static struct config cfg;
    char err[200] = "";
    struct backend *b = NULL;
    config_defaults(&cfg);
    snprintf(cfg.storage.type, sizeof(cfg.storage.type), "azblob");
    assert_int_equal(backend_open_config(&b, NULL, &cfg, err, sizeof(err)), ST_EPRECOND);
    assert_null(b);
    assert_non_null(strstr(err, "use azblob:// stages"));
    /* gcs without a credential: the constructor says what is missing */
    snprintf(cfg.storage.type, sizeof(cfg.storage.type), "gcs");
    snprintf(cfg.storage.gcs.bucket, sizeof(cfg.storage.gcs.bucket), "b");
    assert_int_equal(backend_open_config(&b, NULL, &cfg, err, sizeof(err)), ST_EINVAL);
    assert_null(b);
    assert_non_null(strstr(err, "'credential'"));
    snprintf(cfg.storage.type, sizeof(cfg.storage.type), "ftp");
    assert_int_equal(backend_open_config(&b, NULL, &cfg, err, sizeof(err)), ST_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_open_agrees),
        cmocka_unit_test(test_open_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
