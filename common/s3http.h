/* s3http.h - HTTP requests on a libevent loop through the libcurl multi
 * socket API (CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION -> events ->
 * curl_multi_socket_action -> an info_read loop), for the object-store
 * backends.
 *
 * Async contract: s3http_start() returns 0 and the request's `done` runs
 * exactly once, later, on the loop (never inside s3http_start), or returns
 * an error and `done` never runs. Easy handles are released in the
 * info_read loop before `done` runs, so `done` may start new requests and
 * free the request struct.
 *
 * Threading: one s3http per event_base, used from the loop's thread only.
 * Connections are reused between requests (the multi handle's cache). */
#ifndef STAGE_S3HTTP_H
#define STAGE_S3HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct s3http;
struct s3http_req;

typedef void(s3http_done_fn)(struct s3http_req *r);

#define S3HTTP_RESP_MAX (32 * 1024 * 1024) /* largest body kept in `resp` */

struct s3http_req {
    /* in: set by the caller, valid until `done` */
    const char *method; /* GET HEAD PUT POST DELETE */
    const char *url;
    const char *const *headers; /* "Name: value" lines */
    size_t nheaders;
    const void *body; /* PUT/POST body (may be NULL with body_len 0) */
    size_t body_len;
    void *rbuf; /* if set, the body goes here (at most rcap bytes), else to `resp` */
    size_t rcap;
    long timeout_s; /* 0: none; the low-speed limit still applies */
    s3http_done_fn *done;
    void *ud;
    /* out: valid in `done` */
    int curl_code; /* CURLcode, 0 if a reply arrived */
    long status;   /* HTTP status, 0 if none */
    char *resp;    /* body (NUL-terminated) unless rbuf; malloc'd, freed by s3http_req_reset */
    size_t resp_len;
    size_t rlen;            /* bytes written to rbuf */
    int64_t content_length; /* -1 if unknown */
    int64_t mtime_ms;       /* Last-Modified, -1 if none */
    char etag[72];          /* ETag header as sent (quoted), "" if none */
    char error[256];        /* curl's error text when curl_code != 0 */
    /* private */
    void *easy;
    void *slist;
    size_t sent;
    bool too_big;
};

struct s3http *s3http_new(struct event_base *base);
/* Free with no request outstanding. NULL-safe; returns NULL. */
struct s3http *s3http_free(struct s3http *h);

/* ST_EINVAL (nothing sent) for a header line with a control character
 * (httphdr.h: a CR/LF would inject headers of its own). */
int s3http_start(struct s3http *h, struct s3http_req *r);

/* Free the outputs of a finished request so the struct can be reused. */
void s3http_req_reset(struct s3http_req *r);

#endif
