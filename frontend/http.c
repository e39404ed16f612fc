/* http.c - the HTTP side port on libmicrohttpd, driven by the loop (http.h). */
#include "http.h"

#include "config.h"
#include "db.h"
#include "err.h"
#include "fiber.h"
#include "inflight.h"
#include "keys.h"
#include "log.h"
#include "loop.h"
#include "presign_fs.h"
#include "pemfile.h"
#include "presign_http.h"
#include "promtext.h"
#include "rpcstats.h"
#include "rstats.h"
#include "server.h"
#include "tls.h"

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define STOP_WAIT_MS 8000      /* presigned transfers given to end at shutdown */
#define METRICS_MAX  (1 << 20) /* a scrape never takes more */

struct http {
    const struct config *cfg;
    const struct server *grpc;
    struct MHD_Daemon *d;
    struct event *io, *timer; /* loop thread */
    struct presign_http *presign;
    long probes;      /* probe fibers running (loop thread) */
    long busy;        /* probes + relays, as count_busy() last saw them */
    char *cert, *key; /* PEM, while the daemon runs (TLS) */
};

/* The one listener of the process, for http_resume(). */
static struct http *cur;

/* ------------------------------------------------------------ driving */

static unsigned conns(struct http *h)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return i ? i->num_connections : 0;
}

/* libmicrohttpd accepts a few connections per run, and puts its listening
 * socket back into its epoll set (after it was at
 * server.http_max_connections) only at the start of a run: run again while
 * the number of connections changes. The timer is at most a second away
 * either way, so nothing it meant to do waits longer. */
static void run(struct http *h)
{
    MHD_UNSIGNED_LONG_LONG ms = 1000;
    for (int i = 0; i < 16; i++) {
        unsigned before = conns(h);
        MHD_run(h->d);
        if (conns(h) == before)
            break;
    }
    if (MHD_get_timeout(h->d, &ms) != MHD_YES || ms > 1000)
        ms = 1000;
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    evtimer_add(h->timer, &tv);
}

static void on_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    run(arg);
}

void http_resume(struct MHD_Connection *conn)
{
    MHD_resume_connection(conn);
    if (cur && cur->timer) /* the ITC wakes epoll too; this makes it certain */
        event_active(cur->timer, EV_TIMEOUT, 0);
}

int http_answer_text(struct MHD_Connection *conn, int code, const char *allow, const char *text)
{
    char line[1024];
    int n = snprintf(line, sizeof(line), "%s\n", text);
    if (n >= (int)sizeof(line))
        n = (int)sizeof(line) - 1, line[n - 1] = '\n';
    struct MHD_Response *r =
        MHD_create_response_from_buffer((size_t)n, line, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return ST_ENOMEM;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)code, r);
    MHD_destroy_response(r);
    return ok == MHD_YES ? 0 : ST_ENOMEM;
}

int http_answerv(struct MHD_Connection *conn, int code, const char *allow, const char *fmt,
                 va_list ap)
{
    char text[1024];
    vsnprintf(text, sizeof(text), fmt, ap);
    return http_answer_text(conn, code, allow, text);
}

int http_answerf(struct MHD_Connection *conn, int code, const char *allow, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = http_answerv(conn, code, allow, fmt, ap);
    va_end(ap);
    return rc;
}

/* ------------------------------------------------------------ probes */

/* /readyz and /metrics ask Redis: a fiber does, with the connection
 * suspended, then queues the answer and resumes it. */
struct probe {
    struct http_ctx x; /* first */
    struct http *h;
    struct MHD_Connection *conn;
    bool metrics, fiber_done, completed;
};

static int readyz(struct http *h, struct db *db, char *out, size_t outlen)
{
    if (h->grpc && server_draining(h->grpc))
        return snprintf(out, outlen, "draining: the server is shutting down"), 503;
    if (h->grpc && server_saturated(h->grpc))
        return snprintf(out, outlen, "saturated: %d streams open (server.max_streams %d)",
                        server_streams(h->grpc), h->cfg->server.max_streams),
               503;
    if (db_cmd(db, NULL, "PING", NULL))
        return snprintf(out, outlen, "not ready: %s", db->err), 503;
    return snprintf(out, outlen, "ready"), 200;
}

