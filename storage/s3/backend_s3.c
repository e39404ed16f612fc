/* backend_s3.c - the S3 backend: construction, signed requests with
 * retries, and the read/stat/list/delete operations (see backend_s3.h).
 * Writers live in backend_s3_write.c. */
#include "backend_s3_impl.h"

#include "bstats.h"
#include "err.h"
#include "httphdr.h"
#include "s3url.h"
#include "storspec.h"

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- requests ---- */

char *s3_full_key(const struct s3b *s, const char *key)
{
    char *k = NULL;
    if (asprintf(&k, "%s%s", s->root, key ? key : "") < 0)
        return NULL;
    return k;
}

static int op_resend(void *op);
static void op_send_failed(void *op, int rc);

struct s3op *s3op_new(struct s3b *s, const char *method, const char *key, s3op_fn *done, void *ud)
{
    struct s3op *op = calloc(1, sizeof(*op));
    if (!op)
        return NULL;
    op->s = s;
    op->method = method;
    op->done = done;
    op->ud = ud;
    op->try = (struct objstore_try){.base = s->ob.b.base,
                                    .max_attempts = S3_RETRIES,
                                    .bk = BSTATS_S3,
                                    .resend = op_resend,
                                    .send_failed = op_send_failed,
                                    .op = op};
    if (key && !(op->key = strdup(key))) {
        free(op);
        return NULL;
    }
    s->ob.live++;
    return op;
}

int s3op_query(struct s3op *op, const struct sigv4_kv *p, size_t n)
{
    free(op->query);
    op->query = NULL;
    return sigv4_query(p, n, &op->query);
}

static void op_clear_request(struct s3op *op)
{
    objstore_request_clear(&op->url, op->hdr, sizeof(op->hdr) / sizeof(op->hdr[0]));
}

void s3op_free(struct s3op *op)
{
    if (!op)
        return;
    op_clear_request(op);
    s3http_req_reset(&op->http);
    objstore_try_cleanup(&op->try);
    free(op->key);
    free(op->query);
    free(op->copy_source);
    op->s->ob.live--;
    free(op);
}

static void on_http(struct s3http_req *r);

