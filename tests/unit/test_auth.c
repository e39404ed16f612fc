/* Unit tests for frontend/cred.c: base64, PBKDF2 password hashes, bearer
 * tokens (tamper, expiry, generation) and the authorization header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "cred.h"
#include "err.h"

static const unsigned char secret[32] = "0123456789abcdef0123456789abcde";

static void test_b64url(void **st)
{
    (void)st;
    char out[64];
    unsigned char back[64];
    assert_int_equal(cred_b64url_encode((const unsigned char *)"", 0, out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(cred_b64url_encode((const unsigned char *)"f", 1, out, sizeof(out)), 2);
    assert_string_equal(out, "Zg");
    cred_b64url_encode((const unsigned char *)"foobar", 6, out, sizeof(out));
    assert_string_equal(out, "Zm9vYmFy");
    const unsigned char bin[] = {0xfb, 0xff, 0xfe};
    cred_b64url_encode(bin, 3, out, sizeof(out));
    assert_string_equal(out, "-__-");
    assert_int_equal(cred_b64_decode("-__-", 4, false, back, sizeof(back)), 3);
    assert_memory_equal(back, bin, 3);
    /* too small an output buffer */
    assert_int_equal(cred_b64url_encode((const unsigned char *)"foobar", 6, out, 8), -1);
    /* round trip of every length */
    unsigned char in[40];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (unsigned char)(i * 37 + 11);
    for (size_t len = 0; len <= sizeof(in); len++) {
        int n = cred_b64url_encode(in, len, out, sizeof(out));
        assert_true(n >= 0);
        assert_int_equal(cred_b64_decode(out, (size_t)n, false, back, sizeof(back)), (int)len);
        assert_memory_equal(back, in, len);
    }
}

static void test_b64_decode_errors(void **st)
{
    (void)st;
    unsigned char out[16];
    assert_int_equal(cred_b64_decode("Zm9vYmFy", 8, true, out, sizeof(out)), 6);
    assert_int_equal(cred_b64_decode("Zg==", 4, true, out, sizeof(out)), 1);
    assert_int_equal(cred_b64_decode("Zg", 2, true, out, sizeof(out)), 1);
    assert_int_equal(cred_b64_decode("Z", 1, true, out, sizeof(out)), -1);     /* bad length */
    assert_int_equal(cred_b64_decode("Zm9v!", 5, true, out, sizeof(out)), -1); /* bad char */
    assert_int_equal(cred_b64_decode("+/", 2, false, out, sizeof(out)), -1);   /* std in url */
    assert_int_equal(cred_b64_decode("Zh", 2, false, out, sizeof(out)), -1);   /* stray bits */
    assert_int_equal(cred_b64_decode("Zm9vYmFy", 8, true, out, 5), -1);        /* no room */
}

static void test_hex(void **st)
{
    (void)st;
    unsigned char b[4];
    char h[9];
    cred_hex((const unsigned char *)"\x01\xab\xff\x00", 4, h);
    assert_string_equal(h, "01abff00");
    assert_int_equal(cred_unhex("01ABff00", b, sizeof(b)), 4);
    assert_memory_equal(b, "\x01\xab\xff\x00", 4);
    assert_int_equal(cred_unhex("abc", b, sizeof(b)), -1);
    assert_int_equal(cred_unhex("zz", b, sizeof(b)), -1);
    assert_int_equal(cred_unhex("0011223344", b, sizeof(b)), -1);
}

