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
 * Connections are reused between requests (the multi handle's cache).
 *
 * Where requests may go: http and https only, redirects are never followed,
 * and with a guard (s3http_set_guard) every address curl resolved is
 * checked as curl opens the socket for it, so a name that resolves to an
 * internal address now (DNS rebinding) is refused as a literal one is. */
#ifndef STAGE_S3HTTP_H
#define STAGE_S3HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct netguard;
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
    /* x-amz-meta-md5, -sha256, -creator (S3) or x-ms-meta-... (Azure) as
     * sent, "" if none or too long */
    char meta_md5[40];
    char meta_sha256[72];
    char meta_creator[72];
    /* Location and Range as sent, "" if none (GCS resumable uploads: the
     * session URI, and the bytes a 308 says are stored) */
    char location[2048];
    char range[64];
    char content_md5[32]; /* Content-MD5 as sent (base64), "" if none */
    char copy_status[16]; /* x-ms-copy-status (Azure Copy Blob), "" if none */
    char error[256];      /* curl's error text when curl_code != 0 */
    bool refused;         /* the guard refused to connect: `error` says why */
    /* private */
    const struct netguard *guard;
    char host[256];    /* the URL's host as curl reads it, for the guard's rules */
    char refusal[256]; /* the guard's reason, kept from curl's error buffer */
    void *easy;
    void *slist;
    size_t sent;
    bool too_big;
};

struct s3http *s3http_new(struct event_base *base);
/* Free with no request outstanding. NULL-safe; returns NULL. */
struct s3http *s3http_free(struct s3http *h);

/* Check every connection of `h` against `g` (netguard.h; NULL: none, for
 * the operator's own storage). A refused connection ends its request with
 * `refused` set and the reason in `error` ("endpoint 127.0.0.1 is a loopback
 * address; allow it with storage.endpoint_allow"); no proxy from the
 * environment is used then, since the guard must see the real peer. `g`
 * outlives `h`; set it before the first request. */
void s3http_set_guard(struct s3http *h, const struct netguard *g);

/* ST_EINVAL (nothing sent) for a header line with a control character
 * (httphdr.h: a CR/LF would inject headers of its own). */
int s3http_start(struct s3http *h, struct s3http_req *r);

/* Free the outputs of a finished request so the struct can be reused. */
void s3http_req_reset(struct s3http_req *r);

#endif