/* Sign and build the URL and header lines of `op`. */
static int op_build(struct s3op *op, const char *payload_hash)
{
    struct s3b *s = op->s;
    char *enc = NULL, *path = NULL, *auth = NULL, date[17], md5b64[32] = "";
    int rc = 0;
    if (op->key)
        rc = sigv4_uri_encode(op->key, true, &enc);
    if (!rc && asprintf(&path, "%s/%s", s->bucket_path, enc ? enc : "") < 0)
        path = NULL, rc = ST_ENOMEM;
    /* Bucket-level calls on a path-style endpoint: "/bkt", never "/bkt/"
     * (a trailing slash is a different resource to some servers). */
    if (!rc && !op->key && *s->bucket_path)
        path[strlen(path) - 1] = '\0';
    if (!rc && asprintf(&op->url, "%s%s%s%s", s->scheme_host, path, op->query ? "?" : "",
                        op->query ? op->query : "") < 0)
        op->url = NULL, rc = ST_ENOMEM;
    if (!rc && op->content_md5) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        EVP_Digest(op->body, op->body_len, md, &mdlen, EVP_md5(), NULL);
        EVP_EncodeBlock((unsigned char *)md5b64, md, (int)mdlen);
    }
    struct sigv4_kv h[12];
    size_t nh = 0;
    char xname[64] = "";
    const char *xval = NULL;
    h[nh++] = (struct sigv4_kv){"host", s->host};
    if (op->content_type)
        h[nh++] = (struct sigv4_kv){"content-type", op->content_type};
    if (op->range[0])
        h[nh++] = (struct sigv4_kv){"range", op->range};
    if (md5b64[0])
        h[nh++] = (struct sigv4_kv){"content-md5", md5b64};
    if (op->copy_source)
        h[nh++] = (struct sigv4_kv){"x-amz-copy-source", op->copy_source};
    if (op->copy_range[0])
        h[nh++] = (struct sigv4_kv){"x-amz-copy-source-range", op->copy_range};
    if (op->extra[0]) {
        const char *colon = strchr(op->extra, ':');
        snprintf(xname, sizeof(xname), "%.*s", (int)(colon - op->extra), op->extra);
        xval = colon + 1;
        h[nh++] = (struct sigv4_kv){xname, xval};
    }
    const struct sigv4_kv meta[] = {{"x-amz-meta-creator", op->meta_creator},
                                    {"x-amz-meta-md5", op->meta_md5},
                                    {"x-amz-meta-sha256", op->meta_sha256}};
    for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++)
        if (meta[i].value && *meta[i].value)
            h[nh++] = meta[i];
    sigv4_amz_date(time(NULL), date);
    struct sigv4_creds c = {s->akid, s->secret, s->token, s->region, "s3"};
    struct sigv4_req req = {op->method, path, op->query, h, nh, payload_hash, date};
    if (!rc)
        rc = sigv4_sign_headers(&req, &c, &auth);
    size_t n = 0;
    if (!rc) {
        bool ok = asprintf(&op->hdr[n++], "Authorization: %s", auth) >= 0 &&
                  asprintf(&op->hdr[n++], "Host: %s", s->host) >= 0 &&
                  asprintf(&op->hdr[n++], "x-amz-date: %s", date) >= 0 &&
                  asprintf(&op->hdr[n++], "x-amz-content-sha256: %s", payload_hash) >= 0;
        if (ok && *s->token)
            ok = asprintf(&op->hdr[n++], "x-amz-security-token: %s", s->token) >= 0;
        if (ok && op->content_type)
            ok = asprintf(&op->hdr[n++], "Content-Type: %s", op->content_type) >= 0;
        if (ok && op->range[0])
            ok = asprintf(&op->hdr[n++], "Range: %s", op->range) >= 0;
        if (ok && md5b64[0])
            ok = asprintf(&op->hdr[n++], "Content-MD5: %s", md5b64) >= 0;
        if (ok && op->copy_source)
            ok = asprintf(&op->hdr[n++], "x-amz-copy-source: %s", op->copy_source) >= 0;
        if (ok && op->copy_range[0])
            ok = asprintf(&op->hdr[n++], "x-amz-copy-source-range: %s", op->copy_range) >= 0;
        if (ok && op->extra[0])
            ok = asprintf(&op->hdr[n++], "%s", op->extra) >= 0;
        for (size_t i = 0; ok && i < sizeof(meta) / sizeof(meta[0]); i++)
            if (meta[i].value && *meta[i].value)
                ok = asprintf(&op->hdr[n++], "%s: %s", meta[i].name, meta[i].value) >= 0;
        rc = ok ? 0 : ST_ENOMEM;
    }
    /* No header line may carry a line break or another control character,
     * wherever its value came from (httphdr.h): refuse, send nothing. */
    for (size_t i = 0; !rc && i < n; i++)
        if (!httphdr_line_ok(op->hdr[i])) {
            rc = ST_EINVAL;
            snprintf(op->msg, sizeof(op->msg),
                     "S3 %s: header %.*s has a control character in its value", op->method,
                     (int)strcspn(op->hdr[i], ":"), op->hdr[i]);
        }
    free(enc);
    free(path);
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

/* One attempt: signed afresh (the date, a new body hash). */
static int op_attempt(void *arg)
{
    struct s3op *op = arg;
    char hash[65];
    op_clear_request(op);
    if (op->body_len)
        sigv4_sha256_hex(op->body, op->body_len, hash);
    else
        snprintf(hash, sizeof(hash), "%s", SIGV4_EMPTY_SHA256);
    return op_build(op, hash);
}

int s3op_send(struct s3op *op)
{
    return objstore_attempt(op->s->http, &op->http, op_attempt, op);
}

int s3op_upload_query(struct s3op *op, const char *upload_id, const char *part_no)
{
    struct sigv4_kv q[2] = {{"uploadId", upload_id}, {"partNumber", part_no}};
    return s3op_query(op, q, part_no ? 2 : 1);
}

