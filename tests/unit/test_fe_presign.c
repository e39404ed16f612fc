/* Unit tests for frontend/presign_fs.c: presigned fs URL tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "presign_fs.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";

static struct presign_claims claims(void)
{
    struct presign_claims c = {.put = true, .gen = 3, .expires = 2000};
    strcpy(c.user, "alice");
    strcpy(c.content_type, "text/csv");
    strcpy(c.location, "@s1/dir/a b+c.csv");
    return c;
}

static void test_round_trip(void **st)
{
    (void)st;
    struct presign_claims c = claims(), got;
    char tok[2400];
    assert_int_equal(presign_fs_sign(key, sizeof(key), &c, tok, sizeof(tok)), 0);
    assert_null(strpbrk(tok, "/?#&%+= ")); /* a URL path segment as is */
    assert_int_equal(presign_fs_verify(key, sizeof(key), tok, 1999, &got), 0);
    assert_true(got.put);
    assert_string_equal(got.user, "alice");
    assert_int_equal(got.gen, 3);
    assert_int_equal(got.expires, 2000);
    assert_string_equal(got.content_type, "text/csv");
    assert_string_equal(got.location, "@s1/dir/a b+c.csv");
    c.put = false;
    c.content_type[0] = '\0';
    assert_int_equal(presign_fs_sign(key, sizeof(key), &c, tok, sizeof(tok)), 0);
    assert_int_equal(presign_fs_verify(key, sizeof(key), tok, 0, &got), 0);
    assert_false(got.put);
    assert_string_equal(got.content_type, "");
}

static void test_expired(void **st)
{
    (void)st;
    struct presign_claims c = claims(), got;
    char tok[2400];
    assert_int_equal(presign_fs_sign(key, sizeof(key), &c, tok, sizeof(tok)), 0);
    assert_int_equal(presign_fs_verify(key, sizeof(key), tok, 2000, &got), ST_ETIMEOUT);
    assert_int_equal(presign_fs_verify(key, sizeof(key), tok, 99999, &got), ST_ETIMEOUT);
}

/* Any changed character, a wrong key, a cut token: refused. */
static void test_tampered(void **st)
{
    (void)st;
    struct presign_claims c = claims(), got;
    char tok[2400], bad[2400];
    static const char alt[] = "AB-_.0z";
    assert_int_equal(presign_fs_sign(key, sizeof(key), &c, tok, sizeof(tok)), 0);
    size_t n = strlen(tok);
    for (size_t i = 0; i < n; i++) {
        for (const char *a = alt; *a; a++) {
            if (*a == tok[i])
                continue;
            strcpy(bad, tok);
            bad[i] = *a;
            if (presign_fs_verify(key, sizeof(key), bad, 0, &got) != ST_EPERM)
                fail_msg("changing char %zu to '%c' was accepted", i, *a);
        }
    }
    unsigned char other[32];
    memcpy(other, key, sizeof(other));
    other[5] ^= 1;
    assert_int_equal(presign_fs_verify(other, sizeof(other), tok, 0, &got), ST_EPERM);
    strcpy(bad, tok);
    bad[n - 1] = '\0';
    assert_int_equal(presign_fs_verify(key, sizeof(key), bad, 0, &got), ST_EPERM);
    assert_int_equal(presign_fs_verify(key, sizeof(key), "", 0, &got), ST_EPERM);
    assert_int_equal(presign_fs_verify(key, sizeof(key), "abc.def", 0, &got), ST_EPERM);
    assert_int_equal(presign_fs_verify(key, sizeof(key), strchr(tok, '.'), 0, &got), ST_EPERM);
}

static void test_bad_fields(void **st)
{
    (void)st;
    struct presign_claims c = claims();
    char tok[2400], small[40];
    strcpy(c.content_type, "text/csv\nX-Evil: 1");
    assert_int_equal(presign_fs_sign(key, sizeof(key), &c, tok, sizeof(tok)), ST_EINVAL);
    c = claims();
    assert_int_equal(presign_fs_sign(key, sizeof(key), &c, small, sizeof(small)), ST_ELIMIT);
}

static void test_urls(void **st)
{
    (void)st;
    char out[200];
    assert_int_equal(
        presign_fs_base("https://files.example.com/", "0.0.0.0:7071", false, out, sizeof(out)), 0);
    assert_string_equal(out, "https://files.example.com");
    assert_int_equal(presign_fs_base("", "0.0.0.0:7071", false, out, sizeof(out)), 0);
    assert_string_equal(out, "http://127.0.0.1:7071");
    assert_int_equal(presign_fs_base(NULL, "10.1.2.3:80", false, out, sizeof(out)), 0);
    assert_string_equal(out, "http://10.1.2.3:80");
    assert_int_equal(presign_fs_base(NULL, "[::1]:7071", false, out, sizeof(out)), 0);
    assert_string_equal(out, "http://[::1]:7071");
    assert_int_equal(presign_fs_base(NULL, "0.0.0.0:7071", true, out, sizeof(out)), 0);
    assert_string_equal(out, "https://127.0.0.1:7071"); /* the listener speaks TLS */
    assert_int_equal(presign_fs_base(NULL, "nonsense", false, out, sizeof(out)), ST_EINVAL);
    assert_int_equal(presign_fs_url("http://h:1", "tok.sig", out, sizeof(out)), 0);
    assert_string_equal(out, "http://h:1/v1/presign/tok.sig");
    assert_int_equal(presign_fs_url("http://h:1", "tok.sig", out, 10), ST_ELIMIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip), cmocka_unit_test(test_expired),
        cmocka_unit_test(test_tampered),   cmocka_unit_test(test_bad_fields),
        cmocka_unit_test(test_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
