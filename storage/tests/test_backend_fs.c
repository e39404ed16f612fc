/* Unit tests for storage/fs/backend_fs.c: the fs backend driven through an
 * event_base on a mkdtemp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "backend_fs.h"
#include "err.h"
#include "fsopen.h"

struct fx {
    struct event_base *base;
    struct backend *b;
    char root[64];
};

/* What a callback saw. */
struct res {
    int calls;
    int rc;
    char msg[BACKEND_MSG_MAX];
    bool in_call; /* set while the starting call runs */
    bool reentrant;
    struct backend_writer *w;
    size_t n;
    bool last;
    char keys[16][64];
    int64_t sizes[16];
    int errs[16];
    char etag[72];
};

static void note(struct res *r, int rc, const char *msg)
{
    r->calls++;
    r->rc = rc;
    r->reentrant |= r->in_call;
    snprintf(r->msg, sizeof(r->msg), "%s", msg ? msg : "");
}

static void on_done(int rc, const char *msg, void *ud)
{
    note(ud, rc, msg);
}

static void on_open(int rc, const char *msg, struct backend_writer *w, void *ud)
{
    struct res *r = ud;
    note(r, rc, msg);
    r->w = w;
}

static void on_read(int rc, const char *msg, size_t n, void *ud)
{
    struct res *r = ud;
    note(r, rc, msg);
    r->n = n;
}

static void on_stat(int rc, const char *msg, const struct backend_entry *e, void *ud)
{
    struct res *r = ud;
    note(r, rc, msg);
    if (e) {
        r->sizes[0] = e->size;
        snprintf(r->etag, sizeof(r->etag), "%s", e->etag);
    }
}

static void on_page(int rc, const char *msg, const struct backend_entry *e, size_t n, bool last,
                    void *ud)
{
    struct res *r = ud;
    note(r, rc, msg);
    r->n = n;
    r->last = last;
    for (size_t i = 0; i < n && i < 16; i++) {
        snprintf(r->keys[i], sizeof(r->keys[i]), "%s", e[i].key);
        r->sizes[i] = e[i].size;
    }
}

static void on_delete(int rc, const char *msg, const int *errs, size_t n, void *ud)
{
    struct res *r = ud;
    note(r, rc, msg);
    r->n = n;
    for (size_t i = 0; i < n && i < 16; i++)
        r->errs[i] = errs[i];
}

/* Run the loop until the callback ran; it must run exactly once. */
static void settle(struct fx *f, struct res *r)
{
    r->in_call = false;
    event_base_loop(f->base, EVLOOP_NONBLOCK);
    event_base_loop(f->base, EVLOOP_NONBLOCK);
    assert_int_equal(r->calls, 1);
    assert_false(r->reentrant);
    r->calls = 0;
}

static int setup(void **st)
{
    struct fx *f = calloc(1, sizeof(*f));
    char err[256] = "";
    snprintf(f->root, sizeof(f->root), "/tmp/stage-fs-test.XXXXXX");
    assert_non_null(mkdtemp(f->root));
    f->base = event_base_new();
    assert_int_equal(backend_fs_new(&f->b, f->base, f->root, err, sizeof(err)), 0);
    *st = f;
    return 0;
}

