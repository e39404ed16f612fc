/* Unit tests for storage/gcs/gcsjwt.c: the assertion's header and claims
 * read back, its RS256 signature verified with OpenSSL against the public
 * half of the test key, the token request body and token replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "gcs_testkey.h"
#include "gcscred.h"
#include "gcsjwt.h"

static struct gcscred *cred;

static int setup(void **st)
{
    (void)st;
    char *json = gcs_test_json("http://127.0.0.1:9/token");
    char err[256];
    int rc = gcscred_parse(json, false, &cred, err, sizeof(err));
    free(json);
    return rc;
}

static int teardown(void **st)
{
    (void)st;
    cred = gcscred_free(cred);
    return 0;
}

/* base64url (no padding) -> bytes, via the standard decoder. */
static unsigned char *unb64url(const char *s, size_t n, size_t *out)
{
    char *t = calloc(1, n + 4);
    for (size_t i = 0; i < n; i++)
        t[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    size_t pad = (4 - n % 4) % 4;
    memset(t + n, '=', pad);
    unsigned char *o = calloc(1, n + 4);
    int k = EVP_DecodeBlock(o, (unsigned char *)t, (int)(n + pad));
    assert_true(k >= 0);
    *out = (size_t)k - pad;
    free(t);
    return o;
}

static json_t *part_json(const char *s, size_t n)
{
    size_t len = 0;
    unsigned char *b = unb64url(s, n, &len);
    json_t *o = json_loadb((char *)b, len, 0, NULL);
    free(b);
    assert_non_null(o);
    return o;
}

static void test_assertion(void **st)
{
    (void)st;
    char *jwt = NULL;
    assert_int_equal(gcsjwt_assertion(cred, 1796432523, 3600, &jwt), 0);
    char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    assert_non_null(d2);
    assert_null(strchr(jwt, '='));
    json_t *h = part_json(jwt, (size_t)(d1 - jwt));
    json_t *c = part_json(d1 + 1, (size_t)(d2 - d1 - 1));
    assert_string_equal(json_string_value(json_object_get(h, "alg")), "RS256");
    assert_string_equal(json_string_value(json_object_get(h, "typ")), "JWT");
    assert_string_equal(json_string_value(json_object_get(h, "kid")), "k1");
    assert_string_equal(json_string_value(json_object_get(c, "iss")), GCS_TEST_EMAIL);
    assert_string_equal(json_string_value(json_object_get(c, "aud")), "http://127.0.0.1:9/token");
    assert_string_equal(json_string_value(json_object_get(c, "scope")), GCSJWT_SCOPE);
    assert_int_equal(json_integer_value(json_object_get(c, "iat")), 1796432523);
    assert_int_equal(json_integer_value(json_object_get(c, "exp")), 1796432523 + 3600);
    /* the signature covers "<header>.<claims>" under the key's public half */
    size_t siglen = 0;
    unsigned char *sig = unb64url(d2 + 1, strlen(d2 + 1), &siglen);
    assert_int_equal(siglen, 256);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, cred->key), 1);
    assert_int_equal(EVP_DigestVerify(md, sig, siglen, (unsigned char *)jwt, (size_t)(d2 - jwt)),
                     1);
    /* one flipped byte of the signed text fails */
    jwt[3] ^= 1;
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, cred->key), 1);
    assert_int_not_equal(
        EVP_DigestVerify(md, sig, siglen, (unsigned char *)jwt, (size_t)(d2 - jwt)), 1);
    EVP_MD_CTX_free(md);
    free(sig);
    json_decref(h);
    json_decref(c);
    free(jwt);
    assert_int_equal(gcsjwt_assertion(cred, 0, 0, &jwt), ST_EINVAL);
    assert_int_equal(gcsjwt_assertion(cred, 0, 3601, &jwt), ST_EINVAL);
}

static void test_b64url(void **st)
{
    (void)st;
    const char *in[] = {"", "f", "fo", "foo", "foob", "\xfb\xff"};
    const char *want[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "-_8"};
    for (size_t i = 0; i < 6; i++) {
        char *o = NULL;
        assert_int_equal(gcsjwt_b64url(in[i], strlen(in[i]), &o), 0);
        assert_string_equal(o, want[i]);
        free(o);
    }
}

static void test_body(void **st)
{
    (void)st;
    char *body = NULL;
    assert_int_equal(gcsjwt_token_body(cred, 1796432523, &body), 0);
    const char *pre = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
    assert_memory_equal(body, pre, strlen(pre));
    assert_int_equal(strspn(body + strlen(pre),
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
                     strlen(body + strlen(pre)));
    free(body);
}

static void check_token(const char *reply, int want_rc, const char *want)
{
    char *tok = NULL, err[256] = "";
    long exp = 0;
    int rc = gcsjwt_token_parse(reply, strlen(reply), &tok, &exp, err, sizeof(err));
    assert_int_equal(rc, want_rc);
    if (!rc) {
        assert_string_equal(tok, want);
        assert_int_equal(exp, 3599);
    } else if (!strstr(err, want)) {
        fail_msg("error '%s' lacks '%s'", err, want);
    }
    free(tok);
}

static void test_token_parse(void **st)
{
    (void)st;
    check_token("{\"access_token\":\"ya29.a-b_c\",\"expires_in\":3599,\"token_type\":\"Bearer\"}",
                0, "ya29.a-b_c");
    check_token("{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT Signature.\"}",
                ST_EINVAL, "invalid_grant: Invalid JWT Signature.");
    check_token("{\"access_token\":\"a\\r\\nX-Evil: 1\",\"expires_in\":3599}", ST_EINVAL,
                "no usable access_token");
    check_token("{\"access_token\":\"abc\"}", ST_EINVAL, "no usable expires_in");
    check_token("<html>", ST_EINVAL, "not a JSON object");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assertion),
        cmocka_unit_test(test_b64url),
        cmocka_unit_test(test_body),
        cmocka_unit_test(test_token_parse),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
