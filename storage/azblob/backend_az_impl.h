/* backend_az_impl.h - internals shared by backend_az.c (requests, read,
 * stat, list, delete) and backend_az_write.c (writers). Not a public API. */
#ifndef STAGE_BACKEND_AZ_IMPL_H
#define STAGE_BACKEND_AZ_IMPL_H

#include "azsign.h"
#include "azurl.h"
#include "backend.h"
#include "backend_az.h"
#include "objstore.h"
#include "s3http.h"

#include <stdbool.h>

#define AZ_RETRIES   5
#define AZ_QUERY_MAX 8
#define AZ_XHDR_MAX  8

struct azb {
    struct objstore_be ob; /* first: the backend, its live count */
    struct s3http *http;
    struct azurl url;
    char root[1024];  /* blob name prefix, "" or ending in '/' */
    char key[256];    /* the account key (base64): secret */
    size_t part_size; /* upload.object_part_size: the writers' block size */
    int parallel;     /* upload.parallel_parts: Put Blocks in flight per writer */
    bool no_batch;    /* the service answered that it has no Blob Batch */
};

struct azop;
typedef void(azop_fn)(struct azop *op);

/* One Blob API request with its retries. Fill the inputs, call
 * azop_send(); `done` runs once on the loop with rc/msg set (the HTTP
 * result in op->http). */
struct azop {
    struct azb *a;
    const char *method;
    const char *what; /* the call's name for messages: "Put Block" */
    char *key;        /* full blob name (root included), NULL: the container */
    struct azsign_kv q[AZ_QUERY_MAX];
    char *qv[AZ_QUERY_MAX]; /* owned copies of the query values */
    size_t nq;
    struct azsign_kv xh[AZ_XHDR_MAX]; /* more headers (x-ms-*, If-None-Match);
                                       * names static, values owned (xv) */
    char *xv[AZ_XHDR_MAX];
    size_t nxh;
    const void *body;
    size_t body_len;
    const char *content_type;
    char range[64];          /* x-ms-range, "" none */
    bool ok_404;             /* 404 (and 416) are results, not failures */
    struct objstore_try try; /* attempts, the retry timer */
    struct s3http_req http;
    azop_fn *done;
    void *ud;
    int rc;
    char msg[BACKEND_MSG_MAX];
    char *url;
    char *hdr[AZ_XHDR_MAX + 8];
};

struct azop *azop_new(struct azb *a, const char *method, const char *what, const char *key,
                      azop_fn *done, void *ud);
/* Add a query parameter / a header (value copied). 0 or ST_ENOMEM/ST_ELIMIT. */
int azop_query(struct azop *op, const char *name, const char *value);
int azop_header(struct azop *op, const char *name, const char *value);
int azop_send(struct azop *op);
void azop_free(struct azop *op);

/* "key" with the root in front; malloc'd. */
char *az_full_key(const struct azb *a, const char *key);

/* What a commit stores with the blob (NULL or "": none). */
struct az_meta {
    const char *content_type;
    const char *md5; /* hex */
    const char *sha256;
    const char *creator;
    bool no_overwrite; /* If-None-Match: * */
};
/* Add the headers of `m` to a Put Block List or Put Blob From URL. */
int az_commit_headers(struct azop *op, const struct az_meta *m);
/* A Put Block List of blocks 0..n-1 of the upload tagged `tag` (azblock.h),
 * not sent; its body is malloc'd and freed by `done`. NULL on OOM. */
struct azop *az_block_list_new(struct azb *a, const char *key, const char *tag, long n,
                               azop_fn *done, void *ud);

/* Deletes (backend_az_delete.c): Blob Batch, else one Delete Blob each. */
int az_delete_batch(struct backend *b, const char *const *keys, size_t n, const char *keep_prefix,
                    backend_delete_fn *cb, void *ud);

/* Server-side copy (backend_az_copy.c): the backend op and its form
 * between two azblob backends. */
int az_copy(struct backend *b, const char *src, const char *dst, int64_t size,
            const struct backend_write_opts *o, backend_done_fn *cb, void *ud);
int az_copy_from(struct backend *b, struct backend *from, const char *src, const char *dst,
                 int64_t size, const struct backend_write_opts *o, backend_done_fn *cb, void *ud);

int az_write_open(struct backend *b, const char *key, const struct backend_write_opts *o,
                  backend_open_fn *cb, void *ud);
int az_write_part(struct backend_writer *w, long part_no, const void *data, size_t len,
                  backend_done_fn *cb, void *ud);
int az_write_commit(struct backend_writer *w, backend_done_fn *cb, void *ud);
int az_write_abort(struct backend_writer *w, backend_done_fn *cb, void *ud);
int az_write_state(struct backend_writer *w, char *buf, size_t n, int64_t *durable);
int az_write_resume(struct backend *b, const char *key, const struct backend_write_opts *o,
                    const char *state, long next_part, int64_t offset, backend_open_fn *cb,
                    void *ud);
void az_write_detach(struct backend_writer *w);
bool az_write_idle(const struct backend_writer *w);

#endif
