/* backend_gcs_write.c - GCS writers: one resumable upload session per
 * object (see backend_gcs.h).
 *
 * The caller's parts are gathered in one chunk-sized buffer; a full buffer
 * goes out as a non-final chunk (PUT <session>, Content-Range: bytes
 * a-b/ *), answered 308 with the Range GCS stored; the commit sends what is
 * left as the final chunk with the total size, and checks the object GCS
 * made (size, and MD5 when the caller gave one). Memory: one chunk per
 * writer. The session URI and the stored byte count are the writer's state
 * (backend_gcs_state): a resumed writer asks the session what it holds
 * (Content-Range: bytes * / *) and drops what the caller sends again up
 * to there. */
#include "backend_gcs_impl.h"
#include "err.h"
#include "gcsjson.h"
#include "gcsurl.h"
#include "sbuf.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gw {
    struct backend_writer base;
    struct gcsb *g;
    char *name; /* full object name */
    char session[2048];
    size_t chunk;
    unsigned char *buf;
    size_t blen;
    int64_t stored;  /* bytes the session holds */
    int64_t written; /* bytes the caller handed over (offset of the next part) */
    int64_t skip;    /* bytes of the next parts the session has already (resume) */
    long next_part;
    const unsigned char *data; /* the rest of the part being written */
    size_t dlen;
    char sha256_open[65]; /* the sha256 stored when the session started */
    backend_done_fn *cb;
    backend_open_fn *ocb;
    void *ud;
};

static struct gw *gw_free(struct gw *w)
{
    if (w) {
        w->g->ob.live--;
        free(w->name);
        free(w->buf);
        free(w);
    }
    return NULL;
}

static struct gw *gw_new(struct gcsb *g, const char *key, size_t chunk)
{
    struct gw *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    g->ob.live++;
    w->base.b = &g->ob.b;
    w->g = g;
    w->chunk = chunk;
    w->name = gcs_full_key(g, key);
    w->buf = malloc(chunk);
    return w->name && w->buf ? w : gw_free(w);
}

/* A session URI from a reply or a state must be on the backend's origin. */
static bool session_ok(const struct gcsb *g, const char *s)
{
    size_t n = strlen(g->origin);
    return strncmp(s, g->origin, n) == 0 && s[n] == '/' && !strpbrk(s, " \t\r\n");
}

static int send_op(struct gcsop *op, int rc)
{
    if (!op)
        return ST_ENOMEM;
    if (!rc)
        rc = gcsop_send(op);
    if (rc)
        gcsop_free(op);
    return rc;
}

/* ---- open: start the session ---- */

static void open_done(struct gcsop *op)
{
    struct gw *w = op->ud;
    int rc = op->rc;
    char msg[BACKEND_MSG_MAX];
    snprintf(msg, sizeof(msg), "%s", op->msg);
    if (!rc && !session_ok(w->g, op->http.location))
        rc = st_fail(ST_EPRECOND, msg, sizeof(msg),
                     "GCS upload: no session URI on the endpoint in the reply");
    if (!rc)
        snprintf(w->session, sizeof(w->session), "%s", op->http.location);
    gcsop_free(op);
    backend_open_fn *cb = w->ocb;
    void *ud = w->ud;
    if (rc)
        w = gw_free(w);
    cb(rc, rc ? msg : "", w ? &w->base : NULL, ud);
}