static void test_pbkdf2(void **st)
{
    (void)st;
    char out[CRED_HEX_MAX], salt[CRED_HEX_MAX], salt2[CRED_HEX_MAX];
    /* RFC 7914 §11 / well-known PBKDF2-HMAC-SHA256 vector: "password", "salt", c=1 */
    assert_int_equal(cred_pw_hash("password", "73616c74", 1, out), 0);
    assert_string_equal(out, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b");
    assert_int_equal(cred_pw_hash("password", "73616c74", 4096, out), 0);
    assert_string_equal(out, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
    assert_int_equal(cred_salt_new(salt), 0);
    assert_int_equal(cred_salt_new(salt2), 0);
    assert_int_equal(strlen(salt), 2 * CRED_SALT_BYTES);
    assert_string_not_equal(salt, salt2);
    assert_int_equal(cred_pw_hash("s3cret", salt, 1000, out), 0);
    assert_true(cred_pw_check("s3cret", salt, 1000, out));
    assert_false(cred_pw_check("s3cres", salt, 1000, out));
    assert_false(cred_pw_check("s3cret", salt2, 1000, out));
    assert_false(cred_pw_check("s3cret", salt, 1001, out));
    assert_false(cred_pw_check("s3cret", salt, 1000, ""));
    assert_false(cred_pw_check("s3cret", salt, 1000, NULL));
    assert_int_equal(cred_pw_hash("x", "not-hex", 1000, out), ST_EINVAL);
    assert_int_equal(cred_pw_hash("x", salt, 0, out), ST_EINVAL);
}

static void test_token_roundtrip(void **st)
{
    (void)st;
    char tok[CRED_TOKEN_MAX];
    struct cred_token t;
    assert_int_equal(cred_token_make(secret, sizeof(secret), "root", 7, 5000, tok, sizeof(tok)), 0);
    assert_true(strncmp(tok, "v1.", 3) == 0);
    assert_int_equal(cred_token_verify(secret, sizeof(secret), tok, 4999, &t), 0);
    assert_string_equal(t.user, "root");
    assert_int_equal(t.gen, 7);
    assert_int_equal(t.expires_ms, 5000);
    /* expiry */
    assert_int_equal(cred_token_verify(secret, sizeof(secret), tok, 5000, &t), ST_EAUTH);
    assert_int_equal(cred_token_verify(secret, sizeof(secret), tok, 9999, &t), ST_EAUTH);
    /* another secret */
    unsigned char other[32];
    memcpy(other, secret, sizeof(other));
    other[0] ^= 1;
    assert_int_equal(cred_token_verify(other, sizeof(other), tok, 1, &t), ST_EAUTH);
    /* bad users */
    assert_int_equal(cred_token_make(secret, sizeof(secret), "a|b", 1, 5000, tok, sizeof(tok)),
                     ST_EINVAL);
    assert_int_equal(cred_token_make(secret, sizeof(secret), "", 1, 5000, tok, sizeof(tok)),
                     ST_EINVAL);
}

static void test_token_tamper(void **st)
{
    (void)st;
    char tok[CRED_TOKEN_MAX], bad[CRED_TOKEN_MAX], forged[CRED_TOKEN_MAX];
    struct cred_token t;
    cred_token_make(secret, sizeof(secret), "alice", 1, 5000, tok, sizeof(tok));
    /* flip each character of the token in turn: every change is refused */
    for (size_t i = 0; tok[i]; i++) {
        strcpy(bad, tok);
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        assert_int_equal(cred_token_verify(secret, sizeof(secret), bad, 1, &t), ST_EAUTH);
    }
    /* a token of another generation or user does not carry over its signature */
    cred_token_make(secret, sizeof(secret), "alice", 2, 5000, forged, sizeof(forged));
    const char *sig = strrchr(tok, '.');
    *strrchr(forged, '.') = '\0';
    strcat(forged, sig);
    assert_int_equal(cred_token_verify(secret, sizeof(secret), forged, 1, &t), ST_EAUTH);
    /* malformed */
    assert_int_equal(cred_token_verify(secret, sizeof(secret), "", 1, &t), ST_EAUTH);
    assert_int_equal(cred_token_verify(secret, sizeof(secret), "v1.", 1, &t), ST_EAUTH);
    assert_int_equal(cred_token_verify(secret, sizeof(secret), "v2.abc.def", 1, &t), ST_EAUTH);
    strcpy(bad, tok);
    *strrchr(bad, '.') = '\0';
    assert_int_equal(cred_token_verify(secret, sizeof(secret), bad, 1, &t), ST_EAUTH);
}

static void test_header(void **st)
{
    (void)st;
    struct cred_header h;
    const char *v = "Basic cm9vdDpzM2NyZXQ6eA=="; /* root:s3cret:x */
    assert_int_equal(cred_parse_header(v, strlen(v), &h), 0);
    assert_int_equal(h.scheme, CRED_BASIC);
    assert_string_equal(h.user, "root");
    assert_string_equal(h.password, "s3cret:x");
    v = "basic   cm9vdDo="; /* root: (empty password), scheme in lower case */
    assert_int_equal(cred_parse_header(v, strlen(v), &h), 0);
    assert_string_equal(h.user, "root");
    assert_string_equal(h.password, "");
    v = "Bearer v1.abc.def ";
    assert_int_equal(cred_parse_header(v, strlen(v), &h), 0);
    assert_int_equal(h.scheme, CRED_BEARER);
    assert_string_equal(h.token, "v1.abc.def");
    const char *bad[] = {"",           "Bearer",      "Bearer ",
                         "Basic ",     "Basic !!!!",  "Basic cm9vdA==", /* no colon */
                         "Basic OnB3",                                  /* empty user */
                         "Digest abc", "Token v1.a.b"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(cred_parse_header(bad[i], strlen(bad[i]), &h), ST_EAUTH);
    /* not NUL-terminated input: only `len` bytes count */
    assert_int_equal(cred_parse_header("Bearer abcXYZ", 10, &h), 0);
    assert_string_equal(h.token, "abc");
    cred_header_wipe(&h);
    assert_int_equal(h.token[0], 0);
}

/* RFC 5869, test case 1. */
static void test_hkdf(void **st)
{
    (void)st;
    unsigned char ikm[22], salt[13], info[10], okm[42];
    static const char want[] = "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                               "34007208d5b887185865";
    char hex[2 * sizeof(okm) + 1];
    memset(ikm, 0x0b, sizeof(ikm));
    for (unsigned i = 0; i < sizeof(salt); i++)
        salt[i] = (unsigned char)i;
    for (unsigned i = 0; i < sizeof(info); i++)
        info[i] = (unsigned char)(0xf0 + i);
    assert_int_equal(
        cred_hkdf(ikm, sizeof(ikm), salt, sizeof(salt), info, sizeof(info), okm, sizeof(okm)), 0);
    cred_hex(okm, sizeof(okm), hex);
    assert_string_equal(hex, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64url),
        cmocka_unit_test(test_b64_decode_errors),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_pbkdf2),
        cmocka_unit_test(test_token_roundtrip),
        cmocka_unit_test(test_token_tamper),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_hkdf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
