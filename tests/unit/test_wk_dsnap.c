/* Unit tests for worker/dsnap.c: the part boundaries of a resumable write
 * that the backend has not confirmed, and the digest state saved at the last
 * confirmed one (what a resumed upload or copy loads to hash on). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#include "digest.h"
#include "dsnap.h"

/* The state saved at a boundary hashes on to the digest of the whole. */
static void test_advance_saves_the_last_durable_boundary(void **st)
{
    (void)st;
    struct dsnaps s = {0};
    struct digest d, whole, back;
    char shactx[DIGEST_STATE_MAX] = "";
    char md5a[DIGEST_MD5_HEX], shaa[DIGEST_SHA256_HEX], md5b[DIGEST_MD5_HEX],
        shab[DIGEST_SHA256_HEX];
    const char *parts[] = {"alpha", "bravo", "charlie", "delta"};
    int64_t bytes = 0, bd = -1;
    assert_int_equal(digest_init(&d), 0);
    assert_int_equal(digest_init(&whole), 0);
    for (size_t i = 0; i < 4; i++) {
        digest_update(&d, parts[i], strlen(parts[i]));
        digest_update(&whole, parts[i], strlen(parts[i]));
        bytes += (int64_t)strlen(parts[i]);
        assert_int_equal(dsnap_push(&s, bytes, &d), 0);
    }
    assert_int_equal(s.n, 4);
    /* nothing durable yet, then a length inside part 0: no boundary passed */
    assert_int_equal(dsnap_advance(&s, 0, &bd, shactx), 0);
    assert_int_equal(dsnap_advance(&s, 3, &bd, shactx), 0);
    assert_int_equal(bd, -1);
    /* parts 0..1 (10 bytes) and a bit of part 2 */
    assert_int_equal(dsnap_advance(&s, 12, &bd, shactx), 2);
    assert_int_equal(bd, 10);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.v[0].bytes, 17);
    /* a resumed writer goes on from the saved state */
    assert_int_equal(digest_load(&back, shactx), 0);
    digest_update(&back, "charlie", 7);
    digest_update(&back, "delta", 5);
    digest_final(&back, md5a, shaa);
    digest_final(&whole, md5b, shab);
    assert_string_equal(shaa, shab);
    assert_string_equal(md5a, md5b);
    /* all of it */
    assert_int_equal(dsnap_advance(&s, bytes, &bd, shactx), 2);
    assert_int_equal(bd, 22);
    assert_int_equal(s.n, 0);
    dsnap_clear(&s);
    dsnap_free(&s);
    assert_null(s.v);
}

/* More boundaries than the first allocation holds. */
static void test_grows(void **st)
{
    (void)st;
    struct dsnaps s = {0};
    struct digest d;
    char shactx[DIGEST_STATE_MAX];
    int64_t bd = 0;
    assert_int_equal(digest_init(&d), 0);
    for (int64_t i = 1; i <= 100; i++)
        assert_int_equal(dsnap_push(&s, i * 8, &d), 0);
    assert_int_equal(dsnap_advance(&s, 8 * 50 + 3, &bd, shactx), 50);
    assert_int_equal(bd, 400);
    dsnap_clear(&s);
    assert_int_equal(s.n, 0);
    assert_int_equal(dsnap_advance(&s, 1 << 20, &bd, shactx), 0);
    dsnap_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_advance_saves_the_last_durable_boundary),
        cmocka_unit_test(test_grows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
