/* Unit tests for the storage section of the configuration
 * (common/config_storage.c and its keys in common/config_keys.c):
 * storage.azblob.* from the file and the environment, the account key as
 * a secret (never in the file, never echoed, also from _FILE), and the
 * checks of storage.type azblob, s3 and gcs, each with the message that
 * names the key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_storage.h"
#include "config_testenv.h"
#include "err.h"
#include "gcs_testkey.h"

/* azurite's published development key: base64 of 64 bytes */
#define AZKEY                                                                                      \
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

/* A valid azblob configuration: the file's keys, the key from the env. */
static void azblob_config(struct config *c)
{
    char err[256];
    assert_int_equal(parse(c,
                           "storage:\n  type: azblob\n  azblob:\n    container: stage-data\n"
                           "    account_name: devstoreaccount1\n"
                           "    endpoint_url: http://127.0.0.1:10000/devstoreaccount1\n"
                           "    root: /svc\n",
                           err),
                     0);
    snprintf(c->storage.azblob.account_key, sizeof(c->storage.azblob.account_key), "%s", AZKEY);
}

static void test_keys(void **st)
{
    (void)st;
    struct config c;
    char err[256];
    azblob_config(&c);
    assert_string_equal(c.storage.type, "azblob");
    assert_string_equal(c.storage.azblob.container, "stage-data");
    assert_string_equal(c.storage.azblob.account_name, "devstoreaccount1");
    assert_string_equal(c.storage.azblob.endpoint_url, "http://127.0.0.1:10000/devstoreaccount1");
    assert_string_equal(c.storage.azblob.root, "/svc");
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    assert_string_equal(config_storage_endpoint(&c), "http://127.0.0.1:10000/devstoreaccount1");
    /* dotted keys and an unknown one */
    assert_int_equal(parse(&c, "storage.azblob.container: abc\n", err), 0);
    assert_string_equal(c.storage.azblob.container, "abc");
    assert_int_equal(parse(&c, "storage:\n  azblob:\n    bucket: abc\n", err), ST_EINVAL);
    assert_string_equal(err, "stage.yaml:3: unknown key 'storage.azblob.bucket'");
    /* a container name longer than Azure allows does not even fit the field */
    assert_int_equal(parse(&c, "storage.azblob.container: " AZKEY "\n", err), ST_EINVAL);
    assert_non_null(strstr(err, "'storage.azblob.container' is too long"));
}

/* The account key is a secret: refused in the file without being echoed,
 * taken from the environment or a file the environment names. */
static void test_account_key_secret(void **st)
{
    (void)st;
    struct config c;
    char err[256], path[] = "/tmp/stage-test-azkey-XXXXXX";
    assert_int_equal(parse(&c, "storage:\n  azblob:\n    account_key: " AZKEY "\n", err),
                     ST_EINVAL);
    assert_non_null(strstr(err, "stage.yaml:3: 'storage.azblob.account_key' is a secret"));
    assert_non_null(strstr(err, "STAGE_STORAGE_AZBLOB_ACCOUNT_KEY"));
    assert_null(strstr(err, "Eby8"));
    assert_string_equal(c.storage.azblob.account_key, "");

    config_defaults(&c);
    setenv_fake("STAGE_STORAGE_AZBLOB_ACCOUNT_KEY", AZKEY);
    setenv_fake("STAGE_STORAGE_AZBLOB_CONTAINER", "from-env");
    assert_int_equal(config_apply_env(&c, fake_getenv, err, sizeof(err)), 0);
    assert_string_equal(c.storage.azblob.account_key, AZKEY);
    assert_string_equal(c.storage.azblob.container, "from-env");

    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "a2V5\n", 5), 5);
    close(fd);
    reset_env(NULL);
    config_defaults(&c);
    setenv_fake("STAGE_STORAGE_AZBLOB_ACCOUNT_KEY_FILE", path);
    assert_int_equal(config_apply_env(&c, fake_getenv, err, sizeof(err)), 0);
    assert_string_equal(c.storage.azblob.account_key, "a2V5"); /* the newline dropped */
    unlink(path);
}

/* A secret file as large as its field: a gcs credential is kilobytes (it
 * used to be read into 1 KiB only). */
static void test_large_secret_file(void **st)
{
    (void)st;
    struct config c;
    char err[256], path[] = "/tmp/stage-test-gcscred-XXXXXX";
    static char big[4001];
    memset(big, 'x', 4000);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, big, 4000), 4000);
    close(fd);
    config_defaults(&c);
    setenv_fake("STAGE_STORAGE_GCS_CREDENTIAL_FILE", path);
    assert_int_equal(config_apply_env(&c, fake_getenv, err, sizeof(err)), 0);
    assert_string_equal(c.storage.gcs.credential, big);
    unlink(path);
}

