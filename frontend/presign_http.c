/* presign_http.c - presigned fs GET/PUT on the HTTP listener (see
 * presign_http.h). One relay per request: the loop thread (L) owns the
 * evhttp request; the relay thread (T) owns its Redis connection and posts
 * struct msg to L, which sends. */
#include "presign_http.h"

#include "auth.h"
#include "authz.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "httphdr.h"
#include "job.h"
#include "jobs.h"
#include "keys.h"
#include "log.h"
#include "pipe.h"
#include "presign_fs.h"
#include "stage.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STALL_S 60 /* no progress of the job for this long: give up */

struct presign_http {
    struct event_base *base;
    const struct config *cfg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int active; /* relays not yet freed (under mu) */
    bool stopping;
};

struct relay {
    struct presign_http *p;
    struct evhttp_request *req;     /* L only */
    struct evhttp_connection *conn; /* L only; NULL once closed */
    char *token;
    bool put;
    char req_type[128];    /* PUT: the request's Content-Type */
    struct evbuffer *body; /* PUT: the body, moved out of the request on L */
    struct db db;          /* T only */
    struct job j;          /* T only */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool flushed, closed; /* under mu */
    struct msg *final;    /* T: the last message, posted once T is done with `r` */
};

enum msg_kind { M_FULL, M_START, M_CHUNK, M_END };

struct msg {
    struct relay *r;
    enum msg_kind kind;
    int code;
    long long length;   /* M_START: Content-Length */
    char ctype[128];    /* M_FULL, M_START */
    char allow[8];      /* M_FULL 405: Allow */
    struct evbuffer *b; /* body (M_FULL) or chunk (M_CHUNK) */
};

/* ------------------------------------------------------------ loop side */

