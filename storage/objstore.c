/* objstore.c - see objstore.h. */
#include "objstore.h"

#include "backoff.h"
#include "digest.h"
#include "err.h"
#include "fsmeta.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the backend */

void objstore_be_init(struct objstore_be *ob, const struct backend_ops *ops,
                      struct event_base *base, void *priv)
{
    ob->b.ops = ops;
    ob->b.base = base;
    ob->b.priv = priv;
}

bool objstore_busy(const struct backend *b)
{
    const struct objstore_be *ob = b->priv;
    return ob->live > 0;
}

int objstore_defer(const struct objstore_be *ob, void (*fn)(int, short, void *), void *arg)
{
    struct timeval zero = {0, 0};
    return event_base_once(ob->b.base, -1, EV_TIMEOUT, fn, arg, &zero) == 0 ? 0 : ST_ENOMEM;
}

/* ---- one request's attempts */

int objstore_attempt(struct s3http *h, struct s3http_req *http, int (*build)(void *op), void *op)
{
    s3http_req_reset(http);
    void *rbuf = http->rbuf;
    size_t rcap = http->rcap;
    int rc = build(op);
    http->rbuf = rbuf;
    http->rcap = rcap;
    if (!rc)
        rc = s3http_start(h, http);
    return rc;
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    struct objstore_try *t = arg;
    int rc = t->resend(t->op);
    if (rc)
        t->send_failed(t->op, rc);
}

/* Attempt t->attempt + 1 after an exponential backoff with jitter:
 * 100 ms, 200 ms, 400 ms, ... capped at 5 s. */
static bool schedule(struct objstore_try *t)
{
    long ms = backoff_ms(t->attempt);
    t->attempt++;
    if (!t->timer)
        t->timer = evtimer_new(t->base, on_retry, t);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    return t->timer && evtimer_add(t->timer, &tv) == 0;
}

bool objstore_retry(struct objstore_try *t, enum bstats_op bop, const struct s3http_req *r, bool ok,
                    bool transient)
{
    if (r->refused) { /* the endpoint guard: a retry would be refused again */
        bstats_request(t->bk, bop, BSTATS_REFUSED);
        return false;
    }
    bstats_request(t->bk, bop, bstats_outcome_of(r->curl_code, r->status, ok, transient, false));
    if (!ok && transient && t->attempt + 1 < t->max_attempts && schedule(t)) {
        bstats_retry(t->bk, bop);
        return true;
    }
    return false;
}

void objstore_try_cleanup(struct objstore_try *t)
{
    if (t->timer)
        event_free(t->timer);
    t->timer = NULL;
}

void objstore_reply_msg(char *msg, size_t n, const char *label, const char *what,
                        const struct s3http_req *r, const char *code, const char *message,
                        bool exhausted)
{
    if (r->refused)
        snprintf(msg, n, "%s %.150s: %.250s", label, what, r->error);
    else if (r->curl_code)
        snprintf(msg, n, "%s %.150s: %.250s (curl error %d)", label, what, r->error, r->curl_code);
    else
        snprintf(msg, n, "%s %.150s: HTTP %ld%s%s%s%.250s%s", label, what, r->status,
                 code[0] ? " " : "", code, message[0] ? ": " : "", message,
                 exhausted ? " (retries exhausted)" : "");
}

bool objstore_reply_settled(const struct s3http_req *r, bool ok, bool transient, int *rc, char *msg,
                            size_t n, const char *label, const char *what)
{
    *rc = 0;
    msg[0] = '\0';
    if (r->refused) /* the endpoint guard: never retried */
        *rc = ST_EPERM;
    else if (ok)
        return true;
    else if (r->curl_code)
        *rc = transient ? ST_EAGAIN : ST_EPRECOND;
    if (*rc)
        objstore_reply_msg(msg, n, label, what, r, "", "", false);
    return *rc != 0;
}

void objstore_request_clear(char **url, char **hdr, size_t n)
{
    free(*url);
    *url = NULL;
    for (size_t i = 0; i < n; i++) {
        free(hdr[i]);
        hdr[i] = NULL;
    }
}

void objstore_ended(enum bstats_backend bk, enum bstats_op bop, int rc)
{
    if (rc && rc != ST_ENOTFOUND && rc != ST_EEXIST)
        bstats_error(bk, bop);
}

/* ---- read and stat */

struct objstore_cb *objstore_cb_new(backend_read_fn *read, backend_stat_fn *stat, const char *rel,
                                    void *ud)
{
    struct objstore_cb *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    *c = (struct objstore_cb){read, stat, ud, NULL};
    if (rel && !(c->rel = strdup(rel))) {
        free(c);
        return NULL;
    }
    return c;
}

void objstore_cb_free(struct objstore_cb *c)
{
    if (c)
        free(c->rel);
    free(c);
}

