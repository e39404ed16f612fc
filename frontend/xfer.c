/* xfer.c - waiting on jobs and answering with their outcome (see xfer.h). */
#include "xfer.h"

#include "alive.h"
#include "call.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "job.h"
#include "jobs.h"
#include "log.h"
#include "server.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

bool xfer_ended(const struct job *j, long arg)
{
    (void)arg;
    return job_state_terminal(j->state);
}

bool xfer_has_total(const struct job *j, long arg)
{
    (void)arg;
    return j->parts_total >= 0;
}

bool xfer_part_ready(const struct job *j, long n)
{
    return j->parts_ready > n || (j->parts_total >= 0 && n >= j->parts_total);
}

bool xfer_window_open(const struct job *j, long n)
{
    return n - j->parts_done < j->window;
}

bool xfer_drained(const struct job *j, long n)
{
    return j->parts_done >= n;
}

int xfer_call_stop(void *arg)
{
    struct call *c = arg;
    if (server_cancelling(c->srv)) { /* before call_cancelled(): it sees this too */
        snprintf(c->db->err, sizeof(c->db->err), "the server is shutting down");
        return ST_EUNAVAIL;
    }
    if (call_cancelled(c))
        return ST_ECANCELLED;
    if (call_ms_left(c) <= 0)
        return ST_ETIMEOUT;
    return 0;
}

int xfer_wait_job(struct db *db, xfer_stop_fn *stop, void *stop_arg, struct job *j,
                  xfer_ready_fn *ready, long arg)
{
    char id[sizeof(j->id)];
    snprintf(id, sizeof(id), "%s", j->id);
    for (;;) {
        bool failed = job_state_terminal(j->state) && j->state != JOB_SUCCEEDED;
        if (ready(j, arg) && !failed)
            return 0;
        if (job_state_terminal(j->state))
            return ST_EPRECOND;
        int rc = stop ? stop(stop_arg) : 0;
        if (!rc)
            rc = jobs_wait(db, id);
        if (!rc)
            rc = jobs_get(db, id, j);
        if (rc == ST_ENOTFOUND)
            snprintf(db->err, sizeof(db->err), "job '%s' disappeared from Redis", id);
        if (rc)
            return rc == ST_ENOTFOUND ? ST_EINTERNAL : rc;
    }
}

int xfer_wait(struct call *c, struct job *j, xfer_ready_fn *ready, long arg)
{
    return xfer_wait_job(c->db, xfer_call_stop, c, j, ready, arg);
}

void xfer_answer_job(struct call *c, const struct job *j)
{
    char msg[600];
    int code = jobs_status(j, msg, sizeof(msg));
    if (code != 0)
        call_status(c, code, "%s", msg);
}

void xfer_db_fail(struct call *c, int rc)
{
    call_fail(c, rc, "%s", c->db->err[0] ? c->db->err : st_strerror(rc));
}

void xfer_wait_msg(const struct job *j, int rc, const char *dberr, char *msg, size_t n)
{
    if (rc == ST_ECANCELLED)
        snprintf(msg, n, "the client cancelled the call; job '%s' goes on", j->id);
    else if (rc == ST_ETIMEOUT)
        snprintf(msg, n, "deadline exceeded while waiting for job '%s' (it goes on)", j->id);
    else
        snprintf(msg, n, "waiting for job '%s': %s", j->id, dberr);
}

void xfer_wait_fail(struct call *c, const struct job *j, int rc)
{
    char msg[400];
    xfer_wait_msg(j, rc, c->db->err, msg, sizeof(msg));
    call_fail(c, rc, "%s", msg);
}

void xfer_abort(struct call *c, const struct job *j, int rc, long long done)
{
    char what[16], msg[400];
    snprintf(what, sizeof(what), "%s", job_kind_name(j->kind));
    for (char *p = what; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (c->idle) {
        rc = ST_ETIMEOUT;
        snprintf(msg, sizeof(msg),
                 "%s: the stream moved no message for %d s (server.stream_idle_timeout_s); "
                 "cancelled after %lld bytes",
                 what, c->cfg->server.stream_idle_timeout_s, done);
    } else if (rc == ST_ECANCELLED)
        snprintf(msg, sizeof(msg), "%s cancelled by the client after %lld bytes", what, done);
    else if (rc == ST_ETIMEOUT)
        snprintf(msg, sizeof(msg), "%s: deadline exceeded after %lld bytes", what, done);
    else
        snprintf(msg, sizeof(msg), "%s interrupted after %lld bytes: %s", what, done,
                 c->db->err[0] ? c->db->err : st_strerror(rc));
    int frc = jobs_fail(c->db, c->cfg, j->id, rc, msg, true);
    if (frc == ST_EUNAVAIL)
        alive_defer_fail(j->id, rc, msg);
    else if (frc && frc != ST_EPRECOND)
        log_warn("req=%llu job=%s cannot mark the job failed: %s", (unsigned long long)c->req,
                 j->id, c->db->err);
    call_fail(c, rc, "%s", msg);
}

void xfer_finish(struct call *c, const struct job *j, int rc)
{
    if (rc == ST_EPRECOND && j->state != JOB_SUCCEEDED)
        xfer_answer_job(c, j);
    else if (rc && rc != ST_EPRECOND)
        xfer_abort(c, j, rc, c->bytes);
    else
        call_reply(c, NULL);
}
