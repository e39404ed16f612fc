/* Unit tests for worker/backends.c: the cache of external-stage backends.
 * Backends are built for s3:// specs, which connect nowhere until a call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "backends.h"
#include "config.h"
#include "err.h"
#include "secret.h"
#include "storspec.h"

#define KEY_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

/* `url`'s options sealed afresh (a new nonce), as AlterStage stores them. */
static char *seal_spec(const char *url, const char *key_id)
{
    struct secret_key k;
    struct storspec s;
    char err[256];
    char *out = NULL;
    const struct storspec_opt o[] = {{"endpoint_url", "https://s3.example.com"},
                                     {"access_key_id", key_id},
                                     {"secret_access_key", "wJalrXUtnFEMI/K7MDENG"}};
    assert_int_equal(secret_key_parse(&k, KEY_B64, err, sizeof(err)), 0);
    assert_int_equal(storspec_parse(url, o, 3, false, &s, err, sizeof(err)), 0);
    assert_int_equal(storspec_seal(&s, &k, &out), 0);
    storspec_wipe(&s);
    return out;
}

struct fixture {
    struct config cfg;
    struct event_base *base;
    struct backends *bs;
};

static void setup(struct fixture *f, int cache)
{
    char err[400] = "";
    config_defaults(&f->cfg);
    if (cache)
        f->cfg.worker.backend_cache = cache;
    f->base = event_base_new();
    assert_non_null(f->base);
    setenv("STAGE_MASTER_KEY", KEY_B64, 1);
    assert_int_equal(backends_new(&f->bs, f->base, &f->cfg, NULL, err, sizeof(err)), 0);
}

static void teardown(struct fixture *f)
{
    f->bs = backends_free(f->bs);
    event_base_free(f->base);
}

/* A reference to the backend of `stage` at `url` with options `conn`. */
static struct backend *take(struct fixture *f, const char *stage, const char *url, const char *conn)
{
    struct backend *b = NULL;
    char err[400] = "";
    int rc = backends_for(f->bs, stage, url, conn, &b, err, sizeof(err));
    if (rc)
        fail_msg("stage %s: %d %s", stage, rc, err);
    assert_non_null(b);
    return b;
}

/* Touch the backend (ASan: not freed under its holder). */
static void use(struct backend *b)
{
    struct backend_lister *l = NULL;
    assert_int_equal(backend_list_open(b, "x/", NULL, 10, &l), 0);
    backend_list_close(l);
}

/* Issue 14 finding 11: 300 AlterStage of one stage, a job after each, and
 * another stage still gets its backend. Before the fix the 257th was
 * refused ("this worker already serves 256 external storages"). */
static void test_altered_stage_does_not_fill_cache(void **st)
{
    (void)st;
    struct fixture f;
    setup(&f, 0);
    for (int i = 0; i < 300; i++) {
        char *conn = seal_spec("s3://bucket-a/p/", "AKIAA");
        struct backend *b = take(&f, "a", "s3://bucket-a/p/", conn);
        use(b);
        backends_release(f.bs, b);
        free(conn);
        assert_int_equal(backends_cached(f.bs), 1); /* the alter replaced the entry */
    }
    char *conn = seal_spec("s3://bucket-b/", "AKIAB");
    backends_release(f.bs, take(&f, "b", "s3://bucket-b/", conn));
    free(conn);
    assert_int_equal(backends_cached(f.bs), 2);
    teardown(&f);
}

/* Jobs of one definition share a backend; a job started before an
 * AlterStage keeps using its backend until it gives it back. */
static void test_alter_keeps_backend_in_use(void **st)
{
    (void)st;
    struct fixture f;
    setup(&f, 0);
    char *c1 = seal_spec("s3://bucket-a/", "AKIA1");
    char *c2 = seal_spec("s3://bucket-a/", "AKIA2");
    struct backend *old = take(&f, "a", "s3://bucket-a/", c1);
    struct backend *old2 = take(&f, "a", "s3://bucket-a/", c1);
    assert_ptr_equal(old, old2);
    struct backend *now = take(&f, "a", "s3://bucket-a/", c2);
    assert_ptr_not_equal(now, old);
    assert_int_equal(backends_cached(f.bs), 2);
    use(old);
    backends_release(f.bs, old2);
    use(old);
    backends_release(f.bs, old); /* its last reference: freed now */
    assert_int_equal(backends_cached(f.bs), 1);
    use(now);
    backends_release(f.bs, now);
    assert_int_equal(backends_cached(f.bs), 1);
    free(c1);
    free(c2);
    teardown(&f);
}

/* worker.backend_cache 2: idle backends beyond it are freed, those in use
 * are kept beyond it and never refused. */
static void test_small_cache_never_refuses(void **st)
{
    (void)st;
    struct fixture f;
    setup(&f, 2);
    char url[64], stage[16];
    struct backend *held[6];
    char *conn[6];
    for (int i = 0; i < 6; i++) {
        snprintf(url, sizeof(url), "s3://bucket-%d/", i);
        snprintf(stage, sizeof(stage), "s%d", i);
        conn[i] = seal_spec(url, "AKIA");
        held[i] = take(&f, stage, url, conn[i]);
    }
    assert_int_equal(backends_cached(f.bs), 6);
    for (int i = 0; i < 6; i++) {
        use(held[i]);
        backends_release(f.bs, held[i]);
    }
    assert_int_equal(backends_cached(f.bs), 2);
    /* the two most recent stay; the others are built again when asked */
    for (int i = 0; i < 6; i++) {
        snprintf(url, sizeof(url), "s3://bucket-%d/", i);
        snprintf(stage, sizeof(stage), "s%d", i);
        backends_release(f.bs, take(&f, stage, url, conn[i]));
        assert_true(backends_cached(f.bs) <= 2);
        free(conn[i]);
    }
    teardown(&f);
}

/* The configured storage is handed out without a reference; a bad seal is
 * refused and caches nothing. */
static void test_default_and_bad_seal(void **st)
{
    (void)st;
    struct fixture f;
    struct backend *b = NULL;
    char err[400] = "";
    setup(&f, 0);
    assert_int_equal(backends_for(f.bs, "~", "", "", &b, err, sizeof(err)), 0);
    assert_null(b); /* the fixture has no configured storage */
    assert_null(backends_release(f.bs, b));
    int rc = backends_for(f.bs, "x", "s3://bucket-x/", "v1:AAAA", &b, err, sizeof(err));
    assert_true(rc == ST_EINVAL || rc == ST_EPERM);
    assert_null(b);
    assert_int_equal(backends_cached(f.bs), 0);
    teardown(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_altered_stage_does_not_fill_cache),
        cmocka_unit_test(test_alter_keeps_backend_in_use),
        cmocka_unit_test(test_small_cache_never_refuses),
        cmocka_unit_test(test_default_and_bad_seal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