static char *session_body(const char *name, const struct backend_write_opts *o)
{
    json_t *j = json_pack("{s:s}", "name", name);
    json_t *meta = json_object();
    if (o->content_type && *o->content_type)
        json_object_set_new(j, "contentType", json_string(o->content_type));
    if (o->creator && *o->creator)
        json_object_set_new(meta, "creator", json_string(o->creator));
    if (o->sha256 && strlen(o->sha256) == 64)
        json_object_set_new(meta, "sha256", json_string(o->sha256));
    if (json_object_size(meta))
        json_object_set(j, "metadata", meta);
    json_decref(meta);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

int gcs_write_open(struct backend *b, const char *key, const struct backend_write_opts *o,
                   backend_open_fn *cb, void *ud)
{
    struct gcsb *g = b->priv;
    static const struct backend_write_opts none;
    o = o ? o : &none;
    size_t chunk = gcsjson_chunk_size(g->chunk, o->part_align, 1u << 30);
    if (!chunk)
        return ST_EINVAL;
    struct gw *w = gw_new(g, key, chunk);
    if (!w)
        return ST_ENOMEM;
    w->ocb = cb;
    w->ud = ud;
    if (o->sha256 && strlen(o->sha256) == 64)
        memcpy(w->sha256_open, o->sha256, 65);
    char *url = NULL, *body = session_body(w->name, o);
    const char *q =
        o->no_overwrite ? "uploadType=resumable&ifGenerationMatch=0" : "uploadType=resumable";
    int rc = body ? gcsurl_bucket(g->origin, g->bucket, 1, q, &url) : ST_ENOMEM;
    struct gcsop *op = rc ? NULL : gcsop_new(g, "POST", url, open_done, w);
    if (op) {
        op->body_owned = body;
        op->body = body;
        op->body_len = strlen(body);
        body = NULL;
        rc = gcsop_header(op, "Content-Type: application/json; charset=UTF-8");
    }
    free(body);
    rc = send_op(op, rc);
    if (rc)
        gw_free(w);
    return rc;
}

/* ---- parts: fill the buffer, send full chunks ---- */

static int feed(struct gw *w);

static void chunk_done(struct gcsop *op)
{
    struct gw *w = op->ud;
    int rc = op->rc;
    char msg[BACKEND_MSG_MAX];
    snprintf(msg, sizeof(msg), "%s", op->msg);
    int64_t c = rc ? 0 : gcsjson_range_committed(op->http.range);
    if (!rc && (op->http.status != 308 || c < w->stored || c > w->stored + (int64_t)w->blen))
        rc = st_fail(ST_EPRECOND, msg, sizeof(msg),
                     "GCS upload: the session answered %ld with Range '%.60s' to a chunk",
                     op->http.status, op->http.range);
    gcsop_free(op);
    if (rc) {
        w->cb(rc, msg, w->ud);
        return;
    }
    /* GCS may store less than a chunk: what it did not take goes again */
    size_t took = (size_t)(c - w->stored);
    memmove(w->buf, w->buf + took, w->blen - took);
    w->blen -= took;
    w->stored = c;
    rc = feed(w);
    if (rc)
        w->cb(rc, "GCS upload: cannot send a chunk", w->ud);
}

static int send_chunk(struct gw *w, gcsop_fn *done, bool final)
{
    struct gcsop *op = gcsop_new(w->g, "PUT", strdup(w->session), done, w);
    if (!op)
        return ST_ENOMEM;
    op->no_retry = true; /* a lost chunk is found by asking the session (resume) */
    op->ok_308 = true;
    op->body = w->buf;
    op->body_len = w->blen;
    long long a = (long long)w->stored, z = a + (long long)w->blen - 1;
    int rc;
    if (final && !w->blen)
        rc = gcsop_header(op, "Content-Range: bytes */%lld", a);
    else if (final)
        rc = gcsop_header(op, "Content-Range: bytes %lld-%lld/%lld", a, z, z + 1);
    else
        rc = gcsop_header(op, "Content-Range: bytes %lld-%lld/*", a, z);
    return send_op(op, rc);
}

static void part_done_later(int fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct gw *w = arg;
    w->cb(0, "", w->ud);
}

/* Take the rest of the part into the buffer; a full buffer is sent. When
 * the whole part is in, the part's callback runs (later, on the loop). 0,
 * or an error and the callback was not called. */
static int feed(struct gw *w)
{
    size_t drop = w->skip < (int64_t)w->dlen ? (size_t)w->skip : w->dlen;
    w->skip -= (int64_t)drop;
    w->data += drop;
    w->dlen -= drop;
    size_t n = w->chunk - w->blen < w->dlen ? w->chunk - w->blen : w->dlen;
    memcpy(w->buf + w->blen, w->data, n);
    w->blen += n;
    w->data += n;
    w->dlen -= n;
    if (w->blen == w->chunk)
        return send_chunk(w, chunk_done, false);
    return objstore_defer(&w->g->ob, part_done_later, w);
}

int gcs_write_part(struct backend_writer *bw, long part_no, const void *data, size_t len,
                   backend_done_fn *cb, void *ud)
{
    struct gw *w = (struct gw *)bw;
    if (part_no != w->next_part || (!data && len))
        return ST_EINVAL;
    w->next_part++;
    w->written += (int64_t)len;
    w->data = data;
    w->dlen = len;
    w->cb = cb;
    w->ud = ud;
    int rc = feed(w);
    if (rc) { /* nothing started: the caller may abort (the bytes taken are dropped) */
        w->next_part--;
        w->written -= (int64_t)len;
    }
    return rc;
}

/* ---- commit: the final chunk, then checks ---- */

static void commit_end(struct gw *w, int rc, const char *msg)
{
    w->cb(rc, rc ? msg : "", w->ud);
    gw_free(w);
}

static void patch_done(struct gcsop *op)
{
    struct gw *w = op->ud;
    int rc = op->rc;
    char msg[BACKEND_MSG_MAX];
    snprintf(msg, sizeof(msg), "GCS upload: storing the sha256: %.400s", op->msg);
    gcsop_free(op);
    commit_end(w, rc, msg);
}

/* The sha256 known only at the end goes into the object's metadata. */
static int patch_sha256(struct gw *w)
{
    char *url = NULL, body[128];
    snprintf(body, sizeof(body), "{\"metadata\":{\"sha256\":\"%s\"}}", w->base.sha256);
    int rc = gcsurl_object(w->g->origin, w->g->bucket, w->name, NULL, NULL, &url);
    struct gcsop *op = rc ? NULL : gcsop_new(w->g, "PATCH", url, patch_done, w);
    if (op) {
        op->body_owned = strdup(body);
        op->body = op->body_owned;
        op->body_len = op->body_owned ? strlen(body) : 0;
        rc = op->body_owned ? gcsop_header(op, "Content-Type: application/json") : ST_ENOMEM;
    }
    return send_op(op, rc);
}

static void final_done(struct gcsop *op)
{
    struct gw *w = op->ud;
    struct gcsjson_object o = {0};
    char msg[BACKEND_MSG_MAX];
    int rc = op->rc;
    snprintf(msg, sizeof(msg), "%s", op->msg);
    if (!rc && op->http.status == 308)
        rc = st_fail(ST_EPRECOND, msg, sizeof(msg),
                     "GCS upload: the session is still incomplete after the last chunk");
    if (!rc)
        rc = gcsjson_object_parse(op->http.resp, op->http.resp_len, &o, msg, sizeof(msg));
    gcsop_free(op);
    if (!rc && o.e.size != w->written)
        rc = st_fail(ST_EPRECOND, msg, sizeof(msg), "GCS upload: stored %lld bytes, sent %lld",
                     (long long)o.e.size, (long long)w->written);
    if (!rc && w->base.md5[0] && o.e.md5[0] && strcmp(o.e.md5, w->base.md5) != 0)
        rc = st_fail(ST_EPRECOND, msg, sizeof(msg), "GCS upload: stored MD5 %s, sent %s", o.e.md5,
                     w->base.md5);
    gcsjson_object_clear(&o);
    if (!rc && w->base.sha256[0] && strcmp(w->base.sha256, w->sha256_open) != 0) {
        rc = patch_sha256(w);
        if (!rc)
            return;
        snprintf(msg, sizeof(msg), "GCS upload: cannot store the sha256");
    }
    commit_end(w, rc, msg);
}

int gcs_write_commit(struct backend_writer *bw, backend_done_fn *cb, void *ud)
{
    struct gw *w = (struct gw *)bw;
    if (w->skip)
        return ST_EINVAL; /* resumed, but fewer bytes came than the session holds */
    w->cb = cb;
    w->ud = ud;
    return send_chunk(w, final_done, true);
}

/* ---- abort, detach ---- */

static void abort_done(struct gcsop *op)
{
    struct gw *w = op->ud;
    gcsop_free(op);
    if (w->cb)
        w->cb(0, "", w->ud); /* GCS answers 499: the session is gone either way */
    gw_free(w);
}

static void abort_later(int fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct gw *w = arg;
    if (w->cb)
        w->cb(0, "", w->ud);
    gw_free(w);
}

int gcs_write_abort(struct backend_writer *bw, backend_done_fn *cb, void *ud)
{
    struct gw *w = (struct gw *)bw;
    w->cb = cb;
    w->ud = ud;
    if (!w->session[0])
        return objstore_defer(&w->g->ob, abort_later, w);
    struct gcsop *op = gcsop_new(w->g, "DELETE", strdup(w->session), abort_done, w);
    if (op)
        op->ok_404 = true;
    return send_op(op, 0);
}

void gcs_write_detach(struct backend_writer *bw)
{
    gw_free((struct gw *)bw);
}

int gcs_write_state(struct backend_writer *bw, char *buf, size_t n, int64_t *durable)
{
    struct gw *w = (struct gw *)bw;
    struct backend_gcs_state st = {.chunk = w->chunk, .stored = w->stored};
    snprintf(st.session, sizeof(st.session), "%s", w->session);
    if (durable)
        *durable = w->stored;
    return backend_gcs_state_format(buf, n, &st);
}

/* ---- resume: ask the session what it holds ---- */

static void query_done(struct gcsop *op)
{
    struct gw *w = op->ud;
    int rc = op->rc;
    char msg[BACKEND_MSG_MAX];
    snprintf(msg, sizeof(msg), "%s", op->msg);
    int64_t c = gcsjson_range_committed(op->http.range);
    if (!rc && op->http.status != 308)
        rc = st_fail(ST_EPRECOND, msg, sizeof(msg),
                     "GCS upload: the session to resume is already finished (HTTP %ld)",
                     op->http.status);
    else if (!rc && (c < 0 || c < w->written))
        rc = st_fail(ST_EPRECOND, msg, sizeof(msg),
                     "GCS upload: the session holds %lld bytes, the job had %lld", (long long)c,
                     (long long)w->written);
    gcsop_free(op);
    if (!rc) {
        w->stored = c;
        w->skip = c - w->written; /* sent again by the caller; already stored */
    }
    backend_open_fn *cb = w->ocb;
    void *ud = w->ud;
    if (rc)
        w = gw_free(w);
    cb(rc, rc ? msg : "", w ? &w->base : NULL, ud);
}

int gcs_write_resume(struct backend *b, const char *key, const struct backend_write_opts *o,
                     const char *state, long next_part, int64_t offset, backend_open_fn *cb,
                     void *ud)
{
    struct gcsb *g = b->priv;
    struct backend_gcs_state st;
    if (backend_gcs_state_parse(state, &st) != 0 || !session_ok(g, st.session) || offset < 0 ||
        offset > st.stored || next_part < 0)
        return ST_EINVAL;
    struct gw *w = gw_new(g, key, st.chunk);
    if (!w)
        return ST_ENOMEM;
    memcpy(w->session, st.session, sizeof(w->session));
    w->written = offset;
    w->stored = offset;
    w->next_part = next_part;
    w->ocb = cb;
    w->ud = ud;
    if (o && o->sha256 && strlen(o->sha256) == 64)
        memcpy(w->sha256_open, o->sha256, 65);
    struct gcsop *op = gcsop_new(g, "PUT", strdup(w->session), query_done, w);
    if (op)
        op->ok_308 = true;
    int rc = send_op(op, op ? gcsop_header(op, "Content-Range: bytes */*") : 0);
    if (rc)
        gw_free(w);
    return rc;
}
