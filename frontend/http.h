/* http.h - the frontend's plain-HTTP side port (server.http_listen) for
 * Kubernetes and Prometheus:
 *   GET /healthz  200 while the process runs (liveness)
 *   GET /readyz   200 when Redis answers and the server is not draining,
 *                 503 with the reason otherwise (readiness)
 *   GET /metrics  Prometheus text: queue backlog and pending jobs, draining
 *   GET|PUT /v1/presign/<token>  presigned fs downloads and uploads
 *                 (presign_http.h)
 * It runs its own libevent loop on its own thread with its own Redis
 * connection, so a slow gRPC call never delays a probe. Start and stop from
 * the main thread. */
#ifndef STAGE_FE_HTTP_H
#define STAGE_FE_HTTP_H

#include <stddef.h>

struct config;
struct server;
struct http;

/* Bind server.http_listen and start the thread. `grpc` (may be NULL) is
 * asked whether it drains. Returns 0 and *out, or ST_EINVAL (bad address),
 * ST_EUNAVAIL (cannot bind), ST_ENOMEM with a message in `err`. */
int http_start(struct http **out, const struct config *cfg, const struct server *grpc, char *err,
               size_t errlen);

/* Stop the loop, join the thread, free everything. NULL-safe; returns NULL. */
struct http *http_stop(struct http *h);

#endif