struct s3op *s3op_complete_new(struct s3b *s, const char *key, const char *upload_id,
                               const char *const *etags, size_t n, bool no_overwrite, s3op_fn *done,
                               void *ud)
{
    char *body = s3xml_complete_body(etags, n);
    struct s3op *op = body ? s3op_new(s, "POST", key, done, ud) : NULL;
    if (!op || s3op_upload_query(op, upload_id, NULL)) {
        free(body);
        s3op_free(op);
        return NULL;
    }
    op->body = body;
    op->body_len = strlen(body);
    op->result_root = "CompleteMultipartUploadResult";
    op->content_type = "application/xml";
    if (no_overwrite)
        snprintf(op->extra, sizeof(op->extra), "If-None-Match: *");
    return op;
}

int s3op_upload_id(struct s3op *op, char *id, size_t idlen)
{
    if (op->rc)
        return op->rc;
    if (s3xml_parse_initiate(op->http.resp, op->http.resp_len, id, idlen) == 0)
        return 0;
    snprintf(op->msg, sizeof(op->msg), "S3 CreateMultipartUpload %s: no UploadId", op->key);
    return ST_EIO;
}

static int op_resend(void *op)
{
    return s3op_send(op);
}

static void op_send_failed(void *arg, int rc)
{
    struct s3op *op = arg;
    op->rc = rc;
    bstats_error(BSTATS_S3, bstats_op_of(op->method));
    snprintf(op->msg, sizeof(op->msg), "S3 %s %s: cannot send: %s", op->method,
             op->key ? op->key : op->s->bucket, st_strerror(rc));
    op->done(op);
}

static void on_http(struct s3http_req *r)
{
    struct s3op *op = r->ud;
    struct s3xml_error e = {"", ""};
    char label[48];
    const char *what = op->key ? op->key : op->s->bucket;
    if (r->curl_code == 0 && r->status >= 300 && r->resp)
        s3xml_parse_error(r->resp, r->resp_len, &e);
    if (r->curl_code == 0 && r->status == 200 && op->result_root &&
        s3xml_parse_result(r->resp, r->resp_len, op->result_root, &e, NULL, 0) == ST_EIO)
        snprintf(e.code, sizeof(e.code), "%s", "MalformedReply");
    enum bstats_op bop = bstats_op_of(op->method);
    enum s3_retry cls = s3_retry_class(r->curl_code, r->status, e.code);
    if (r->curl_code == 0 && (r->status == 404 || r->status == 416) && op->ok_404)
        cls = S3_OK;
    if (objstore_retry(&op->try, bop, r, cls == S3_OK, cls == S3_TRANSIENT))
        return;
    snprintf(label, sizeof(label), "S3 %s", op->method);
    if (objstore_reply_settled(r, cls == S3_OK, cls == S3_TRANSIENT, &op->rc, op->msg,
                               sizeof(op->msg), label, what))
        goto out;
    if (r->status == 403 && !e.code[0]) /* HEAD replies carry no error body */
        snprintf(e.code, sizeof(e.code), "%s", "Forbidden");
    if (r->status == 403 && !e.message[0])
        snprintf(e.message, sizeof(e.message), "%s",
                 "access denied (check access_key_id, secret_access_key and region)");
    op->rc = r->status == 404      ? ST_ENOTFOUND
             : r->status == 412    ? ST_EEXIST
             : cls == S3_TRANSIENT ? ST_EAGAIN
                                   : ST_EPRECOND;
    objstore_reply_msg(op->msg, sizeof(op->msg), label, what, r, e.code, e.message,
                       cls == S3_TRANSIENT);
out:
    objstore_ended(BSTATS_S3, bop, op->rc);
    op->done(op);
}

/* ---- read ---- */

static void on_read(struct s3op *op)
{
    objstore_read_done(op->ud, op->rc, op->msg, sizeof(op->msg), &op->http);
    s3op_free(op);
}

static int s3_read(struct backend *b, const char *key, int64_t offset, size_t len, void *buf,
                   backend_read_fn *cb, void *ud)
{
    struct s3b *s = b->priv;
    char *full = s3_full_key(s, key);
    struct objstore_cb *c = objstore_cb_new(cb, NULL, NULL, ud);
    struct s3op *op = full && c ? s3op_new(s, len ? "GET" : "HEAD", full, on_read, c) : NULL;
    free(full);
    if (!op) {
        objstore_cb_free(c);
        return ST_ENOMEM;
    }
    op->ok_404 = true; /* 404 checked in on_read; 416 = offset at or past the end */
    objstore_read_prep(&op->http, op->range, sizeof(op->range), offset, len, buf);
    int rc = s3op_send(op);
    if (rc) {
        objstore_cb_free(c);
        s3op_free(op);
    }
    return rc;
}

