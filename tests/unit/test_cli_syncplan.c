/* test_cli_syncplan.c - the plan of `stagectl sync` (cli/syncplan.c): what
 * is copied, deleted or left, and when local files are hashed. */
#include "syncplan.h"

#include "err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* The fake hasher: a local file's digest is SHA_A unless its name starts
 * with 'x' (SHA_B) or '!' (it cannot be read); counts its calls. */
static int g_hashed;
static int fake_digest(struct sync_entry *e, void *ud)
{
    (void)ud;
    g_hashed++;
    if (e->name[0] == '!')
        return ST_EIO;
    snprintf(e->sha256, sizeof(e->sha256), "%s", e->name[0] == 'x' ? SHA_B : SHA_A);
    return 0;
}

/* The plan as "name:action" words. */
static void plan_text(const struct sync_plan *p, char *buf, size_t n)
{
    buf[0] = '\0';
    for (size_t i = 0; i < p->n; i++) {
        const struct sync_entry *e = p->v[i].src ? p->v[i].src : p->v[i].dst;
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s:%s", len ? " " : "", e->name,
                 sync_action_name(p->v[i].action));
    }
}

static void test_upload_plan(void **st)
{
    (void)st;
    struct sync_list src = {0}, dst = {0};
    struct sync_plan p;
    char text[512];
    /* local side: no digests until hashed */
    assert_int_equal(sync_list_add(&src, "b.csv", 10, NULL, NULL, true), 0);
    assert_int_equal(sync_list_add(&src, "a.csv", 10, NULL, NULL, true), 0);
    assert_int_equal(sync_list_add(&src, "sub/c.csv", 5, NULL, NULL, true), 0);
    assert_int_equal(sync_list_add(&src, "xchanged", 7, NULL, NULL, true), 0);
    assert_int_equal(sync_list_add(&src, "grown", 8, NULL, NULL, true), 0);
    /* remote side: digests from the listing (upper case from some servers) */
    assert_int_equal(sync_list_add(&dst, "a.csv", 10, SHA_A, NULL, false), 0);
    assert_int_equal(sync_list_add(&dst, "old.csv", 3, SHA_A, NULL, false), 0);
    assert_int_equal(
        sync_list_add(&dst, "xchanged", 7,
                      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL,
                      false),
        0);
    assert_int_equal(sync_list_add(&dst, "grown", 3, SHA_A, NULL, false), 0);
    sync_list_sort(&src);
    sync_list_sort(&dst);
    g_hashed = 0;
    assert_int_equal(sync_plan_make(&src, &dst, false, fake_digest, NULL, &p), 0);
    plan_text(&p, text, sizeof(text));
    assert_string_equal(text, "a.csv:same b.csv:new grown:changed sub/c.csv:new xchanged:changed");
    assert_int_equal(g_hashed, 2); /* a.csv and xchanged: the sizes matched; grown was not read */
    assert_int_equal(p.count[SYNC_NEW], 2);
    assert_int_equal(p.count[SYNC_CHANGED], 2);
    assert_int_equal(p.count[SYNC_SAME], 1);
    assert_int_equal(p.count[SYNC_DELETE], 0);
    sync_plan_cleanup(&p);

    /* --delete: old.csv, only in the target, goes */
    assert_int_equal(sync_plan_make(&src, &dst, true, fake_digest, NULL, &p), 0);
    plan_text(&p, text, sizeof(text));
    assert_string_equal(
        text, "a.csv:same b.csv:new grown:changed old.csv:delete sub/c.csv:new xchanged:changed");
    assert_int_equal(p.count[SYNC_DELETE], 1);
    assert_null(p.v[3].src);
    assert_string_equal(p.v[3].dst->name, "old.csv");
    sync_plan_cleanup(&p);
    sync_list_cleanup(&src);
    sync_list_cleanup(&dst);
}

static void test_digest_rules(void **st)
{
    (void)st;
    struct sync_list src = {0}, dst = {0};
    struct sync_plan p;
    char text[512];
    /* remote to local: the remote side has digests, local files get hashed */
    assert_int_equal(
        sync_list_add(&src, "md5only", 4, "", "0123456789abcdef0123456789abcdef", false), 0);
    assert_int_equal(sync_list_add(&src, "nodigest", 4, "", "", false), 0);
    assert_int_equal(sync_list_add(&src, "!unreadable", 4, SHA_A, "", false), 0);
    assert_int_equal(sync_list_add(&src, "same", 4, SHA_A, "", false), 0);
    assert_int_equal(
        sync_list_add(&dst, "md5only", 4, NULL, "0123456789ABCDEF0123456789ABCDEF", true), 0);
    assert_int_equal(sync_list_add(&dst, "nodigest", 4, NULL, NULL, true), 0);
    assert_int_equal(sync_list_add(&dst, "!unreadable", 4, NULL, NULL, true), 0);
    assert_int_equal(sync_list_add(&dst, "same", 4, NULL, NULL, true), 0);
    sync_list_sort(&src);
    sync_list_sort(&dst);
    g_hashed = 0;
    assert_int_equal(sync_plan_make(&src, &dst, true, fake_digest, NULL, &p), 0);
    plan_text(&p, text, sizeof(text));
    /* md5 compares when sha256 is unknown; no comparable digest or a file that
     * cannot be hashed counts as changed (copy again: safe) */
    assert_string_equal(text, "!unreadable:changed md5only:same nodigest:changed same:same");
    sync_plan_cleanup(&p);
    /* the digests computed stay in the entries: without a hasher, "same" is
     * still same; the files that could not be compared are still changed */
    int hashed = g_hashed;
    assert_int_equal(sync_plan_make(&src, &dst, false, NULL, NULL, &p), 0);
    assert_int_equal(p.count[SYNC_CHANGED], 2);
    assert_int_equal(p.count[SYNC_SAME], 2);
    assert_int_equal(g_hashed, hashed);
    sync_plan_cleanup(&p);
    sync_list_cleanup(&src);
    sync_list_cleanup(&dst);
}

static void test_empty_sides(void **st)
{
    (void)st;
    struct sync_list src = {0}, dst = {0};
    struct sync_plan p;
    assert_int_equal(sync_plan_make(&src, &dst, true, NULL, NULL, &p), 0);
    assert_int_equal(p.n, 0);
    sync_plan_cleanup(&p);
    assert_int_equal(sync_list_add(&dst, "gone", 1, SHA_A, NULL, false), 0);
    assert_int_equal(sync_plan_make(&src, &dst, false, NULL, NULL, &p), 0);
    assert_int_equal(p.n, 0); /* without --delete, nothing to do */
    sync_plan_cleanup(&p);
    assert_int_equal(sync_plan_make(&src, &dst, true, NULL, NULL, &p), 0);
    assert_int_equal(p.count[SYNC_DELETE], 1);
    assert_string_equal(sync_action_name(SYNC_DELETE), "delete");
    sync_plan_cleanup(&p);
    sync_list_cleanup(&src);
    sync_list_cleanup(&dst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upload_plan),
        cmocka_unit_test(test_digest_rules),
        cmocka_unit_test(test_empty_sides),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
