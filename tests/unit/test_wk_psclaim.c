/* Unit tests for worker/psclaim.c: the sweep's lease commands built
 * without Redis (the scripts themselves run in integration.test_wk_psweep). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "err.h"
#include "psclaim.h"

static void test_claim_build(void **st)
{
    (void)st;
    struct psclaim_cmd c;
    assert_int_equal(psclaim_build(&c, 1000, 250, "w1", 3), 0);
    assert_string_equal(c.token, "w1/1250");
    assert_string_equal(c.argv[0], "EVAL");
    assert_string_equal(c.argv[2], "1");
    assert_string_equal(c.argv[3], KEY_PAUSED);
    assert_string_equal(c.argv[4], "1000");
    assert_string_equal(c.argv[5], "1250");
    assert_string_equal(c.argv[6], "w1");
    assert_string_equal(c.argv[7], "3");
    assert_string_equal(c.argv[8], "st:job:");
    assert_string_equal(c.argv[9], c.token);
    for (int i = 0; i < PSCLAIM_ARGC; i++)
        assert_int_equal(c.lens[i], strlen(c.argv[i]));
    /* no lease configured: 15 s */
    assert_int_equal(psclaim_until(1000, 0), 16000);
    assert_int_equal(psclaim_build(&c, 1000, 0, "w1", 1), 0);
    assert_string_equal(c.token, "w1/16000");
}

static void test_claim_refused(void **st)
{
    (void)st;
    struct psclaim_cmd c;
    char longname[PSCLAIM_TOKEN_MAX + 1];
    memset(longname, 'w', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(psclaim_build(&c, 1000, 250, "", 1), ST_EINVAL);
    assert_int_equal(psclaim_build(&c, 1000, 250, NULL, 1), ST_EINVAL);
    assert_int_equal(psclaim_build(&c, 1000, 250, "w1", 0), ST_EINVAL);
    assert_int_equal(psclaim_build(&c, 1000, 250, longname, 1), ST_EINVAL);
}

static void test_unfile_build(void **st)
{
    (void)st;
    struct psunfile_cmd c;
    const char *id = "0123456789abcdef0123456789abcdef";
    assert_int_equal(psunfile_build(&c, id, "w1/1250"), 0);
    assert_string_equal(c.argv[2], "2");
    assert_string_equal(c.argv[3], KEY_PAUSED);
    assert_string_equal(c.argv[4], "st:job:0123456789abcdef0123456789abcdef");
    assert_string_equal(c.argv[5], id);
    assert_string_equal(c.argv[6], "w1/1250");
    assert_int_equal(psunfile_build(&c, id, NULL), ST_EINVAL);
    assert_int_equal(psunfile_build(&c, "0123456789abcdef0123456789abcdef0", "t"), ST_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_claim_build),
        cmocka_unit_test(test_claim_refused),
        cmocka_unit_test(test_unfile_build),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