/* Each missing or bad azblob key is named, the key's value never shown. */
static void test_validate_azblob(void **st)
{
    (void)st;
    static const struct {
        const char *field, *value, *msg;
    } bad[] = {
        {"container", "", "storage.azblob.container: must be set for storage.type azblob"},
        {"container", "ab", "storage.azblob.container: 'ab' is not an Azure container name"},
        {"container", "Stage", "'Stage' is not an Azure container name"},
        {"container", "a--b", "'a--b' is not an Azure container name"},
        {"container", "-ab", "'-ab' is not an Azure container name"},
        {"container", "ab-", "'ab-' is not an Azure container name"},
        {"container", "a_b", "'a_b' is not an Azure container name"},
        {"account_name", "", "storage.azblob.account_name: must be set for storage.type azblob"},
        {"account_key", "",
         "storage.azblob.account_key: must be set for storage.type azblob "
         "(environment STAGE_STORAGE_AZBLOB_ACCOUNT_KEY or "
         "STAGE_STORAGE_AZBLOB_ACCOUNT_KEY_FILE)"},
        {"account_key", "not base64!", "storage.azblob.account_key: is not base64"},
        {"account_key", "abc", "storage.azblob.account_key: is not base64"},
        {"account_key", "ab=c", "storage.azblob.account_key: is not base64"},
        {"endpoint_url", "ftp://h/", "storage.azblob.endpoint_url: 'ftp://h/' is not http"},
        {"endpoint_url", "http://", "storage.azblob.endpoint_url: 'http://' is not http"},
        {"endpoint_url", "http://h/a?x=1", "'http://h/a?x=1' is not http"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct config c;
        char err[512] = "";
        azblob_config(&c);
        char *f = strcmp(bad[i].field, "container") == 0      ? c.storage.azblob.container
                  : strcmp(bad[i].field, "account_name") == 0 ? c.storage.azblob.account_name
                  : strcmp(bad[i].field, "account_key") == 0  ? c.storage.azblob.account_key
                                                              : c.storage.azblob.endpoint_url;
        strcpy(f, bad[i].value);
        assert_int_equal(config_validate(&c, err, sizeof(err)), ST_EINVAL);
        if (!strstr(err, bad[i].msg))
            fail_msg("%s=%s: '%s' lacks '%s'", bad[i].field, bad[i].value, err, bad[i].msg);
        if (strcmp(bad[i].field, "account_key") == 0 && bad[i].value[0])
            assert_null(strstr(err, bad[i].value));
    }
    /* good ones: the shortest and longest names, https, no endpoint (Azure's) */
    struct config c;
    char err[256];
    azblob_config(&c);
    strcpy(c.storage.azblob.container, "a1b");
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    memset(c.storage.azblob.container, 'z', 63);
    c.storage.azblob.container[63] = '\0';
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    strcpy(c.storage.azblob.endpoint_url, "https://acct.blob.core.windows.net");
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    c.storage.azblob.endpoint_url[0] = '\0';
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    assert_string_equal(config_storage_endpoint(&c), "");
    /* the azblob section is checked only when it is the storage */
    config_defaults(&c);
    strcpy(c.storage.azblob.container, "X");
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
}

/* The bucket names AWS and Google allow, and the ones they refuse. */
static void test_bucket_names(void **st)
{
    (void)st;
    static const char *const s3_good[] = {"abc", "a.b-c", "stage-e2e", "my.bucket.1", "1ab"};
    static const char *const s3_bad[] = {"ab",
                                         "Abc",
                                         "a_b",
                                         "-ab",
                                         "ab-",
                                         "ab.",
                                         "a..b",
                                         "192.168.5.4",
                                         "xn--abc",
                                         "sthree-x",
                                         "a-s3alias",
                                         "a--ol-s3",
                                         "amzn-s3-demo-x",
                                         "a.mrap",
                                         "a--x-s3",
                                         "a--table-s3",
                                         "a b",
                                         ""};
    static const char *const gcs_good[] = {"abc", "a_b", "a-b.c", "stage_e2e-1"};
    static const char *const gcs_bad[] = {
        "ab", "Abc", "_ab", "ab_", "a..b", "1.2.3.4", "goog-x", "my-google", "g00gle-x", "a b", ""};
    char name[300];
    for (size_t i = 0; i < sizeof(s3_good) / sizeof(s3_good[0]); i++)
        if (!config_storage_s3_bucket_ok(s3_good[i]))
            fail_msg("s3 '%s' refused", s3_good[i]);
    for (size_t i = 0; i < sizeof(s3_bad) / sizeof(s3_bad[0]); i++)
        if (config_storage_s3_bucket_ok(s3_bad[i]))
            fail_msg("s3 '%s' taken", s3_bad[i]);
    for (size_t i = 0; i < sizeof(gcs_good) / sizeof(gcs_good[0]); i++)
        if (!config_storage_gcs_bucket_ok(gcs_good[i]))
            fail_msg("gcs '%s' refused", gcs_good[i]);
    for (size_t i = 0; i < sizeof(gcs_bad) / sizeof(gcs_bad[0]); i++)
        if (config_storage_gcs_bucket_ok(gcs_bad[i]))
            fail_msg("gcs '%s' taken", gcs_bad[i]);
    /* lengths: 63 for both; S3 never more, GCS up to 222 in dotted parts of <= 63 */
    memset(name, 'a', 64);
    name[63] = '\0';
    assert_true(config_storage_s3_bucket_ok(name));
    assert_true(config_storage_gcs_bucket_ok(name));
    name[63] = 'a';
    name[64] = '\0';
    assert_false(config_storage_s3_bucket_ok(name));
    assert_false(config_storage_gcs_bucket_ok(name));
    memset(name, 'a', 222);
    name[63] = name[127] = name[191] = '.';
    name[222] = '\0';
    assert_true(config_storage_gcs_bucket_ok(name));
    assert_false(config_storage_s3_bucket_ok(name));
    name[222] = 'a';
    name[223] = '\0';
    assert_false(config_storage_gcs_bucket_ok(name));
    memset(name, 'a', 70);
    name[65] = '.';
    name[70] = '\0';
    assert_false(config_storage_gcs_bucket_ok(name)); /* a part of 65 */
}

static void s3_config(struct config *c)
{
    config_defaults(c);
    strcpy(c->storage.type, "s3");
    strcpy(c->storage.s3.bucket, "stage-data");
    strcpy(c->storage.s3.endpoint_url, "http://127.0.0.1:9000");
    strcpy(c->storage.s3.access_key_id, "AKIDEXAMPLE");
    strcpy(c->storage.s3.secret_access_key, "s3-secret-value");
}

/* Each missing or bad s3 key is named, the secret never shown. */
static void test_validate_s3(void **st)
{
    (void)st;
    static const struct {
        const char *field, *value, *msg;
    } bad[] = {
        {"bucket", "", "storage.s3.bucket: must be set for storage.type s3"},
        {"bucket", "Stage", "storage.s3.bucket: 'Stage' is not an S3 bucket name"},
        {"bucket", "a..b", "'a..b' is not an S3 bucket name"},
        {"region", "-us", "storage.s3.region: '-us' is not a region name"},
        {"region", "US_EAST", "storage.s3.region: 'US_EAST' is not a region name"},
        {"endpoint_url", "ftp://h/", "storage.s3.endpoint_url: 'ftp://h/' is not http"},
        {"endpoint_url", "http://h/?x=1", "'http://h/?x=1' is not http"},
        {"access_key_id", "",
         "storage.s3.access_key_id: must be set with storage.s3.secret_access_key"},
        {"secret_access_key", "",
         "storage.s3.secret_access_key: must be set with storage.s3.access_key_id "
         "(environment STAGE_STORAGE_S3_SECRET_ACCESS_KEY)"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct config c;
        char err[512] = "";
        s3_config(&c);
        char *f = strcmp(bad[i].field, "bucket") == 0          ? c.storage.s3.bucket
                  : strcmp(bad[i].field, "region") == 0        ? c.storage.s3.region
                  : strcmp(bad[i].field, "endpoint_url") == 0  ? c.storage.s3.endpoint_url
                  : strcmp(bad[i].field, "access_key_id") == 0 ? c.storage.s3.access_key_id
                                                               : c.storage.s3.secret_access_key;
        strcpy(f, bad[i].value);
        assert_int_equal(config_validate(&c, err, sizeof(err)), ST_EINVAL);
        if (!strstr(err, bad[i].msg))
            fail_msg("%s=%s: '%s' lacks '%s'", bad[i].field, bad[i].value, err, bad[i].msg);
        assert_null(strstr(err, "s3-secret-value"));
    }
    struct config c;
    char err[512];
    s3_config(&c);
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    /* neither key (a session token alone): nothing could sign a request */
    c.storage.s3.access_key_id[0] = c.storage.s3.secret_access_key[0] = '\0';
    assert_int_equal(config_validate(&c, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "storage.s3.access_key_id and storage.s3.secret_access_key: must "
                                "be set for storage.type s3"));
    strcpy(c.storage.s3.session_token, "tok-secret");
    assert_int_equal(config_validate(&c, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "must be set for storage.type s3"));
    assert_null(strstr(err, "tok-secret"));
    s3_config(&c);
    strcpy(c.storage.s3.session_token, "tok-secret");
    c.storage.s3.endpoint_url[0] = '\0'; /* AWS */
    strcpy(c.storage.s3.region, "eu-west-3");
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    c.storage.s3.region[0] = '\0'; /* the backend's default */
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    /* the s3 section is checked only when it is the storage */
    config_defaults(&c);
    strcpy(c.storage.s3.bucket, "X");
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
}

static void gcs_config(struct config *c)
{
    config_defaults(c);
    strcpy(c->storage.type, "gcs");
    strcpy(c->storage.gcs.bucket, "stage_data");
    strcpy(c->storage.gcs.endpoint_url, "http://127.0.0.1:4443");
    char *json = gcs_test_json(NULL);
    snprintf(c->storage.gcs.credential, sizeof(c->storage.gcs.credential), "%s", json);
    free(json);
}

/* The gcs section: bucket, endpoint, the credential present and parsed as
 * the worker parses it (JSON, base64 of it, a key file path), its reason
 * named without any of the credential's text. */
static void test_validate_gcs(void **st)
{
    (void)st;
    struct config c;
    char err[512], path[] = "/tmp/stage-test-gcskey-XXXXXX";
    gcs_config(&c);
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    strcpy(c.storage.gcs.bucket, "");
    assert_int_equal(config_validate(&c, err, sizeof(err)), ST_EINVAL);
    assert_string_equal(err, "storage.gcs.bucket: must be set for storage.type gcs");
    strcpy(c.storage.gcs.bucket, "goog-data");
    assert_int_equal(config_validate(&c, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "storage.gcs.bucket: 'goog-data' is not a GCS bucket name"));
    gcs_config(&c);
    strcpy(c.storage.gcs.endpoint_url, "gs://x");
    assert_int_equal(config_validate(&c, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "storage.gcs.endpoint_url: 'gs://x' is not http"));
    gcs_config(&c);
    strcpy(c.storage.gcs.credential, " \n");
    assert_int_equal(config_validate(&c, err, sizeof(err)), ST_EINVAL);
    assert_string_equal(err, "storage.gcs.credential: must be set for storage.type gcs "
                             "(environment STAGE_STORAGE_GCS_CREDENTIAL or "
                             "STAGE_STORAGE_GCS_CREDENTIAL_FILE)");
    /* not JSON: jansson's excerpt ("near '...'") would quote the credential */
    strcpy(c.storage.gcs.credential, "{\"type\": secretword}");
    assert_int_equal(config_validate(&c, err, sizeof(err)), ST_EINVAL);
    assert_string_equal(err, "storage.gcs.credential: not valid JSON");
    strcpy(c.storage.gcs.credential, "not*base64");
    assert_int_equal(config_validate(&c, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "storage.gcs.credential: neither a service-account JSON"));
    assert_null(strstr(err, "not*base64"));
    strcpy(c.storage.gcs.credential, "{\"type\": \"authorized_user\"}");
    assert_int_equal(config_validate(&c, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "storage.gcs.credential: "));
    strcpy(c.storage.gcs.credential, "/nonexistent/key.json");
    assert_int_equal(config_validate(&c, err, sizeof(err)), ST_EINVAL);
    assert_string_equal(err, "storage.gcs.credential: cannot open the key file");
    /* a key file path, as the operator may give it */
    char *json = gcs_test_json(NULL);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);
    free(json);
    snprintf(c.storage.gcs.credential, sizeof(c.storage.gcs.credential), "%s", path);
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    unlink(path);
    /* the gcs section is checked only when it is the storage */
    config_defaults(&c);
    strcpy(c.storage.gcs.credential, "junk");
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
}

/* The configured endpoint of each type (the SSRF guard trusts it). */
static void test_endpoint(void **st)
{
    (void)st;
    struct config c;
    config_defaults(&c);
    strcpy(c.storage.s3.endpoint_url, "http://s3:1");
    strcpy(c.storage.gcs.endpoint_url, "http://gcs:2");
    strcpy(c.storage.azblob.endpoint_url, "http://az:3/a");
    assert_string_equal(config_storage_endpoint(&c), "");
    strcpy(c.storage.type, "s3");
    assert_string_equal(config_storage_endpoint(&c), "http://s3:1");
    strcpy(c.storage.type, "gcs");
    assert_string_equal(config_storage_endpoint(&c), "http://gcs:2");
    strcpy(c.storage.type, "azblob");
    assert_string_equal(config_storage_endpoint(&c), "http://az:3/a");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_keys, reset_env),
        cmocka_unit_test_setup(test_account_key_secret, reset_env),
        cmocka_unit_test_setup(test_large_secret_file, reset_env),
        cmocka_unit_test_setup(test_validate_azblob, reset_env),
        cmocka_unit_test_setup(test_bucket_names, reset_env),
        cmocka_unit_test_setup(test_validate_s3, reset_env),
        cmocka_unit_test_setup(test_validate_gcs, reset_env),
        cmocka_unit_test_setup(test_endpoint, reset_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