/* ---- stat ---- */

/* A single-part ETag is the MD5 (hex into md5); a multipart one has "-N"
 * (md5 left ""). */
static void etag_md5(const char *etag, char md5[33])
{
    md5[0] = '\0';
    if (strlen(etag) == 34 && etag[0] == '"' && !strchr(etag, '-'))
        snprintf(md5, 33, "%.32s", etag + 1);
}

static void on_stat(struct s3op *op)
{
    char md5[33];
    etag_md5(op->http.etag, md5); /* else a multipart upload's md5 metadata, if stored */
    objstore_stat_done(op->ud, op->rc, op->msg, sizeof(op->msg), &op->http, md5);
    s3op_free(op);
}

static int s3_stat(struct backend *b, const char *key, backend_stat_fn *cb, void *ud)
{
    struct s3b *s = b->priv;
    char *full = s3_full_key(s, key);
    struct objstore_cb *c = objstore_cb_new(NULL, cb, key, ud);
    struct s3op *op = full && c ? s3op_new(s, "HEAD", full, on_stat, c) : NULL;
    free(full);
    if (!op) {
        objstore_cb_free(c);
        return ST_ENOMEM;
    }
    op->ok_404 = true;
    int rc = s3op_send(op);
    if (rc) {
        objstore_cb_free(c);
        s3op_free(op);
    }
    return rc;
}

/* ---- delete ---- */

struct s3_cb {
    backend_delete_fn *del;
    void *ud;
    const char *const *keys;
    size_t n;
};

static void on_delete(struct s3op *op)
{
    struct s3_cb *c = op->ud;
    int *errs = NULL;
    char msg[BACKEND_MSG_MAX] = "";
    if (op->rc == 0 && !(errs = calloc(c->n ? c->n : 1, sizeof(int)))) {
        op->rc = ST_ENOMEM;
        snprintf(op->msg, sizeof(op->msg), "out of memory");
    }
    if (op->rc == 0) {
        char **full = calloc(c->n ? c->n : 1, sizeof(char *));
        bool ok = full != NULL;
        for (size_t i = 0; ok && i < c->n; i++)
            ok = (full[i] = s3_full_key(op->s, c->keys[i])) != NULL;
        int prc = ok ? s3xml_parse_delete(op->http.resp, op->http.resp_len,
                                          (const char *const *)full, c->n, errs, msg, sizeof(msg))
                     : ST_ENOMEM;
        /* Quiet mode may send an empty body when all went well. */
        if (prc == ST_EIO && op->http.resp_len == 0)
            prc = 0;
        if (prc) {
            op->rc = prc == ST_ENOMEM ? ST_ENOMEM : ST_EIO;
            snprintf(op->msg, sizeof(op->msg), "S3 DeleteObjects: unexpected reply");
        } else {
            snprintf(op->msg, sizeof(op->msg), "%s", msg);
        }
        for (size_t i = 0; full && i < c->n; i++)
            free(full[i]);
        free(full);
    }
    c->del(op->rc, op->msg, op->rc ? NULL : errs, c->n, c->ud);
    free(errs);
    free((void *)op->body);
    free(c);
    s3op_free(op);
}

static int s3_delete_batch(struct backend *b, const char *const *keys, size_t n,
                           const char *keep_prefix, backend_delete_fn *cb, void *ud)
{
    struct s3b *s = b->priv;
    if (n == 0 || n > BACKEND_DELETE_MAX)
        return ST_EINVAL;
    char **full = calloc(n, sizeof(char *));
    bool ok = full != NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = (full[i] = s3_full_key(s, keys[i])) != NULL;
    char *body = ok ? s3xml_delete_body((const char *const *)full, n) : NULL;
    for (size_t i = 0; full && i < n; i++)
        free(full[i]);
    free(full);
    struct s3_cb *c = calloc(1, sizeof(*c));
    struct s3op *op = body && c ? s3op_new(s, "POST", NULL, on_delete, c) : NULL;
    struct sigv4_kv q = {"delete", NULL};
    if (!op || s3op_query(op, &q, 1)) {
        free(body);
        free(c);
        s3op_free(op);
        return ST_ENOMEM;
    }
    c->del = cb;
    c->ud = ud;
    c->keys = keys;
    c->n = n;
    op->body = body;
    op->body_len = strlen(body);
    op->content_md5 = true; /* DeleteObjects requires it */
    int rc = s3op_send(op);
    if (rc) {
        free(body);
        free(c);
        s3op_free(op);
    }
    return rc;
}

