/* presign_http.c - presigned fs GET/PUT on the HTTP listener (see
 * presign_http.h). One relay per request: libmicrohttpd's callbacks (the
 * connection side) and the relay's fiber (the Redis side) share it on the
 * loop thread and hand over with suspend/resume and loop_wake(). */
#include "presign_http.h"

#include "alive.h"
#include "auth.h"
#include "authz.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "http.h"
#include "httphdr.h"
#include "job.h"
#include "jobs.h"
#include "keys.h"
#include "log.h"
#include "loop.h"
#include "pipe.h"
#include "presign_fs.h"
#include "squota.h"
#include "stage.h"
#include "xfer.h"

#include <hiredis/hiredis.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STALL_S      60    /* no progress of the job or the client for this long: give up */
#define SEND_BLOCK   65536 /* bytes libmicrohttpd asks the GET reader for at once */
#define CONN_WAIT_MS 1000  /* the fiber looks at the stop flag this often */

struct presign_http {
    const struct config *cfg;
    int active; /* relays whose fiber runs */
    bool stopping;
    struct relay *list; /* those relays */
};

struct relay {
    struct http_ctx x; /* first: http.c's view */
    struct presign_http *p;
    struct relay *prev, *next;   /* p->list while the fiber runs */
    struct MHD_Connection *conn; /* NULL once the request ended */
    bool put;
    bool suspended; /* by a callback, until the fiber resumes it */
    bool receiving; /* PUT: the access calls may bring body bytes */
    bool eof;       /* PUT: the whole body arrived */
    bool failed;    /* the fiber gave up: close at the next callback */
    bool fiber_done;
    long long moved;    /* bytes in or out, for the stall check */
    long long length;   /* PUT: Content-Length */
    long long received; /* PUT: body bytes taken */
    char req_type[128];
    struct waiter *w;        /* the fiber, while it waits on the connection side */
    char *buf;               /* PUT: the part being filled */
    size_t want, have;       /* PUT: bytes of this part, bytes in buf */
    struct redisReply *part; /* GET: the part being sent */
    size_t off;              /* GET: bytes of it handed out */
    struct db db;
    struct job j;
    struct presign_claims cl;
};

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

/* ------------------------------------------------------------ connection side */

static void wake(struct relay *r)
{
    if (r->w)
        loop_wake(r->w);
}

static void hand_over(struct relay *r)
{
    MHD_suspend_connection(r->conn);
    r->suspended = true;
    wake(r);
}

/* PUT body bytes, then one call with *size 0 at the end of the body. */
static int relay_access(struct http_ctx *x, struct MHD_Connection *conn, const char *data,
                        size_t *size)
{
    struct relay *r = (struct relay *)x;
    (void)conn;
    if (r->failed || r->fiber_done || !r->receiving)
        return MHD_NO; /* closes the connection */
    if (*size == 0) {
        /* also called so after a resume in the middle of the body */
        if (r->received < r->length)
            return MHD_YES;
        r->eof = true;
        hand_over(r);
        return MHD_YES;
    }
    size_t n = r->want - r->have < *size ? r->want - r->have : *size;
    if (n == 0) { /* more body than Content-Length said: libmicrohttpd stops that */
        hand_over(r);
        return MHD_YES;
    }
    memcpy(r->buf + r->have, data, n);
    r->have += n;
    r->moved += (long long)n;
    r->received += (long long)n;
    *size -= n; /* the rest stays with libmicrohttpd until the next call */
    if (r->have == r->want)
        hand_over(r);
    return MHD_YES;
}

/* GET: libmicrohttpd asks for the next bytes of the body. */
static ssize_t relay_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct relay *r = cls;
    (void)pos;
    if (r->failed)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t len = r->part ? r->part->len : 0;
    if (r->part && r->off < len) {
        size_t n = len - r->off < max ? len - r->off : max;
        memcpy(buf, r->part->str + r->off, n);
        r->off += n;
        r->moved += (long long)n;
        if (r->off == len)
            wake(r);
        return (ssize_t)n;
    }
    if (r->fiber_done)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    hand_over(r); /* nothing to send: wait for the fiber's next part */
    return 0;
}