/* Backlog (entries in the stream: acknowledged ones are deleted) and jobs
 * delivered to a worker but not yet acknowledged: what an autoscaler needs.
 * They are the cluster's, the same on every frontend: aggregate with max(),
 * not sum(). The rest is this frontend's own. */
static int metrics(struct http *h, struct db *db, struct promtext_buf *b)
{
    redisReply *len = NULL, *pend = NULL;
    int up = db_cmd(db, &len, "XLEN", KEY_QUEUE, NULL) == 0 &&
             db_cmd(db, &pend, "XPENDING", KEY_QUEUE, KEY_QUEUE_GROUP, NULL) == 0;
    long long backlog = up ? db_reply_int(len, 0) : 0;
    long long pending = 0;
    if (up && pend && pend->type == REDIS_REPLY_ARRAY && pend->elements > 0)
        pending = db_reply_int(pend->element[0], 0);
    if (len)
        freeReplyObject(len);
    if (pend)
        freeReplyObject(pend);
    static const struct {
        const char *name, *help;
    } g[] = {
        {"stage_redis_up", "1 if the frontend reaches Redis."},
        {"stage_queue_backlog",
         "Jobs in the queue stream not yet done (cluster-wide: aggregate with max)."},
        {"stage_queue_pending",
         "Jobs delivered to a worker, not yet done (cluster-wide: aggregate with max)."},
        {"stage_frontend_draining", "1 while the frontend shuts down."},
        {"stage_frontend_upload_inflight_bytes",
         "Upload bytes this frontend put in Redis that no worker stored yet."},
        {"stage_frontend_streams", "Streaming calls open on this frontend (server.max_streams)."},
        {"stage_frontend_call_fibers",
         "Calls running as fibers on the event loop (WatchJob streams need none)."},
        {"stage_frontend_presign_relays",
         "Presigned fs transfers being relayed (server.presign_relays)."},
    };
    double v[] = {up,
                  (double)backlog,
                  (double)pending,
                  h->grpc && server_draining(h->grpc) ? 1 : 0,
                  (double)inflight_total(),
                  h->grpc ? server_streams(h->grpc) : 0,
                  (double)fiber_count(),
                  presign_http_active(h->presign)};
    for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
        promtext_head(b, g[i].name, "gauge", g[i].help);
        promtext_value(b, g[i].name, NULL, v[i]);
    }
    rpcstats_render(b);
    rstats_render(b);
    return b->full ? 500 : 200;
}

static void probe_free(struct probe *p)
{
    p->h->probes--;
    free(p);
}

static void probe_main(void *arg)
{
    struct probe *p = arg;
    struct db db;
    struct promtext_buf b;
    char text[400];
    promtext_buf_init(&b, METRICS_MAX);
    db_init(&db, p->h->cfg);
    int code = p->metrics ? metrics(p->h, &db, &b) : readyz(p->h, &db, text, sizeof(text));
    db_cleanup(&db);
    if (p->completed) { /* only at shutdown: a suspended connection never ends */
        free(b.p);
        probe_free(p);
        return;
    }
    struct MHD_Response *r = NULL;
    if (p->metrics && code == 200)
        r = MHD_create_response_from_buffer(b.len, b.p, MHD_RESPMEM_MUST_COPY);
    if (r) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4");
        MHD_queue_response(p->conn, (unsigned)code, r);
        MHD_destroy_response(r);
    } else {
        http_answer_text(p->conn, code, NULL, p->metrics ? "metrics: out of memory" : text);
    }
    free(b.p);
    p->fiber_done = true;
    http_resume(p->conn);
}

static int probe_access(struct http_ctx *x, struct MHD_Connection *conn, const char *data,
                        size_t *size)
{
    (void)x, (void)conn, (void)data;
    *size = 0; /* a GET has no body worth reading; the answer is queued already */
    return MHD_YES;
}

static void probe_completed(struct http_ctx *x, int toe)
{
    struct probe *p = (struct probe *)x;
    (void)toe;
    if (p->fiber_done)
        probe_free(p);
    else
        p->completed = true; /* the fiber frees it */
}

