/* Unit tests for storage/gcs/gcscred.c: the three forms of a credential and
 * an error naming the bad part for each way one can be wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "gcs_testkey.h"
#include "gcscred.h"

static char *b64(const char *s)
{
    size_t n = strlen(s);
    char *o = malloc(n / 3 * 4 + 8);
    EVP_EncodeBlock((unsigned char *)o, (const unsigned char *)s, (int)n);
    return o;
}

static void check_ok(const char *cred, bool allow_file)
{
    struct gcscred *c = NULL;
    char err[256] = "";
    assert_int_equal(gcscred_parse(cred, allow_file, &c, err, sizeof(err)), 0);
    assert_string_equal(c->client_email, GCS_TEST_EMAIL);
    assert_string_equal(c->token_uri, "http://127.0.0.1:1/token");
    assert_string_equal(c->private_key_id, "k1");
    assert_string_equal(c->project_id, "stage-test-project");
    assert_non_null(c->key);
    assert_null(gcscred_free(c));
}

static void test_forms(void **st)
{
    (void)st;
    char *json = gcs_test_json("http://127.0.0.1:1/token");
    check_ok(json, false);
    char *enc = b64(json);
    check_ok(enc, false);
    /* base64 wrapped at 76 columns, as `base64` prints it */
    size_t n = strlen(enc);
    char *wrapped = calloc(1, n + n / 76 + 2);
    for (size_t i = 0, k = 0; i < n; i++) {
        wrapped[k++] = enc[i];
        if (i % 76 == 75)
            wrapped[k++] = '\n';
    }
    check_ok(wrapped, false);
    char path[] = "/tmp/gcscred-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);
    check_ok(path, true);
    /* a path is not opened unless allowed (a user's stage) */
    struct gcscred *c = NULL;
    char err[256] = "";
    assert_int_equal(gcscred_parse(path, false, &c, err, sizeof(err)), ST_EINVAL);
    assert_null(c);
    unlink(path);
    free(wrapped);
    free(enc);
    free(json);
}

static void check_err(const char *cred, const char *want)
{
    struct gcscred *c = (struct gcscred *)1;
    char err[256] = "";
    assert_int_equal(gcscred_parse(cred, false, &c, err, sizeof(err)), ST_EINVAL);
    assert_null(c);
    if (!strstr(err, want))
        fail_msg("error '%s' lacks '%s'", err, want);
}

static void test_errors(void **st)
{
    (void)st;
    check_err("", "credential: empty");
    check_err("not base64 !!", "neither a service-account JSON nor its base64");
    check_err("aGVsbG8=", "not a service-account JSON object"); /* "hello" */
    check_err("{\"type\": ", "not valid JSON");
    { /* a broken key never shows in the message (it reaches logs and callers) */
        const char *bad = "{\"private_key\": MIIEvQIBADANBgkqhkiG9w0BAQEFAASC}";
        struct gcscred *c = NULL;
        char err[256] = "";
        assert_int_equal(gcscred_parse_json(bad, strlen(bad), &c, err, sizeof(err)), ST_EINVAL);
        assert_non_null(strstr(err, "not valid JSON (line 1, column"));
        assert_null(strstr(err, "MIIE"));
    }
    check_err("[1]", "neither");
    check_err("{}", "type is missing");
    check_err("{\"type\":\"authorized_user\"}", "type is 'authorized_user'");
    check_err("{\"type\":\"service_account\"}", "client_email is missing");
    check_err("{\"type\":\"service_account\",\"client_email\":7}", "client_email is not a string");
    check_err("{\"type\":\"service_account\",\"client_email\":\"nobody\"}",
              "client_email is not an e-mail address");
    check_err("{\"type\":\"service_account\",\"client_email\":\"a@b\",\"token_uri\":\"ftp://x\"}",
              "token_uri is not an http(s) URL");
    check_err("{\"type\":\"service_account\",\"client_email\":\"a@b\"}", "private_key is missing");
    check_err("{\"type\":\"service_account\",\"client_email\":\"a@b\",\"private_key\":\"xyz\"}",
              "private_key is not a PEM private key");
    /* the decoded JSON's errors come through the base64 form too */
    char *enc = b64("{\"type\":\"service_account\",\"client_email\":\"a@b\"}");
    check_err(enc, "private_key is missing");
    free(enc);
}

static void test_not_rsa(void **st)
{
    (void)st;
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(k);
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL);
    char *pem = NULL;
    long n = BIO_get_mem_data(bio, &pem);
    json_t *o = json_pack("{s:s,s:s,s:s#}", "type", "service_account", "client_email", "a@b",
                          "private_key", pem, (int)n);
    char *s = json_dumps(o, 0);
    check_err(s, "private_key is not an RSA key");
    free(s);
    json_decref(o);
    BIO_free(bio);
    EVP_PKEY_free(k);
}

static void test_default_token_uri(void **st)
{
    (void)st;
    char *json = gcs_test_json(NULL);
    struct gcscred *c = NULL;
    char err[256];
    assert_int_equal(gcscred_parse(json, false, &c, err, sizeof(err)), 0);
    assert_string_equal(c->token_uri, GCSCRED_TOKEN_URI);
    gcscred_free(c);
    free(json);
    assert_null(gcscred_free(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_not_rsa),
        cmocka_unit_test(test_default_token_uri),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