static int teardown(void **st)
{
    struct fx *f = *st;
    char cmd[128];
    backend_free(f->b);
    event_base_free(f->base);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void put(struct fx *f, const char *key, const char *data)
{
    struct res r = {0};
    r.in_call = true;
    assert_int_equal(backend_write_open(f->b, key, NULL, on_open, &r), 0);
    settle(f, &r);
    assert_int_equal(r.rc, 0);
    struct backend_writer *w = r.w;
    r.in_call = true;
    assert_int_equal(backend_write_part(w, 0, data, strlen(data), on_done, &r), 0);
    settle(f, &r);
    assert_int_equal(r.rc, 0);
    r.in_call = true;
    assert_int_equal(backend_write_commit(w, on_done, &r), 0);
    settle(f, &r);
    if (r.rc)
        fail_msg("put %s: %d %s", key, r.rc, r.msg);
}

static int count_dir(const char *path)
{
    DIR *d = opendir(path);
    int n = 0;
    struct dirent *de;
    if (!d)
        return -1;
    while ((de = readdir(d)) != NULL)
        n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
    closedir(d);
    return n;
}

static void test_write_commit(void **st)
{
    struct fx *f = *st;
    struct res r = {0};
    const char *parts[3] = {"hello ", "big ", "world"};
    char path[256], buf[64] = "";
    r.in_call = true;
    assert_int_equal(backend_write_open(f->b, "s/d/e/f.txt", NULL, on_open, &r), 0);
    settle(f, &r);
    assert_int_equal(r.rc, 0);
    struct backend_writer *w = r.w;
    for (long i = 0; i < 3; i++) {
        r.in_call = true;
        assert_int_equal(backend_write_part(w, i, parts[i], strlen(parts[i]), on_done, &r), 0);
        settle(f, &r);
        assert_int_equal(r.rc, 0);
    }
    snprintf(path, sizeof(path), "%s/s/d/e/f.txt", f->root);
    assert_int_not_equal(access(path, F_OK), 0); /* not visible before commit */
    r.in_call = true;
    assert_int_equal(backend_write_commit(w, on_done, &r), 0);
    settle(f, &r);
    assert_int_equal(r.rc, 0);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    assert_string_equal(buf, "hello big world");
    snprintf(path, sizeof(path), "%s/.tmp", f->root);
    assert_int_equal(count_dir(path), 0);

    /* ranged read */
    memset(buf, 0, sizeof(buf));
    r.in_call = true;
    assert_int_equal(backend_read(f->b, "s/d/e/f.txt", 6, 100, buf, on_read, &r), 0);
    settle(f, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.n, 9);
    assert_memory_equal(buf, "big world", 9);
}

static void test_abort(void **st)
{
    struct fx *f = *st;
    struct res r = {0};
    char path[256];
    r.in_call = true;
    assert_int_equal(backend_write_open(f->b, "x/y.bin", NULL, on_open, &r), 0);
    settle(f, &r);
    struct backend_writer *w = r.w;
    r.in_call = true;
    assert_int_equal(backend_write_part(w, 0, "abc", 3, on_done, &r), 0);
    settle(f, &r);
    /* parts out of order are refused, synchronously, without a callback */
    assert_int_equal(backend_write_part(w, 5, "abc", 3, on_done, &r), ST_EINVAL);
    r.in_call = true;
    assert_int_equal(backend_write_abort(w, on_done, &r), 0);
    settle(f, &r);
    assert_int_equal(r.rc, 0);
    snprintf(path, sizeof(path), "%s/x/y.bin", f->root);
    assert_int_not_equal(access(path, F_OK), 0);
    snprintf(path, sizeof(path), "%s/.tmp", f->root);
    assert_int_equal(count_dir(path), 0);
}

static void test_no_overwrite(void **st)
{
    struct fx *f = *st;
    struct res r = {0};
    struct backend_write_opts o = {.no_overwrite = true};
    put(f, "k", "one");
    assert_int_equal(backend_write_open(f->b, "k", &o, on_open, &r), 0);
    settle(f, &r);
    struct backend_writer *w = r.w;
    assert_int_equal(backend_write_commit(w, on_done, &r), 0);
    settle(f, &r);
    assert_int_equal(r.rc, ST_EEXIST);
    put(f, "k", "two"); /* overwrite by default */
    assert_int_equal(backend_stat(f->b, "k", on_stat, &r), 0);
    settle(f, &r);
    assert_int_equal(r.sizes[0], 3);
}

/* List everything under `prefix` after `sa` in pages of `limit`, joined by ' '. */
static void list_all(struct fx *f, const char *prefix, const char *sa, size_t limit, char *out,
                     size_t outlen, int *pages)
{
    struct backend_lister *l = NULL;
    struct res r = {0};
    out[0] = '\0';
    *pages = 0;
    assert_int_equal(backend_list_open(f->b, prefix, sa, limit, &l), 0);
    do {
        r.in_call = true;
        assert_int_equal(backend_list_next(l, on_page, &r), 0);
        settle(f, &r);
        assert_int_equal(r.rc, 0);
        assert_true(r.n <= limit);
        (*pages)++;
        for (size_t i = 0; i < r.n; i++)
            snprintf(out + strlen(out), outlen - strlen(out), "%s%s", *out ? " " : "", r.keys[i]);
    } while (!r.last);
    backend_list_close(l);
}

static void test_list_order(void **st)
{
    struct fx *f = *st;
    char out[512];
    int pages;
    put(f, "r/b", "4");
    put(f, "r/a/c/d", "333");
    put(f, "r/a/b", "22");
    put(f, "r/a.csv", "1");
    put(f, "r/a0", "5");
    put(f, "q", "x");
    list_all(f, "", NULL, 100, out, sizeof(out), &pages);
    assert_string_equal(out, "q r/a.csv r/a/b r/a/c/d r/a0 r/b");
    list_all(f, "r/", NULL, 2, out, sizeof(out), &pages);
    assert_string_equal(out, "r/a.csv r/a/b r/a/c/d r/a0 r/b");
    assert_true(pages >= 3);
    list_all(f, "r/a", NULL, 1, out, sizeof(out), &pages);
    assert_string_equal(out, "r/a.csv r/a/b r/a/c/d r/a0");
    list_all(f, "r/a/", NULL, 10, out, sizeof(out), &pages);
    assert_string_equal(out, "r/a/b r/a/c/d");
    list_all(f, "r/", "r/a/b", 10, out, sizeof(out), &pages);
    assert_string_equal(out, "r/a/c/d r/a0 r/b");
    list_all(f, "r/", "r/a", 10, out, sizeof(out), &pages);
    assert_string_equal(out, "r/a.csv r/a/b r/a/c/d r/a0 r/b");
    list_all(f, "r/", "r/a/c/d", 10, out, sizeof(out), &pages);
    assert_string_equal(out, "r/a0 r/b");
    list_all(f, "nope/", NULL, 10, out, sizeof(out), &pages);
    assert_string_equal(out, "");
    assert_int_equal(pages, 1);
}

static void test_stat_delete(void **st)
{
    struct fx *f = *st;
    struct res r = {0};
    char path[256];
    put(f, "stage/user/u/d/e/x", "1");
    put(f, "stage/user/u/y", "12");
    r.in_call = true;
    assert_int_equal(backend_stat(f->b, "stage/user/u/missing", on_stat, &r), 0);
    settle(f, &r);
    assert_int_equal(r.rc, ST_ENOTFOUND);
    assert_int_equal(backend_stat(f->b, "stage/user/u/d", on_stat, &r), 0); /* a directory */
    settle(f, &r);
    assert_int_equal(r.rc, ST_ENOTFOUND);
    assert_int_equal(backend_stat(f->b, "stage/user/u/y", on_stat, &r), 0);
    settle(f, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.sizes[0], 2);
    assert_true(strlen(r.etag) > 3);

    const char *keys[] = {"stage/user/u/d/e/x", "stage/user/u/nope", "stage/user/u/y", "../z"};
    r.in_call = true;
    assert_int_equal(backend_delete_batch(f->b, keys, 4, "stage/user/u/", on_delete, &r), 0);
    settle(f, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.errs[0], 0);
    assert_int_equal(r.errs[1], ST_ENOTFOUND);
    assert_int_equal(r.errs[2], 0);
    assert_int_equal(r.errs[3], ST_EINVAL);
    snprintf(path, sizeof(path), "%s/stage/user/u/d", f->root);
    assert_int_not_equal(access(path, F_OK), 0); /* emptied parents are gone */
    snprintf(path, sizeof(path), "%s/stage/user/u", f->root);
    assert_int_equal(access(path, F_OK), 0); /* the stage root stays */
}

static void test_bad_keys(void **st)
{
    struct fx *f = *st;
    struct res r = {0};
    struct backend_lister *l = NULL;
    char buf[4];
    const char *bad[] = {"../x", "/etc", "a//b", "a/../b", "a/", "", ".tmp/x", "a/./b"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(backend_write_open(f->b, bad[i], NULL, on_open, &r), ST_EINVAL);
        assert_int_equal(backend_stat(f->b, bad[i], on_stat, &r), ST_EINVAL);
        assert_int_equal(backend_read(f->b, bad[i], 0, 4, buf, on_read, &r), ST_EINVAL);
    }
    assert_int_equal(backend_list_open(f->b, "../", NULL, 10, &l), ST_EINVAL);
    assert_int_equal(backend_list_open(f->b, "a//", NULL, 10, &l), ST_EINVAL);
    assert_int_equal(backend_list_open(f->b, "a", NULL, 0, &l), ST_EINVAL);
    event_base_loop(f->base, EVLOOP_NONBLOCK);
    assert_int_equal(r.calls, 0); /* an error return never calls back */
    assert_int_equal(backend_key_check("a..b.csv", false), 0);
    assert_int_equal(backend_key_check("a/b/", true), 0);
}

static void rm_rf(const char *dir)
{
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void write_file(const char *path, const char *data)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(data, fp);
    fclose(fp);
}

static void link_at(const char *target, const char *root, const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", root, name);
    if (symlink(target, path) != 0)
        fail_msg("symlink %s -> %s failed", path, target);
}

/* A directory outside the root with a secret, and links to it planted
 * under the root: the backend must neither read, stat, list, write nor
 * delete anything there (issue 14, finding 1). */
static void symlink_escape(struct fx *f)
{
    struct res r = {0};
    char out_dir[64], path[256], buf[64] = "", listed[512];
    int pages;
    snprintf(out_dir, sizeof(out_dir), "/tmp/stage-fs-out.XXXXXX");
    assert_non_null(mkdtemp(out_dir));
    snprintf(path, sizeof(path), "%s/secret", out_dir);
    write_file(path, "s3cret");
    snprintf(path, sizeof(path), "%s/sub", out_dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/sub/deep", out_dir);
    write_file(path, "deep");
    put(f, "u/own.txt", "mine");
    snprintf(path, sizeof(path), "%s/secret", out_dir);
    link_at(out_dir, f->root, "u/dir");    /* a directory link */
    link_at(path, f->root, "u/file");      /* a file link */
    link_at(out_dir, f->root, "linkroot"); /* a link at the top */

    const char *escapes[] = {"u/dir/secret", "u/file", "u/dir/sub/deep", "linkroot/secret"};
    for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
        r.in_call = true;
        assert_int_equal(backend_read(f->b, escapes[i], 0, sizeof(buf) - 1, buf, on_read, &r), 0);
        settle(f, &r);
        if (r.rc != ST_ENOTFOUND)
            fail_msg("read %s: %d %s (read '%.*s')", escapes[i], r.rc, r.msg, (int)r.n, buf);
        r.in_call = true;
        assert_int_equal(backend_stat(f->b, escapes[i], on_stat, &r), 0);
        settle(f, &r);
        if (r.rc != ST_ENOTFOUND)
            fail_msg("stat %s: %d %s", escapes[i], r.rc, r.msg);
    }
    /* listings: the links are skipped, and naming one as the prefix lists nothing */
    list_all(f, "", NULL, 100, listed, sizeof(listed), &pages);
    assert_string_equal(listed, "u/own.txt");
    list_all(f, "u/dir/", NULL, 100, listed, sizeof(listed), &pages);
    assert_string_equal(listed, "");
    list_all(f, "u/dir/s", NULL, 100, listed, sizeof(listed), &pages);
    assert_string_equal(listed, "");
    list_all(f, "linkroot/", NULL, 100, listed, sizeof(listed), &pages);
    assert_string_equal(listed, "");

    /* a write through a linked directory fails and leaves nothing outside */
    r.in_call = true;
    assert_int_equal(backend_write_open(f->b, "u/dir/planted", NULL, on_open, &r), 0);
    settle(f, &r);
    assert_int_equal(r.rc, 0);
    struct backend_writer *w = r.w;
    r.in_call = true;
    assert_int_equal(backend_write_part(w, 0, "evil", 4, on_done, &r), 0);
    settle(f, &r);
    r.in_call = true;
    assert_int_equal(backend_write_commit(w, on_done, &r), 0);
    settle(f, &r);
    assert_int_equal(r.rc, ST_EEXIST);
    snprintf(path, sizeof(path), "%s/planted", out_dir);
    assert_int_not_equal(access(path, F_OK), 0);

    /* deletes: through a link NOT_FOUND; a link itself goes, never its target */
    const char *keys[] = {"u/dir/secret", "u/dir/sub/deep", "u/file"};
    r.in_call = true;
    assert_int_equal(backend_delete_batch(f->b, keys, 3, "u/", on_delete, &r), 0);
    settle(f, &r);
    assert_int_equal(r.errs[0], ST_ENOTFOUND);
    assert_int_equal(r.errs[1], ST_ENOTFOUND);
    assert_int_equal(r.errs[2], 0);
    snprintf(path, sizeof(path), "%s/secret", out_dir);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof(path), "%s/sub/deep", out_dir);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof(path), "%s/u/file", f->root);
    assert_int_not_equal(access(path, F_OK), 0);
    assert_int_equal(count_dir(out_dir), 2); /* secret and sub, nothing added */
    rm_rf(out_dir);
}

