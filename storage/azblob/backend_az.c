/* backend_az.c - the Azure Blob backend: construction, signed requests with
 * retries, and the read/stat/list/delete operations (see backend_az.h).
 * Writers live in backend_az_write.c. */
#include "backend_az_impl.h"

#include "azblock.h"
#include "azxml.h"
#include "bstats.h"
#include "digest.h"
#include "err.h"
#include "s3xml.h"
#include "storspec.h"

#include <event2/event.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- requests ---- */

char *az_full_key(const struct azb *a, const char *key)
{
    char *k = NULL;
    if (asprintf(&k, "%s%s", a->root, key ? key : "") < 0)
        return NULL;
    return k;
}

static int op_resend(void *op);
static void op_send_failed(void *op, int rc);

struct azop *azop_new(struct azb *a, const char *method, const char *what, const char *key,
                      azop_fn *done, void *ud)
{
    struct azop *op = calloc(1, sizeof(*op));
    if (!op)
        return NULL;
    op->a = a;
    op->method = method;
    op->what = what;
    op->done = done;
    op->ud = ud;
    op->try = (struct objstore_try){.base = a->ob.b.base,
                                    .max_attempts = AZ_RETRIES,
                                    .bk = BSTATS_AZBLOB,
                                    .resend = op_resend,
                                    .send_failed = op_send_failed,
                                    .op = op};
    if (key && !(op->key = strdup(key))) {
        free(op);
        return NULL;
    }
    a->ob.live++;
    return op;
}

int azop_query(struct azop *op, const char *name, const char *value)
{
    if (op->nq == AZ_QUERY_MAX)
        return ST_ELIMIT;
    if (!(op->qv[op->nq] = strdup(value ? value : "")))
        return ST_ENOMEM;
    op->q[op->nq] = (struct azsign_kv){name, op->qv[op->nq]};
    op->nq++;
    return 0;
}

int azop_header(struct azop *op, const char *name, const char *value)
{
    if (op->nxh == AZ_XHDR_MAX)
        return ST_ELIMIT;
    if (!(op->xv[op->nxh] = strdup(value ? value : "")))
        return ST_ENOMEM;
    op->xh[op->nxh] = (struct azsign_kv){name, op->xv[op->nxh]};
    op->nxh++;
    return 0;
}

static void op_clear_request(struct azop *op)
{
    objstore_request_clear(&op->url, op->hdr, sizeof(op->hdr) / sizeof(op->hdr[0]));
}

void azop_free(struct azop *op)
{
    if (!op)
        return;
    op_clear_request(op);
    s3http_req_reset(&op->http);
    objstore_try_cleanup(&op->try);
    for (size_t i = 0; i < op->nq; i++)
        free(op->qv[i]);
    for (size_t i = 0; i < op->nxh; i++)
        free(op->xv[i]);
    free(op->key);
    op->a->ob.live--;
    free(op);
}

static void on_http(struct s3http_req *r);

/* The signed headers of `op`, as (name, value) pairs. */
static size_t op_headers(const struct azop *op, struct azsign_kv *h, char *date, char *clen)
{
    size_t n = 0;
    h[n++] = (struct azsign_kv){"x-ms-date", date};
    h[n++] = (struct azsign_kv){"x-ms-version", AZSIGN_VERSION};
    if (strcmp(op->method, "PUT") == 0 || op->body_len) /* curl sends it with every body */
        h[n++] = (struct azsign_kv){"Content-Length", clen};
    if (op->content_type)
        h[n++] = (struct azsign_kv){"Content-Type", op->content_type};
    if (op->range[0])
        h[n++] = (struct azsign_kv){"x-ms-range", op->range};
    for (size_t i = 0; i < op->nxh; i++)
        h[n++] = op->xh[i];
    return n;
}