void objstore_read_prep(struct s3http_req *http, char *range, size_t n, int64_t offset, size_t len,
                        void *buf)
{
    if (len)
        snprintf(range, n, "bytes=%lld-%lld", (long long)offset,
                 (long long)offset + (long long)len - 1);
    http->rbuf = buf;
    http->rcap = len;
}

/* 404 let through as an answer: the store has no such object. */
static int not_found(int rc, char *msg, size_t n, const struct s3http_req *http)
{
    if (rc == 0 && http->status == 404) {
        snprintf(msg, n, "no such object");
        return ST_ENOTFOUND;
    }
    return rc;
}

void objstore_read_done(struct objstore_cb *c, int rc, char *msg, size_t n,
                        const struct s3http_req *http)
{
    size_t got = rc == 0 && http->status != 416 ? http->rlen : 0;
    rc = not_found(rc, msg, n, http);
    c->read(rc, msg, got, c->ud);
    objstore_cb_free(c);
}

void objstore_entry_meta(struct backend_entry *e, const char *md5, const char *meta_md5,
                         const char *meta_sha256, const char *meta_creator)
{
    if (md5[0])
        snprintf(e->md5, sizeof(e->md5), "%s", md5);
    else if (digest_hex_ok(meta_md5, 32))
        snprintf(e->md5, sizeof(e->md5), "%s", meta_md5);
    if (digest_hex_ok(meta_sha256, 64))
        snprintf(e->sha256, sizeof(e->sha256), "%s", meta_sha256);
    if (fsmeta_creator_ok(meta_creator))
        snprintf(e->creator, sizeof(e->creator), "%s", meta_creator);
}

void objstore_stat_done(struct objstore_cb *c, int rc, char *msg, size_t n,
                        const struct s3http_req *http, const char *md5)
{
    struct backend_entry e = {.key = c->rel};
    rc = not_found(rc, msg, n, http);
    if (rc == 0) {
        e.size = http->content_length < 0 ? 0 : http->content_length;
        e.mtime_ms = http->mtime_ms < 0 ? 0 : http->mtime_ms;
        snprintf(e.etag, sizeof(e.etag), "%s", http->etag);
        objstore_entry_meta(&e, md5, http->meta_md5, http->meta_sha256, http->meta_creator);
    }
    c->stat(rc, msg, rc ? NULL : &e, c->ud);
    objstore_cb_free(c);
}

/* ---- a paging lister */

static char *full_key(const char *root, const char *key)
{
    char *k = NULL;
    if (asprintf(&k, "%s%s", root, key ? key : "") < 0)
        return NULL;
    return k;
}

int objstore_list_open(struct backend *b, size_t size, const char *root, const char *prefix,
                       const char *start_after, size_t page_limit,
                       const struct objstore_lister_ops *ops, struct backend_lister **out)
{
    if (page_limit < 1 || page_limit > BACKEND_PAGE_MAX)
        return ST_EINVAL;
    struct objstore_lister *l = size >= sizeof(*l) ? calloc(1, size) : NULL;
    if (!l)
        return ST_ENOMEM;
    l->base.b = b;
    l->ops = ops;
    l->limit = page_limit;
    l->prefix = full_key(root, prefix ? prefix : "");
    bool sa = start_after && *start_after;
    if (sa)
        l->start_after = full_key(root, start_after);
    if (!l->prefix || (sa && !l->start_after)) {
        objstore_list_close(&l->base);
        return ST_ENOMEM;
    }
    *out = &l->base;
    return 0;
}

void objstore_list_page(struct objstore_lister *l, int rc, const char *msg)
{
    size_t n = 0;
    if (!rc) {
        size_t most = l->ops->page_size(l);
        free(l->ents);
        l->ents = calloc(most ? most : 1, sizeof(*l->ents));
        if (!l->ents) {
            rc = ST_ENOMEM;
            msg = "out of memory";
        }
    }
    if (!rc)
        n = l->ops->entries(l, l->ents);
    l->busy = false;
    l->cb(rc, msg, rc ? NULL : l->ents, rc ? 0 : n, rc ? true : l->done, l->ud);
}

static void list_last(evutil_socket_t fd, short what, void *arg)
{
    struct objstore_lister *l = arg;
    l->ops->drop_page(l);
    objstore_list_page(l, 0, "");
}

int objstore_list_next(struct backend_lister *bl, backend_page_fn *cb, void *ud)
{
    struct objstore_lister *l = (struct objstore_lister *)bl;
    struct timeval zero = {0, 0};
    if (l->busy)
        return ST_EINVAL;
    l->cb = cb;
    l->ud = ud;
    int rc = 0;
    if (l->done)
        rc = event_base_once(bl->b->base, -1, EV_TIMEOUT, list_last, l, &zero) == 0 ? 0 : ST_ENOMEM;
    else
        rc = l->ops->fetch(l);
    l->busy = rc == 0;
    return rc;
}

