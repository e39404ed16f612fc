/* backend_s3_write.c - S3 writers (see backend_s3.h).
 *
 * Incoming data is cut into S3 parts of the writer's part size whatever the
 * caller's part sizes are. A whole file that fits one part goes up with one
 * PutObject at commit; otherwise the first full part starts
 * CreateMultipartUpload and parts are uploaded as they fill, up to
 * `parallel_parts` at once: write_part's callback fires as soon as the data
 * is copied while fewer parts are in flight, so the caller streams on while
 * earlier parts upload. A part's failure is reported by the next
 * write_part/commit. Commit drains the parts and sends Complete (whose 200
 * reply may still carry an <Error>); any failure aborts the upload once no
 * part is in flight. Memory: at most (parallel_parts + 1) parts. */
#include "backend_s3_impl.h"

#include "err.h"
#include "digest.h"
#include "fsmeta.h"
#include "httphdr.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum w_mpu { MPU_NONE, MPU_CREATING, MPU_READY };

struct s3part {
    struct s3w *w;
    int no; /* 1-based part number */
    char *data;
    size_t len;
    struct s3part *next;
};

struct s3w {
    struct backend_writer base;
    struct s3b *s;
    char *key; /* full key */
    char *content_type;
    char creator[72];      /* x-amz-meta-creator, "" none */
    char sha256_claim[65]; /* x-amz-meta-sha256 when known at the start, "" none */
    bool no_overwrite;
    size_t part_size;
    struct objstore_wbuf wb; /* the part being filled */
    enum w_mpu mpu;
    char upload_id[S3_UPLOAD_ID_MAX + 1];
    char **etags; /* etags[i]: part i+1, NULL until it completed */
    size_t cap;
    int nparts;                  /* parts numbered so far */
    struct s3part *queue, *tail; /* parts waiting for the upload id */
    int queued, running;
    struct objstore_wcall wc; /* phase, the caller's pending callback, the first failure */
    bool busy;                /* a HEAD/PUT/Complete/Abort in flight */
    bool checked;             /* no_overwrite HEAD done */
    bool abort_sent;
    int final_rc; /* what an abort reports */
    char final_msg[BACKEND_MSG_MAX];
};

static void progress(struct s3w *w);

static void writer_free(struct s3w *w)
{
    for (size_t i = 0; i < w->cap; i++)
        free(w->etags[i]);
    free(w->etags);
    while (w->queue) {
        struct s3part *p = w->queue;
        w->queue = p->next;
        free(p->data);
        free(p);
    }
    free(w->wb.buf);
    free(w->key);
    free(w->content_type);
    if (w->s)
        w->s->ob.live--;
    free(w);
}

static struct s3op *w_op(struct s3w *w, const char *method, s3op_fn *done, void *ud)
{
    return s3op_new(w->s, method, w->key, done, ud);
}

static int upload_query(struct s3op *op, struct s3w *w, const char *part_no)
{
    return s3op_upload_query(op, w->upload_id, part_no);
}

/* ---- parts ---- */

static void on_part(struct s3op *op)
{
    struct s3part *p = op->ud;
    struct s3w *w = p->w;
    w->running--;
    if (op->rc)
        objstore_wcall_fail(&w->wc, op->rc, op->msg);
    else if (!op->http.etag[0])
        objstore_wcall_fail(&w->wc, ST_EIO, "S3 UploadPart: no ETag in the reply");
    else if (!(w->etags[p->no - 1] = strdup(op->http.etag)))
        objstore_wcall_fail(&w->wc, ST_ENOMEM, "out of memory");
    free(p->data);
    free(p);
    s3op_free(op);
    progress(w);
}

static void part_start(struct s3part *p)
{
    struct s3w *w = p->w;
    char no[16];
    snprintf(no, sizeof(no), "%d", p->no);
    struct s3op *op = w_op(w, "PUT", on_part, p);
    int rc = op ? upload_query(op, w, no) : ST_ENOMEM;
    if (!rc) {
        op->body = p->data;
        op->body_len = p->len;
        rc = s3op_send(op);
    }
    if (rc) {
        s3op_free(op);
        objstore_wcall_fail(&w->wc, rc, "cannot start an S3 UploadPart");
        free(p->data);
        free(p);
        return;
    }
    w->running++;
}

