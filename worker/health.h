/* health.h - the worker's HTTP side port (server.http_listen): what
 * Kubernetes probes and Prometheus scrape.
 *
 *   GET /healthz  200 while the event loop turns (it answers this request)
 *   GET /readyz   200 when the Redis connections are up and the worker is
 *                 not draining, else 503 with the reason
 *   GET /metrics  running jobs, free slots, Redis up, draining (Prometheus)
 *
 * Runs on the worker's own event_base: no thread, no lock, and a wedged loop
 * fails the liveness probe, which is the point. */
#ifndef STAGE_WORKER_HEALTH_H
#define STAGE_WORKER_HEALTH_H

#include <stddef.h>

struct health;
struct worker;

/* Listen on w->cfg->server.http_listen ("" disables: *out stays NULL).
 * 0, or ST_EINVAL (bad address, port in use) with the reason in `err`. */
int health_start(struct health **out, struct worker *w, char *err, size_t errlen);

/* Close the listener. NULL-safe; returns NULL. */
struct health *health_free(struct health *h);

#endif