/* Sign and build the URL and header lines of `op`. */
static int op_build(struct azop *op)
{
    struct azb *a = op->a;
    char *path = NULL, *query = NULL, *auth = NULL, date[30], clen[24];
    struct azsign_kv h[AZ_XHDR_MAX + 6];
    azsign_http_date(time(NULL), date);
    snprintf(clen, sizeof(clen), "%zu", op->body_len);
    size_t nh = op_headers(op, h, date, clen);
    int rc = azurl_path(&a->url, op->key, &path);
    if (!rc)
        rc = azsign_query(op->q, op->nq, &query);
    struct azsign_req req = {op->method, path, op->q, op->nq, h, nh};
    if (!rc)
        rc = azsign_shared_key(a->url.account, a->key, &req, &auth);
    if (!rc &&
        asprintf(&op->url, "%s%s%s%s", a->url.scheme_host, path, *query ? "?" : "", query) < 0)
        op->url = NULL, rc = ST_ENOMEM;
    size_t n = 0;
    if (!rc && asprintf(&op->hdr[n++], "Authorization: %s", auth) < 0)
        rc = ST_ENOMEM;
    for (size_t i = 0; !rc && i < nh; i++) {
        if (strcmp(h[i].name, "Content-Length") == 0)
            continue; /* curl's own, from the body's size */
        if (asprintf(&op->hdr[n++], "%s: %s", h[i].name, h[i].value) < 0)
            rc = ST_ENOMEM;
    }
    if (rc == ST_EINVAL)
        snprintf(op->msg, sizeof(op->msg), "Azure %s: a header or the name has a control character",
                 op->what);
    free(path);
    free(query);
    free(auth);
    memset(&op->http, 0, sizeof(op->http));
    op->http.method = op->method;
    op->http.url = op->url;
    op->http.headers = (const char *const *)op->hdr;
    op->http.nheaders = n;
    op->http.body = op->body;
    op->http.body_len = op->body_len;
    op->http.done = on_http;
    op->http.ud = op;
    return rc;
}

/* One attempt: signed afresh (x-ms-date). */
static int op_attempt(void *arg)
{
    struct azop *op = arg;
    op_clear_request(op);
    return op_build(op);
}

int azop_send(struct azop *op)
{
    return objstore_attempt(op->a->http, &op->http, op_attempt, op);
}

static int op_resend(void *op)
{
    return azop_send(op);
}

static void op_send_failed(void *arg, int rc)
{
    struct azop *op = arg;
    op->rc = rc;
    bstats_error(BSTATS_AZBLOB, bstats_op_of(op->method));
    snprintf(op->msg, sizeof(op->msg), "Azure %s %s: cannot send: %s", op->what,
             op->key ? op->key : op->a->url.container, st_strerror(rc));
    op->done(op);
}

static bool transient(const struct s3http_req *r)
{
    if (r->curl_code)
        return true; /* no answer: resolve, connect, reset, timeout */
    return r->status == 408 || r->status == 429 || r->status == 500 || r->status == 502 ||
           r->status == 503 || r->status == 504;
}

static void on_http(struct s3http_req *r)
{
    struct azop *op = r->ud;
    struct azxml_error e = {"", ""};
    char label[48];
    const char *what = op->key ? op->key : op->a->url.container;
    enum bstats_op bop = bstats_op_of(op->method);
    if (r->curl_code == 0 && r->status >= 300 && r->resp && !r->refused)
        azxml_parse_error(r->resp, r->resp_len, &e);
    bool ok = r->curl_code == 0 && ((r->status >= 200 && r->status < 300) ||
                                    (op->ok_404 && (r->status == 404 || r->status == 416)));
    bool tr = !ok && transient(r);
    if (objstore_retry(&op->try, bop, r, ok, tr))
        return;
    snprintf(label, sizeof(label), "Azure %s", op->what);
    /* no reply at all is always transient (transient()): ST_EAGAIN */
    if (objstore_reply_settled(r, ok, tr, &op->rc, op->msg, sizeof(op->msg), label, what))
        goto out;
    if (r->status == 403 && !e.message[0]) /* HEAD replies carry no body */
        snprintf(e.message, sizeof(e.message), "%s",
                 "access denied (check account_name and account_key)");
    /* 409 is also "the store is full" or "being deleted": only these two
     * mean the blob is there (If-None-Match: * on a commit) */
    bool exists = r->status == 412 || strcmp(e.code, "BlobAlreadyExists") == 0;
    op->rc = r->status == 404 ? ST_ENOTFOUND : exists ? ST_EEXIST : tr ? ST_EAGAIN : ST_EPRECOND;
    objstore_reply_msg(op->msg, sizeof(op->msg), label, what, r, e.code, e.message, tr);
out:
    objstore_ended(BSTATS_AZBLOB, bop, op->rc);
    op->done(op);
}

/* ---- read, stat ---- */

static void on_read(struct azop *op)
{
    objstore_read_done(op->ud, op->rc, op->msg, sizeof(op->msg), &op->http);
    azop_free(op);
}