static void on_create(struct s3op *op)
{
    struct s3w *w = op->ud;
    int rc = s3op_upload_id(op, w->upload_id, sizeof(w->upload_id));
    if (rc) {
        objstore_wcall_fail(&w->wc, rc, op->msg);
        w->mpu = MPU_NONE;
    } else {
        w->mpu = MPU_READY;
    }
    s3op_free(op);
    while (w->queue) {
        struct s3part *p = w->queue;
        w->queue = p->next;
        w->queued--;
        if (w->mpu == MPU_READY && !w->wc.err && w->wc.phase != OBJSTORE_W_DETACH) {
            part_start(p);
        } else {
            free(p->data);
            free(p);
        }
    }
    w->tail = NULL;
    progress(w);
}

static int create_start(struct s3w *w)
{
    struct s3op *op = w_op(w, "POST", on_create, w);
    struct sigv4_kv q = {"uploads", NULL};
    int rc = op ? s3op_query(op, &q, 1) : ST_ENOMEM;
    if (!rc) {
        /* Metadata is named now, before any byte: the SHA-256 only if the
         * client gave it (checked before Complete); the MD5 of a multipart
         * object is not known here, and its ETag is no MD5. */
        op->content_type = w->content_type;
        op->meta_creator = w->creator;
        op->meta_sha256 = w->sha256_claim;
        rc = s3op_send(op);
    }
    if (rc)
        s3op_free(op);
    else
        w->mpu = MPU_CREATING;
    return rc;
}

/* Hand the filled buffer to a new part. */
static int dispatch(struct s3w *w)
{
    if (w->nparts >= S3_PARTS_MAX)
        return ST_ELIMIT;
    if ((size_t)w->nparts >= w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        char **e = realloc(w->etags, cap * sizeof(*e));
        if (!e)
            return ST_ENOMEM;
        memset(e + w->cap, 0, (cap - w->cap) * sizeof(*e));
        w->etags = e;
        w->cap = cap;
    }
    struct s3part *p = calloc(1, sizeof(*p));
    if (!p)
        return ST_ENOMEM;
    p->w = w;
    p->no = ++w->nparts;
    p->data = w->wb.buf;
    p->len = w->wb.len;
    w->wb.buf = NULL;
    w->wb.len = 0;
    if (w->mpu == MPU_READY) {
        part_start(p);
        return 0;
    }
    if (w->tail)
        w->tail->next = p;
    else
        w->queue = p;
    w->tail = p;
    w->queued++;
    if (w->mpu == MPU_NONE) {
        int rc = create_start(w);
        if (rc)
            objstore_wcall_fail(&w->wc, rc, "cannot start an S3 CreateMultipartUpload");
    }
    return 0;
}

/* ---- commit / abort requests ---- */

static void on_final(struct s3op *op);

static void on_head(struct s3op *op)
{
    struct s3w *w = op->ud;
    w->busy = false;
    w->checked = true;
    if (op->rc)
        objstore_wcall_fail(&w->wc, op->rc, op->msg);
    else if (op->http.status != 404)
        objstore_wcall_fail(&w->wc, ST_EEXIST, "the object already exists");
    s3op_free(op);
    progress(w);
}

static void send_final(struct s3w *w, struct s3op *op)
{
    int rc = op ? s3op_send(op) : ST_ENOMEM;
    if (rc) {
        if (op && strcmp(op->method, "POST") == 0)
            free((void *)op->body); /* the Complete body; a PUT's is w->wb.buf */
        s3op_free(op);
        objstore_wcall_fail(&w->wc, rc, "cannot send an S3 request");
        if (w->wc.phase == OBJSTORE_W_ABORT)
            w->abort_sent = true;
        progress(w);
        return;
    }
    w->busy = true;
}

static void on_final(struct s3op *op)
{
    struct s3w *w = op->ud;
    w->busy = false;
    bool aborting = w->wc.phase == OBJSTORE_W_ABORT;
    if (!aborting && op->rc)
        objstore_wcall_fail(&w->wc, op->rc, op->msg);
    if (strcmp(op->method, "POST") == 0)
        free((void *)op->body); /* the Complete body */
    s3op_free(op);
    if (!aborting && !w->wc.err) {
        objstore_wcall_fire(&w->wc, 0, "");
        writer_free(w);
        return;
    }
    progress(w);
}