static void test_symlink_escape(void **st)
{
    symlink_escape(*st);
}

/* The same on a kernel without openat2: the component walk. */
static void test_symlink_escape_walk(void **st)
{
    fsopen_force_walk(true);
    symlink_escape(*st);
    fsopen_force_walk(false);
}

/* .tmp replaced by a link: temp files are not created through it. */
static void test_tmp_link(void **st)
{
    struct fx *f = *st;
    struct res r = {0};
    char out_dir[64], path[256];
    snprintf(out_dir, sizeof(out_dir), "/tmp/stage-fs-out.XXXXXX");
    assert_non_null(mkdtemp(out_dir));
    snprintf(path, sizeof(path), "%s/.tmp", f->root);
    assert_int_equal(rmdir(path), 0);
    link_at(out_dir, f->root, ".tmp");
    r.in_call = true;
    assert_int_equal(backend_write_open(f->b, "k", NULL, on_open, &r), 0);
    settle(f, &r);
    struct backend_writer *w = r.w;
    r.in_call = true;
    assert_int_equal(backend_write_part(w, 0, "x", 1, on_done, &r), 0);
    settle(f, &r);
    assert_int_not_equal(r.rc, 0);
    assert_int_equal(count_dir(out_dir), 0);
    r.in_call = true;
    assert_int_equal(backend_write_abort(w, on_done, &r), 0);
    settle(f, &r);
    rm_rf(out_dir);
}

