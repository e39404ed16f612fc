/* objstore.c - see objstore.h. */
#include "objstore.h"

#include "backoff.h"
#include "err.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void objstore_ended(enum bstats_backend bk, enum bstats_op bop, int rc)
{
    if (rc && rc != ST_ENOTFOUND && rc != ST_EEXIST)
        bstats_error(bk, bop);
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
    l->cb = cb;
    l->ud = ud;
    if (l->done)
        return event_base_once(bl->b->base, -1, EV_TIMEOUT, list_last, l, &zero) == 0 ? 0
                                                                                      : ST_ENOMEM;
    return l->ops->fetch(l);
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
