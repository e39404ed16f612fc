/* Unit tests for storage/azblob/azblock.c: block sizes within Azure's
 * limits, ids of one length that Azure and the emulator take (base64 of 24
 * bytes; e2e.azblob_sign commits ids of this form), and writer states. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "azblock.h"
#include "err.h"

#define MiB (1024 * 1024)

static void test_size(void **state)
{
    (void)state;
    assert_int_equal(azblock_size(8 * MiB, -1), 8 * MiB);
    assert_int_equal(azblock_size(1000, 10), MiB); /* at least 1 MiB */
    assert_int_equal(azblock_size(8 * MiB, 8LL * MiB * AZBLOCK_MAX), 8 * MiB);
    /* one byte more than 50,000 blocks hold: the next MiB up */
    assert_int_equal(azblock_size(8 * MiB, 8LL * MiB * AZBLOCK_MAX + 1), 9 * MiB);
    assert_int_equal(azblock_size(8 * MiB, 1LL << 50), (size_t)AZBLOCK_SIZE_MAX);
}

static void test_id(void **state)
{
    (void)state;
    char a[AZBLOCK_ID_LEN + 1], b[AZBLOCK_ID_LEN + 1], tag[AZBLOCK_TAG_LEN + 1];
    assert_int_equal(azblock_id("0a1b2c3d", 0, a), 0);
    /* base64 of "0a1b2c3d-blk-0000000000." (openssl base64 of those 24 bytes) */
    assert_string_equal(a, "MGExYjJjM2QtYmxrLTAwMDAwMDAwMDAu");
    assert_int_equal(azblock_id("0a1b2c3d", AZBLOCK_MAX - 1, b), 0);
    assert_int_equal(strlen(a), AZBLOCK_ID_LEN);
    assert_int_equal(strlen(b), AZBLOCK_ID_LEN);
    assert_string_not_equal(a, b);
    assert_int_equal(azblock_id("0a1b2c3d", AZBLOCK_MAX, a), ST_EINVAL);
    assert_int_equal(azblock_id("0a1b2c3d", -1, a), ST_EINVAL);
    assert_int_equal(azblock_id("0A1B2C3D", 0, a), ST_EINVAL);
    assert_int_equal(azblock_id("0a1b2c", 0, a), ST_EINVAL);
    assert_int_equal(azblock_tag_new(tag), 0);
    assert_int_equal(strlen(tag), AZBLOCK_TAG_LEN);
    assert_int_equal(azblock_id(tag, 7, a), 0);
}

static void test_state(void **state)
{
    (void)state;
    char buf[64];
    struct azblock_state st = {8 * MiB, "0a1b2c3d", 12}, back;
    assert_int_equal(azblock_state_format(buf, sizeof(buf), &st), 0);
    assert_string_equal(buf, "azw1 8388608 0a1b2c3d 12\n");
    assert_int_equal(azblock_state_parse(buf, &back), 0);
    assert_int_equal(back.block_size, 8 * MiB);
    assert_string_equal(back.tag, "0a1b2c3d");
    assert_int_equal(back.k, 12);
    assert_int_equal(azblock_state_format(buf, 10, &st), ST_ELIMIT);
    const char *bad[] = {"",
                         "s3w1 8388608 x 0\n",
                         "azw1 8388608 0a1b2c3d 12",
                         "azw1 8388608 0a1b2c3d 12\nx",
                         "azw1 100 0a1b2c3d 1\n",
                         "azw1 8388608 0a1b2c3 1\n",
                         "azw1 8388608 0a1b2c3d -1\n",
                         "azw1 8388608 0a1b2c3d 50001\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(azblock_state_parse(bad[i], &back), ST_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_id),
        cmocka_unit_test(test_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
