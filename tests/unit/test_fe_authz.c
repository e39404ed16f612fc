/* Unit tests for frontend/authz.c (the privilege rules of docs/design.md §3) and the
 * stage/user name rules of common/location.c as the catalog uses them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "authz.h"
#include "err.h"
#include "location.h"

static const struct authz_principal admin = {"root", true, 0};
static const struct authz_principal owner = {"alice", false, 0};
static const struct authz_principal bob = {"bob", false, 0};
static const struct authz_principal nobody = {"", false, 0};

static const struct authz_stage s1 = {"s1", true, "alice", 0};
static const struct authz_stage gone = {"gone", false, NULL, 0};
static const struct authz_stage home = {"~", false, NULL, 0};

/* Every principal x grant x need against one table. */
static void test_matrix(void **st)
{
    (void)st;
    static const struct {
        const struct authz_principal *p;
        const struct authz_stage *s;
        unsigned granted, need;
        int want;
    } cases[] = {
        {&admin, &s1, 0, AUTHZ_READ, 0},
        {&admin, &s1, 0, AUTHZ_ALL, 0},
        {&owner, &s1, 0, AUTHZ_WRITE, 0},
        {&owner, &s1, 0, AUTHZ_ALL, 0},
        {&bob, &s1, 0, AUTHZ_READ, ST_EPERM},
        {&bob, &s1, 0, AUTHZ_WRITE, ST_EPERM},
        {&bob, &s1, AUTHZ_READ, AUTHZ_READ, 0},
        {&bob, &s1, AUTHZ_READ, AUTHZ_WRITE, ST_EPERM},
        {&bob, &s1, AUTHZ_READ, AUTHZ_ALL, ST_EPERM},
        {&bob, &s1, AUTHZ_WRITE, AUTHZ_WRITE, 0},
        {&bob, &s1, AUTHZ_WRITE, AUTHZ_READ, ST_EPERM},
        {&bob, &s1, AUTHZ_ALL, AUTHZ_ALL, 0},
        {&bob, &s1, 0xff, AUTHZ_ALL, 0}, /* stray bits grant nothing more */
        {&bob, &home, 0, AUTHZ_ALL, 0},
        {&admin, &home, 0, AUTHZ_ALL, 0},
        {&nobody, &home, 0, AUTHZ_READ, ST_EPERM},
        {&nobody, &s1, AUTHZ_ALL, AUTHZ_READ, ST_EPERM},
        {&admin, &gone, 0, AUTHZ_READ, ST_ENOTFOUND},
        {&bob, &gone, AUTHZ_ALL, AUTHZ_READ, ST_ENOTFOUND},
        {&bob, &s1, 0, 0, ST_EPERM}, /* need 0 = READ: cannot even look */
        {&bob, &s1, AUTHZ_WRITE, 0, ST_EPERM},
        /* OWN (drop, alter, replace): the owner and admins only (issue 14 #10) */
        {&admin, &s1, 0, AUTHZ_OWN, 0},
        {&owner, &s1, 0, AUTHZ_OWN, 0},
        {&owner, &s1, 0, AUTHZ_ALL | AUTHZ_OWN, 0},
        {&bob, &s1, AUTHZ_ALL, AUTHZ_OWN, ST_EPERM}, /* a grantee of ALL is not the owner */
        {&bob, &s1, AUTHZ_ALL, AUTHZ_ALL | AUTHZ_OWN, ST_EPERM},
        {&bob, &s1, AUTHZ_READ, AUTHZ_OWN, ST_EPERM},
        {&bob, &s1, AUTHZ_WRITE, AUTHZ_OWN, ST_EPERM},
        {&bob, &s1, 0xff, AUTHZ_OWN, ST_EPERM}, /* nor does a stray OWN bit in a grant */
        {&bob, &s1, AUTHZ_OWN, AUTHZ_OWN, ST_EPERM},
        {&bob, &s1, AUTHZ_ALL, AUTHZ_ALL, 0},  /* ALL still covers every file call */
        {&bob, &home, 0, AUTHZ_OWN, ST_EPERM}, /* ~ is never dropped */
        {&bob, &gone, AUTHZ_ALL, AUTHZ_OWN, ST_ENOTFOUND},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = authz_check(cases[i].p, cases[i].s, cases[i].granted, cases[i].need);
        if (rc != cases[i].want)
            fail_msg("case %zu: %s on %s granted %u need %u: got %d want %d", i, cases[i].p->user,
                     cases[i].s->name, cases[i].granted, cases[i].need, rc, cases[i].want);
    }
}

