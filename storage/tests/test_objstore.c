/* Unit tests for storage/objstore.c, the parts s3, azblob and gcs share:
 * a writer's call gates (one call at a time, none after the commit or
 * abort, callbacks on a later loop turn and exactly once), the open
 * hand-off, the reply outcomes all stores mean alike, an entry's digests,
 * and a read's and a stat's reply. No network: the replies are filled in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "objstore.h"

#define MD5_A "0123456789abcdef0123456789abcdef"
#define MD5_B "fedcba9876543210fedcba9876543210"
#define SHA_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct seen {
    int calls;
    int rc;
    char msg[BACKEND_MSG_MAX];
    size_t n;
    struct backend_entry e;
    char key[64];
};

static void on_done(int rc, const char *msg, void *ud)
{
    struct seen *s = ud;
    s->calls++;
    s->rc = rc;
    snprintf(s->msg, sizeof(s->msg), "%s", msg);
}

static void on_open(int rc, const char *msg, struct backend_writer *w, void *ud)
{
    (void)w;
    on_done(rc, msg, ud);
}

static void on_read(int rc, const char *msg, size_t n, void *ud)
{
    struct seen *s = ud;
    s->n = n;
    on_done(rc, msg, ud);
}

static void on_stat(int rc, const char *msg, const struct backend_entry *e, void *ud)
{
    struct seen *s = ud;
    if (e) {
        s->e = *e;
        snprintf(s->key, sizeof(s->key), "%s", e->key);
    }
    on_done(rc, msg, ud);
}

/* A dispatch that takes the full part and counts it, or fails with rc. */
struct parts {
    struct objstore_wbuf *wb;
    int sent;
    int rc;
};

static int dispatch(void *arg)
{
    struct parts *p = arg;
    if (p->rc)
        return p->rc;
    free(p->wb->buf);
    p->wb->buf = NULL;
    p->wb->len = 0;
    p->sent++;
    return 0;
}

static const struct objstore_wwhy why = {"too many parts", "cannot send"};

static void test_wcall_gates(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct objstore_wcall c = {.base = base};
    struct objstore_wbuf wb = {0};
    struct parts p = {&wb, 0, 0};
    struct seen s = {0}, t = {0};
    assert_int_equal(
        objstore_wcall_part(&c, &wb, 4, "abcdefghij", 10, dispatch, &p, &why, on_done, &s), 0);
    assert_int_equal(p.sent, 2); /* two full parts; 2 bytes wait */
    assert_int_equal(wb.len, 2);
    /* a call is pending: the next one is refused, its callback never runs */
    assert_int_equal(objstore_wcall_part(&c, &wb, 4, "x", 1, dispatch, &p, &why, on_done, &t),
                     ST_EINVAL);
    assert_int_equal(
        objstore_wcall_end(&c, OBJSTORE_W_COMMIT, true, dispatch, &p, &why, on_done, &t),
        ST_EINVAL);
    objstore_wcall_fire(&c, 0, "");
    assert_int_equal(s.calls, 0); /* never inside the call that fired it */
    event_base_loop(base, EVLOOP_NONBLOCK);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.rc, 0);
    /* commit: the rest goes as the last part first */
    assert_int_equal(
        objstore_wcall_end(&c, OBJSTORE_W_COMMIT, wb.len > 0, dispatch, &p, &why, on_done, &t), 0);
    assert_int_equal(p.sent, 3);
    assert_int_equal(c.phase, OBJSTORE_W_COMMIT);
    objstore_wcall_fire(&c, ST_EIO, "boom");
    objstore_wcall_fire(&c, 0, ""); /* nothing pending any more: no second call */
    event_base_loop(base, EVLOOP_NONBLOCK);
    assert_int_equal(t.calls, 1);
    assert_int_equal(t.rc, ST_EIO);
    assert_string_equal(t.msg, "boom");
    /* after the commit, nothing more is taken */
    assert_int_equal(
        objstore_wcall_end(&c, OBJSTORE_W_ABORT, false, dispatch, &p, &why, on_done, &t),
        ST_EINVAL);
    free(wb.buf);
    event_base_free(base);
}

static void test_wcall_failures(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct objstore_wcall c = {.base = base};
    struct objstore_wbuf wb = {0};
    struct parts p = {&wb, 0, ST_ELIMIT};
    struct seen s = {0};
    assert_int_equal(objstore_wcall_part(&c, &wb, 2, "abcd", 4, dispatch, &p, &why, on_done, &s),
                     0);
    assert_int_equal(c.err, ST_ELIMIT);
    assert_string_equal(c.msg, "too many parts");
    objstore_wcall_fail(&c, ST_EIO, "later"); /* the first failure stays */
    assert_string_equal(c.msg, "too many parts");
    objstore_wcall_fire(&c, c.err, c.msg);
    event_base_loop(base, EVLOOP_NONBLOCK);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.rc, ST_ELIMIT);
    /* a sticky failure: the bytes of the next part are not taken */
    size_t len = wb.len;
    assert_int_equal(objstore_wcall_part(&c, &wb, 2, "ef", 2, dispatch, &p, &why, on_done, &s), 0);
    assert_int_equal(wb.len, len);
    objstore_wcall_detach(&c);
    assert_int_equal(c.phase, OBJSTORE_W_DETACH);
    objstore_wcall_fire(&c, 0, ""); /* detached: no callback */
    event_base_loop(base, EVLOOP_NONBLOCK);
    assert_int_equal(s.calls, 1);
    free(wb.buf);
    event_base_free(base);
}

