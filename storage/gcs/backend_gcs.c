/* backend_gcs.c - the GCS backend: construction, read, stat, list, delete
 * and copy (see backend_gcs.h); writers are in backend_gcs_write.c. */
#include "backend_gcs_impl.h"
#include "err.h"
#include "gcscred.h"
#include "gcsjson.h"
#include "gcsurl.h"
#include "objstore.h"
#include "sbuf.h"
#include "storspec.h"

#include <event2/event.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct gcsb *G(struct backend *b)
{
    return b->priv;
}

/* The object URL of `key` (root added) with `suffix` and `query`. */
static char *object_url(struct gcsb *g, const char *key, const char *suffix, const char *query)
{
    char *full = gcs_full_key(g, key), *url = NULL;
    if (full && gcsurl_object(g->origin, g->bucket, full, suffix, query, &url) != 0)
        url = NULL;
    free(full);
    return url;
}

/* ---- read ---- */

struct rd {
    backend_read_fn *cb;
    void *ud;
    int64_t offset;
};

static void read_done(struct gcsop *op)
{
    struct rd *r = op->ud;
    size_t n = op->http.rlen;
    int rc = op->rc;
    if (op->http.status == 416) /* a range at or past the end: nothing to read */
        rc = 0, n = 0;
    else if (!rc && op->http.status == 200 && r->offset > 0) /* the Range was ignored */
        rc = st_fail(ST_EPRECOND, op->msg, sizeof(op->msg),
                     "GCS read: the whole object came back for a range");
    r->cb(rc, rc ? op->msg : "", rc ? 0 : n, r->ud);
    free(r);
    gcsop_free(op);
}

static int gcs_read(struct backend *b, const char *key, int64_t offset, size_t len, void *buf,
                    backend_read_fn *cb, void *ud)
{
    struct gcsb *g = G(b);
    if (offset < 0 || !len)
        return ST_EINVAL;
    struct rd *r = calloc(1, sizeof(*r));
    struct gcsop *op =
        r ? gcsop_new(g, "GET", object_url(g, key, NULL, "alt=media"), read_done, r) : NULL;
    if (!op) {
        free(r);
        return ST_ENOMEM;
    }
    r->cb = cb;
    r->ud = ud;
    r->offset = offset;
    op->rbuf = buf;
    op->rcap = len;
    int rc = gcsop_header(op, "Range: bytes=%lld-%lld", (long long)offset,
                          (long long)offset + (long long)len - 1);
    if (!rc)
        rc = gcsop_send(op);
    if (rc) {
        free(r);
        gcsop_free(op);
    }
    return rc;
}

/* ---- stat ---- */

struct st {
    backend_stat_fn *cb;
    void *ud;
};

static void stat_done(struct gcsop *op)
{
    struct st *s = op->ud;
    struct gcsjson_object o;
    char err[BACKEND_MSG_MAX];
    int rc = op->rc;
    snprintf(err, sizeof(err), "%s", op->msg);
    if (!rc)
        rc = gcsjson_object_parse(op->http.resp, op->http.resp_len, &o, err, sizeof(err));
    if (!rc) {
        o.e.key = o.name + strlen(op->g->root); /* as the caller named it */
        s->cb(0, "", &o.e, s->ud);
        gcsjson_object_clear(&o);
    } else {
        s->cb(rc, err, NULL, s->ud);
    }
    free(s);
    gcsop_free(op);
}

static int gcs_stat(struct backend *b, const char *key, backend_stat_fn *cb, void *ud)
{
    struct gcsb *g = G(b);
    struct st *s = calloc(1, sizeof(*s));
    struct gcsop *op = s ? gcsop_new(g, "GET", object_url(g, key, NULL, NULL), stat_done, s) : NULL;
    if (!op) {
        free(s);
        return ST_ENOMEM;
    }
    s->cb = cb;
    s->ud = ud;
    int rc = gcsop_start(op);
    if (rc)
        free(s);
    return rc;
}

/* ---- list ---- */

struct gcs_lister {
    struct objstore_lister l; /* first */
    struct gcsjson_list page; /* the page parsed last */
};

static size_t list_page_size(const struct objstore_lister *ol)
{
    return ((const struct gcs_lister *)ol)->page.n;
}

/* startOffset is inclusive; start_after is not. Names outside the prefix
 * or root would be a broken reply: dropped. */
