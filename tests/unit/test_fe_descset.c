/* Unit tests for frontend/descset.c: the index behind server reflection.
 * The frontend's own embedded set (every kind of symbol it must resolve),
 * small sets written here byte by byte (imports, a diamond of them, deep
 * nesting), and malformed input: every prefix of the real set, a missing
 * import, a NUL in a name, a group, nesting past the limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "descset.h"
#include "err.h"

extern const unsigned char stage_descset[];
extern const unsigned long stage_descset_len;

/* ------------------------------------------------------------ a tiny encoder */

struct buf {
    uint8_t b[8192];
    size_t n;
};

static void put_varint(struct buf *b, uint64_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        b->b[b->n++] = c | (v ? 0x80 : 0);
    } while (v);
}

static void put_bytes(struct buf *b, uint32_t field, const void *p, size_t n)
{
    put_varint(b, (uint64_t)field << 3 | 2);
    put_varint(b, n);
    memcpy(b->b + b->n, p, n);
    b->n += n;
}

static void put_str(struct buf *b, uint32_t field, const char *s)
{
    put_bytes(b, field, s, strlen(s));
}

static void put_msg(struct buf *b, uint32_t field, const struct buf *m)
{
    put_bytes(b, field, m->b, m->n);
}

/* A file with a package, imports and, unless NULL, one message/service. */
static void file(struct buf *set, const char *name, const char *pkg, const char **deps,
                 const struct buf *msg, const struct buf *svc)
{
    struct buf f = {.n = 0};
    put_str(&f, 1, name);
    if (pkg)
        put_str(&f, 2, pkg);
    for (; deps && *deps; deps++)
        put_str(&f, 3, *deps);
    if (msg)
        put_msg(&f, 4, msg);
    if (svc)
        put_msg(&f, 6, svc);
    put_str(&f, 8, "options are skipped");
    put_msg(set, 1, &f);
}

static struct descset *must_parse(const struct buf *b)
{
    struct descset *d = NULL;
    int rc = descset_new(b->b, b->n, &d);
    if (rc)
        fail_msg("descset_new: %d %s", rc, st_strerror(rc));
    return d;
}

/* ------------------------------------------------------------ the real set */

static void test_embedded(void **st)
{
    (void)st;
    struct descset *d = NULL;
    assert_int_equal(descset_new(stage_descset, stage_descset_len, &d), 0);
    assert_non_null(d);
    int stage = descset_find_file(d, "stage/v1/stage.proto");
    assert_true(stage >= 0);
    assert_string_equal(descset_file_name(d, stage), "stage/v1/stage.proto");
    assert_true(descset_find_file(d, "grpc/health/v1/health.proto") >= 0);
    assert_true(descset_find_file(d, "grpc/reflection/v1/reflection.proto") >= 0);
    assert_true(descset_find_file(d, "grpc/reflection/v1alpha/reflection.proto") >= 0);
    assert_int_equal(descset_find_file(d, "stage.proto"), -1);

    const char *want[] = {"grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                          "grpc.reflection.v1alpha.ServerReflection", "stage.v1.StageService"};
    assert_int_equal(descset_services(d), 4);
    for (int i = 0; i < 4; i++)
        assert_string_equal(descset_service(d, i), want[i]);

    static const struct {
        const char *sym;
        enum descset_kind kind;
    } rows[] = {
        {"stage.v1.StageService", DESCSET_SERVICE},
        {"stage.v1.StageService.Login", DESCSET_METHOD},
        {"stage.v1.LoginRequest", DESCSET_MESSAGE},
        {".stage.v1.LoginRequest", DESCSET_MESSAGE},
        {"stage.v1.LoginRequest.password", DESCSET_FIELD},
        {"stage.v1.Stage.StorageParamsEntry", DESCSET_MESSAGE}, /* a map's nested entry */
        {"stage.v1.JobState", DESCSET_ENUM},
        {"stage.v1.QUEUED", DESCSET_ENUM_VALUE}, /* values live beside their enum */
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        enum descset_kind k = -1;
        if (descset_find_symbol(d, rows[i].sym, &k) != stage || k != rows[i].kind)
            fail_msg("%s: file %d kind %d", rows[i].sym, descset_find_symbol(d, rows[i].sym, &k),
                     (int)k);
    }
    int refl = descset_find_symbol(d, "grpc.reflection.v1.ServerReflectionRequest", NULL);
    assert_int_equal(refl, descset_find_file(d, "grpc/reflection/v1/reflection.proto"));
    const char *missing[] = {
        "stage.v1", "stage.v1.", "stage.v1.JobState.QUEUED",      "stage",
        "",         ".",         "stage.v1.StageService.Login.x", "StageService"};
    for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++)
        if (descset_find_symbol(d, missing[i], NULL) != -1)
            fail_msg("'%s' was found", missing[i]);

    /* the bytes served are the file's own FileDescriptorProto */
    size_t len;
    const uint8_t *p = descset_file_bytes(d, stage, &len);
    assert_true(p > stage_descset && p + len <= stage_descset + stage_descset_len);
    int idx[8];
    assert_int_equal(descset_closure(d, stage, idx, 8), 1);
    assert_int_equal(idx[0], stage);
    assert_null(descset_free(d));
    assert_null(descset_free(NULL));
}

