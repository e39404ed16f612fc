/* backend_gcs_impl.h - internals shared by gcsop.c (requests and tokens),
 * backend_gcs.c (read, stat, list, delete, copy) and backend_gcs_write.c
 * (writers). Not a public API. */
#ifndef STAGE_BACKEND_GCS_IMPL_H
#define STAGE_BACKEND_GCS_IMPL_H

#include "backend.h"
#include "backend_gcs.h"
#include "objstore.h"
#include "s3http.h"

#include <stdbool.h>
#include <time.h>

#define GCS_RETRIES      5
#define GCS_TOKEN_MARGIN 300 /* seconds before expiry a token is renewed */

struct gcscred;
struct gcsop;

struct gcsb {
    struct objstore_be ob; /* first: the backend, its live count */
    struct s3http *http;
    struct gcscred *cred;
    char origin[512]; /* "https://storage.googleapis.com" */
    char bucket[256];
    char root[1024]; /* key prefix, "" or ending in '/' */
    size_t chunk;
    char *token; /* secret; NULL until fetched */
    time_t token_exp;
    struct gcsop *token_op; /* the fetch in flight, NULL if none */
    struct gcsop *waiting;  /* requests waiting for it (a list through ->next) */
};

typedef void(gcsop_fn)(struct gcsop *op);

/* One request with its token and retries. Fill the inputs, gcsop_send();
 * `done` runs once on the loop with rc/msg set (the HTTP result in
 * op->http), and frees nothing: the caller calls gcsop_free(). */
struct gcsop {
    struct gcsb *g;
    const char *method;
    char *url;    /* owned */
    char *hdr[6]; /* extra header lines, owned */
    const void *body;
    size_t body_len;
    char *body_owned; /* freed (and wiped) with the op; NULL: the caller's */
    void *rbuf;       /* as s3http_req */
    size_t rcap;
    bool no_retry; /* a failure is final (chunk uploads) */
    bool no_auth;  /* the token request itself */
    bool ok_308;   /* 308 is a result (resumable sessions) */
    bool ok_404;   /* 404 is a result, not a failure */
    int attempt;
    bool reauthed; /* a 401 got one new token already */
    struct s3http_req http;
    struct event *timer;
    struct gcsop *next; /* in g->waiting */
    gcsop_fn *done;
    void *ud;
    int rc;
    char msg[BACKEND_MSG_MAX];
};

/* `url` is taken over (freed with the op, also when NULL is returned). */
struct gcsop *gcsop_new(struct gcsb *g, const char *method, char *url, gcsop_fn *done, void *ud);
/* Add a header line ("Name: value", copied). 0, ST_ELIMIT, ST_ENOMEM. */
int gcsop_header(struct gcsop *op, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 0 and `done` runs later, or an error and it never runs. */
int gcsop_send(struct gcsop *op);
/* gcsop_send(op) that frees op when it fails; NULL (gcsop_new's OOM):
 * ST_ENOMEM. */
int gcsop_start(struct gcsop *op);
void gcsop_free(struct gcsop *op);

/* The full object name of `key` (root in front), malloc'd. */
char *gcs_full_key(const struct gcsb *g, const char *key);

int gcs_write_open(struct backend *b, const char *key, const struct backend_write_opts *o,
                   backend_open_fn *cb, void *ud);
int gcs_write_part(struct backend_writer *w, long part_no, const void *data, size_t len,
                   backend_done_fn *cb, void *ud);
int gcs_write_commit(struct backend_writer *w, backend_done_fn *cb, void *ud);
int gcs_write_abort(struct backend_writer *w, backend_done_fn *cb, void *ud);
int gcs_write_state(struct backend_writer *w, char *buf, size_t n, int64_t *durable);
int gcs_write_resume(struct backend *b, const char *key, const struct backend_write_opts *o,
                     const char *state, long next_part, int64_t offset, backend_open_fn *cb,
                     void *ud);
void gcs_write_detach(struct backend_writer *w);

#endif