static size_t list_entries(struct objstore_lister *ol, struct backend_entry *ents)
{
    struct gcs_lister *l = (struct gcs_lister *)ol;
    size_t n = 0, rl = strlen(G(ol->base.b)->root);
    for (size_t i = 0; i < l->page.n; i++) {
        const char *name = l->page.items[i].name;
        if (strncmp(name, ol->prefix, strlen(ol->prefix)) != 0 ||
            (ol->start_after && strcmp(name, ol->start_after) <= 0))
            continue;
        ents[n] = l->page.items[i].e;
        ents[n++].key = name + rl;
    }
    return n;
}

static void list_drop_page(struct objstore_lister *ol)
{
    gcsjson_list_clear(&((struct gcs_lister *)ol)->page);
}

static void list_done(struct gcsop *op)
{
    struct gcs_lister *l = op->ud;
    char err[BACKEND_MSG_MAX];
    int rc = op->rc;
    snprintf(err, sizeof(err), "%s", op->msg);
    gcsjson_list_clear(&l->page);
    if (!rc)
        rc = gcsjson_list_parse(op->http.resp, op->http.resp_len, &l->page, err, sizeof(err));
    gcsop_free(op);
    if (!rc) {
        free(l->l.token);
        l->l.token = l->page.next_token;
        l->page.next_token = NULL;
        l->l.done = l->l.token == NULL;
    }
    objstore_list_page(&l->l, rc, err);
}

static char *list_url(struct gcsb *g, const struct objstore_lister *l)
{
    struct sbuf q = {0};
    char max[24], *url = NULL;
    snprintf(max, sizeof(max), "%zu", l->limit > 1000 ? (size_t)1000 : l->limit);
    sbuf_add(&q, "maxResults=");
    sbuf_add(&q, max);
    sbuf_add(&q, "&prefix=");
    sbuf_encode(&q, l->prefix, false);
    if (l->token) {
        sbuf_add(&q, "&pageToken=");
        sbuf_encode(&q, l->token, false);
    }
    if (l->start_after) {
        sbuf_add(&q, "&startOffset=");
        sbuf_encode(&q, l->start_after, false);
    }
    char *query = NULL;
    if (sbuf_take(&q, &query) == 0 && gcsurl_bucket(g->origin, g->bucket, 0, query, &url) != 0)
        url = NULL;
    free(query);
    return url;
}

static int list_fetch(struct objstore_lister *ol)
{
    struct gcsb *g = G(ol->base.b);
    return gcsop_start(gcsop_new(g, "GET", list_url(g, ol), list_done, ol));
}

static const struct objstore_lister_ops gcs_lister = {
    .fetch = list_fetch,
    .drop_page = list_drop_page,
    .page_size = list_page_size,
    .entries = list_entries,
    .close = list_drop_page,
};

static int gcs_list_open(struct backend *b, const char *prefix, const char *start_after,
                         size_t page_limit, struct backend_lister **out)
{
    return objstore_list_open(b, sizeof(struct gcs_lister), G(b)->root, prefix, start_after,
                              page_limit, &gcs_lister, out);
}

/* ---- delete: one DELETE per key, in order, per-key results ---- */

struct del {
    struct gcsb *g;
    const char *const *keys;
    size_t n, i;
    int *errs;
    backend_delete_fn *cb;
    void *ud;
};

static int del_next(struct del *d);

static void del_done(struct gcsop *op)
{
    struct del *d = op->ud;
    int rc = op->rc;
    char msg[BACKEND_MSG_MAX];
    snprintf(msg, sizeof(msg), "%s", op->msg);
    gcsop_free(op);
    if (rc && rc != ST_ENOTFOUND && rc != ST_EPRECOND) {
        /* the store is unreachable or refuses us: the whole batch failed */
        d->cb(rc, msg, NULL, 0, d->ud);
        free(d->errs);
        free(d);
        return;
    }
    d->errs[d->i++] = rc;
    rc = d->i < d->n ? del_next(d) : 0;
    if (d->i == d->n || rc) {
        if (rc)
            d->cb(rc, "cannot start a delete", NULL, 0, d->ud);
        else
            d->cb(0, "", d->errs, d->n, d->ud);
        free(d->errs);
        free(d);
    }
}