static void relay_free(struct relay *r)
{
    if (r->part)
        freeReplyObject(r->part);
    free(r->buf);
    free(r);
}

static void relay_completed(struct http_ctx *x, int toe)
{
    struct relay *r = (struct relay *)x;
    (void)toe;
    r->conn = NULL;
    r->suspended = false;
    if (r->fiber_done)
        relay_free(r);
    else
        wake(r); /* it frees `r` */
}

/* ------------------------------------------------------------ fiber side */

static bool gone(const struct relay *r)
{
    return !r->conn || r->p->stopping;
}

/* Give the connection back to libmicrohttpd. */
static void resume(struct relay *r)
{
    if (r->conn && r->suspended) {
        r->suspended = false;
        http_resume(r->conn);
    }
}

/* The final answer with a text body: queued on the suspended connection;
 * on one that streams (a GET's body is going out, a PUT's coming in) the
 * connection is closed instead. */
static void answer(struct relay *r, int code, const char *allow, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void answer(struct relay *r, int code, const char *allow, const char *fmt, ...)
{
    r->failed = code != 200;
    if (r->conn && r->suspended) {
        va_list ap;
        va_start(ap, fmt);
        http_answerv(r->conn, code, allow, fmt, ap); /* refused once a reply is queued */
        va_end(ap);
    }
    resume(r);
}

typedef bool(conn_ready_fn)(const struct relay *r);

static bool part_full(const struct relay *r)
{
    return r->have == r->want || r->eof;
}

static bool body_ended(const struct relay *r)
{
    return r->eof;
}

static bool part_sent(const struct relay *r)
{
    return !r->part || r->off >= r->part->len;
}

/* Wait for the connection side: 0 when ready(r); ST_ECANCELLED when the
 * request ended or the server stops; ST_ETIMEOUT after STALL_S without a
 * byte moving (libmicrohttpd closes an idle connection sooner:
 * server.http_timeout_s). */
static int wait_conn(struct relay *r, conn_ready_fn *ready)
{
    time_t last = time(NULL);
    long long seen = r->moved;
    while (!ready(r)) {
        if (gone(r))
            return ST_ECANCELLED;
        if (r->moved != seen) {
            seen = r->moved;
            last = time(NULL);
        } else if (time(NULL) - last > STALL_S) {
            return ST_ETIMEOUT;
        }
        struct waiter w = {0};
        r->w = &w;
        loop_wait(&w, CONN_WAIT_MS);
        r->w = NULL;
    }
    return 0;
}

/* Re-read the job on every wake-up until ready. 0; ST_EPRECOND (it ended
 * first, unless ready(SUCCEEDED)); ST_ECANCELLED (client gone, stopping);
 * ST_ETIMEOUT (no progress for STALL_S); or a Redis error. */
static int wait_job(struct relay *r, xfer_ready_fn *ready, long arg)
{
    time_t last = time(NULL);
    int64_t seen = -1;
    struct job *j = &r->j;
    for (;;) {
        bool failed = job_state_terminal(j->state) && j->state != JOB_SUCCEEDED;
        if (ready(j, arg) && !failed)
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

/* End a relay whose transfer broke with `rc`: fail the job if it still
 * runs, answer with the job's own outcome if it ended first. */
static void relay_broke(struct relay *r, int rc, const char *what)
{
    struct job *j = &r->j;
    if (rc == ST_EPRECOND) {
        answer(r, http_code(st_err_from_status_name(j->error_code)), NULL, "%s", j->error_message);
        return;
    }
    const char *why = rc == ST_ECANCELLED ? "the HTTP client went away or the server stops"
                      : rc == ST_ETIMEOUT ? "no progress for 60 s"
                                          : (r->db.err[0] ? r->db.err : st_strerror(rc));
    char msg[400];
    snprintf(msg, sizeof(msg), "presigned %s of '%.160s' interrupted: %.200s", what, j->location,
             why);
    jobs_fail(&r->db, r->p->cfg, j->id, rc, msg, true);
    answer(r, r->p->stopping ? 503 : http_code(rc), NULL, "%s", msg);
}

/* ---- GET */

static int start_reply(struct relay *r)
{
    struct MHD_Response *resp = MHD_create_response_from_callback((uint64_t)r->j.file_size,
                                                                  SEND_BLOCK, relay_read, r, NULL);
    if (!resp)
        return ST_ENOMEM;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            r->cl.content_type[0] ? r->cl.content_type
                                                  : "application/octet-stream");
    enum MHD_Result ok = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ok == MHD_YES ? 0 : ST_ENOMEM;
}

/* Fetch part n, let the reader send it, mark it consumed. */
static int send_part(struct relay *r, long n)
{
    char key[KEY_MAX];
    keys_job_part(key, sizeof(key), r->j.id, n);
    int rc = db_cmd(&r->db, &r->part, "GET", key, NULL);
    if (rc)
        return rc;
    if (r->part->type != REDIS_REPLY_STRING) {
        snprintf(r->db.err, sizeof(r->db.err), "part %ld of job %s is missing in Redis", n,
                 r->j.id);
        return ST_EINTERNAL;
    }
    r->off = 0;
    resume(r); /* the reader waits for it */
    rc = wait_conn(r, part_sent);
    freeReplyObject(r->part);
    r->part = NULL;
    return rc ? rc : jobs_part_done(&r->db, r->j.id, n);
}

static void relay_get(struct relay *r)
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
    rc = wait_job(r, xfer_has_total, 0);
    if (!rc)
        rc = gone(r) ? ST_ECANCELLED : start_reply(r);
    if (rc) {
        relay_broke(r, rc, "download");
        return;
    }
    /* the status line goes out with the first bytes: from here a failure
     * can only cut the body short */
    for (long n = 0; !rc && n < j->parts_total; n++) {
        rc = wait_job(r, xfer_part_ready, n);
        if (!rc)
            rc = send_part(r, n);
    }
    if (rc) {
        char msg[200];
        snprintf(msg, sizeof(msg), "presigned download interrupted: %s",
                 rc == ST_ECANCELLED ? "the HTTP client went away or the server stops"
                                     : st_strerror(rc));
        jobs_fail(&r->db, r->p->cfg, j->id, rc, msg, true);
        r->failed = true;
    }
    resume(r);
}

/* ---- PUT */

/* Take part n (`len` bytes) from the connection and store it. */
static int put_part(struct relay *r, long n, size_t len)
{
    struct pipe_cmds p;
    r->want = len;
    r->have = 0;
    resume(r);
    int rc = wait_conn(r, part_full);
    if (!rc && r->have != len) {
        snprintf(r->db.err, sizeof(r->db.err), "the body ended after %lld of %lld bytes",
                 (long long)n * r->j.part_size + (long long)r->have, r->length);
        rc = ST_EINVAL;
    }
    if (!rc) /* the connection stays suspended while the window is full */
        rc = wait_job(r, xfer_window_open, n);
    if (!rc)
        rc = pipe_put(&p, r->j.id, n, r->buf, len);
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
    long long size = r->length, ps = j->part_size;
    long total = (long)((size + ps - 1) / ps);
    int rc = total && !(r->buf = malloc((size_t)(size < ps ? size : ps))) ? ST_ENOMEM : 0;
    for (long n = 0; !rc && n < total; n++) {
        long long left = size - (long long)n * ps;
        rc = put_part(r, n, (size_t)(left < ps ? left : ps));
    }
    free(r->buf);
    r->buf = NULL;
    r->want = r->have = 0;
    if (!rc) { /* the end of the body comes as one more access call */
        resume(r);
        rc = wait_conn(r, body_ended);
    }
    r->receiving = false;
    if (!rc) /* the end, published like every part (the worker may be waiting) */
        rc = pipe_ready(&p, j->id, total, true, size);
    return rc ? rc : db_send_pipe(&r->db, &p);
}

/* A URL signed before its stage got a quota (PresignFile refuses new ones
 * for such a stage): the Content-Length must fit, reserved as UploadFile
 * does; else the job fails and the answer is 507 with the quota's message. */
static int quota_reserve(struct relay *r)
{
    char err[400];
    long long granted = 0;
    if (r->j.quota_bytes <= 0 && r->j.quota_files <= 0)
        return 0;
    int rc = squota_reserve(&r->db, &r->j, r->length, r->length, &granted, err, sizeof(err));
    if (!rc)
        return 0;
    if (jobs_fail(&r->db, r->p->cfg, r->j.id, rc, err, true) == ST_EUNAVAIL)
        alive_defer_fail(r->j.id, rc, err);
    answer(r, rc == ST_ELIMIT ? 507 : http_code(rc), NULL, "%s", err);
    return rc;
}

static void relay_put(struct relay *r)
{
    struct job *j = &r->j;
    char err[400];
    j->kind = JOB_UPLOAD;
    j->part_size = r->p->cfg->upload.part_size;
    j->window = r->p->cfg->upload.window;
    j->overwrite = 1; /* a PUT replaces, as on S3 */
    j->bytes_total = r->length;
    snprintf(j->content_type, sizeof(j->content_type), "%s",
             r->cl.content_type[0] ? r->cl.content_type : r->req_type);
    int rc = jobs_create(&r->db, r->p->cfg, j, err, sizeof(err));
    if (rc) {
        answer(r, http_code(rc), NULL, "%s", err);
        return;
    }
    if ((rc = quota_reserve(r)) != 0)
        return;
    r->receiving = true;
    rc = put_parts(r);
    if (!rc)
        rc = wait_job(r, xfer_ended, 0);
    if (rc) {
        relay_broke(r, rc, "upload");
        return;
    }
    answer(r, 200, NULL, "{\"job_id\": \"%s\", \"location\": \"%s\", \"size\": %lld}", j->id,
           j->location, (long long)j->bytes_total);
}

/* ---- both */

/* What the URL's claims need from Redis: the user as signed, the privilege. */
static int check(struct relay *r)
{
    char err[600];
    bool admin = false;
    long long gen = 0;
    int64_t since = 0;
    int rc = auth_user_info(&r->db, r->cl.user, &admin, &gen, &since);
    if (rc == ST_ENOTFOUND || (!rc && gen != r->cl.gen))
        return answer(r, 403, NULL, "presigned URL revoked: user '%s' was dropped or changed",
                      r->cl.user),
               ST_EPERM;
    if (rc)
        return answer(r, 503, NULL, "%s", r->db.err), rc;
    job_init(&r->j);
    snprintf(r->j.user, sizeof(r->j.user), "%s", r->cl.user);
    struct stage_who who = {&r->db, r->cl.user, admin, since};
    rc = stage_locate_as(&who, r->cl.location, true, r->put ? AUTHZ_WRITE : AUTHZ_READ, &r->j, err,
                         sizeof(err));
    if (rc)
        answer(r, http_code(rc), NULL, "%s", err);
    return rc;
}

static void relay_main(void *arg)
{
    struct relay *r = arg;
    struct presign_http *p = r->p;
    db_init(&r->db, p->cfg);
    if (check(r) == 0) {
        log_info("presign %s %s user=%s", r->put ? "PUT" : "GET", r->cl.location, r->cl.user);
        if (r->put)
            relay_put(r);
        else
            relay_get(r);
    }
    db_cleanup(&r->db);
    if (r->conn && r->suspended) { /* out of memory on the way: no answer was queued */
        r->failed = true;
        answer(r, 500, NULL, "out of memory");
    }
    if (r->prev)
        r->prev->next = r->next;
    else
        p->list = r->next;
    if (r->next)
        r->next->prev = r->prev;
    p->active--;
    r->fiber_done = true;
    if (!r->conn)
        relay_free(r);
}

/* ------------------------------------------------------------ entry */

/* The checks that need only the headers: signature, expiry, method,
 * Content-Type and Content-Length. 0, or the answer is queued (> 0). */
static int check_headers(struct presign_http *p, struct MHD_Connection *conn, bool put,
                         const char *token, struct presign_claims *cl, char *req_type,
                         size_t typelen, long long *length)
{
    unsigned char key[AUTH_PRESIGN_KEY_BYTES];
    char err[300];
    auth_presign_key(key);
    int rc = presign_fs_verify(key, sizeof(key), token, (long long)time(NULL), cl);
    memset(key, 0, sizeof(key));
    if (rc == ST_ETIMEOUT)
        return http_answerf(conn, 403, NULL, "presigned URL expired"), 1;
    if (rc)
        return http_answerf(conn, 403, NULL, "presigned URL is invalid (bad signature)"), 1;
    if (cl->put != put)
        return http_answerf(conn, 405, cl->put ? "PUT" : "GET",
                            "this presigned URL is for %s of '%s'", cl->put ? "PUT" : "GET",
                            cl->location),
               1;
    if (!put)
        return 0;
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    const char *cl_s = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    snprintf(req_type, typelen, "%s", ct ? ct : "");
    if (httphdr_content_type_check(req_type, "Content-Type", err, sizeof(err)))
        return http_answerf(conn, 400, NULL, "%s", err), 1;
    if (cl->content_type[0] && req_type[0] && strcmp(cl->content_type, req_type) != 0)
        return http_answerf(conn, 400, NULL,
                            "Content-Type '%s' is not the signed one ('%s') for '%s'", req_type,
                            cl->content_type, cl->location),
               1;
    char *end = NULL;
    *length = cl_s ? strtoll(cl_s, &end, 10) : -1;
    if (!cl_s || end == cl_s || *end || *length < 0)
        return http_answerf(conn, 411, NULL,
                            "a presigned PUT needs a Content-Length (no chunked bodies)"),
               1;
    if (*length > p->cfg->server.presign_max_put_bytes)
        return http_answerf(conn, 413, NULL,
                            "body of %lld bytes is over server.presign_max_put_bytes (%d); use "
                            "UploadFile for larger files",
                            *length, p->cfg->server.presign_max_put_bytes),
               1;
    return 0;
}

int presign_http_start(struct presign_http *p, struct MHD_Connection *conn, const char *method,
                       const char *token, void **con_cls)
{
    bool put = strcmp(method, MHD_HTTP_METHOD_PUT) == 0;
    if (!put && strcmp(method, MHD_HTTP_METHOD_GET) != 0)
        return http_answerf(conn, 405, "GET, PUT",
                            "presigned URLs take GET (download) or PUT (upload)");
    struct relay *r = calloc(1, sizeof(*r));
    if (!r)
        return ST_ENOMEM;
    if (check_headers(p, conn, put, token, &r->cl, r->req_type, sizeof(r->req_type), &r->length)) {
        free(r);
        return 0;
    }
    if (p->stopping || p->active >= p->cfg->server.presign_relays) {
        free(r);
        return http_answerf(conn, 503, NULL, "%s",
                            p->stopping ? "the server is shutting down; retry on another"
                                        : "too many presigned transfers at once "
                                          "(server.presign_relays); retry");
    }
    r->x.access = relay_access;
    r->x.completed = relay_completed;
    r->p = p;
    r->conn = conn;
    r->put = put;
    MHD_suspend_connection(conn); /* until the fiber checked the user */
    r->suspended = true;
    if (loop_spawn(relay_main, r) != 0) {
        r->fiber_done = true;
        r->suspended = false;
        http_answer_text(conn, 503, NULL, "cannot start a presigned transfer (out of memory)");
        http_resume(conn);
    } else {
        p->active++;
        r->next = p->list;
        if (p->list)
            p->list->prev = r;
        p->list = r;
    }
    *con_cls = r;
    return 0;
}

int presign_http_active(const struct presign_http *p)
{
    return p ? p->active : 0;
}

void presign_http_stop(struct presign_http *p)
{
    p->stopping = true;
    for (struct relay *r = p->list; r; r = r->next)
        wake(r);
}

struct presign_http *presign_http_new(const struct config *cfg)
{
    struct presign_http *p = calloc(1, sizeof(*p));
    if (p)
        p->cfg = cfg;
    return p;
}

struct presign_http *presign_http_free(struct presign_http *p)
{
    free(p);
    return NULL;
}