void objstore_list_close(struct backend_lister *bl)
{
    struct objstore_lister *l = (struct objstore_lister *)bl;
    l->ops->close(l);
    free(l->ents);
    free(l->prefix);
    free(l->start_after);
    free(l->token);
    free(l);
}

/* ---- a writer's part buffer */

int objstore_wbuf_feed(struct objstore_wbuf *b, size_t part, const void *data, size_t len,
                       int (*dispatch)(void *w), void *w, int *drc)
{
    const char *p = data;
    *drc = 0;
    while (len && !*drc) {
        if (!b->buf && !(b->buf = malloc(part)))
            return ST_ENOMEM;
        size_t take = part - b->len;
        if (take > len)
            take = len;
        memcpy(b->buf + b->len, p, take);
        b->len += take;
        p += take;
        len -= take;
        if (b->len == part)
            *drc = dispatch(w);
    }
    return 0;
}

/* ---- a writer's calls */

void objstore_wcall_fail(struct objstore_wcall *c, int rc, const char *msg)
{
    if (c->err)
        return;
    c->err = rc;
    snprintf(c->msg, sizeof(c->msg), "%s", msg);
}

struct fire {
    backend_done_fn *cb;
    backend_open_fn *open_cb;
    struct backend_writer *w;
    void *ud;
    int rc;
    char msg[BACKEND_MSG_MAX];
};

static void on_fire(evutil_socket_t fd, short what, void *arg)
{
    struct fire *f = arg;
    if (f->open_cb)
        f->open_cb(f->rc, f->msg, f->w, f->ud);
    else
        f->cb(f->rc, f->msg, f->ud);
    free(f);
}

static int fire_later(struct event_base *base, struct fire *f)
{
    struct timeval zero = {0, 0};
    return event_base_once(base, -1, EV_TIMEOUT, on_fire, f, &zero) == 0 ? 0 : ST_ENOMEM;
}

void objstore_wcall_fire(struct objstore_wcall *c, int rc, const char *msg)
{
    struct fire *f = calloc(1, sizeof(*f));
    backend_done_fn *cb = c->cb;
    c->cb = NULL;
    if (!cb || !f) {
        free(f);
        return;
    }
    f->cb = cb;
    f->ud = c->ud;
    f->rc = rc;
    snprintf(f->msg, sizeof(f->msg), "%s", rc ? msg : "");
    if (fire_later(c->base, f))
        free(f);
}

int objstore_open_defer(struct event_base *base, struct backend_writer *w, backend_open_fn *cb,
                        void *ud)
{
    struct fire *f = calloc(1, sizeof(*f));
    if (!f)
        return ST_ENOMEM;
    *f = (struct fire){.open_cb = cb, .w = w, .ud = ud};
    int rc = fire_later(base, f);
    if (rc)
        free(f);
    return rc;
}

static void take(struct objstore_wcall *c, backend_done_fn *cb, void *ud)
{
    c->cb = cb;
    c->ud = ud;
}

static void dispatch_failed(struct objstore_wcall *c, int rc, const struct objstore_wwhy *why)
{
    objstore_wcall_fail(c, rc, rc == ST_ELIMIT ? why->too_many : why->cannot);
}

int objstore_wcall_part(struct objstore_wcall *c, struct objstore_wbuf *b, size_t part,
                        const void *data, size_t len, int (*dispatch)(void *w), void *w,
                        const struct objstore_wwhy *why, backend_done_fn *cb, void *ud)
{
    if (c->cb || c->phase != OBJSTORE_W_OPEN)
        return ST_EINVAL;
    int drc = 0;
    if (!c->err) {
        int rc = objstore_wbuf_feed(b, part, data, len, dispatch, w, &drc);
        if (rc)
            return rc;
    }
    if (drc)
        dispatch_failed(c, drc, why);
    take(c, cb, ud);
    return 0;
}

int objstore_wcall_end(struct objstore_wcall *c, enum objstore_wphase phase, bool flush,
                       int (*dispatch)(void *w), void *w, const struct objstore_wwhy *why,
                       backend_done_fn *cb, void *ud)
{
    if (c->cb || c->phase != OBJSTORE_W_OPEN)
        return ST_EINVAL;
    if (flush && !c->err) {
        int rc = dispatch(w);
        if (rc)
            dispatch_failed(c, rc, why);
    }
    take(c, cb, ud);
    c->phase = phase;
    return 0;
}

void objstore_wcall_detach(struct objstore_wcall *c)
{
    c->cb = NULL; /* the caller is gone: no callback */
    c->phase = OBJSTORE_W_DETACH;
}
