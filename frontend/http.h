/* http.h - the frontend's plain-HTTP side port (server.http_listen) for
 * Kubernetes and Prometheus:
 *   GET /healthz  200 while the process runs (liveness)
 *   GET /readyz   200 when Redis answers and the server is not draining,
 *                 503 with the reason otherwise (readiness)
 *   GET /metrics  Prometheus text: queue backlog and pending jobs, draining
 *   GET|PUT /v1/presign/<token>  presigned fs downloads and uploads
 *                 (presign_http.h)
 *
 * libmicrohttpd parses HTTP; it runs without a thread of its own, driven by
 * the frontend's event loop (loop.h): its epoll fd is one libevent event and
 * its timeouts one timer. A request that needs Redis (/readyz, /metrics, a
 * presigned transfer) suspends its connection and runs as a fiber like a
 * gRPC call, so no thread waits on Redis or on a client, and a request is
 * answered from its headers before any body byte is read (a bad presigned
 * URL never uploads). At most server.http_max_connections connections; one
 * idle for server.http_timeout_s is closed.
 *
 * Start and stop from the main thread, while the loop runs. */
#ifndef STAGE_FE_HTTP_H
#define STAGE_FE_HTTP_H

#include <stdarg.h>
#include <stddef.h>

struct config;
struct server;
struct http;
struct MHD_Connection;

/* Bind server.http_listen and attach to the loop. `grpc` (may be NULL) is
 * asked whether it drains. Returns 0 and *out, or ST_EINVAL (bad address),
 * ST_EUNAVAIL (cannot bind), ST_ENOMEM with a message in `err`. */
int http_start(struct http **out, const struct config *cfg, const struct server *grpc, char *err,
               size_t errlen);

/* End the presigned transfers (up to a few seconds), close every
 * connection, free everything. NULL-safe; returns NULL. */
struct http *http_stop(struct http *h);

/* What a request that outlives its first access call keeps in MHD's
 * per-request pointer: http.c hands it the later access calls (body data,
 * the end of the body, calls after a resume) and the end of the request
 * (`toe`: enum MHD_RequestTerminationCode; the connection is gone after it). */
struct http_ctx {
    int (*access)(struct http_ctx *x, struct MHD_Connection *conn, const char *data,
                  size_t *size); /* returns enum MHD_Result */
    void (*completed)(struct http_ctx *x, int toe);
};

/* Queue a response with a one-line text body on connection `conn`, which
 * must be in the access handler or suspended; `allow` (may be NULL) is the
 * Allow header. 0 or ST_ENOMEM. Loop thread. */
int http_answer_text(struct MHD_Connection *conn, int code, const char *allow, const char *text);

/* The same with the text made by printf. */
int http_answerf(struct MHD_Connection *conn, int code, const char *allow, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int http_answerv(struct MHD_Connection *conn, int code, const char *allow, const char *fmt,
                 va_list ap) __attribute__((format(printf, 4, 0)));

/* Resume a suspended connection and have the listener look at it at once
 * (from a fiber: the loop runs libmicrohttpd after the fiber yields). */
void http_resume(struct MHD_Connection *conn);

#endif