static void test_open_defer(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct backend_writer w = {0};
    struct seen s = {0};
    assert_int_equal(objstore_open_defer(base, &w, on_open, &s), 0);
    assert_int_equal(s.calls, 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.rc, 0);
    event_base_free(base);
}

static void test_reply_settled(void **state)
{
    (void)state;
    struct s3http_req r = {0};
    char msg[BACKEND_MSG_MAX];
    int rc = 1;
    r.status = 200;
    assert_true(objstore_reply_settled(&r, true, false, &rc, msg, sizeof(msg), "S3 GET", "k"));
    assert_int_equal(rc, 0);
    assert_string_equal(msg, "");
    r.refused = true;
    snprintf(r.error, sizeof(r.error), "not allowed");
    assert_true(objstore_reply_settled(&r, true, false, &rc, msg, sizeof(msg), "S3 GET", "k"));
    assert_int_equal(rc, ST_EPERM);
    assert_string_equal(msg, "S3 GET k: not allowed");
    r = (struct s3http_req){.curl_code = 7};
    snprintf(r.error, sizeof(r.error), "refused");
    assert_true(objstore_reply_settled(&r, false, true, &rc, msg, sizeof(msg), "S3 GET", "k"));
    assert_int_equal(rc, ST_EAGAIN);
    assert_string_equal(msg, "S3 GET k: refused (curl error 7)");
    assert_true(objstore_reply_settled(&r, false, false, &rc, msg, sizeof(msg), "S3 GET", "k"));
    assert_int_equal(rc, ST_EPRECOND);
    r = (struct s3http_req){.status = 403};
    assert_false(objstore_reply_settled(&r, false, false, &rc, msg, sizeof(msg), "S3 GET", "k"));
}

static void test_entry_meta(void **state)
{
    (void)state;
    struct backend_entry e = {0};
    objstore_entry_meta(&e, "", MD5_B, SHA_A, "alice");
    assert_string_equal(e.md5, MD5_B); /* the metadata's, with no header */
    assert_string_equal(e.sha256, SHA_A);
    assert_string_equal(e.creator, "alice");
    e = (struct backend_entry){0};
    objstore_entry_meta(&e, MD5_A, MD5_B, "not-hex", "bad name\n");
    assert_string_equal(e.md5, MD5_A); /* the store's own header first */
    assert_string_equal(e.sha256, "");
    assert_string_equal(e.creator, "");
}

static void test_read_stat_done(void **state)
{
    (void)state;
    struct s3http_req r = {.status = 206, .rlen = 5};
    char msg[BACKEND_MSG_MAX] = "";
    struct seen s = {0};
    objstore_read_done(objstore_cb_new(on_read, NULL, NULL, &s), 0, msg, sizeof(msg), &r);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.n, 5);
    r.status = 416; /* at or past the end: nothing */
    objstore_read_done(objstore_cb_new(on_read, NULL, NULL, &s), 0, msg, sizeof(msg), &r);
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.n, 0);
    r.status = 404;
    objstore_read_done(objstore_cb_new(on_read, NULL, NULL, &s), 0, msg, sizeof(msg), &r);
    assert_int_equal(s.rc, ST_ENOTFOUND);
    assert_string_equal(s.msg, "no such object");

    struct s3http_req h = {.status = 200, .content_length = 12, .mtime_ms = -1};
    snprintf(h.etag, sizeof(h.etag), "\"%s\"", MD5_A);
    snprintf(h.meta_sha256, sizeof(h.meta_sha256), "%s", SHA_A);
    struct seen t = {0};
    objstore_stat_done(objstore_cb_new(NULL, on_stat, "a/b.csv", &t), 0, msg, sizeof(msg), &h,
                       MD5_B);
    assert_int_equal(t.calls, 1);
    assert_string_equal(t.key, "a/b.csv");
    assert_int_equal(t.e.size, 12);
    assert_int_equal(t.e.mtime_ms, 0);
    assert_string_equal(t.e.md5, MD5_B);
    assert_string_equal(t.e.sha256, SHA_A);
    h.status = 404;
    objstore_stat_done(objstore_cb_new(NULL, on_stat, "a/b.csv", &t), 0, msg, sizeof(msg), &h, "");
    assert_int_equal(t.calls, 2);
    assert_int_equal(t.rc, ST_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wcall_gates), cmocka_unit_test(test_wcall_failures),
        cmocka_unit_test(test_open_defer),  cmocka_unit_test(test_reply_settled),
        cmocka_unit_test(test_entry_meta),  cmocka_unit_test(test_read_stat_done),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