static void commit_step(struct s3w *w)
{
    if (w->no_overwrite && !w->checked) {
        struct s3op *op = w_op(w, "HEAD", on_head, w);
        if (op)
            op->ok_404 = true;
        send_final(w, op);
        return;
    }
    if (w->mpu == MPU_NONE) { /* the whole file is in one buffer */
        struct s3op *op = w_op(w, "PUT", on_final, w);
        if (op) {
            op->body = w->wb.buf;
            op->body_len = w->wb.len;
            op->content_type = w->content_type;
            /* one PutObject: its ETag is the MD5; the SHA-256 as computed */
            op->meta_creator = w->creator;
            op->meta_sha256 = w->base.sha256[0] ? w->base.sha256 : w->sha256_claim;
            if (w->no_overwrite)
                snprintf(op->extra, sizeof(op->extra), "If-None-Match: *");
        }
        send_final(w, op);
        return;
    }
    if (w->queued || w->running)
        return;
    struct s3op *op = s3op_complete_new(w->s, w->key, w->upload_id, (const char *const *)w->etags,
                                        (size_t)w->nparts, w->no_overwrite, on_final, w);
    if (op) {
        send_final(w, op); /* frees the body if it cannot send */
        return;
    }
    objstore_wcall_fail(&w->wc, ST_ENOMEM, "out of memory");
    progress(w);
}

static void abort_step(struct s3w *w)
{
    if (w->queued || w->running)
        return;
    if (w->mpu == MPU_READY && !w->abort_sent) {
        w->abort_sent = true;
        struct s3op *op = w_op(w, "DELETE", on_final, w);
        if (op && upload_query(op, w, NULL) == 0) {
            send_final(w, op);
            return;
        }
        s3op_free(op);
    }
    objstore_wcall_fire(&w->wc, w->final_rc, w->final_msg);
    writer_free(w);
}

/* Move the writer on after any event; the one place that fires callbacks. */
static void progress(struct s3w *w)
{
    if (w->busy || (w->wc.phase != OBJSTORE_W_OPEN && w->mpu == MPU_CREATING))
        return;
    switch (w->wc.phase) {
    case OBJSTORE_W_OPEN:
        if (w->wc.cb && (w->wc.err || w->queued + w->running < w->s->o.parallel_parts))
            objstore_wcall_fire(&w->wc, w->wc.err, w->wc.msg);
        return;
    case OBJSTORE_W_COMMIT:
        if (!w->wc.err) {
            commit_step(w);
            return;
        }
        w->wc.phase = OBJSTORE_W_ABORT;
        w->final_rc = w->wc.err;
        snprintf(w->final_msg, sizeof(w->final_msg), "%s", w->wc.msg);
        /* fallthrough */
    case OBJSTORE_W_ABORT:
        abort_step(w);
        return;
    case OBJSTORE_W_DETACH: /* nobody waits: free once the parts in flight are back */
        if (!w->queued && !w->running)
            writer_free(w);
        return;
    }
}

/* ---- ops ---- */

size_t backend_s3_part_align(size_t part_size, size_t align)
{
    if (align == 0 || part_size % align == 0)
        return part_size;
    size_t up = (part_size / align + 1) * align;
    return (long long)up > S3_PART_MAX ? part_size : up;
}

static struct s3w *writer_new(struct backend *b, const char *key,
                              const struct backend_write_opts *o)
{
    struct s3b *s = b->priv;
    struct s3w *w = calloc(1, sizeof(*w));
    if (!w || !(w->key = s3_full_key(s, key)) ||
        (o && o->content_type && *o->content_type &&
         !(w->content_type = strdup(o->content_type)))) {
        if (w)
            writer_free(w);
        return NULL;
    }
    w->base.b = b;
    w->s = s;
    w->wc.base = s->ob.b.base;
    s->ob.live++;
    w->no_overwrite = o && o->no_overwrite;
    if (o && o->creator && fsmeta_creator_ok(o->creator))
        snprintf(w->creator, sizeof(w->creator), "%s", o->creator);
    if (o && o->sha256 && digest_hex_ok(o->sha256, 64))
        snprintf(w->sha256_claim, sizeof(w->sha256_claim), "%s", o->sha256);
    w->part_size = backend_s3_part_align(backend_s3_part_size(s->o.part_size, o ? o->size_hint : 0),
                                         o ? o->part_align : 0);
    return w;
}

