/* health.c - the worker's HTTP side port (see health.h). */
#include "health.h"

#include "bstats.h"
#include "config.h"
#include "err.h"
#include "jobstats.h"
#include "promtext.h"
#include "rstats.h"
#include "worker.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>

struct health {
    struct evhttp *srv;
    struct worker *w;
};

static void reply(struct evhttp_request *req, int code, const char *reason, const char *type,
                  const char *text)
{
    struct evbuffer *b = evbuffer_new();
    if (b)
        evbuffer_add_printf(b, "%s", text);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
    evhttp_send_reply(req, code, reason, b);
    evbuffer_free(b);
}

static void on_healthz(struct evhttp_request *req, void *arg)
{
    (void)arg;
    reply(req, 200, "OK", "text/plain; charset=utf-8", "ok\n");
}

static bool redis_up(const struct worker *w)
{
    return w->cmd && w->blk && w->sub;
}

static void on_readyz(struct evhttp_request *req, void *arg)
{
    struct worker *w = ((struct health *)arg)->w;
    const char *why = w->stopping    ? "draining: the worker is shutting down\n"
                      : !redis_up(w) ? "not ready: Redis is not connected\n"
                                     : NULL;
    if (why)
        reply(req, 503, "Service Unavailable", "text/plain; charset=utf-8", why);
    else
        reply(req, 200, "OK", "text/plain; charset=utf-8", "ready\n");
}

static void on_metrics(struct evhttp_request *req, void *arg)
{
    struct worker *w = ((struct health *)arg)->w;
    static const struct {
        const char *name, *help;
    } g[] = {
        {"stage_worker_running_jobs", "Jobs this worker runs now."},
        {"stage_worker_free_slots", "Jobs this worker could still take."},
        {"stage_worker_redis_up", "1 if every Redis connection is up."},
        {"stage_worker_draining", "1 while the worker shuts down."},
    };
    double v[] = {(double)w->nruns, worker_free_slots(w), redis_up(w) ? 1 : 0, w->stopping ? 1 : 0};
    struct promtext_buf b;
    promtext_buf_init(&b, 1 << 20);
    for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
        promtext_head(&b, g[i].name, "gauge", g[i].help);
        promtext_value(&b, g[i].name, NULL, v[i]);
    }
    jobstats_render(&b);
    bstats_render(&b);
    rstats_render(&b);
    if (b.p && !b.full)
        reply(req, 200, "OK", "text/plain; version=0.0.4", b.p);
    else
        reply(req, 500, "Internal Server Error", "text/plain; charset=utf-8",
              "metrics: out of memory\n");
    free(b.p);
}

static void on_other(struct evhttp_request *req, void *arg)
{
    (void)arg;
    reply(req, 404, "Not Found", "text/plain; charset=utf-8",
          "not found: try /healthz, /readyz or /metrics\n");
}

int health_start(struct health **out, struct worker *w, char *err, size_t errlen)
{
    char host[128];
    int port;
    *out = NULL;
    const char *addr = w->cfg->server.http_listen;
    if (!addr[0])
        return 0;
    if (config_split_addr(addr, host, sizeof(host), &port)) {
        snprintf(err, errlen, "server.http_listen '%s': expected host:port", addr);
        return ST_EINVAL;
    }
    struct health *h = calloc(1, sizeof(*h));
    if (!h || !(h->srv = evhttp_new(w->base))) {
        free(h);
        snprintf(err, errlen, "out of memory");
        return ST_ENOMEM;
    }
    h->w = w;
    if (evhttp_bind_socket(h->srv, host, (ev_uint16_t)port) != 0) {
        snprintf(err, errlen, "cannot listen on %s for HTTP (port in use?)", addr);
        health_free(h);
        return ST_EINVAL;
    }
    evhttp_set_allowed_methods(h->srv, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_cb(h->srv, "/healthz", on_healthz, h);
    evhttp_set_cb(h->srv, "/readyz", on_readyz, h);
    evhttp_set_cb(h->srv, "/metrics", on_metrics, h);
    evhttp_set_gencb(h->srv, on_other, h);
    *out = h;
    return 0;
}

struct health *health_free(struct health *h)
{
    if (h) {
        if (h->srv)
            evhttp_free(h->srv);
        free(h);
    }
    return NULL;
}