static int del_next(struct del *d)
{
    return gcsop_start(
        gcsop_new(d->g, "DELETE", object_url(d->g, d->keys[d->i], NULL, NULL), del_done, d));
}

static void del_empty(int fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct del *d = arg;
    d->cb(0, "", d->errs, 0, d->ud);
    free(d->errs);
    free(d);
}

static int gcs_delete_batch(struct backend *b, const char *const *keys, size_t n,
                            const char *keep_prefix, backend_delete_fn *cb, void *ud)
{
    (void)keep_prefix; /* no directories in a bucket */
    struct del *d = calloc(1, sizeof(*d));
    int *errs = calloc(n ? n : 1, sizeof(int));
    if (!d || !errs) {
        free(d);
        free(errs);
        return ST_ENOMEM;
    }
    *d = (struct del){G(b), keys, n, 0, errs, cb, ud};
    int rc = n ? del_next(d) : objstore_defer(&G(b)->ob, del_empty, d);
    if (rc) {
        free(errs);
        free(d);
    }
    return rc;
}

/* ---- copy: objects.rewrite until done ---- */

struct cp {
    struct gcsb *g;
    char *src, *dst;
    bool no_overwrite;
    char *token;
    backend_done_fn *cb;
    void *ud;
};

static int cp_send(struct cp *c);

static void cp_end(struct cp *c, int rc, const char *msg)
{
    c->cb(rc, rc ? msg : "", c->ud);
    free(c->src);
    free(c->dst);
    free(c->token);
    free(c);
}

static void cp_done(struct gcsop *op)
{
    struct cp *c = op->ud;
    struct gcsjson_rewrite r = {0};
    char err[BACKEND_MSG_MAX];
    int rc = op->rc;
    snprintf(err, sizeof(err), "%s", op->msg);
    if (!rc)
        rc = gcsjson_rewrite_parse(op->http.resp, op->http.resp_len, &r, err, sizeof(err));
    gcsop_free(op);
    if (!rc && !r.done) {
        free(c->token);
        c->token = r.token; /* large objects take several calls */
        r.token = NULL;
        rc = cp_send(c);
        if (!rc) {
            gcsjson_rewrite_clear(&r);
            return;
        }
        snprintf(err, sizeof(err), "cannot continue the rewrite: %s", st_strerror(rc));
    }
    gcsjson_rewrite_clear(&r);
    cp_end(c, rc, err);
}

static int cp_send(struct cp *c)
{
    struct sbuf q = {0}, suffix = {0};
    if (c->no_overwrite)
        sbuf_add(&q, "ifGenerationMatch=0");
    if (c->token) {
        sbuf_add(&q, c->no_overwrite ? "&rewriteToken=" : "rewriteToken=");
        sbuf_encode(&q, c->token, false);
    }
    sbuf_add(&suffix, "rewriteTo/b/");
    sbuf_add(&suffix, c->g->bucket);
    sbuf_add(&suffix, "/o/");
    sbuf_encode(&suffix, c->dst, false);
    char *query = NULL, *sfx = NULL, *url = NULL;
    int rc = sbuf_take(&q, &query);
    if (!rc)
        rc = sbuf_take(&suffix, &sfx);
    else
        free(suffix.p);
    if (!rc)
        rc = gcsurl_object(c->g->origin, c->g->bucket, c->src, sfx, query, &url);
    free(query);
    free(sfx);
    struct gcsop *op = rc ? NULL : gcsop_new(c->g, "POST", url, cp_done, c);
    if (!op)
        return rc ? rc : ST_ENOMEM;
    op->body = "{}";
    op->body_len = 2;
    rc = gcsop_header(op, "Content-Type: application/json");
    if (!rc)
        rc = gcsop_send(op);
    if (rc)
        gcsop_free(op);
    return rc;
}

static int gcs_copy(struct backend *b, const char *src, const char *dst, int64_t size,
                    const struct backend_write_opts *o, backend_done_fn *cb, void *ud)
{
    (void)size;
    struct gcsb *g = G(b);
    struct cp *c = calloc(1, sizeof(*c));
    if (!c)
        return ST_ENOMEM;
    *c = (struct cp){g, gcs_full_key(g, src), gcs_full_key(g, dst), o && o->no_overwrite, NULL, cb,
                     ud};
    int rc = c->src && c->dst ? cp_send(c) : ST_ENOMEM;
    if (rc) {
        free(c->src);
        free(c->dst);
        free(c);
    }
    return rc;
}

