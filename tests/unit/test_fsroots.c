/* Unit tests for common/fsroots.c: where fs:// stages may point (issue 14,
 * finding 1): normal forms, containment, and the stage check against
 * storage.allow_fs_urls, storage.fs_url_roots and storage.fs.root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "err.h"
#include "fsroots.h"

static void test_normalize(void **st)
{
    (void)st;
    static const struct {
        const char *in, *cwd, *want;
    } c[] = {
        {"/srv/ext/", NULL, "/srv/ext"},
        {"//srv//ext//", NULL, "/srv/ext"},
        {"/srv/./ext/.", NULL, "/srv/ext"},
        {"/srv/a/../ext", NULL, "/srv/ext"},
        {"/../..", NULL, "/"},
        {"/", NULL, "/"},
        {"./data", "/work", "/work/data"},
        {"data/", "/work/", "/work/data"},
        {"../data", "/work/x", "/work/data"},
    };
    char out[FSROOTS_PATH_MAX];
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        assert_int_equal(fsroots_normalize(c[i].in, c[i].cwd, out, sizeof(out)), 0);
        if (strcmp(out, c[i].want) != 0)
            fail_msg("'%s' (cwd %s): '%s', want '%s'", c[i].in, c[i].cwd, out, c[i].want);
    }
    assert_int_equal(fsroots_normalize("x", "relative", out, sizeof(out)), ST_EINVAL);
    assert_int_equal(fsroots_normalize("/abcdef", NULL, out, 4), ST_EINVAL);
    /* no cwd given: the process's */
    assert_int_equal(fsroots_normalize("data", NULL, out, sizeof(out)), 0);
    assert_true(out[0] == '/');
}

static void test_within_overlap(void **st)
{
    (void)st;
    assert_true(fsroots_within("/srv/ext", "/srv/ext"));
    assert_true(fsroots_within("/srv/ext/a", "/srv/ext"));
    assert_false(fsroots_within("/srv/extra", "/srv/ext")); /* a prefix, not a parent */
    assert_false(fsroots_within("/srv", "/srv/ext"));
    assert_true(fsroots_within("/anything", "/"));
    assert_true(fsroots_overlap("/srv", "/srv/ext/a"));
    assert_true(fsroots_overlap("/srv/ext/a", "/srv"));
    assert_false(fsroots_overlap("/srv/ext", "/srv/stage"));
}

static void cfg_with(struct config *c, bool allow, const char *fs_root, const char *const *roots)
{
    config_defaults(c);
    c->storage.allow_fs_urls = allow;
    snprintf(c->storage.fs_root, sizeof(c->storage.fs_root), "%s", fs_root);
    for (; roots && *roots; roots++)
        snprintf(c->storage.fs_url_roots.item[c->storage.fs_url_roots.n++], CONFIG_LIST_ITEM, "%s",
                 *roots);
}

static void test_check_switches(void **st)
{
    (void)st;
    struct config c;
    char err[512];
    const char *roots[] = {"/srv/ext", NULL};
    cfg_with(&c, false, "/var/lib/stage", roots);
    assert_int_equal(fsroots_check(&c, "/srv/ext/a/", "/", NULL, err, sizeof(err)), ST_EPRECOND);
    assert_non_null(strstr(err, "storage.allow_fs_urls"));
    cfg_with(&c, true, "/var/lib/stage", NULL); /* allowed, but no directory listed */
    assert_int_equal(fsroots_check(&c, "/srv/ext/a/", "/", NULL, err, sizeof(err)), ST_EPRECOND);
    assert_non_null(strstr(err, "storage.fs_url_roots"));
}

static void test_check(void **st)
{
    (void)st;
    struct config c;
    struct fsroots_match m;
    char err[512];
    const char *roots[] = {"/srv/ext/", "/srv", "/data/share", NULL};
    cfg_with(&c, true, "./data", roots); /* relative: taken against the cwd given */
    static const struct {
        const char *dir;
        int rc;
        const char *root, *sub, *needle;
    } t[] = {
        {"/srv/ext/team1/", 0, "/srv/ext", "team1", NULL}, /* the longest root */
        {"/srv/ext/", 0, "/srv/ext", "", NULL},
        {"/srv/other/x/", 0, "/srv", "other/x", NULL},
        {"/data/share/", 0, "/data/share", "", NULL},
        {"/", ST_EINVAL, NULL, NULL, "overlaps storage.fs.root '/srv/stage/data'"},
        {"/etc/", ST_EINVAL, NULL, NULL, "not under any of storage.fs_url_roots"},
        {"/srvx/", ST_EINVAL, NULL, NULL, "not under any"},
        {"/data/", ST_EINVAL, NULL, NULL, "not under any"},
        /* the fs root itself, a user's @~ inside it, a directory holding it */
        {"/srv/stage/data/", ST_EINVAL, NULL, NULL, "overlaps"},
        {"/srv/stage/data/stage/user/alice/", ST_EINVAL, NULL, NULL, "overlaps"},
        {"/srv/stage/", ST_EINVAL, NULL, NULL, "overlaps"},
        {"/srv/", ST_EINVAL, NULL, NULL, "overlaps"},
        {"/srv/ext/../stage/data/", ST_EINVAL, NULL, NULL, "'..'"},
        {"srv/ext/", ST_EINVAL, NULL, NULL, "absolute"},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        memset(&m, 0, sizeof(m));
        err[0] = '\0';
        int rc = fsroots_check(&c, t[i].dir, "/srv/stage", &m, err, sizeof(err));
        if (rc != t[i].rc || (t[i].needle && !strstr(err, t[i].needle)))
            fail_msg("'%s': rc %d '%s'", t[i].dir, rc, err);
        if (!rc && (strcmp(m.root, t[i].root) || strcmp(m.sub, t[i].sub)))
            fail_msg("'%s': root '%s' sub '%s'", t[i].dir, m.root, m.sub);
    }
    /* the message suggests where stages may go */
    assert_int_equal(fsroots_check(&c, "/etc/", "/", NULL, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "(/srv/ext/, /srv, /data/share)"));
}

static void test_config_check(void **st)
{
    (void)st;
    struct config c;
    char err[512];
    const char *ok[] = {"/srv/ext", "/srv", NULL};
    cfg_with(&c, true, "data", ok);
    assert_int_equal(fsroots_config_check(&c, "/srv/stage", err, sizeof(err)), 0);
    const char *inside[] = {"/srv/ext", "/srv/stage/data/ext", NULL};
    cfg_with(&c, true, "data", inside);
    assert_int_equal(fsroots_config_check(&c, "/srv/stage", err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "'/srv/stage/data/ext' is storage.fs.root '/srv/stage/data'"));
    cfg_with(&c, true, "data", NULL); /* nothing listed: nothing to check */
    assert_int_equal(fsroots_config_check(&c, "/srv/stage", err, sizeof(err)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),      cmocka_unit_test(test_within_overlap),
        cmocka_unit_test(test_check_switches), cmocka_unit_test(test_check),
        cmocka_unit_test(test_config_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
