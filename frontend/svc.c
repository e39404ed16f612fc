/* svc.c - service functions' helpers and their dispatcher (see svc.h). */
#include "svc.h"

#include "auth.h"
#include "call.h"
#include "db.h"
#include "err.h"
#include "job.h"
#include "jobs.h"
#include "server.h"
#include "stage.h"
#include "xfer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void svc_init(struct svc *s, struct db *db, const struct config *cfg)
{
    memset(s, 0, sizeof(*s));
    s->db = db;
    s->cfg = cfg;
}

void svc_cleanup(struct svc *s)
{
    if (!s)
        return;
    free(s->resp);
    s->resp = NULL;
    s->resp_len = 0;
}

int svc_reply(struct svc *s, const ProtobufCMessage *resp)
{
    size_t len = protobuf_c_message_get_packed_size(resp);
    void *p = malloc(len ? len : 1);
    if (!p)
        return svc_fail(s, ST_ENOMEM, "out of memory");
    protobuf_c_message_pack(resp, p);
    free(s->resp);
    s->resp = p;
    s->resp_len = len;
    s->replied = true;
    return 0;
}

int svc_fail(struct svc *s, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
    va_end(ap);
    return rc;
}

int svc_db_fail(struct svc *s, int rc)
{
    return svc_fail(s, rc, "%s", s->db->err[0] ? s->db->err : st_strerror(rc));
}

int svc_locate(struct svc *s, const char *location, bool need_file, unsigned need, struct job *j,
               char *err, size_t errlen)
{
    struct stage_who who = {s->db, s->user, s->admin, s->user_since};
    return stage_locate_as(&who, location, need_file, need, j, err, errlen);
}

int svc_wait_job(struct svc *s, struct job *j, bool (*ready)(const struct job *, long), long arg)
{
    return xfer_wait_job(s->db, s->stop, s->stop_arg, j, ready, arg);
}

int svc_job_outcome(struct svc *s, const struct job *j)
{
    int code = jobs_status(j, s->msg, sizeof(s->msg));
    if (code == 0)
        return 0;
    s->status = code; /* exactly the job's status, whatever st_err names it */
    return st_err_from_status_name(st_grpc_status_name(code));
}

int svc_wait_fail(struct svc *s, const struct job *j, int rc)
{
    xfer_wait_msg(j, rc, s->db->err, s->msg, sizeof(s->msg));
    return rc;
}

int svc_auth_with(struct svc *s, const struct auth_extra *x, struct redisReply **r)
{
    if (s->auth)
        return s->auth(s->auth_arg, s, x, r);
    *r = NULL;
    return db_cmd_argv(s->db, r, x->argc, x->argv, x->lens);
}

/* ------------------------------------------------------------ the dispatcher */

/* s->auth of a method that authenticates itself: the call's credentials
 * checked with `x` in one round trip (auth.h); answers the call on failure. */
static int call_auth_with(void *arg, struct svc *s, const struct auth_extra *x,
                          struct redisReply **r)
{
    struct call *c = arg;
    int rc = auth_call_with(c, x, r);
    if (!rc) {
        snprintf(s->user, sizeof(s->user), "%s", c->user);
        s->admin = c->admin;
        s->user_since = c->user_since;
    }
    return rc;
}

static void svc_from_call(struct svc *s, struct call *c)
{
    svc_init(s, c->db, c->cfg);
    snprintf(s->user, sizeof(s->user), "%s", c->user);
    s->admin = c->admin;
    s->user_since = c->user_since;
    snprintf(s->peer, sizeof(s->peer), "%s", call_peer(c));
    s->draining = server_draining(c->srv);
    s->saturated = server_saturated(c->srv);
    s->stop = xfer_call_stop;
    s->stop_arg = c;
    if (!c->m->auth) { /* GetJob: authenticates with its own first command */
        s->auth = call_auth_with;
        s->auth_arg = c;
    }
}

/* The outcome of `s` into the call: its log fields, then the answer (none
 * if the call was answered already, e.g. by a failed authentication, or if
 * the function gave neither a reply nor an error: the server then reports
 * that as INTERNAL). */
static void answer(struct call *c, struct svc *s, int rc)
{
    snprintf(c->user, sizeof(c->user), "%s", s->user);
    snprintf(c->location, sizeof(c->location), "%s", s->location);
    snprintf(c->job, sizeof(c->job), "%s", s->job);
    if (c->finished)
        return;
    if (rc) {
        call_status(c, s->status > 0 ? s->status : st_err_grpc_status(rc), "%s", s->msg);
    } else if (s->replied) {
        void *resp = s->resp;
        s->resp = NULL; /* the call owns it now */
        call_reply_take(c, resp, s->resp_len);
    }
}

void svc_call(struct call *c)
{
    ProtobufCMessage *req;
    struct svc s;
    if (call_read_request(c, c->m->req, &req))
        return;
    svc_from_call(&s, c);
    int rc = c->m->svc(&s, req);
    protobuf_c_message_free_unpacked(req, NULL);
    answer(c, &s, rc);
    svc_cleanup(&s);
}