static int az_read(struct backend *b, const char *key, int64_t offset, size_t len, void *buf,
                   backend_read_fn *cb, void *ud)
{
    struct azb *a = b->priv;
    char *full = az_full_key(a, key);
    struct objstore_cb *c = objstore_cb_new(cb, NULL, NULL, ud);
    struct azop *op =
        full && c ? azop_new(a, len ? "GET" : "HEAD", "Get Blob", full, on_read, c) : NULL;
    free(full);
    if (!op) {
        objstore_cb_free(c);
        return ST_ENOMEM;
    }
    op->ok_404 = true; /* 404 checked in on_read; 416 = offset at or past the end */
    objstore_read_prep(&op->http, op->range, sizeof(op->range), offset, len, buf);
    int rc = azop_send(op);
    if (rc) {
        objstore_cb_free(c);
        azop_free(op);
    }
    return rc;
}

/* The digests and creator of an entry from what Azure keeps: Content-MD5
 * (as hex: azxml_md5_hex(), "" if none or malformed) or the md5 metadata,
 * the sha256 and creator metadata, each used only if well-formed. */
static void entry_meta(struct backend_entry *e, const char *md5_hex, const char *meta_md5,
                       const char *meta_sha256, const char *meta_creator)
{
    objstore_entry_meta(e, digest_hex_ok(md5_hex, 32) ? md5_hex : "", meta_md5, meta_sha256,
                        meta_creator);
}

static void on_stat(struct azop *op)
{
    char md5[33];
    azxml_md5_hex(op->http.content_md5, md5);
    objstore_stat_done(op->ud, op->rc, op->msg, sizeof(op->msg), &op->http,
                       digest_hex_ok(md5, 32) ? md5 : "");
    azop_free(op);
}

static int az_stat(struct backend *b, const char *key, backend_stat_fn *cb, void *ud)
{
    struct azb *a = b->priv;
    char *full = az_full_key(a, key);
    struct objstore_cb *c = objstore_cb_new(NULL, cb, key, ud);
    struct azop *op =
        full && c ? azop_new(a, "HEAD", "Get Blob Properties", full, on_stat, c) : NULL;
    free(full);
    if (!op) {
        objstore_cb_free(c);
        return ST_ENOMEM;
    }
    op->ok_404 = true;
    int rc = azop_send(op);
    if (rc) {
        objstore_cb_free(c);
        azop_free(op);
    }
    return rc;
}

/* ---- list ---- */

struct azl {
    struct objstore_lister l; /* first */
    struct azxml_list page;
};

static size_t list_page_size(const struct objstore_lister *ol)
{
    return ((const struct azl *)ol)->page.n;
}

static size_t list_entries(struct objstore_lister *ol, struct backend_entry *ents)
{
    struct azl *l = (struct azl *)ol;
    size_t n = 0, rl = strlen(((struct azb *)ol->base.b->priv)->root);
    for (size_t i = 0; i < l->page.n; i++) {
        const struct azxml_blob *o = &l->page.blob[i];
        /* Azure has no start-after: a listing resumed after a name skips
         * what sorts before it (byte order, as Azure lists) */
        if (strlen(o->name) <= rl || (ol->start_after && strcmp(o->name, ol->start_after) <= 0))
            continue;
        struct backend_entry *e = &ents[n++];
        e->key = o->name + rl;
        e->size = o->size;
        e->mtime_ms = o->mtime_ms;
        snprintf(e->etag, sizeof(e->etag), "%s", o->etag);
        entry_meta(e, o->md5, o->meta_md5, o->meta_sha256, o->meta_creator);
    }
    return n;
}

static void list_drop_page(struct objstore_lister *ol)
{
    azxml_list_free(&((struct azl *)ol)->page);
}

static void on_list(struct azop *op)
{
    struct azl *l = op->ud;
    int rc = op->rc;
    azxml_list_free(&l->page);
    if (!rc && azxml_parse_list(op->http.resp, op->http.resp_len, &l->page)) {
        rc = ST_EIO;
        snprintf(op->msg, sizeof(op->msg), "Azure List Blobs %s: unexpected reply",
                 op->a->url.container);
    }
    if (!rc) {
        free(l->l.token);
        l->l.token = l->page.next_marker;
        l->page.next_marker = NULL;
        l->l.done = l->l.token == NULL;
    }
    objstore_list_page(&l->l, rc, op->msg);
    azop_free(op);
}