static enum MHD_Result probe_start(struct http *h, struct MHD_Connection *conn, bool is_metrics,
                                   void **con_cls)
{
    struct probe *p = calloc(1, sizeof(*p));
    if (!p)
        return MHD_NO;
    p->x.access = probe_access;
    p->x.completed = probe_completed;
    p->h = h;
    p->conn = conn;
    p->metrics = is_metrics;
    h->probes++;
    *con_cls = p;
    MHD_suspend_connection(conn);
    if (loop_spawn(probe_main, p) != 0) { /* answered at once then */
        p->fiber_done = true;
        http_answer_text(conn, 503, NULL, "out of memory");
        http_resume(conn);
    }
    return MHD_YES;
}

/* ------------------------------------------------------------ routing */

static bool is_read(const char *method)
{
    return strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

/* The first call of a request, with its headers and no body byte read:
 * answer now (a body, if any, is then discarded and the connection closed)
 * or hand the request to a context that answers later. */
static enum MHD_Result route(struct http *h, struct MHD_Connection *conn, const char *url,
                             const char *method, void **con_cls)
{
    size_t plen = strlen(PRESIGN_FS_PATH);
    if (strncmp(url, PRESIGN_FS_PATH, plen) == 0)
        return presign_http_start(h->presign, conn, method, url + plen, con_cls) == 0 ? MHD_YES
                                                                                      : MHD_NO;
    bool known =
        strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0 || strcmp(url, "/metrics") == 0;
    if (known && !is_read(method))
        return http_answer_text(conn, 405, "GET, HEAD", "method not allowed: use GET") == 0
                   ? MHD_YES
                   : MHD_NO;
    if (!known)
        return http_answer_text(conn, 404, NULL, "not found: try /healthz, /readyz or /metrics") ==
                       0
                   ? MHD_YES
                   : MHD_NO;
    if (strcmp(url, "/healthz") == 0)
        return http_answer_text(conn, 200, NULL, "ok") == 0 ? MHD_YES : MHD_NO;
    return probe_start(h, conn, strcmp(url, "/metrics") == 0, con_cls);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *data,
                                 size_t *size, void **con_cls)
{
    (void)version;
    struct http_ctx *x = *con_cls;
    if (x)
        return x->access(x, conn, data, size) ? MHD_YES : MHD_NO;
    return route(cls, conn, url, method, con_cls);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)conn;
    struct http_ctx *x = *con_cls;
    *con_cls = NULL;
    if (x)
        x->completed(x, (int)toe);
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_debug("http: %s", msg); /* a client can make these at will */
}

/* ------------------------------------------------------------ start, stop */

/* Run fn(arg) on the loop and wait for it, up to `ms`. */
struct sync_call {
    loop_fn *fn;
    void *arg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
};

static void sync_run(void *arg)
{
    struct sync_call *s = arg;
    s->fn(s->arg);
    pthread_mutex_lock(&s->mu);
    s->done = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static bool on_loop(loop_fn *fn, void *arg, int ms)
{
    struct sync_call *s = calloc(1, sizeof(*s));
    struct timespec ts;
    if (!s)
        return false;
    s->fn = fn;
    s->arg = arg;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (loop_post(sync_run, s) != 0) {
        free(s);
        return false;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L)
        ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&s->mu);
    while (!s->done && pthread_cond_timedwait(&s->cv, &s->mu, &ts) == 0)
        ;
    bool done = s->done;
    pthread_mutex_unlock(&s->mu);
    if (!done) { /* it may still run: leave `s` to it (a leak at exit at worst) */
        log_warn("http: the event loop did not answer within %d ms", ms);
        return false;
    }
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
    return true;
}

static void attach(void *arg)
{
    struct http *h = arg;
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
    h->io = event_new(loop_base(), i ? i->epoll_fd : -1, EV_READ | EV_PERSIST, on_event, h);
    h->timer = evtimer_new(loop_base(), on_event, h);
    if (h->io && h->timer && event_add(h->io, NULL) == 0)
        run(h);
    else
        log_error("http: cannot attach the listener to the event loop");
}