/* ---- list ---- */

struct s3l {
    struct objstore_lister l; /* first */
    struct s3xml_list page;
};

static size_t list_page_size(const struct objstore_lister *ol)
{
    return ((const struct s3l *)ol)->page.n;
}

static size_t list_entries(struct objstore_lister *ol, struct backend_entry *ents)
{
    struct s3l *l = (struct s3l *)ol;
    size_t n = 0, rl = strlen(((struct s3b *)ol->base.b->priv)->root);
    for (size_t i = 0; i < l->page.n; i++) {
        const struct s3xml_object *o = &l->page.obj[i];
        if (strlen(o->key) <= rl)
            continue;
        struct backend_entry *e = &ents[n++];
        e->key = o->key + rl;
        e->size = o->size;
        e->mtime_ms = o->mtime_ms;
        snprintf(e->etag, sizeof(e->etag), "%s", o->etag);
        etag_md5(o->etag, e->md5);
    }
    return n;
}

static void list_drop_page(struct objstore_lister *ol)
{
    s3xml_list_free(&((struct s3l *)ol)->page);
}

static void on_list(struct s3op *op)
{
    struct s3l *l = op->ud;
    int rc = op->rc;
    s3xml_list_free(&l->page);
    if (!rc && s3xml_parse_list(op->http.resp, op->http.resp_len, &l->page)) {
        rc = ST_EIO;
        snprintf(op->msg, sizeof(op->msg), "S3 ListObjectsV2 %s: unexpected reply", op->s->bucket);
    }
    if (!rc) {
        free(l->l.token);
        l->l.token = l->page.next_token;
        l->page.next_token = NULL;
        l->l.done = !l->page.truncated;
    }
    objstore_list_page(&l->l, rc, op->msg);
    s3op_free(op);
}

static int list_fetch(struct objstore_lister *ol)
{
    struct s3b *s = ol->base.b->priv;
    char max[16];
    snprintf(max, sizeof(max), "%zu", ol->limit > 1000 ? (size_t)1000 : ol->limit);
    struct sigv4_kv q[5];
    size_t n = 0;
    q[n++] = (struct sigv4_kv){"list-type", "2"};
    q[n++] = (struct sigv4_kv){"max-keys", max};
    if (*ol->prefix)
        q[n++] = (struct sigv4_kv){"prefix", ol->prefix};
    if (ol->token)
        q[n++] = (struct sigv4_kv){"continuation-token", ol->token};
    else if (ol->start_after)
        q[n++] = (struct sigv4_kv){"start-after", ol->start_after};
    struct s3op *op = s3op_new(s, "GET", NULL, on_list, ol);
    if (!op || s3op_query(op, q, n)) {
        s3op_free(op);
        return ST_ENOMEM;
    }
    int rc = s3op_send(op);
    if (rc)
        s3op_free(op);
    return rc;
}

static const struct objstore_lister_ops s3_lister = {
    .fetch = list_fetch,
    .drop_page = list_drop_page,
    .page_size = list_page_size,
    .entries = list_entries,
    .close = list_drop_page,
};

static int s3_list_open(struct backend *b, const char *prefix, const char *start_after,
                        size_t page_limit, struct backend_lister **out)
{
    const struct s3b *s = b->priv;
    return objstore_list_open(b, sizeof(struct s3l), s->root, prefix, start_after, page_limit,
                              &s3_lister, out);
}

/* ---- construction ---- */

static void s3_destroy(struct backend *b)
{
    struct s3b *s = b->priv;
    s3http_free(s->http);
    OPENSSL_cleanse(s->secret, sizeof(s->secret));
    OPENSSL_cleanse(s->token, sizeof(s->token));
    free(s);
}