static int list_fetch(struct objstore_lister *ol)
{
    struct azb *a = ol->base.b->priv;
    char max[16];
    snprintf(max, sizeof(max), "%zu", ol->limit > 5000 ? (size_t)5000 : ol->limit);
    struct azop *op = azop_new(a, "GET", "List Blobs", NULL, on_list, ol);
    int rc = op ? 0 : ST_ENOMEM;
    if (!rc)
        rc = azop_query(op, "restype", "container");
    if (!rc)
        rc = azop_query(op, "comp", "list");
    if (!rc)
        rc = azop_query(op, "include", "metadata");
    if (!rc)
        rc = azop_query(op, "maxresults", max);
    if (!rc && *ol->prefix)
        rc = azop_query(op, "prefix", ol->prefix);
    if (!rc && ol->token)
        rc = azop_query(op, "marker", ol->token);
    if (!rc)
        rc = azop_send(op);
    if (rc)
        azop_free(op);
    return rc;
}

static const struct objstore_lister_ops az_lister = {
    .fetch = list_fetch,
    .drop_page = list_drop_page,
    .page_size = list_page_size,
    .entries = list_entries,
    .close = list_drop_page,
};

static int az_list_open(struct backend *b, const char *prefix, const char *start_after,
                        size_t page_limit, struct backend_lister **out)
{
    const struct azb *a = b->priv;
    return objstore_list_open(b, sizeof(struct azl), a->root, prefix, start_after, page_limit,
                              &az_lister, out);
}

/* ---- construction ---- */

static void az_destroy(struct backend *b)
{
    struct azb *a = b->priv;
    s3http_free(a->http);
    OPENSSL_cleanse(a->key, sizeof(a->key));
    free(a);
}

static const struct backend_ops az_ops = {
    .name = "azblob",
    .write_open = az_write_open,
    .write_part = az_write_part,
    .write_commit = az_write_commit,
    .write_abort = az_write_abort,
    .read = az_read,
    .stat = az_stat,
    .list_open = az_list_open,
    .list_next = objstore_list_next,
    .list_close = objstore_list_close,
    .delete_batch = az_delete_batch,
    .destroy = az_destroy,
    .busy = objstore_busy,
    .write_state = az_write_state,
    .write_resume = az_write_resume,
    .write_detach = az_write_detach,
    .write_idle = az_write_idle,
    .copy = az_copy,
    .copy_from = az_copy_from,
};

int backend_az_new(struct backend **out, struct event_base *base, const struct storspec *sp,
                   const struct backend_az_opts *o, char *err, size_t errlen)
{
    if (!out || !base || !sp || sp->type != STORSPEC_AZBLOB) {
        snprintf(err, errlen, "not an azblob storage");
        return ST_EINVAL;
    }
    if (!sp->account_name[0] || !sp->account_key[0]) {
        snprintf(err, errlen, "azblob storage needs account_name and account_key");
        return ST_EINVAL;
    }
    struct azb *a = calloc(1, sizeof(*a));
    if (!a)
        return ST_ENOMEM;
    int rc = azurl_parse(sp, &a->url, err, errlen);
    const char *root = sp->root[0] == '/' ? sp->root + 1 : sp->root;
    size_t rl = strlen(root);
    snprintf(a->root, sizeof(a->root), "%s%s", root, rl && root[rl - 1] != '/' ? "/" : "");
    if (!rc && strlen(sp->account_key) >= sizeof(a->key)) {
        snprintf(err, errlen, "account_key is too long");
        rc = ST_EINVAL;
    }
    snprintf(a->key, sizeof(a->key), "%s", sp->account_key);
    a->part_size = azblock_size(o ? o->part_size : 0, -1);
    a->parallel = o && o->parallel_parts > 0 ? o->parallel_parts : AZ_PARALLEL_DEFAULT;
    if (!rc && !(a->http = s3http_new(base)))
        rc = ST_ENOMEM;
    if (!rc && o && o->guard)
        s3http_set_guard(a->http, o->guard);
    if (rc) {
        s3http_free(a->http);
        OPENSSL_cleanse(a->key, sizeof(a->key));
        free(a);
        return rc;
    }
    s3xml_init(); /* libxml2, once per process */
    objstore_be_init(&a->ob, &az_ops, base, a);
    *out = &a->ob.b;
    return 0;
}