/* Every truncation of a valid set parses or is refused; none crashes (ASan). */
static void test_prefixes(void **st)
{
    (void)st;
    int ok = 0;
    for (size_t n = 0; n < stage_descset_len; n++) {
        uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees any overread */
        memcpy(copy, stage_descset, n);
        struct descset *d = NULL;
        int rc = descset_new(copy, n, &d);
        if (rc == 0)
            ok++;
        else if (rc != ST_EINVAL || d)
            fail_msg("prefix %zu: rc %d", n, rc);
        descset_free(d);
        free(copy);
    }
    assert_true(ok >= 1); /* the empty set at least */
}

/* ------------------------------------------------------------ imports */

static void test_imports(void **st)
{
    (void)st;
    struct buf set = {.n = 0}, m = {.n = 0}, nested = {.n = 0}, en = {.n = 0}, val = {.n = 0};
    struct buf svc = {.n = 0}, meth = {.n = 0};
    put_str(&val, 1, "V");
    put_str(&en, 1, "E");
    put_msg(&en, 2, &val);
    put_str(&nested, 1, "N");
    put_msg(&nested, 4, &en);
    put_str(&m, 1, "M");
    put_msg(&m, 3, &nested);
    put_str(&meth, 1, "Do");
    put_str(&svc, 1, "S");
    put_msg(&svc, 2, &meth);
    /* d imports b and c, which both import a: a diamond */
    file(&set, "a.proto", "p", NULL, &m, NULL);
    file(&set, "b.proto", "q", (const char *[]){"a.proto", NULL}, NULL, &svc);
    file(&set, "c.proto", NULL, (const char *[]){"a.proto", NULL}, NULL, NULL);
    file(&set, "d.proto", "r", (const char *[]){"b.proto", "c.proto", NULL}, NULL, NULL);
    struct descset *d = must_parse(&set);
    int a = descset_find_file(d, "a.proto"), b = descset_find_file(d, "b.proto");
    int c = descset_find_file(d, "c.proto"), dd = descset_find_file(d, "d.proto");
    assert_int_equal(descset_find_symbol(d, "p.M.N", NULL), a);
    assert_int_equal(descset_find_symbol(d, "p.M.N.E", NULL), a);
    assert_int_equal(descset_find_symbol(d, "p.M.N.V", NULL), a);
    assert_int_equal(descset_find_symbol(d, "q.S.Do", NULL), b);
    assert_int_equal(descset_services(d), 1);
    assert_string_equal(descset_service(d, 0), "q.S");

    int idx[4] = {-1, -1, -1, -1};
    assert_int_equal(descset_closure(d, dd, idx, 4), 4);
    assert_int_equal(idx[0], dd); /* the file first, each import once */
    assert_int_equal(idx[1], b);
    assert_int_equal(idx[2], c);
    assert_int_equal(idx[3], a);
    int two[2];
    assert_int_equal(descset_closure(d, dd, two, 2), 4); /* the count, not what fit */
    assert_int_equal(descset_closure(d, a, idx, 4), 1);
    descset_free(d);
}

