/* bstats.h - object-store requests for the worker's /metrics: every HTTP
 * request a backend sends (each attempt) by backend, operation and outcome,
 * the retries it schedules, and the operations that fail after them.
 *
 * Labels come from fixed tables (backend x method x outcome), never from a
 * bucket, key or error text, so the number of series is bounded.
 * Counters are atomic: each backend runs on its process' loop, but the
 * frontend probes a new stage on its own loop and the counters are shared
 * by the whole process. */
#ifndef STAGE_BSTATS_H
#define STAGE_BSTATS_H

#include <stdbool.h>
#include <stdint.h>

struct promtext_buf;

enum bstats_backend { BSTATS_S3, BSTATS_AZBLOB, BSTATS_BACKENDS };

/* The HTTP method, the only operation name every request has. */
enum bstats_op { BSTATS_GET, BSTATS_HEAD, BSTATS_PUT, BSTATS_POST, BSTATS_DELETE, BSTATS_OPS };

enum bstats_outcome {
    BSTATS_OK,           /* the answer expected (a 404 the caller asked to accept included) */
    BSTATS_NOT_FOUND,    /* 404/416 as an error */
    BSTATS_CLIENT_ERROR, /* another answer that a retry would not change (4xx, 3xx) */
    BSTATS_SERVER_ERROR, /* an answer worth a retry (5xx, SlowDown, RequestTimeout...) */
    BSTATS_NETWORK,      /* no answer: resolve, connect, reset, timeout */
    BSTATS_REFUSED,      /* the endpoint guard refused the address */
    BSTATS_OUTCOMES
};

/* "GET" -> BSTATS_GET...; an unknown method counts as GET (none is sent). */
enum bstats_op bstats_op_of(const char *method);

/* The outcome of one request: curl's code (0: an answer came), the HTTP
 * status, whether the backend took it as what it wanted (`expected`) or as
 * worth a retry (`transient`), and whether the guard refused it. Pure. */
enum bstats_outcome bstats_outcome_of(int curl_code, long status, bool expected, bool transient,
                                      bool refused);

/* One request ended. */
void bstats_request(enum bstats_backend be, enum bstats_op op, enum bstats_outcome o);
/* A request failed and is sent again (after a backoff). */
void bstats_retry(enum bstats_backend be, enum bstats_op op);
/* An operation failed for good (its retries exhausted, or not retryable);
 * not counted: not found and already exists, which callers take as answers. */
void bstats_error(enum bstats_backend be, enum bstats_op op);

/* Append stage_worker_backend_{requests,retries,errors}_total to `b`
 * (series that are still 0 are left out). */
void bstats_render(struct promtext_buf *b);

/* For tests: every counter back to 0. */
void bstats_reset(void);

#endif
