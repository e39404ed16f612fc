/* backend_s3_impl.h - internals shared by backend_s3.c (requests, read,
 * stat, list, delete) and backend_s3_write.c (writers). Not a public API. */
#ifndef STAGE_BACKEND_S3_IMPL_H
#define STAGE_BACKEND_S3_IMPL_H

#include "backend.h"
#include "backend_s3.h"
#include "objstore.h"
#include "s3http.h"
#include "s3xml.h"
#include "sigv4.h"

#include <stdbool.h>

#define S3_RETRIES 5

struct s3b {
    struct objstore_be ob; /* first: the backend, its live count */
    struct s3http *http;
    char scheme_host[800]; /* "http://127.0.0.1:9000" or "https://bkt.s3.eu-west-1.amazonaws.com" */
    char host[700];        /* Host header value */
    char bucket_path[300]; /* "/bucket" (path-style) or "" (virtual host) */
    char bucket[256];
    char root[1024]; /* key prefix, "" or ending in '/' */
    char region[64];
    char akid[256];
    char secret[256];
    char token[2048];
    struct backend_s3_opts o;
};

struct s3op;
typedef void(s3op_fn)(struct s3op *op);

/* One S3 request with its retries. Fill the inputs, call s3op_send(); `done`
 * runs once on the loop with rc/msg set (the HTTP result in op->http). */
struct s3op {
    struct s3b *s;
    const char *method;
    char *key;   /* full object key (root included), NULL for bucket-level */
    char *query; /* canonical query, NULL for none; owned */
    const void *body;
    size_t body_len;
    const char *content_type;
    char range[64];
    char extra[128]; /* one more signed header line "name: value" ("" none) */
    /* x-amz-meta-md5, -sha256, -creator to send (NULL or "": none); owned
     * by whoever made the op and valid until `done` */
    const char *meta_md5, *meta_sha256, *meta_creator;
    bool content_md5;
    bool ok_404; /* 404 is a result, not a failure */
    /* A 200 may carry an <Error> instead of this root element
     * (CompleteMultipartUpload, CopyObject, UploadPartCopy); NULL: no check. */
    const char *result_root;
    char *copy_source;       /* x-amz-copy-source "/bucket/key" (encoded), owned; NULL none */
    char copy_range[64];     /* x-amz-copy-source-range ("" none) */
    struct objstore_try try; /* attempts, the retry timer */
    struct s3http_req http;
    s3op_fn *done;
    void *ud;
    int rc;
    char msg[BACKEND_MSG_MAX];
    /* request storage */
    char *url;
    char *hdr[16];
};

struct s3op *s3op_new(struct s3b *s, const char *method, const char *key, s3op_fn *done, void *ud);
/* Set the query from `n` parameters (sigv4_query). */
int s3op_query(struct s3op *op, const struct sigv4_kv *p, size_t n);
int s3op_send(struct s3op *op);
void s3op_free(struct s3op *op);

/* The query of a multipart call: "uploadId=ID", plus "partNumber=N" when
 * `part_no` is not NULL. */
int s3op_upload_query(struct s3op *op, const char *upload_id, const char *part_no);
/* A CompleteMultipartUpload of `key` listing parts 1..n, conditional
 * (If-None-Match: *) when `no_overwrite`; NULL when out of memory. Its body
 * is malloc'd: `done` frees (void *)op->body. */
struct s3op *s3op_complete_new(struct s3b *s, const char *key, const char *upload_id,
                               const char *const *etags, size_t n, bool no_overwrite, s3op_fn *done,
                               void *ud);
/* A finished CreateMultipartUpload: 0 with its UploadId in `id`, or its
 * st_err with op->msg saying why. */
int s3op_upload_id(struct s3op *op, char *id, size_t idlen);

/* "key" with the root in front; malloc'd. */
char *s3_full_key(const struct s3b *s, const char *key);

extern const struct backend_ops s3_ops;
int s3_copy(struct backend *b, const char *src, const char *dst, int64_t size,
            const struct backend_write_opts *o, backend_done_fn *cb, void *ud);
int s3_write_open(struct backend *b, const char *key, const struct backend_write_opts *o,
                  backend_open_fn *cb, void *ud);
int s3_write_part(struct backend_writer *w, long part_no, const void *data, size_t len,
                  backend_done_fn *cb, void *ud);
int s3_write_commit(struct backend_writer *w, backend_done_fn *cb, void *ud);
int s3_write_abort(struct backend_writer *w, backend_done_fn *cb, void *ud);
int s3_write_state(struct backend_writer *w, char *buf, size_t n, int64_t *durable);
int s3_write_resume(struct backend *b, const char *key, const struct backend_write_opts *o,
                    const char *state, long next_part, int64_t offset, backend_open_fn *cb,
                    void *ud);
void s3_write_detach(struct backend_writer *w);
bool s3_write_idle(const struct backend_writer *w);

#endif