const struct backend_ops s3_ops = {
    .name = "s3",
    .write_open = s3_write_open,
    .write_part = s3_write_part,
    .write_commit = s3_write_commit,
    .write_abort = s3_write_abort,
    .read = s3_read,
    .stat = s3_stat,
    .list_open = s3_list_open,
    .list_next = objstore_list_next,
    .list_close = objstore_list_close,
    .delete_batch = s3_delete_batch,
    .destroy = s3_destroy,
    .busy = objstore_busy,
    .write_state = s3_write_state,
    .write_resume = s3_write_resume,
    .write_detach = s3_write_detach,
    .write_idle = s3_write_idle,
    .copy = s3_copy,
};

size_t backend_s3_part_size(size_t part_size, int64_t size)
{
    size_t ps = part_size < S3_PART_MIN ? S3_PART_MIN : part_size;
    if (size > 0 && (uint64_t)size > (uint64_t)ps * S3_PARTS_MAX) {
        uint64_t need = ((uint64_t)size + S3_PARTS_MAX - 1) / S3_PARTS_MAX;
        ps = (size_t)((need + (1 << 20) - 1) & ~(uint64_t)((1 << 20) - 1));
    }
    if ((long long)ps > S3_PART_MAX)
        ps = (size_t)S3_PART_MAX;
    return ps;
}

static int set_endpoint(struct s3b *s, const struct storspec *sp, char *err, size_t errlen)
{
    struct s3url u;
    int rc = s3url_parse(sp, &u, err, errlen);
    if (rc)
        return rc;
    memcpy(s->scheme_host, u.scheme_host, sizeof(s->scheme_host));
    memcpy(s->host, u.host, sizeof(s->host));
    memcpy(s->bucket_path, u.bucket_path, sizeof(s->bucket_path));
    return 0;
}

int backend_s3_new(struct backend **out, struct event_base *base, const struct storspec *sp,
                   const struct backend_s3_opts *o, char *err, size_t errlen)
{
    if (!out || !base || !sp || sp->type != STORSPEC_S3) {
        snprintf(err, errlen, "not an s3 storage");
        return ST_EINVAL;
    }
    if (!sp->bucket[0] || strchr(sp->bucket, '/')) {
        snprintf(err, errlen, "s3 storage needs a bucket name");
        return ST_EINVAL;
    }
    struct s3b *s = calloc(1, sizeof(*s));
    if (!s)
        return ST_ENOMEM;
    snprintf(s->bucket, sizeof(s->bucket), "%s", sp->bucket);
    snprintf(s->region, sizeof(s->region), "%s", sp->region[0] ? sp->region : "us-east-1");
    snprintf(s->root, sizeof(s->root), "%s", sp->root);
    size_t rl = strlen(s->root);
    if (rl && s->root[rl - 1] != '/' && rl + 1 < sizeof(s->root))
        strcat(s->root, "/");
    if (s->root[0] == '/')
        memmove(s->root, s->root + 1, strlen(s->root));
    snprintf(s->akid, sizeof(s->akid), "%s", sp->access_key_id);
    snprintf(s->secret, sizeof(s->secret), "%s", sp->secret_access_key);
    snprintf(s->token, sizeof(s->token), "%s", sp->session_token);
    s->o.part_size = backend_s3_part_size(o ? o->part_size : 0, -1);
    s->o.parallel_parts = o && o->parallel_parts > 0 ? o->parallel_parts : S3_PARALLEL_DEFAULT;
    s->o.copy_max =
        o && o->copy_max >= S3_PART_MIN && o->copy_max < S3_PART_MAX ? o->copy_max : S3_PART_MAX;
    int rc = set_endpoint(s, sp, err, errlen);
    if (!rc && !(s->http = s3http_new(base)))
        rc = ST_ENOMEM;
    if (!rc && o && o->guard)
        s3http_set_guard(s->http, o->guard);
    if (rc) {
        s3http_free(s->http);
        free(s);
        return rc;
    }
    s3xml_init();
    objstore_be_init(&s->ob, &s3_ops, base, s);
    *out = &s->ob.b;
    return 0;
}