/* Hand `w` to the open callback on the next loop turn; frees it on failure. */
static int open_defer(struct s3w *w, backend_open_fn *cb, void *ud)
{
    int rc = objstore_open_defer(w->s->ob.b.base, &w->base, cb, ud);
    if (rc)
        writer_free(w);
    return rc;
}

int s3_write_open(struct backend *b, const char *key, const struct backend_write_opts *o,
                  backend_open_fn *cb, void *ud)
{
    if (o && !httphdr_line_ok(o->content_type))
        return ST_EINVAL; /* header injection (httphdr.h); op_build checks again */
    struct s3w *w = writer_new(b, key, o);
    return w ? open_defer(w, cb, ud) : ST_ENOMEM;
}

/* objstore_wbuf_feed's hand-off of a full part. */
static int dispatch_part(void *w)
{
    return dispatch(w);
}

static const struct objstore_wwhy why = {"more than 10000 S3 parts", "out of memory"};

int s3_write_part(struct backend_writer *bw, long part_no, const void *data, size_t len,
                  backend_done_fn *cb, void *ud)
{
    struct s3w *w = (struct s3w *)bw;
    int rc = objstore_wcall_part(&w->wc, &w->wb, w->part_size, data, len, dispatch_part, w, &why,
                                 cb, ud);
    if (!rc)
        progress(w);
    return rc;
}

/* The rest becomes the last part, unless the file is a single PutObject. */
int s3_write_commit(struct backend_writer *bw, backend_done_fn *cb, void *ud)
{
    struct s3w *w = (struct s3w *)bw;
    bool flush = w->mpu != MPU_NONE && w->wb.len;
    int rc = objstore_wcall_end(&w->wc, OBJSTORE_W_COMMIT, flush, dispatch_part, w, &why, cb, ud);
    if (!rc)
        progress(w);
    return rc;
}

int s3_write_abort(struct backend_writer *bw, backend_done_fn *cb, void *ud)
{
    struct s3w *w = (struct s3w *)bw;
    int rc = objstore_wcall_end(&w->wc, OBJSTORE_W_ABORT, false, dispatch_part, w, &why, cb, ud);
    if (rc)
        return rc;
    w->final_rc = 0;
    progress(w);
    return 0;
}

int backend_s3_writer_state(const struct backend_writer *bw, const char **upload_id,
                            size_t *part_size, const char *const **etags, size_t *nparts)
{
    if (!bw || !bw->b || bw->b->ops != &s3_ops)
        return ST_EINVAL;
    const struct s3w *w = (const struct s3w *)bw;
    if (upload_id)
        *upload_id = w->mpu == MPU_READY ? w->upload_id : "";
    if (part_size)
        *part_size = w->part_size;
    if (etags)
        *etags = (const char *const *)w->etags;
    if (nparts)
        *nparts = (size_t)w->nparts;
    return 0;
}

/* ---- resume ---- */

/* Parts 1..k completed, with no gap: what S3 holds for sure. */
static size_t stored_prefix(const struct s3w *w)
{
    size_t k = 0;
    while (k < (size_t)w->nparts && w->etags[k])
        k++;
    return k;
}

static bool token_ok(const char *t, size_t len, size_t max)
{
    if (len == 0 || len > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if (t[i] <= ' ' || t[i] == 0x7f)
            return false;
    return true;
}

int backend_s3_state_format(char *buf, size_t n, size_t part_size, const char *upload_id,
                            const char *const *etags, size_t k)
{
    const char *id = upload_id && *upload_id ? upload_id : "-";
    if (!token_ok(id, strlen(id), S3_UPLOAD_ID_MAX) || (k && strcmp(id, "-") == 0))
        return ST_EINVAL;
    int len = snprintf(buf, n, "s3w1 %zu %s %zu\n", part_size, id, k);
    if (len < 0 || (size_t)len >= n)
        return ST_ELIMIT;
    size_t at = (size_t)len;
    for (size_t i = 0; i < k; i++) {
        size_t el = strlen(etags[i]);
        if (!token_ok(etags[i], el, S3_ETAG_MAX))
            return ST_EINVAL;
        if (at + el + 2 > n)
            return ST_ELIMIT;
        memcpy(buf + at, etags[i], el);
        at += el;
        buf[at++] = '\n';
    }
    buf[at] = '\0';
    return 0;
}

void backend_s3_state_free(struct backend_s3_state *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->k; i++)
        free(st->etags[i]);
    free(st->etags);
    memset(st, 0, sizeof(*st));
}