/* ---- the backend ---- */

static void gcs_destroy(struct backend *b)
{
    struct gcsb *g = G(b);
    g->http = s3http_free(g->http);
    gcscred_free(g->cred);
    if (g->token)
        OPENSSL_cleanse(g->token, strlen(g->token));
    free(g->token);
    free(g);
}

static const struct backend_ops gcs_ops = {
    .name = "gcs",
    .write_open = gcs_write_open,
    .write_part = gcs_write_part,
    .write_commit = gcs_write_commit,
    .write_abort = gcs_write_abort,
    .read = gcs_read,
    .stat = gcs_stat,
    .list_open = gcs_list_open,
    .list_next = objstore_list_next,
    .list_close = objstore_list_close,
    .delete_batch = gcs_delete_batch,
    .destroy = gcs_destroy,
    .busy = objstore_busy,
    .write_state = gcs_write_state,
    .write_resume = gcs_write_resume,
    .write_detach = gcs_write_detach,
    .copy = gcs_copy,
};

int backend_gcs_new(struct backend **out, struct event_base *base, const struct storspec *spec,
                    const struct backend_gcs_opts *o, char *err, size_t errlen)
{
    static const struct backend_gcs_opts none;
    o = o ? o : &none;
    *out = NULL;
    if (!spec->bucket[0])
        return st_fail(ST_EINVAL, err, errlen, "gcs: no bucket");
    if (!spec->credential[0])
        return st_fail(ST_EINVAL, err, errlen,
                       "gcs: connection option 'credential' (a service-account key) is required");
    struct gcsb *g = calloc(1, sizeof(*g));
    if (!g)
        return ST_ENOMEM;
    char *origin = NULL;
    int rc = gcscred_parse(spec->credential, o->allow_key_file, &g->cred, err, errlen);
    if (!rc && gcsurl_origin(spec->endpoint_url, &origin, NULL) != 0)
        rc = st_fail(ST_EINVAL, err, errlen, "gcs: endpoint_url must be http(s)://host[:port]");
    if (!rc && strlen(origin) >= sizeof(g->origin))
        rc = st_fail(ST_EINVAL, err, errlen, "gcs: endpoint_url too long");
    size_t chunk = gcsjson_chunk_size(o->chunk_size, 0, 1u << 30);
    if (!rc && !chunk)
        rc = st_fail(ST_EINVAL, err, errlen, "gcs: chunk size out of range");
    if (!rc && !(g->http = s3http_new(base)))
        rc = ST_ENOMEM;
    if (rc) {
        free(origin);
        gcscred_free(g->cred);
        free(g);
        return rc;
    }
    s3http_set_guard(g->http, o->guard);
    snprintf(g->origin, sizeof(g->origin), "%s", origin);
    free(origin);
    snprintf(g->bucket, sizeof(g->bucket), "%s", spec->bucket);
    snprintf(g->root, sizeof(g->root), "%s", spec->root);
    g->chunk = chunk;
    objstore_be_init(&g->ob, &gcs_ops, base, g);
    *out = &g->ob.b;
    return 0;
}

int backend_gcs_state_format(char *buf, size_t n, const struct backend_gcs_state *st)
{
    const char *s = st->session[0] ? st->session : "-";
    if (strpbrk(s, " \t\r\n") || st->stored < 0)
        return ST_EINVAL;
    int w = snprintf(buf, n, "gcsw1 %zu %lld %s", st->chunk, (long long)st->stored, s);
    return w < 0 || (size_t)w >= n ? ST_ELIMIT : 0;
}

int backend_gcs_state_parse(const char *s, struct backend_gcs_state *st)
{
    memset(st, 0, sizeof(*st));
    char sess[2048 + 2];
    long long stored = -1;
    size_t chunk = 0;
    int end = 0;
    if (!s || sscanf(s, "gcsw1 %zu %lld %2049s%n", &chunk, &stored, sess, &end) != 3 ||
        s[end] != '\0' || stored < 0 || !chunk || chunk % GCS_CHUNK_UNIT ||
        strlen(sess) >= sizeof(st->session))
        return ST_EINVAL;
    st->chunk = chunk;
    st->stored = stored;
    if (strcmp(sess, "-") != 0)
        memcpy(st->session, sess, strlen(sess) + 1);
    return 0;
}