/* An fs:// stage's backend: made beneath its base, never creating the base,
 * never through a link. */
static void test_new_beneath(void **st)
{
    struct fx *f = *st;
    struct backend *b = NULL;
    char err[256] = "", out_dir[64], path[256];
    snprintf(out_dir, sizeof(out_dir), "/tmp/stage-fs-out.XXXXXX");
    assert_non_null(mkdtemp(out_dir));
    /* the base must exist: nothing is created for a missing one */
    snprintf(path, sizeof(path), "%s/nobase", out_dir);
    assert_int_equal(backend_fs_new_beneath(&b, f->base, path, "a/b", err, sizeof(err)),
                     ST_EPRECOND);
    assert_null(b);
    assert_int_not_equal(access(path, F_OK), 0);
    /* the stage directory is made beneath the base */
    assert_int_equal(backend_fs_new_beneath(&b, f->base, f->root, "ext/a", err, sizeof(err)), 0);
    struct res r = {0};
    r.in_call = true;
    assert_int_equal(backend_write_open(b, "x.csv", NULL, on_open, &r), 0);
    settle(f, &r);
    struct backend_writer *w = r.w;
    r.in_call = true;
    assert_int_equal(backend_write_commit(w, on_done, &r), 0);
    settle(f, &r);
    assert_int_equal(r.rc, 0);
    backend_free(b);
    b = NULL;
    snprintf(path, sizeof(path), "%s/ext/a/x.csv", f->root);
    assert_int_equal(access(path, F_OK), 0);
    /* a link on the stage's path below the base is refused; nothing made outside */
    link_at(out_dir, f->root, "ext/l");
    assert_int_equal(backend_fs_new_beneath(&b, f->base, f->root, "ext/l/new", err, sizeof(err)),
                     ST_EPRECOND);
    assert_non_null(strstr(err, "symbolic link"));
    assert_null(b);
    assert_int_equal(count_dir(out_dir), 0);
    rm_rf(out_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_overwrite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stat_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_escape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_escape_walk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tmp_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_beneath, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