int backend_s3_state_parse(const char *state, struct backend_s3_state *st)
{
    memset(st, 0, sizeof(*st));
    char id[S3_UPLOAD_ID_MAX + 1];
    size_t ps, k;
    int used = 0;
    if (sscanf(state, "s3w1 %zu %512s %zu\n%n", &ps, id, &k, &used) != 3 || used == 0 ||
        ps < S3_PART_MIN || (long long)ps > S3_PART_MAX || k > S3_PARTS_MAX ||
        (k && strcmp(id, "-") == 0))
        return ST_EINVAL;
    st->part_size = ps;
    snprintf(st->upload_id, sizeof(st->upload_id), "%s", strcmp(id, "-") ? id : "");
    if (k && !(st->etags = calloc(k, sizeof(*st->etags))))
        return ST_ENOMEM;
    const char *p = state + used;
    for (size_t i = 0; i < k; i++) {
        const char *nl = strchr(p, '\n');
        if (!nl || !token_ok(p, (size_t)(nl - p), S3_ETAG_MAX)) {
            backend_s3_state_free(st);
            return ST_EINVAL;
        }
        if (!(st->etags[i] = strndup(p, (size_t)(nl - p)))) {
            backend_s3_state_free(st);
            return ST_ENOMEM;
        }
        st->k = i + 1;
        p = nl + 1;
    }
    if (*p) {
        backend_s3_state_free(st);
        return ST_EINVAL;
    }
    return 0;
}

int s3_write_state(struct backend_writer *bw, char *buf, size_t n, int64_t *durable)
{
    struct s3w *w = (struct s3w *)bw;
    size_t k = w->mpu == MPU_READY ? stored_prefix(w) : 0;
    int rc = backend_s3_state_format(buf, n, w->part_size, w->mpu == MPU_READY ? w->upload_id : "",
                                     (const char *const *)w->etags, k);
    if (rc == 0)
        *durable = (int64_t)k * (int64_t)w->part_size;
    return rc;
}

int s3_write_resume(struct backend *b, const char *key, const struct backend_write_opts *o,
                    const char *state, long next_part, int64_t offset, backend_open_fn *cb,
                    void *ud)
{
    struct backend_s3_state st;
    int rc = backend_s3_state_parse(state, &st);
    if (rc)
        return rc;
    /* Only whole stored parts come back: the caller resumes at a multiple of
     * the part size that S3 confirmed (write_state's `durable`). */
    size_t keep = (size_t)(offset / (int64_t)st.part_size);
    if (offset % (int64_t)st.part_size || keep > st.k || (offset && !st.upload_id[0])) {
        backend_s3_state_free(&st);
        return ST_EINVAL;
    }
    struct s3w *w = writer_new(b, key, o);
    size_t cap = keep > 16 ? keep : 16;
    if (!w || !(w->etags = calloc(cap, sizeof(*w->etags)))) {
        if (w)
            writer_free(w);
        backend_s3_state_free(&st);
        return ST_ENOMEM;
    }
    w->cap = cap;
    w->part_size = st.part_size;
    if (st.upload_id[0]) {
        snprintf(w->upload_id, sizeof(w->upload_id), "%s", st.upload_id);
        w->mpu = MPU_READY;
    }
    for (size_t i = 0; i < keep; i++) {
        w->etags[i] = st.etags[i];
        st.etags[i] = NULL;
    }
    w->nparts = (int)keep;
    backend_s3_state_free(&st);
    return open_defer(w, cb, ud);
}

/* The Create (upload id) and the UploadParts (ETags) change the state. */
bool s3_write_idle(const struct backend_writer *bw)
{
    const struct s3w *w = (const struct s3w *)bw;
    return !w->busy && w->queued == 0 && w->running == 0;
}

void s3_write_detach(struct backend_writer *bw)
{
    struct s3w *w = (struct s3w *)bw;
    objstore_wcall_detach(&w->wc);
    progress(w);
}