static void relay_free(struct relay *r)
{
    struct presign_http *p = r->p;
    if (r->conn)
        evhttp_connection_set_closecb(r->conn, NULL, NULL);
    if (r->body)
        evbuffer_free(r->body);
    free(r->token);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
    pthread_mutex_lock(&p->mu);
    p->active--;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void on_closed(struct evhttp_connection *conn, void *arg)
{
    struct relay *r = arg;
    r->conn = NULL; /* evhttp frees it; the request stays ours to end */
    pthread_mutex_lock(&r->mu);
    r->closed = true;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static void on_flushed(struct evhttp_connection *conn, void *arg)
{
    struct relay *r = arg;
    pthread_mutex_lock(&r->mu);
    r->flushed = true;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static const char *reason_of(int code)
{
    switch (code) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Internal Server Error";
    }
}

static void on_msg(evutil_socket_t fd, short what, void *arg)
{
    struct msg *m = arg;
    struct relay *r = m->r;
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
    char len[24];
    switch (m->kind) {
    case M_FULL:
        evhttp_add_header(h, "Content-Type", m->ctype);
        if (m->allow[0])
            evhttp_add_header(h, "Allow", m->allow);
        evhttp_send_reply(r->req, m->code, reason_of(m->code), m->b);
        relay_free(r); /* evhttp frees the request */
        break;
    case M_START:
        snprintf(len, sizeof(len), "%lld", m->length);
        evhttp_add_header(h, "Content-Type", m->ctype);
        evhttp_add_header(h, "Content-Length", len);
        evhttp_send_reply_start(r->req, m->code, reason_of(m->code));
        break;
    case M_CHUNK: /* after a close this does nothing and on_flushed never comes */
        evhttp_send_reply_chunk_with_cb(r->req, m->b, on_flushed, r);
        break;
    case M_END:
        evhttp_send_reply_end(r->req);
        relay_free(r);
        break;
    }
    if (m->b)
        evbuffer_free(m->b);
    free(m);
}

/* ------------------------------------------------------------ relay side */

static void post(struct relay *r, struct msg *m)
{
    static const struct timeval zero = {0, 0};
    m->r = r;
    if (event_base_once(r->p->base, -1, EV_TIMEOUT, on_msg, m, &zero) != 0)
        log_error("presign: cannot hand a reply to the HTTP loop; the request hangs");
}

/* Keep the last message of the relay: relay_main() posts it when it no
 * longer touches `r` (L frees `r` when it handles it). */
static void set_final(struct relay *r, struct msg *m)
{
    if (!r->final) {
        r->final = m;
        return;
    }
    if (m->b)
        evbuffer_free(m->b);
    free(m);
}

/* The final answer with a text body. */
static void answer(struct relay *r, int code, const char *allow, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void answer(struct relay *r, int code, const char *allow, const char *fmt, ...)
{
    struct msg *m = calloc(1, sizeof(*m));
    va_list ap;
    if (!m)
        return; /* relay_main() says so */
    m->kind = M_FULL;
    m->code = code;
    snprintf(m->ctype, sizeof(m->ctype), "text/plain; charset=utf-8");
    snprintf(m->allow, sizeof(m->allow), "%s", allow ? allow : "");
    if ((m->b = evbuffer_new())) {
        va_start(ap, fmt);
        evbuffer_add_vprintf(m->b, fmt, ap);
        va_end(ap);
        evbuffer_add(m->b, "\n", 1);
    }
    set_final(r, m);
}

static int http_code(int rc)
{
    switch (rc) {
    case ST_EINVAL:
        return 400;
    case ST_ENOTFOUND:
        return 404;
    case ST_EEXIST:
        return 409;
    case ST_EPERM:
    case ST_EAUTH:
        return 403;
    case ST_EPRECOND:
        return 502;
    case ST_ELIMIT:
    case ST_EUNAVAIL:
    case ST_EAGAIN:
        return 503;
    case ST_ETIMEOUT:
        return 504;
    default:
        return 500;
    }
}

static bool gone(struct relay *r)
{
    pthread_mutex_lock(&r->mu);
    bool g = r->closed;
    pthread_mutex_unlock(&r->mu);
    pthread_mutex_lock(&r->p->mu);
    g = g || r->p->stopping;
    pthread_mutex_unlock(&r->p->mu);
    return g;
}

typedef bool(ready_fn)(const struct job *j, long arg);

static bool has_total(const struct job *j, long arg)
{
    return j->parts_total >= 0;
}
static bool part_ready(const struct job *j, long n)
{
    return j->parts_ready > n;
}
static bool window_open(const struct job *j, long n)
{
    return n - j->parts_done < j->window;
}
static bool ended(const struct job *j, long arg)
{
    return job_state_terminal(j->state);
}

/* Re-read the job on every wake-up until ready. 0; ST_EPRECOND (it ended
 * first, unless ready(SUCCEEDED)); ST_ECANCELLED (client gone, stopping);
 * ST_ETIMEOUT (no progress for STALL_S); or a Redis error. */
static int wait_job(struct relay *r, ready_fn *ready, long arg)
{
    time_t last = time(NULL);
    int64_t seen = -1;
    for (;;) {
        struct job *j = &r->j;
        bool ok = ready(j, arg);
        if (ok && !(job_state_terminal(j->state) && j->state != JOB_SUCCEEDED))
            return 0;
        if (job_state_terminal(j->state))
            return ST_EPRECOND;
        if (gone(r))
            return ST_ECANCELLED;
        if (j->parts_done + j->parts_ready + j->state != seen) {
            seen = j->parts_done + j->parts_ready + j->state;
            last = time(NULL);
        } else if (time(NULL) - last > STALL_S) {
            return ST_ETIMEOUT;
        }
        int rc = jobs_wait(&r->db, j->id);
        if (!rc)
            rc = jobs_get(&r->db, j->id, j);
        if (rc)
            return rc;
    }
}

/* End a relay whose job broke with `rc`: fail the job if it still runs,
 * answer with the job's own outcome if it ended first. */
static void relay_broke(struct relay *r, int rc, const char *what)
{
    struct job *j = &r->j;
    if (rc == ST_EPRECOND) {
        answer(r, http_code(st_err_from_status_name(j->error_code)), NULL, "%s", j->error_message);
        return;
    }
    const char *why = rc == ST_ECANCELLED ? "the HTTP client went away or the server stops"
                                          : (r->db.err[0] ? r->db.err : st_strerror(rc));
    char msg[400];
    snprintf(msg, sizeof(msg), "presigned %s of '%.160s' interrupted: %.200s", what, j->location,
             why);
    jobs_fail(&r->db, r->p->cfg, j->id, rc, msg, true);
    answer(r, http_code(rc), NULL, "%s", msg);
}

/* ---- GET */

/* Send part n as one chunk and wait until it left (or the client did). */
static int send_part(struct relay *r, long n)
{
    char key[KEY_MAX];
    redisReply *rep = NULL;
    keys_job_part(key, sizeof(key), r->j.id, n);
    int rc = db_cmd(&r->db, &rep, "GET", key, NULL);
    if (rc)
        return rc;
    struct msg *m = calloc(1, sizeof(*m));
    if (!m || !(m->b = evbuffer_new()) ||
        (rep->type == REDIS_REPLY_STRING && evbuffer_add(m->b, rep->str, rep->len) != 0)) {
        freeReplyObject(rep);
        free(m);
        return ST_ENOMEM;
    }
    freeReplyObject(rep);
    m->kind = M_CHUNK;
    pthread_mutex_lock(&r->mu);
    r->flushed = false;
    pthread_mutex_unlock(&r->mu);
    post(r, m);
    pthread_mutex_lock(&r->mu);
    while (!r->flushed && !r->closed) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&r->cv, &r->mu, &ts);
        if (!r->flushed && !r->closed && gone(r))
            break;
    }
    bool sent = r->flushed;
    pthread_mutex_unlock(&r->mu);
    return sent ? jobs_part_done(&r->db, r->j.id, n) : ST_ECANCELLED;
}

static void relay_get(struct relay *r, const struct presign_claims *cl)
{
    struct job *j = &r->j;
    char err[400];
    j->kind = JOB_DOWNLOAD;
    j->part_size = r->p->cfg->upload.part_size;
    j->window = r->p->cfg->upload.window;
    int rc = jobs_create(&r->db, r->p->cfg, j, err, sizeof(err));
    if (rc) {
        answer(r, http_code(rc), NULL, "%s", err);
        return;
    }
    rc = wait_job(r, has_total, 0);
    if (rc) {
        relay_broke(r, rc, "download");
        return;
    }
    struct msg *m = calloc(1, sizeof(*m));
    if (!m) {
        relay_broke(r, ST_ENOMEM, "download");
        return;
    }
    m->kind = M_START;
    m->code = 200;
    m->length = j->file_size;
    snprintf(m->ctype, sizeof(m->ctype), "%s",
             cl->content_type[0] ? cl->content_type : "application/octet-stream");
    post(r, m);
    for (long n = 0; !rc && n < j->parts_total; n++) {
        rc = wait_job(r, part_ready, n);
        if (!rc)
            rc = send_part(r, n);
    }
    if (rc) { /* the status line is out: all we can do is cut the body short */
        char msg[200];
        snprintf(msg, sizeof(msg), "presigned download interrupted: %s",
                 rc == ST_ECANCELLED ? "the HTTP client went away or the server stops"
                                     : st_strerror(rc));
        jobs_fail(&r->db, r->p->cfg, j->id, rc, msg, true);
    }
    if ((m = calloc(1, sizeof(*m)))) {
        m->kind = M_END;
        set_final(r, m);
    }
}

/* ---- PUT */

static int put_part(struct relay *r, long n, size_t len, char *buf)
{
    struct pipe_cmds p;
    int rc = wait_job(r, window_open, n);
    if (rc)
        return rc;
    evbuffer_remove(r->body, buf, len);
    rc = pipe_put(&p, r->j.id, n, buf, len);
    if (!rc)
        rc = db_send_pipe(&r->db, &p);
    if (!rc)
        rc = pipe_ready(&p, r->j.id, n + 1, false, 0);
    return rc ? rc : db_send_pipe(&r->db, &p);
}

static int put_parts(struct relay *r)
{
    struct job *j = &r->j;
    struct pipe_cmds p;
    long long size = j->bytes_total, ps = j->part_size;
    long total = (long)((size + ps - 1) / ps);
    char *buf = total ? malloc((size_t)(size < ps ? size : ps)) : NULL;
    int rc = total && !buf ? ST_ENOMEM : 0;
    for (long n = 0; !rc && n < total; n++) {
        long long left = size - (long long)n * ps;
        rc = put_part(r, n, (size_t)(left < ps ? left : ps), buf);
    }
    free(buf);
    if (!rc) /* the end, published like every part (the worker may be waiting) */
        rc = pipe_ready(&p, j->id, total, true, size);
    return rc ? rc : db_send_pipe(&r->db, &p);
}

static void relay_put(struct relay *r, const struct presign_claims *cl)
{
    struct job *j = &r->j;
    char err[400];
    if (httphdr_content_type_check(r->req_type, "Content-Type", err, sizeof(err))) {
        answer(r, 400, NULL, "%s", err);
        return;
    }
    if (cl->content_type[0] && r->req_type[0] && strcmp(cl->content_type, r->req_type) != 0) {
        answer(r, 400, NULL, "Content-Type '%s' is not the signed one ('%s') for '%s'", r->req_type,
               cl->content_type, cl->location);
        return;
    }
    j->kind = JOB_UPLOAD;
    j->part_size = r->p->cfg->upload.part_size;
    j->window = r->p->cfg->upload.window;
    j->overwrite = 1; /* a PUT replaces, as on S3 */
    j->bytes_total = (int64_t)evbuffer_get_length(r->body);
    snprintf(j->content_type, sizeof(j->content_type), "%s",
             cl->content_type[0] ? cl->content_type : r->req_type);
    int rc = jobs_create(&r->db, r->p->cfg, j, err, sizeof(err));
    if (rc) {
        answer(r, http_code(rc), NULL, "%s", err);
        return;
    }
    rc = put_parts(r);
    if (!rc)
        rc = wait_job(r, ended, 0);
    if (rc) {
        relay_broke(r, rc, "upload");
        return;
    }
    answer(r, 200, NULL, "{\"job_id\": \"%s\", \"location\": \"%s\", \"size\": %lld}", j->id,
           j->location, (long long)j->bytes_total);
}

/* ---- both */

/* The URL's claims, checked: signature, expiry, method, user, privilege. */
static int check(struct relay *r, struct presign_claims *cl)
{
    unsigned char key[AUTH_PRESIGN_KEY_BYTES];
    char err[600];
    bool admin = false;
    long long gen = 0;
    auth_presign_key(key);
    int rc = presign_fs_verify(key, sizeof(key), r->token, (long long)time(NULL), cl);
    memset(key, 0, sizeof(key));
    if (rc == ST_ETIMEOUT)
        return answer(r, 403, NULL, "presigned URL expired"), rc;
    if (rc)
        return answer(r, 403, NULL, "presigned URL is invalid (bad signature)"), rc;
    if (cl->put != r->put)
        return answer(r, 405, cl->put ? "PUT" : "GET", "this presigned URL is for %s of '%s'",
                      cl->put ? "PUT" : "GET", cl->location),
               ST_EINVAL;
    rc = auth_user_info(&r->db, cl->user, &admin, &gen);
    if (rc == ST_ENOTFOUND || (!rc && gen != cl->gen))
        return answer(r, 403, NULL, "presigned URL revoked: user '%s' was dropped or changed",
                      cl->user),
               ST_EPERM;
    if (rc)
        return answer(r, 503, NULL, "%s", r->db.err), rc;
    job_init(&r->j);
    snprintf(r->j.user, sizeof(r->j.user), "%s", cl->user);
    struct stage_who who = {&r->db, cl->user, admin};
    rc = stage_locate_as(&who, cl->location, true, r->put ? AUTHZ_WRITE : AUTHZ_READ, &r->j, err,
                         sizeof(err));
    if (rc)
        answer(r, http_code(rc), NULL, "%s", err);
    return rc;
}

static void *relay_main(void *arg)
{
    struct relay *r = arg;
    static __thread struct presign_claims cl;
    db_init(&r->db, r->p->cfg);
    if (check(r, &cl) == 0) {
        log_info("presign %s %s user=%s", r->put ? "PUT" : "GET", cl.location, cl.user);
        if (r->put)
            relay_put(r, &cl);
        else
            relay_get(r, &cl);
    }
    db_cleanup(&r->db);
    if (!r->final) /* out of memory on the way */
        answer(r, 500, NULL, "out of memory");
    if (r->final)
        post(r, r->final); /* `r` is L's from here on */
    else
        log_error("presign: out of memory for a reply; the request hangs");
    return NULL;
}

/* ------------------------------------------------------------ entry */

static void reply_now(struct evhttp_request *req, int code, const char *text)
{
    struct evbuffer *b = evbuffer_new();
    if (b)
        evbuffer_add_printf(b, "%s\n", text);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; charset=utf-8");
    evhttp_send_reply(req, code, reason_of(code), b);
    if (b)
        evbuffer_free(b);
}

static bool take_slot(struct presign_http *p)
{
    pthread_mutex_lock(&p->mu);
    bool ok = !p->stopping && p->active < p->cfg->server.presign_relays;
    if (ok)
        p->active++;
    pthread_mutex_unlock(&p->mu);
    return ok;
}

static struct relay *relay_new(struct presign_http *p, struct evhttp_request *req)
{
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    struct relay *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->p = p;
    r->req = req;
    r->conn = evhttp_request_get_connection(req);
    r->put = evhttp_request_get_command(req) == EVHTTP_REQ_PUT;
    r->token = strdup(path + strlen(PRESIGN_FS_PATH));
    r->body = evbuffer_new();
    snprintf(r->req_type, sizeof(r->req_type), "%s", ct ? ct : "");
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    if (!r->token || !r->body) {
        free(r->token);
        if (r->body)
            evbuffer_free(r->body);
        free(r);
        return NULL;
    }
    evbuffer_add_buffer(r->body, evhttp_request_get_input_buffer(req)); /* moves, no copy */
    return r;
}

void presign_http_handle(struct presign_http *p, struct evhttp_request *req)
{
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_PUT) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, PUT");
        reply_now(req, 405, "presigned URLs take GET (download) or PUT (upload)");
        return;
    }
    if (!take_slot(p)) {
        reply_now(req, 503, "too many presigned transfers at once (server.presign_relays); retry");
        return;
    }
    struct relay *r = relay_new(p, req);
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    if (!r || pthread_create(&t, &a, relay_main, r) != 0) {
        pthread_attr_destroy(&a);
        reply_now(req, 503, "cannot start a presigned transfer (out of memory or threads)");
        if (r) {
            r->conn = NULL;
            relay_free(r);
        } else {
            pthread_mutex_lock(&p->mu);
            p->active--;
            pthread_mutex_unlock(&p->mu);
        }
        return;
    }
    pthread_attr_destroy(&a);
    if (r->conn)
        evhttp_connection_set_closecb(r->conn, on_closed, r);
}

struct presign_http *presign_http_new(struct event_base *base, const struct config *cfg)
{
    struct presign_http *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->base = base;
    p->cfg = cfg;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    return p;
}

void presign_http_drain(struct presign_http *p, int ms)
{
    struct timespec ts;
    if (!p)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    while (p->active > 0 && pthread_cond_timedwait(&p->cv, &p->mu, &ts) == 0)
        ;
    if (p->active > 0)
        log_warn("presign: %d relay(s) still running at shutdown", p->active);
    pthread_mutex_unlock(&p->mu);
}

struct presign_http *presign_http_free(struct presign_http *p)
{
    if (!p)
        return NULL;
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
    return NULL;
}
