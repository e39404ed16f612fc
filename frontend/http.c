#include "http.h"

#include "config.h"
#include "db.h"
#include "err.h"
#include "fiber.h"
#include "inflight.h"
#include "keys.h"
#include "log.h"
#include "presign_fs.h"
#include "presign_http.h"
#include "server.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct http {
    struct event_base *base;
    struct evhttp *srv;
    pthread_t thread;
    bool running;
    const struct server *grpc;
    struct db db; /* owned by the HTTP thread once it runs */
    struct presign_http *presign;
};

static void reply(struct evhttp_request *req, int code, const char *reason, const char *type,
                  struct evbuffer *body)
{
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
    evhttp_send_reply(req, code, reason, body);
}

static void reply_text(struct evhttp_request *req, int code, const char *reason, const char *text)
{
    struct evbuffer *b = evbuffer_new();
    if (b)
        evbuffer_add_printf(b, "%s\n", text);
    reply(req, code, reason, "text/plain; charset=utf-8", b);
    evbuffer_free(b);
}

/* The probes and metrics are read-only: anything but GET/HEAD is 405. */
static bool read_only(struct evhttp_request *req)
{
    enum evhttp_cmd_type m = evhttp_request_get_command(req);
    if (m == EVHTTP_REQ_GET || m == EVHTTP_REQ_HEAD)
        return true;
    evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
    reply_text(req, 405, "Method Not Allowed", "method not allowed: use GET");
    return false;
}

static void on_healthz(struct evhttp_request *req, void *arg)
{
    if (!read_only(req))
        return;
    reply_text(req, 200, "OK", "ok");
}

static void on_readyz(struct evhttp_request *req, void *arg)
{
    struct http *h = arg;
    if (!read_only(req))
        return;
    if (h->grpc && server_draining(h->grpc)) {
        reply_text(req, 503, "Service Unavailable", "draining: the server is shutting down");
        return;
    }
    if (h->grpc && server_saturated(h->grpc)) {
        char msg[160];
        snprintf(msg, sizeof(msg), "saturated: %d streams open (server.max_streams %d)",
                 server_streams(h->grpc), h->db.cfg->server.max_streams);
        reply_text(req, 503, "Service Unavailable", msg);
        return;
    }
    int rc = db_cmd(&h->db, NULL, "PING", NULL);
    if (rc) {
        char msg[300];
        snprintf(msg, sizeof(msg), "not ready: %s", h->db.err);
        reply_text(req, 503, "Service Unavailable", msg);
        return;
    }
    reply_text(req, 200, "OK", "ready");
}

/* Backlog (entries in the stream: acknowledged ones are deleted) and jobs
 * delivered to a worker but not yet acknowledged: what an autoscaler needs. */
static void on_metrics(struct evhttp_request *req, void *arg)
{
    struct http *h = arg;
    if (!read_only(req))
        return;
    redisReply *len = NULL, *pend = NULL;
    int up = db_cmd(&h->db, &len, "XLEN", KEY_QUEUE, NULL) == 0 &&
             db_cmd(&h->db, &pend, "XPENDING", KEY_QUEUE, KEY_QUEUE_GROUP, NULL) == 0;
    long long backlog = up ? db_reply_int(len, 0) : 0;
    long long pending = 0;
    if (up && pend && pend->type == REDIS_REPLY_ARRAY && pend->elements > 0)
        pending = db_reply_int(pend->element[0], 0);
    struct evbuffer *b = evbuffer_new();
    if (b)
        evbuffer_add_printf(b,
                            "# HELP stage_redis_up 1 if the frontend reaches Redis.\n"
                            "# TYPE stage_redis_up gauge\nstage_redis_up %d\n"
                            "# HELP stage_queue_backlog Jobs in the queue stream not yet done.\n"
                            "# TYPE stage_queue_backlog gauge\nstage_queue_backlog %lld\n"
                            "# HELP stage_queue_pending Jobs delivered to a worker, not yet done.\n"
                            "# TYPE stage_queue_pending gauge\nstage_queue_pending %lld\n"
                            "# HELP stage_frontend_draining 1 while the frontend shuts down.\n"
                            "# TYPE stage_frontend_draining gauge\nstage_frontend_draining %d\n"
                            "# HELP stage_frontend_upload_inflight_bytes Upload bytes this "
                            "frontend put in Redis that no worker stored yet.\n"
                            "# TYPE stage_frontend_upload_inflight_bytes gauge\n"
                            "stage_frontend_upload_inflight_bytes %lld\n"
                            "# HELP stage_frontend_streams Streaming calls open on this "
                            "frontend (server.max_streams).\n"
                            "# TYPE stage_frontend_streams gauge\nstage_frontend_streams %d\n"
                            "# HELP stage_frontend_call_fibers Calls running as fibers on the "
                            "event loop (WatchJob streams need none).\n"
                            "# TYPE stage_frontend_call_fibers gauge\n"
                            "stage_frontend_call_fibers %ld\n",
                            up, backlog, pending, h->grpc && server_draining(h->grpc) ? 1 : 0,
                            inflight_total(), h->grpc ? server_streams(h->grpc) : 0, fiber_count());
    reply(req, 200, "OK", "text/plain; version=0.0.4", b);
    evbuffer_free(b);
    if (len)
        freeReplyObject(len);
    if (pend)
        freeReplyObject(pend);
}