static void test_owner_is_exact(void **st)
{
    (void)st;
    struct authz_principal alic = {"alic", false, 0}, alice2 = {"alice2", false, 0};
    assert_int_equal(authz_check(&alic, &s1, 0, AUTHZ_READ), ST_EPERM);
    assert_int_equal(authz_check(&alice2, &s1, 0, AUTHZ_READ), ST_EPERM);
    struct authz_stage noowner = {"x", true, NULL, 0};
    assert_int_equal(authz_check(&bob, &noowner, 0, AUTHZ_READ), ST_EPERM);
    assert_int_equal(authz_check(&admin, &noowner, 0, AUTHZ_ALL), 0);
    assert_int_equal(authz_check(NULL, &s1, AUTHZ_ALL, AUTHZ_READ), ST_EPERM);
}

static void test_effective_own(void **st)
{
    (void)st;
    assert_int_equal(authz_effective(&owner, &s1, 0), AUTHZ_ALL | AUTHZ_OWN);
    assert_int_equal(authz_effective(&admin, &s1, 0), AUTHZ_ALL | AUTHZ_OWN);
    assert_int_equal(authz_effective(&bob, &s1, AUTHZ_ALL), AUTHZ_ALL);
    assert_int_equal(authz_effective(&bob, &s1, 0xff), AUTHZ_ALL);
    assert_int_equal(authz_effective(&bob, &home, 0), AUTHZ_ALL);
    assert_string_equal(authz_bits_name(AUTHZ_ALL | AUTHZ_OWN), "ALL");
}

static void test_bits_names(void **st)
{
    (void)st;
    assert_string_equal(authz_bits_name(AUTHZ_READ), "READ");
    assert_string_equal(authz_bits_name(AUTHZ_WRITE), "WRITE");
    assert_string_equal(authz_bits_name(AUTHZ_ALL), "ALL");
    assert_string_equal(authz_bits_name(0), "NONE");
    assert_int_equal(authz_bits_parse("read"), AUTHZ_READ);
    assert_int_equal(authz_bits_parse("WRITE"), AUTHZ_WRITE);
    assert_int_equal(authz_bits_parse("All"), AUTHZ_ALL);
    assert_int_equal(authz_bits_parse("CREATE"), 0);
    assert_int_equal(authz_bits_parse(NULL), 0);
}

static void test_stage_names(void **st)
{
    (void)st;
    char err[256];
    static const char *good[] = {
        "s1", "_x", "A_b_9", "a234567890123456789012345678901234567890123456789012345678901234"};
    static const char *bad[] = {
        "",     "@s1",
        "~",    "1abc",
        "a-b",  "a b",
        "a/b",  "a.b",
        "..",   "é",
        "a\\b", "%41",
        "a:b",  "a234567890123456789012345678901234567890123456789012345678901234X"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_int_equal(location_name_check(good[i], "stage", err, sizeof(err)), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (location_name_check(bad[i], "stage", err, sizeof(err)) != ST_EINVAL)
            fail_msg("stage name '%s' was accepted", bad[i]);
        assert_non_null(strstr(err, "stage name"));
    }
    location_name_check("@s1", "stage", err, sizeof(err));
    assert_non_null(strstr(err, "'@'"));
}

/* A name dropped and created again is a new user: it owns nothing made
 * before it was (issue 14 #9). */
static void test_recreated_owner(void **st)
{
    (void)st;
    const struct authz_principal old_alice = {"alice", false, 1000};
    const struct authz_principal new_alice = {"alice", false, 5000};
    const struct authz_stage made_by_old = {"s9", true, "alice", 2000};
    const struct authz_stage made_by_new = {"s9", true, "alice", 6000};
    assert_int_equal(authz_check(&old_alice, &made_by_old, 0, AUTHZ_OWN), 0);
    assert_int_equal(authz_check(&new_alice, &made_by_old, 0, AUTHZ_OWN), ST_EPERM);
    assert_int_equal(authz_check(&new_alice, &made_by_old, 0, AUTHZ_READ), ST_EPERM);
    assert_int_equal(authz_check(&new_alice, &made_by_new, 0, AUTHZ_OWN), 0);
    assert_true(authz_owns("alice", 5000, "alice", 5000)); /* made at the same ms: hers */
    assert_false(authz_owns("alice", 5000, "alicE", 9000));
    assert_true(authz_owns("alice", 0, "alice", 1)); /* times unknown: by name */
    assert_false(authz_owns("", 0, "", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix),        cmocka_unit_test(test_owner_is_exact),
        cmocka_unit_test(test_effective_own), cmocka_unit_test(test_bits_names),
        cmocka_unit_test(test_stage_names),   cmocka_unit_test(test_recreated_owner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