/* ------------------------------------------------------------ refused */

static void expect_einval(const struct buf *b, const char *what)
{
    struct descset *d = (struct descset *)1;
    int rc = descset_new(b->b, b->n, &d);
    if (rc != ST_EINVAL || d)
        fail_msg("%s: rc %d", what, rc);
}

static void test_refused(void **st)
{
    (void)st;
    struct buf set = {.n = 0};
    file(&set, "b.proto", "q", (const char *[]){"a.proto", NULL}, NULL, NULL);
    expect_einval(&set, "an import not in the set");

    set.n = 0;
    struct buf f = {.n = 0};
    put_bytes(&f, 1, "x\0y.proto", 9);
    put_msg(&set, 1, &f);
    expect_einval(&set, "a NUL in a file name");

    set.n = 0;
    f.n = 0;
    put_str(&f, 2, "pkg");
    put_msg(&set, 1, &f);
    expect_einval(&set, "a file without a name");

    set.n = 0;
    f.n = 0;
    put_str(&f, 1, "g.proto");
    put_varint(&f, 5 << 3 | 3); /* a group */
    put_msg(&set, 1, &f);
    expect_einval(&set, "a group");

    /* messages nested DESCSET_MAX_DEPTH deep parse, one more does not */
    for (int depth = DESCSET_MAX_DEPTH; depth <= DESCSET_MAX_DEPTH + 1; depth++) {
        struct buf m = {.n = 0}, outer;
        put_str(&m, 1, "M");
        for (int i = 1; i < depth; i++) {
            outer.n = 0;
            put_str(&outer, 1, "M");
            put_msg(&outer, 3, &m);
            m = outer;
        }
        set.n = 0;
        file(&set, "deep.proto", "p", NULL, &m, NULL);
        if (depth == DESCSET_MAX_DEPTH) {
            struct descset *d = must_parse(&set);
            assert_true(descset_find_symbol(d, "p.M.M.M.M", NULL) == 0);
            descset_free(d);
        } else {
            expect_einval(&set, "nesting past DESCSET_MAX_DEPTH");
        }
    }

    /* a name longer than DESCSET_MAX_NAME */
    char *big = malloc(DESCSET_MAX_NAME + 2);
    memset(big, 'x', DESCSET_MAX_NAME + 1);
    big[DESCSET_MAX_NAME + 1] = '\0';
    struct buf m = {.n = 0};
    put_str(&m, 1, big);
    set.n = 0;
    file(&set, "long.proto", "p", NULL, &m, NULL);
    expect_einval(&set, "a name too long");
    free(big);

    /* names that would not be found again: a lookup strips a leading dot
     * (the fuzzer's package ".p"), and a dot inside a name splits it */
    const char *pkgs[] = {".p", "p.", "p..q", "."};
    for (size_t i = 0; i < sizeof(pkgs) / sizeof(pkgs[0]); i++) {
        struct buf msg = {.n = 0};
        put_str(&msg, 1, "M");
        set.n = 0;
        file(&set, "pkg.proto", pkgs[i], NULL, &msg, NULL);
        expect_einval(&set, pkgs[i]);
    }
    m.n = 0;
    put_str(&m, 1, "a.b");
    set.n = 0;
    file(&set, "dot.proto", "p", NULL, &m, NULL);
    expect_einval(&set, "a message named a.b");

    uint8_t trash[] = {0x0a, 0x05, 0x0a, 0x09};
    struct descset *d = NULL;
    assert_int_equal(descset_new(trash, sizeof(trash), &d), ST_EINVAL);
    assert_null(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embedded),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_imports),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
