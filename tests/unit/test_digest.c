/* Unit tests for common/digest.c: MD5 + SHA-256 streaming, saved states. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "err.h"

static void hash(const char *s, size_t chunk, char *md5, char *sha)
{
    struct digest d;
    assert_int_equal(digest_init(&d), 0);
    size_t n = strlen(s);
    for (size_t at = 0; at < n; at += chunk)
        digest_update(&d, s + at, n - at < chunk ? n - at : chunk);
    digest_final(&d, md5, sha);
}

/* Published vectors (RFC 1321, FIPS 180-2), whatever the chunking. */
static void test_vectors(void **st)
{
    (void)st;
    char md5[DIGEST_MD5_HEX], sha[DIGEST_SHA256_HEX];
    hash("", 1, md5, sha);
    assert_string_equal(md5, "d41d8cd98f00b204e9800998ecf8427e");
    assert_string_equal(sha, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    for (size_t chunk = 1; chunk < 5; chunk++) {
        hash("abc", chunk, md5, sha);
        assert_string_equal(md5, "900150983cd24fb0d6963f7d28e17f72");
        assert_string_equal(sha,
                            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}

/* SHA-256 only (stagectl): the same SHA-256, no MD5. */
static void test_sha256_only(void **st)
{
    (void)st;
    struct digest d;
    char md5[DIGEST_MD5_HEX], sha[DIGEST_SHA256_HEX];
    assert_int_equal(digest_init_sha256(&d), 0);
    digest_update(&d, "abc", 3);
    digest_final(&d, md5, sha);
    assert_string_equal(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_string_equal(md5, "");
}

/* A state saved mid-stream and loaded into a fresh digest ends the same. */
static void test_save_load(void **st)
{
    (void)st;
    struct digest a, b;
    char state[DIGEST_STATE_MAX];
    char m1[DIGEST_MD5_HEX], s1[DIGEST_SHA256_HEX], m2[DIGEST_MD5_HEX], s2[DIGEST_SHA256_HEX];
    assert_int_equal(digest_init(&a), 0);
    digest_update(&a, "hello ", 6);
    digest_save(&a, state);
    assert_true(strlen(state) < sizeof(state));
    assert_int_equal(digest_load(&b, state), 0);
    digest_update(&a, "world", 5);
    digest_update(&b, "world", 5);
    digest_final(&a, m1, s1);
    digest_final(&b, m2, s2);
    assert_string_equal(m1, m2);
    assert_string_equal(s1, s2);
    assert_string_equal(m1, "5eb63bbbe01eeed093cb22bb8f5acdc3");
}

/* An older state (SHA-256 only) loads with the MD5 unknown. */
static void test_sha_only_state(void **st)
{
    (void)st;
    struct digest a, b;
    char state[DIGEST_STATE_MAX], md5[DIGEST_MD5_HEX], sha[DIGEST_SHA256_HEX];
    assert_int_equal(digest_init(&a), 0);
    digest_update(&a, "ab", 2);
    digest_save(&a, state);
    *strchr(state, ':') = '\0';
    assert_int_equal(digest_load(&b, state), 0);
    digest_update(&b, "c", 1);
    digest_final(&b, md5, sha);
    assert_string_equal(md5, "");
    assert_string_equal(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_bad_states(void **st)
{
    (void)st;
    struct digest d;
    char state[DIGEST_STATE_MAX];
    assert_int_equal(digest_load(&d, ""), ST_EINVAL);
    assert_int_equal(digest_load(&d, "zz"), ST_EINVAL);
    assert_int_equal(digest_init(&d), 0);
    digest_save(&d, state);
    state[strlen(state) - 1] = '\0'; /* one digit short */
    assert_int_equal(digest_load(&d, state), ST_EINVAL);
    digest_save(&d, state);
    state[3] = 'g';
    assert_int_equal(digest_load(&d, state), ST_EINVAL);
}

static void test_hex_ok(void **st)
{
    (void)st;
    assert_true(digest_hex_ok("d41d8cd98f00b204e9800998ecf8427e", 32));
    assert_true(digest_hex_ok("D41D8CD98F00B204E9800998ECF8427E", 32));
    assert_false(digest_hex_ok("d41d8cd98f00b204e9800998ecf8427", 32));
    assert_false(digest_hex_ok("d41d8cd98f00b204e9800998ecf8427e0", 32));
    assert_false(digest_hex_ok("x41d8cd98f00b204e9800998ecf8427e", 32));
    assert_false(digest_hex_ok("", 32));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_sha_only_state), cmocka_unit_test(test_bad_states),
        cmocka_unit_test(test_hex_ok),         cmocka_unit_test(test_sha256_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