static void on_other(struct evhttp_request *req, void *arg)
{
    struct http *h = arg;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    if (path && strncmp(path, PRESIGN_FS_PATH, strlen(PRESIGN_FS_PATH)) == 0) {
        presign_http_handle(h->presign, req);
        return;
    }
    if (!read_only(req))
        return;
    reply_text(req, 404, "Not Found", "not found: try /healthz, /readyz or /metrics");
}

static void *run(void *arg)
{
    struct http *h = arg;
    event_base_dispatch(h->base);
    return NULL;
}

int http_start(struct http **out, const struct config *cfg, const struct server *grpc, char *err,
               size_t errlen)
{
    char host[128];
    int port, rc = ST_ENOMEM;
    *out = NULL;
    if (config_split_addr(cfg->server.http_listen, host, sizeof(host), &port)) {
        snprintf(err, errlen, "server.http_listen '%s': expected host:port",
                 cfg->server.http_listen);
        return ST_EINVAL;
    }
    /* http_stop() breaks the loop from another thread. */
    evthread_use_pthreads();
    struct http *h = calloc(1, sizeof(*h));
    if (!h || !(h->base = event_base_new()) || !(h->srv = evhttp_new(h->base)))
        goto fail;
    h->grpc = grpc;
    db_init(&h->db, cfg);
    if (!(h->presign = presign_http_new(h->base, cfg)))
        goto fail;
    /* PUT: presigned uploads, whose body evhttp buffers up to this */
    evhttp_set_allowed_methods(h->srv, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                           EVHTTP_REQ_POST | EVHTTP_REQ_DELETE);
    evhttp_set_max_body_size(h->srv, (ev_ssize_t)cfg->server.presign_max_put_bytes);
    evhttp_set_cb(h->srv, "/healthz", on_healthz, h);
    evhttp_set_cb(h->srv, "/readyz", on_readyz, h);
    evhttp_set_cb(h->srv, "/metrics", on_metrics, h);
    evhttp_set_gencb(h->srv, on_other, h);
    if (evhttp_bind_socket(h->srv, host, (ev_uint16_t)port) != 0) {
        snprintf(err, errlen, "cannot listen on %s for HTTP", cfg->server.http_listen);
        rc = ST_EUNAVAIL;
        goto fail;
    }
    if (pthread_create(&h->thread, NULL, run, h) != 0)
        goto fail;
    h->running = true;
    *out = h;
    return 0;
fail:
    if (rc == ST_ENOMEM)
        snprintf(err, errlen, "out of memory starting the HTTP listener");
    http_stop(h);
    return rc;
}

struct http *http_stop(struct http *h)
{
    if (!h)
        return NULL;
    if (h->running) {
        presign_http_drain(h->presign, 5000); /* relays need the loop to answer */
        event_base_loopbreak(h->base);
        pthread_join(h->thread, NULL);
    }
    if (h->srv)
        evhttp_free(h->srv);
    if (h->base)
        event_base_free(h->base);
    if (h->db.cfg)
        db_cleanup(&h->db);
    presign_http_free(h->presign);
    free(h);
    return NULL;
}
