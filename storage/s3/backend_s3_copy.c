/* backend_s3_copy.c - server-side copies inside one bucket (backend.h
 * copy): the bytes never leave S3. Up to copy_max (5 GiB, S3's limit) one
 * CopyObject; above it CreateMultipartUpload, UploadPartCopy of copy_max
 * ranges (parallel_parts at once), CompleteMultipartUpload, and
 * AbortMultipartUpload after any failure. Both 200 replies can carry an
 * <Error> instead of their result (checked by s3op's result_root). With
 * no_overwrite the write is conditional (If-None-Match: *). */
#include "backend_s3_impl.h"

#include "err.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct s3c {
    struct s3b *s;
    char *dst;    /* full key */
    char *source; /* x-amz-copy-source value */
    int64_t size, part;
    int nparts, next, running;
    char upload_id[S3_UPLOAD_ID_MAX + 1];
    char **etags;
    bool no_overwrite, failed, aborting;
    int rc;
    char msg[BACKEND_MSG_MAX];
    backend_done_fn *cb;
    void *ud;
};

struct s3cpart {
    struct s3c *c;
    int no; /* 1-based */
};

static void c_free(struct s3c *c)
{
    for (int i = 0; c->etags && i < c->nparts; i++)
        free(c->etags[i]);
    free(c->etags);
    free(c->dst);
    free(c->source);
    free(c);
}

/* The one exit: the caller's callback, then the copy is gone. */
static void c_end(struct s3c *c)
{
    c->cb(c->rc, c->rc ? c->msg : "", c->ud);
    c_free(c);
}

static void c_fail(struct s3c *c, int rc, const char *msg)
{
    if (c->failed)
        return;
    c->failed = true;
    c->rc = rc;
    snprintf(c->msg, sizeof(c->msg), "%s", msg);
}

static struct s3op *c_op(struct s3c *c, const char *method, s3op_fn *done, void *ud)
{
    struct s3op *op = s3op_new(c->s, method, c->dst, done, ud);
    if (op && c->no_overwrite)
        snprintf(op->extra, sizeof(op->extra), "If-None-Match: *");
    return op;
}

static int upload_query(struct s3op *op, struct s3c *c, const char *part_no)
{
    return s3op_upload_query(op, c->upload_id, part_no);
}

static void step(struct s3c *c);

static void on_final(struct s3op *op)
{
    struct s3c *c = op->ud;
    if (op->rc && !c->aborting)
        c_fail(c, op->rc, op->msg);
    if (strcmp(op->method, "POST") == 0)
        free((void *)op->body); /* a Complete body */
    s3op_free(op);
    c_end(c);
}

static void abort_upload(struct s3c *c)
{
    c->aborting = true;
    struct s3op *op = s3op_new(c->s, "DELETE", c->dst, on_final, c);
    if (!op || upload_query(op, c, NULL) || s3op_send(op)) {
        s3op_free(op);
        c_end(c);
    }
}

static void complete(struct s3c *c)
{
    struct s3op *op = s3op_complete_new(c->s, c->dst, c->upload_id, (const char *const *)c->etags,
                                        (size_t)c->nparts, c->no_overwrite, on_final, c);
    if (op && s3op_send(op) == 0)
        return;
    if (op)
        free((void *)op->body);
    s3op_free(op);
    c_fail(c, ST_ENOMEM, "cannot send CompleteMultipartUpload");
    abort_upload(c);
}

static void on_part(struct s3op *op)
{
    struct s3cpart *p = op->ud;
    struct s3c *c = p->c;
    struct s3xml_error e = {"", ""};
    char etag[S3_ETAG_MAX + 1] = "";
    c->running--;
    if (op->rc)
        c_fail(c, op->rc, op->msg);
    else if (s3xml_parse_result(op->http.resp, op->http.resp_len, "CopyPartResult", &e, etag,
                                sizeof(etag)) ||
             !etag[0])
        c_fail(c, ST_EIO, "S3 UploadPartCopy: no ETag in the reply");
    else if (!(c->etags[p->no - 1] = strdup(etag)))
        c_fail(c, ST_ENOMEM, "out of memory");
    free(p);
    s3op_free(op);
    step(c);
}