static int bind_addr(const struct config *cfg, struct sockaddr_storage *sa, char *err,
                     size_t errlen)
{
    char host[128], port_s[16];
    int port;
    struct addrinfo hints = {0}, *ai = NULL;
    if (config_split_addr(cfg->server.http_listen, host, sizeof(host), &port)) {
        snprintf(err, errlen, "server.http_listen '%s': expected host:port",
                 cfg->server.http_listen);
        return ST_EINVAL;
    }
    snprintf(port_s, sizeof(port_s), "%d", port);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    if (getaddrinfo(host[0] ? host : NULL, port_s, &hints, &ai) != 0 || !ai) {
        snprintf(err, errlen, "server.http_listen '%s': cannot resolve '%s'",
                 cfg->server.http_listen, host);
        return ST_EINVAL;
    }
    memcpy(sa, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    return 0;
}

int http_start(struct http **out, const struct config *cfg, const struct server *grpc, char *err,
               size_t errlen)
{
    struct sockaddr_storage sa = {0};
    *out = NULL;
    int rc = bind_addr(cfg, &sa, err, errlen);
    if (rc)
        return rc;
    struct http *h = calloc(1, sizeof(*h));
    if (!h || !(h->presign = presign_http_new(cfg))) {
        snprintf(err, errlen, "out of memory starting the HTTP listener");
        free(h);
        return ST_ENOMEM;
    }
    h->cfg = cfg;
    h->grpc = grpc;
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (sa.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (tls_enabled(cfg) && (pemfile_read(cfg->server.tls_cert_file, &h->cert, err, errlen) ||
                             pemfile_read(cfg->server.tls_key_file, &h->key, err, errlen))) {
        http_stop(h);
        return ST_EINVAL;
    }
    if (h->cert)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_log, h},
        {MHD_OPTION_SOCK_ADDR, 0, &sa},
        {MHD_OPTION_CONNECTION_LIMIT, cfg->server.http_max_connections, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, cfg->server.http_timeout_s, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, h},
        {h->cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, h->cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, h->key},
        {MHD_OPTION_END, 0, NULL},
    };
    h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_access, h, MHD_OPTION_ARRAY, opts,
                            MHD_OPTION_END);
    if (!h->d) {
        snprintf(err, errlen, "cannot listen on %s for HTTP%s", cfg->server.http_listen,
                 h->cert ? "S (or the certificate is not usable)" : "");
        http_stop(h);
        return ST_EUNAVAIL;
    }
    cur = h;
    if (!on_loop(attach, h, 5000) || !h->io || !h->timer) {
        snprintf(err, errlen, "cannot attach the HTTP listener to the event loop");
        http_stop(h);
        return ST_ENOMEM;
    }
    *out = h;
    return 0;
}

static void stop_begin(void *arg)
{
    presign_http_stop(((struct http *)arg)->presign);
}

static void count_busy(void *arg)
{
    struct http *h = arg;
    h->busy = presign_http_active(h->presign) + h->probes;
}

static void detach(void *arg)
{
    struct http *h = arg;
    if (h->io)
        event_free(h->io);
    if (h->timer)
        event_free(h->timer);
    h->io = h->timer = NULL;
    /* a fiber still holding a suspended connection makes stopping the
     * daemon undefined: leave it to the exit then */
    if (presign_http_active(h->presign) == 0 && h->probes == 0)
        MHD_stop_daemon(h->d);
    else
        log_warn("http: %d presigned transfer(s) still running at shutdown",
                 presign_http_active(h->presign));
    h->d = NULL;
}

struct http *http_stop(struct http *h)
{
    if (!h)
        return NULL;
    if (h->d) {
        on_loop(stop_begin, h, 1000);
        for (int waited = 0; waited < STOP_WAIT_MS; waited += 20) {
            if (on_loop(count_busy, h, 1000) && h->busy == 0)
                break; /* on_loop()'s lock orders the read after the write */
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
        }
        on_loop(detach, h, 5000);
    }
    cur = NULL;
    presign_http_free(h->presign);
    free(h->cert);
    if (h->key)
        memset(h->key, 0, strlen(h->key));
    free(h->key);
    free(h);
    return NULL;
}
