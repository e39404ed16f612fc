/* Unit tests for common/secret.c: AES-256-GCM sealing, key loading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "secret.h"

/* 32 bytes 0x00..0x1f, base64 */
#define KEY_B64  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY2_B64 "HwECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

static void load(struct secret_key *k, const char *b64)
{
    char err[256];
    assert_int_equal(secret_key_parse(k, b64, err, sizeof(err)), 0);
    assert_true(k->set);
}

static void test_key_parse(void **st)
{
    (void)st;
    struct secret_key k;
    char err[256];
    load(&k, KEY_B64);
    for (int i = 0; i < SECRET_KEY_BYTES; i++)
        assert_int_equal(k.k[i], i);
    static const char *const bad[] = {
        "", "abc", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd",
        "!!!!AwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", KEY_B64 "AAAA"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(secret_key_parse(&k, bad[i], err, sizeof(err)), ST_EINVAL);
        assert_false(k.set);
        assert_non_null(strstr(err, "32 bytes"));
    }
}

static void test_roundtrip(void **st)
{
    (void)st;
    struct secret_key k;
    load(&k, KEY_B64);
    const char *pt = "{\"secret_access_key\":\"wJalrXUtnFEMI\"}";
    char *a = NULL, *b = NULL;
    assert_int_equal(secret_seal(&k, pt, strlen(pt), "storage:s3://b/", &a), 0);
    assert_int_equal(secret_seal(&k, pt, strlen(pt), "storage:s3://b/", &b), 0);
    assert_int_equal(strncmp(a, "v1:", 3), 0);
    assert_null(strstr(a, "wJalr")); /* not in clear */
    assert_string_not_equal(a, b);   /* fresh nonce each time */
    unsigned char *out = NULL;
    size_t n = 0;
    assert_int_equal(secret_open(&k, a, "storage:s3://b/", &out, &n), 0);
    assert_int_equal(n, strlen(pt));
    assert_memory_equal(out, pt, n);
    assert_int_equal(out[n], '\0');
    free(out);
    free(a);
    free(b);
}

static void test_empty_plaintext(void **st)
{
    (void)st;
    struct secret_key k;
    load(&k, KEY_B64);
    char *a = NULL;
    assert_int_equal(secret_seal(&k, "", 0, NULL, &a), 0);
    unsigned char *out = NULL;
    size_t n = 1;
    assert_int_equal(secret_open(&k, a, NULL, &out, &n), 0);
    assert_int_equal(n, 0);
    free(out);
    free(a);
}

static void test_refusals(void **st)
{
    (void)st;
    struct secret_key k, k2, none = {{0}, false};
    load(&k, KEY_B64);
    load(&k2, KEY2_B64);
    char *a = NULL;
    assert_int_equal(secret_seal(&none, "x", 1, "aad", &a), ST_EINVAL);
    assert_null(a);
    assert_int_equal(secret_seal(&k, "hello", 5, "aad", &a), 0);
    unsigned char *out = NULL;
    size_t n;
    assert_int_equal(secret_open(&k2, a, "aad", &out, &n), ST_EPERM);    /* wrong key */
    assert_int_equal(secret_open(&k, a, "other", &out, &n), ST_EPERM);   /* wrong aad */
    assert_int_equal(secret_open(&none, a, "aad", &out, &n), ST_EINVAL); /* no key */
    assert_null(out);
    /* flip one ciphertext bit: the tag no longer verifies */
    size_t len = strlen(a);
    char *t = strdup(a);
    t[len - 8] = t[len - 8] == 'A' ? 'B' : 'A';
    assert_int_equal(secret_open(&k, t, "aad", &out, &n), ST_EPERM);
    free(t);
    assert_int_equal(secret_open(&k, "v2:abcd", "aad", &out, &n), ST_EINVAL);
    assert_int_equal(secret_open(&k, "v1:", "aad", &out, &n), ST_EINVAL);
    assert_int_equal(secret_open(&k, "v1:AAAA", "aad", &out, &n), ST_EINVAL); /* too short */
    free(a);
}

static void test_from_env(void **st)
{
    (void)st;
    struct secret_key k;
    char err[256], path[] = "/tmp/test_secret_XXXXXX";
    unsetenv("STAGE_MASTER_KEY");
    unsetenv("STAGE_MASTER_KEY_FILE");
    assert_int_equal(secret_key_from_env(&k, err, sizeof(err)), 0);
    assert_false(k.set);
    setenv("STAGE_MASTER_KEY", KEY_B64, 1);
    assert_int_equal(secret_key_from_env(&k, err, sizeof(err)), 0);
    assert_true(k.set);
    unsetenv("STAGE_MASTER_KEY");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(KEY2_B64 "\n", f); /* a trailing newline, as `kubectl create secret` files have */
    fclose(f);
    setenv("STAGE_MASTER_KEY_FILE", path, 1);
    assert_int_equal(secret_key_from_env(&k, err, sizeof(err)), 0);
    assert_true(k.set);
    assert_int_equal(k.k[0], 0x1f);
    unlink(path);
    assert_int_equal(secret_key_from_env(&k, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "STAGE_MASTER_KEY_FILE"));
    unsetenv("STAGE_MASTER_KEY_FILE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_parse),       cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_empty_plaintext), cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_from_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