static int part_start(struct s3c *c)
{
    struct s3cpart *p = calloc(1, sizeof(*p));
    char no[16];
    int64_t first = (int64_t)c->next * c->part;
    int64_t last = first + c->part > c->size ? c->size - 1 : first + c->part - 1;
    if (!p)
        return ST_ENOMEM;
    p->c = c;
    p->no = ++c->next;
    snprintf(no, sizeof(no), "%d", p->no);
    struct s3op *op = s3op_new(c->s, "PUT", c->dst, on_part, p);
    int rc = op ? upload_query(op, c, no) : ST_ENOMEM;
    if (!rc && !(op->copy_source = strdup(c->source)))
        rc = ST_ENOMEM;
    if (!rc) {
        snprintf(op->copy_range, sizeof(op->copy_range), "bytes=%" PRId64 "-%" PRId64, first, last);
        rc = s3op_send(op);
    }
    if (rc) {
        s3op_free(op);
        free(p);
        return rc;
    }
    c->running++;
    return 0;
}

/* Keep parallel_parts ranges in flight; complete or abort at the end. */
static void step(struct s3c *c)
{
    while (!c->failed && c->next < c->nparts && c->running < c->s->o.parallel_parts) {
        int rc = part_start(c);
        if (rc)
            c_fail(c, rc, "cannot send an S3 UploadPartCopy");
    }
    if (c->running)
        return;
    if (c->failed)
        abort_upload(c);
    else
        complete(c);
}

static void on_create(struct s3op *op)
{
    struct s3c *c = op->ud;
    int rc = s3op_upload_id(op, c->upload_id, sizeof(c->upload_id));
    if (rc) {
        c_fail(c, rc, op->msg);
        s3op_free(op);
        c_end(c);
        return;
    }
    s3op_free(op);
    step(c);
}

static int start(struct s3c *c)
{
    struct s3op *op;
    int rc;
    if (c->size <= c->s->o.copy_max) {
        op = c_op(c, "PUT", on_final, c);
        if (!op)
            return ST_ENOMEM;
        op->result_root = "CopyObjectResult";
        op->copy_source = strdup(c->source);
        rc = op->copy_source ? s3op_send(op) : ST_ENOMEM;
    } else {
        struct sigv4_kv q = {"uploads", NULL};
        op = s3op_new(c->s, "POST", c->dst, on_create, c);
        if (!op)
            return ST_ENOMEM;
        rc = s3op_query(op, &q, 1);
        if (!rc)
            rc = s3op_send(op);
    }
    if (rc)
        s3op_free(op);
    return rc;
}

int s3_copy(struct backend *b, const char *src, const char *dst, int64_t size,
            const struct backend_write_opts *o, backend_done_fn *cb, void *ud)
{
    struct s3b *s = b->priv;
    struct s3c *c = calloc(1, sizeof(*c));
    char *full = s3_full_key(s, src), *enc = NULL;
    int rc = c && full ? sigv4_uri_encode(full, true, &enc) : ST_ENOMEM;
    free(full);
    if (!rc &&
        (!(c->dst = s3_full_key(s, dst)) || asprintf(&c->source, "/%s/%s", s->bucket, enc) < 0))
        c->source = NULL, rc = ST_ENOMEM;
    free(enc);
    if (rc) {
        if (c)
            c_free(c);
        return rc;
    }
    c->s = s;
    c->size = size;
    c->no_overwrite = o && o->no_overwrite;
    c->cb = cb;
    c->ud = ud;
    c->part = s->o.copy_max;
    if (size > c->part) { /* at most 10,000 ranges, each at most 5 GiB */
        int64_t need = (size + S3_PARTS_MAX - 1) / S3_PARTS_MAX;
        if (need > c->part)
            c->part = need;
        c->nparts = (int)((size + c->part - 1) / c->part);
        rc = c->part > S3_PART_MAX ? ST_ELIMIT : 0;
        if (!rc && !(c->etags = calloc((size_t)c->nparts, sizeof(*c->etags))))
            rc = ST_ENOMEM;
    }
    if (!rc)
        rc = start(c);
    if (rc)
        c_free(c);
    return rc;
}
