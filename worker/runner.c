/* runner.c - one running job (see runner.h). */
#include "runner.h"

#include "backend.h"
#include "backends.h"
#include "config.h"
#include "err.h"
#include "job.h"
#include "jobstats.h"
#include "keys.h"
#include "lease.h"
#include "log.h"
#include "primary.h"
#include "queue.h"
#include "sentinel.h"
#include "worker.h"

#include <ctype.h>
#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLL_MS  200
#define CMDF_MAX 24
#define FE_TTL   "600"

static void finish_next(struct run *r);

int64_t runner_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *runner_stage(const struct run *r, char *buf, size_t n)
{
    snprintf(buf, n, "@%s", r->j.stage[0] ? r->j.stage : "~");
    return buf;
}

static const struct xfer_kind *kind_of(enum job_kind k)
{
    switch (k) {
    case JOB_UPLOAD:
        return &xfer_upload;
    case JOB_DOWNLOAD:
        return &xfer_download;
    case JOB_LIST:
        return &xfer_list;
    case JOB_REMOVE:
    case JOB_DROP_STAGE: /* a REMOVE of everything under the old root */
        return &xfer_remove;
    case JOB_STAT:
        return &xfer_stat;
    case JOB_COPY:
        return &xfer_copy;
    default:
        return NULL;
    }
}

/* ------------------------------------------------------------ release */

static void run_free(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    struct worker *w = r->w;
    if (r->kind && r->kind->cleanup)
        r->kind->cleanup(r);
    /* After the kind's cleanup, which may still abort a writer on it. */
    r->backend = backends_release(w->backends, r->backend);
    if (r->timer)
        event_free(r->timer);
    free(r);
    worker_slot_freed(w);
}

/* Free the run on the next loop turn once it ended and nothing is in flight. */
static void maybe_release(struct run *r)
{
    static const struct timeval zero = {0, 0};
    if (!r->done || r->inflight > 0 || r->released)
        return;
    r->released = true;
    worker_remove_run(r->w, r);
    if (event_base_once(r->w->base, -1, EV_TIMEOUT, run_free, r, &zero) != 0)
        log_error("job=%s cannot schedule its release; leaking it", r->j.id);
}

/* ------------------------------------------------------------ redis */

/* The EVAL to send instead when an EVALSHA finds the script cache empty:
 * its own copy of the arguments, which the caller's argv may not outlive. */
struct reval {
    int argc;
    const char *argv[CMDF_MAX];
};

struct rcmd {
    struct run *r;
    run_reply_fn *cb;
    struct reval *eval; /* runner_evalsha() only */
};

static void send_cmd(struct run *r, run_reply_fn *cb, int argc, const char **argv,
                     const size_t *lens, struct reval *eval);

static void redis_error(struct run *r, const char *what)
{
    char msg[300];
    snprintf(msg, sizeof(msg), "redis error: %.200s", what);
    log_warn("job=%s %s", r->j.id, msg);
    /* READONLY/LOADING: this is no longer (or not yet) the primary; drop the
     * connection so that the reconnect asks the sentinels, and let the job
     * be run again from the queue like after any lost connection */
    if (sentinel_error_means_failover(what) && r->w->cmd) {
        primary_suspect();
        redisAsyncDisconnect(r->w->cmd);
        runner_cancel(r, ST_EUNAVAIL, msg, true);
        return;
    }
    runner_cancel(r, ST_EUNAVAIL, msg, false);
}

/* NOSCRIPT: Redis restarted or flushed its scripts since the EVALSHA's
 * script last ran; the EVAL sends the text and caches it again. */
static bool noscript(const redisReply *rep, const struct reval *eval)
{
    return eval && rep && rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "NOSCRIPT", 8) == 0;
}

static void on_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    struct rcmd *c = priv;
    struct run *r = c->r;
    run_reply_fn *cb = c->cb;
    struct reval *eval = c->eval;
    redisReply *rep = reply;
    (void)ac;
    free(c);
    r->inflight--;
    if (cb)
        r->busy--;
    if (noscript(rep, eval) && !r->finishing)
        send_cmd(r, cb, eval->argc, eval->argv, NULL, NULL);
    else if (!rep)
        runner_cancel(r, ST_EUNAVAIL, "the worker lost its Redis connection", true);
    else if (rep->type == REDIS_REPLY_ERROR)
        redis_error(r, rep->str);
    else if (cb && !r->finishing && r->cancel_err)
        runner_finish(r, r->cancel_err, "%s", r->cancel_msg);
    else if (cb && !r->finishing)
        cb(r, rep);
    free(eval);
    maybe_release(r);
}

static void send_cmd(struct run *r, run_reply_fn *cb, int argc, const char **argv,
                     const size_t *lens, struct reval *eval)
{
    struct rcmd *c = malloc(sizeof(*c));
    redisAsyncContext *ac = r->w->cmd;
    if (c)
        *c = (struct rcmd){r, cb, eval};
    if (!c || !ac || redisAsyncCommandArgv(ac, on_reply, c, argc, argv, lens) != REDIS_OK) {
        free(c);
        free(eval);
        runner_cancel(r, ST_EUNAVAIL, "the worker lost its Redis connection", true);
        return;
    }
    r->inflight++;
    if (cb)
        r->busy++;
}

void runner_cmd(struct run *r, run_reply_fn *cb, int argc, const char **argv, const size_t *lens)
{
    send_cmd(r, cb, argc, argv, lens, NULL);
}

/* The copy keeps argv[2..] in one block after the struct; argv[1] becomes
 * the script, which has static storage. */
static struct reval *eval_copy(int argc, const char **argv, const char *script)
{
    size_t len = 0;
    for (int i = 2; i < argc; i++)
        len += strlen(argv[i]) + 1;
    struct reval *e = argc <= CMDF_MAX ? malloc(sizeof(*e) + len) : NULL;
    if (!e)
        return NULL;
    char *p = (char *)(e + 1);
    e->argc = argc;
    e->argv[0] = "EVAL";
    e->argv[1] = script;
    for (int i = 2; i < argc; i++) {
        size_t n = strlen(argv[i]) + 1;
        e->argv[i] = memcpy(p, argv[i], n);
        p += n;
    }
    return e;
}

void runner_evalsha(struct run *r, run_reply_fn *cb, int argc, const char **argv,
                    const char *script)
{
    struct reval *e = eval_copy(argc, argv, script);
    if (!e) {
        runner_cancel(r, ST_ENOMEM, "out of memory", false);
        return;
    }
    send_cmd(r, cb, argc, argv, NULL, e);
}

void runner_cmdf(struct run *r, run_reply_fn *cb, ...)
{
    const char *argv[CMDF_MAX];
    int argc = 0;
    va_list ap;
    va_start(ap, cb);
    const char *s;
    while (argc < CMDF_MAX && (s = va_arg(ap, const char *)) != NULL)
        argv[argc++] = s;
    va_end(ap);
    runner_cmd(r, cb, argc, argv, NULL);
}

static int64_t reply_int(const redisReply *e, int64_t dflt)
{
    if (!e || e->type != REDIS_REPLY_STRING)
        return dflt;
    return strtoll(e->str, NULL, 10);
}

static void on_counters(struct run *r, redisReply *rep)
{
    run_reply_fn *cb = r->counters_cb;
    r->counters_cb = NULL;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 8) {
        if (rep->element[0]->type == REDIS_REPLY_STRING)
            r->j.state = job_state_parse(rep->element[0]->str);
        else
            r->j.state = JOB_STATE_NONE; /* the hash is gone (expired) */
        r->j.abort = reply_int(rep->element[1], 0);
        r->j.parts_ready = reply_int(rep->element[2], 0);
        r->j.parts_done = reply_int(rep->element[3], 0);
        r->j.parts_total = reply_int(rep->element[4], -1);
        const redisReply *o = rep->element[5];
        r->fenced = o->type == REDIS_REPLY_STRING && strcmp(o->str, r->w->cfg->worker.name) != 0;
        r->j.paused_until = reply_int(rep->element[6], 0);
        if (rep->element[7]->type == REDIS_REPLY_STRING) /* a resume moves it (h_upload.c) */
            snprintf(r->j.frontend, sizeof(r->j.frontend), "%s", rep->element[7]->str);
    }
    cb(r, rep);
}

void runner_read_counters(struct run *r, run_reply_fn *cb)
{
    r->counters_cb = cb;
    runner_cmdf(r, on_counters, "HMGET", r->hkey, "state", "abort", "parts_ready", "parts_done",
                "parts_total", "worker", "paused_until", "frontend", NULL);
}

bool runner_live(struct run *r)
{
    char st[80];
    if (r->j.state == JOB_STATE_NONE) {
        r->ended_elsewhere = true;
        runner_finish(r, ST_ENOTFOUND, "the job record is gone");
        return false;
    }
    if (job_state_terminal(r->j.state)) {
        r->ended_elsewhere = true;
        runner_finish(r, ST_ECANCELLED, "the job ended elsewhere (%s)", job_state_name(r->j.state));
        return false;
    }
    if (r->fenced) {
        runner_cancel(r, ST_EUNAVAIL, "another worker took the job over (our lease ran out)", true);
        return false;
    }
    if (r->j.abort) {
        runner_finish(r, ST_ECANCELLED, "the client of stage %s went away",
                      runner_stage(r, st, sizeof(st)));
        return false;
    }
    return true;
}

void runner_wake_fe(struct run *r)
{
    char fe[KEY_MAX];
    keys_job_fe(fe, sizeof(fe), r->j.id);
    runner_cmdf(r, NULL, "RPUSH", fe, "x", NULL);
    runner_cmdf(r, NULL, "LTRIM", fe, "-16", "-1", NULL);
    runner_cmdf(r, NULL, "EXPIRE", fe, FE_TTL, NULL);
    /* frontends on the event loop wait on st:ev:<id> (frontend/hub.h); the
     * list is for relays that block on BLPOP (presigned fs URLs) */
    char ev[KEY_MAX];
    keys_job_events(ev, sizeof(ev), r->j.id);
    runner_cmdf(r, NULL, "PUBLISH", ev, "fe", NULL);
}

/* ------------------------------------------------------------ waiting */

void runner_begin(struct run *r)
{
    r->inflight++;
    r->busy++;
}

bool runner_resume(struct run *r)
{
    r->inflight--;
    r->busy--;
    if (!r->finishing && r->cancel_err)
        runner_finish(r, r->cancel_err, "%s", r->cancel_msg);
    if (r->finishing) {
        maybe_release(r);
        return false;
    }
    return true;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    if (!r->waiting || r->finishing)
        return;
    r->waiting = false;
    r->woken = false;
    r->kind->poll(r);
}

void runner_wait(struct run *r)
{
    struct timeval tv = {0, POLL_MS * 1000};
    if (r->finishing)
        return;
    r->waiting = true;
    if (r->woken) { /* a wake-up came while busy: look again at once */
        r->woken = false;
        tv.tv_usec = 0;
    }
    evtimer_add(r->timer, &tv);
}

void runner_wake(struct run *r)
{
    static const struct timeval zero = {0, 0};
    if (r->finishing)
        return;
    if (r->waiting)
        evtimer_add(r->timer, &zero); /* poll from the loop, not from here */
    else
        r->woken = true;
}

static void on_peer_checked(struct run *r, redisReply *rep)
{
    char what[16];
    if (rep->type != REDIS_REPLY_INTEGER || rep->integer != 0) {
        runner_wait(r);
        return;
    }
    snprintf(what, sizeof(what), "%s", job_kind_name(r->j.kind));
    for (char *p = what; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    runner_finish(r, ST_EUNAVAIL,
                  "the frontend relaying the %s of '%s' (%s) stopped: its liveness key expired; "
                  "retry the call",
                  what, r->j.path, r->j.frontend);
}

void runner_wait_peer(struct run *r)
{
    char key[KEY_MAX];
    int lease = r->w->cfg->jobs.lease_ms > 0 ? r->w->cfg->jobs.lease_ms : 15000;
    int64_t every = lease / 3 < 250 ? 250 : lease / 3;
    if (!r->j.frontend[0] || runner_now_ms() - r->peer_checked_ms < every ||
        keys_frontend(key, sizeof(key), r->j.frontend) < 0) {
        runner_wait(r);
        return;
    }
    r->peer_checked_ms = runner_now_ms();
    runner_cmdf(r, on_peer_checked, "EXISTS", key, NULL);
}

void runner_progress(struct run *r)
{
    r->progress_ms = runner_now_ms();
}

int runner_stall_s(const struct run *r)
{
    int s = r->w->cfg->jobs.stall_timeout_s;
    return s > 0 ? s : 60;
}

bool runner_stalled(const struct run *r)
{
    return runner_now_ms() - r->progress_ms > (int64_t)runner_stall_s(r) * 1000;
}

/* ------------------------------------------------------------ the end */

void runner_cancel(struct run *r, int err, const char *msg, bool lost)
{
    if (lost && !r->lost) {
        r->lost = true;
        log_warn("job=%s %s", r->j.id, msg);
    }
    if (r->finishing)
        return;
    if (!r->cancel_err) {
        r->cancel_err = err;
        snprintf(r->cancel_msg, sizeof(r->cancel_msg), "%s", msg);
    }
    if (r->busy == 0) /* else the kind's op in flight ends it (runner_resume) */
        runner_finish(r, r->cancel_err, "%s", r->cancel_msg);
}

static void on_abort_done(int rc, const char *msg, void *ud)
{
    struct run *r = ud;
    r->inflight--;
    if (rc)
        log_warn("job=%s abort of the write failed: %s (%d %s)", r->j.id, msg, rc, st_strerror(rc));
    finish_next(r);
}

static void on_state_checked(redisAsyncContext *ac, void *reply, void *priv)
{
    struct run *r = priv;
    redisReply *rep = reply;
    r->inflight--;
    if (rep && rep->type == REDIS_REPLY_STRING && job_state_terminal(job_state_parse(rep->str)))
        r->ended_elsewhere = true; /* acknowledge it */
    else
        r->lost = true; /* another worker owns it now: its entry is not ours to touch */
    finish_next(r);
}

static void on_state_set(int rc, void *ud)
{
    struct run *r = ud;
    r->inflight--;
    r->state_set = true;
    r->requeue = rc ? RQ_NONE : r->requeue;
    if (rc == ST_EPRECOND && r->w->cmd) { /* ended elsewhere, or fenced off */
        const char *argv[] = {"HGET", r->hkey, "state"};
        r->inflight++;
        if (redisAsyncCommandArgv(r->w->cmd, on_state_checked, r, 3, argv, NULL) == REDIS_OK)
            return;
        r->inflight--;
        r->lost = true;
    }
    if (rc == ST_EUNAVAIL)
        r->lost = true; /* leave the entry pending: it is failed on the next start */
    else if (rc && rc != ST_EPRECOND)
        log_warn("job=%s cannot set its final state: %d %s", r->j.id, rc, st_strerror(rc));
    finish_next(r);
}

static void on_acked(redisAsyncContext *ac, void *reply, void *priv)
{
    struct run *r = priv;
    r->inflight--;
    r->acked = true;
    finish_next(r);
}

static void log_end(struct run *r)
{
    double s = (double)(runner_now_ms() - r->t0_ms) / 1000.0;
    const char *kind = job_kind_name(r->j.kind);
    enum jobstats_outcome o = r->requeue          ? JOBSTATS_RETRIED
                              : r->lost && r->err ? JOBSTATS_GIVEN_UP
                              : r->err == 0       ? JOBSTATS_SUCCEEDED
                                                  : JOBSTATS_FAILED;
    jobstats_record(r->j.kind, o, s, o == JOBSTATS_SUCCEEDED ? r->bytes : 0,
                    o == JOBSTATS_SUCCEEDED ? r->files : 0);
    if (r->requeue)
        log_info("job=%s kind=%s key=%s attempt %" PRId64 " ended after %.2f s: %s (%s); %s",
                 r->j.id, kind, r->bkey, r->j.attempts, s, r->msg, st_err_status_name(r->err),
                 r->requeue == RQ_RETRY  ? "will retry"
                 : r->requeue == RQ_PARK ? "parked until a resume or the end of its window"
                                         : "handed back");
    else if (r->lost && r->err)
        log_info("job=%s kind=%s key=%s given up here after %.2f s: %s; its next owner resumes it",
                 r->j.id, kind, r->bkey, s, r->msg);
    else if (r->err == 0)
        log_info("job=%s kind=%s key=%s parts=%" PRId64 " bytes=%" PRId64 " files=%" PRId64
                 " done in %.2f s",
                 r->j.id, kind, r->bkey, r->parts, r->bytes, r->files, s);
    else
        log_info("job=%s kind=%s key=%s failed in %.2f s: %s (%s)%s", r->j.id, kind, r->bkey, s,
                 r->msg, st_err_status_name(r->err), r->lost ? " [left pending]" : "");
}

/* Parts this worker produced that nobody will consume: delete them. */
static void drop_produced(struct run *r)
{
    char key[KEY_MAX];
    if (r->err == 0 || r->lost || r->requeue)
        return; /* a requeued producer's parts stay valid for its next run */
    for (long n = r->j.parts_done > 0 ? (long)r->j.parts_done : 0; n < r->produced; n++) {
        keys_job_part(key, sizeof(key), r->j.id, n);
        runner_cmdf(r, NULL, "DEL", key, NULL);
    }
}

static void requeue_entry(struct run *r)
{
    const struct config *cfg = r->w->cfg;
    if (r->requeue == RQ_RETRY) {
        int64_t ms = lease_backoff_ms((int)r->j.attempts, cfg->jobs.retry_base_ms,
                                      cfg->jobs.retry_max_ms, (uint32_t)random());
        log_info("job=%s retry in %" PRId64 " ms (attempt %" PRId64 " of %d failed)", r->j.id, ms,
                 r->j.attempts, cfg->jobs.max_attempts);
        lease_sleep(r->w, r->entry, r->j.id, ms);
    } else {
        lease_hand_back(r->w, r->entry);
    }
    r->acked = true;
}

static int set_final_state(struct run *r, redisAsyncContext *ac)
{
    char msg[600];
    struct job_change ch = {.id = r->j.id,
                            .from = JOB_RUNNING,
                            .to = r->err ? JOB_FAILED : JOB_SUCCEEDED,
                            .owner = r->w->cfg->worker.name,
                            .err = r->err,
                            .msg = r->err ? r->msg : NULL,
                            .retention_s = r->w->cfg->jobs.retention_s};
    if (r->requeue) {
        snprintf(msg, sizeof(msg), "attempt %" PRId64 ": %s", r->j.attempts, r->msg);
        ch.to = JOB_QUEUED;
        ch.msg = msg;
    }
    return job_change_async(ac, &ch, on_state_set, r);
}

static void finish_next(struct run *r)
{
    redisAsyncContext *ac = r->w->cmd;
    if (r->writer) {
        struct backend_writer *wr = r->writer;
        r->writer = NULL;
        /* Its next owner resumes the write, but only from a confirmed part:
         * with none (no writer state in the job hash) nobody could find it
         * again, so it is aborted rather than left behind. */
        bool resumable = r->j.parts_done > 0 || r->parts > 0;
        if ((r->lost || r->requeue) && resumable) {
            backend_write_detach(wr);
        } else {
            r->inflight++;
            if (backend_write_abort(wr, on_abort_done, r) == 0)
                return;
            r->inflight--;
        }
    }
    if (!r->state_set && !r->lost && !r->ended_elsewhere && ac) {
        drop_produced(r);
        r->inflight++;
        if (set_final_state(r, ac) == 0)
            return;
        r->inflight--;
        r->lost = true;
    }
    if (!r->acked && !r->lost && r->requeue && r->w->cmd)
        requeue_entry(r);
    if (!r->acked && !r->lost && r->w->cmd) {
        if (r->ended_elsewhere)
            drop_produced(r);
        const char *argv[] = {"XACK", KEY_QUEUE, KEY_QUEUE_GROUP, r->entry};
        r->inflight++;
        if (redisAsyncCommandArgv(r->w->cmd, on_acked, r, 4, argv, NULL) == REDIS_OK) {
            /* The stream holds only live work, so XLEN is the backlog
             * (the frontend's jobs.max_queue check). */
            const char *del[] = {"XDEL", KEY_QUEUE, r->entry};
            redisAsyncCommandArgv(r->w->cmd, NULL, NULL, 3, del, NULL);
            return;
        }
        r->inflight--;
        r->lost = true;
    }
    if (!r->done) {
        r->done = true;
        log_end(r);
    }
    maybe_release(r);
}

void runner_finish(struct run *r, int err, const char *fmt, ...)
{
    va_list ap;
    if (r->finishing)
        return;
    r->finishing = true;
    r->waiting = false;
    evtimer_del(r->timer);
    r->err = err;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
    va_end(ap);
    if (err && r->transient && !r->requeue && !r->lost)
        r->requeue = r->w->stopping                                 ? RQ_HAND_BACK
                     : r->j.attempts < r->w->cfg->jobs.max_attempts ? RQ_RETRY
                                                                    : RQ_NONE;
    if (err && r->transient && !r->requeue && r->j.attempts > 1) {
        char last[sizeof(r->msg)];
        snprintf(last, sizeof(last), "%s", r->msg);
        snprintf(r->msg, sizeof(r->msg), "gave up after %" PRId64 " attempts: %.440s",
                 r->j.attempts, last);
    }
    finish_next(r);
}

/* ------------------------------------------------------------ start */

static void start_now(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    r->busy--;
    r->inflight--;
    if (r->cancel_err) {
        runner_finish(r, r->cancel_err, "%s", r->cancel_msg);
        return;
    }
    size_t rl = strlen(r->j.root);
    /* "" is a valid root only for an external stage at its URL's top. */
    if ((rl == 0 && !r->j.storage[0]) || (rl > 0 && r->j.root[rl - 1] != '/')) {
        runner_finish(r, ST_EINVAL, "job has no valid stage root ('%s')", r->j.root);
        return;
    }
    if (!r->kind) {
        runner_finish(r, ST_EUNIMPL, "%s jobs are not implemented yet", job_kind_name(r->j.kind));
        return;
    }
    char err[400] = "";
    int rc = 0;
    r->backend = r->w->backend;
    if (r->j.storage[0] || r->w->backends) /* tests may run a worker without the set */
        rc = backends_for_job(r->w->backends, &r->j, &r->backend, err, sizeof(err));
    if (rc) {
        r->backend = NULL; /* nothing to give back */
        runner_finish(r, rc, "stage @%s: %s", r->j.stage[0] ? r->j.stage : "~", err);
        return;
    }
    r->kind->start(r);
}

static struct run *run_new(struct worker *w, const struct job *j, const char *entry)
{
    struct run *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->w = w;
    r->j = *j;
    r->j.state = JOB_RUNNING;
    r->j.attempts++; /* the QUEUED -> RUNNING change counted this one */
    snprintf(r->j.worker, sizeof(r->j.worker), "%s", w->cfg->worker.name);
    snprintf(r->entry, sizeof(r->entry), "%s", entry);
    keys_job(r->hkey, sizeof(r->hkey), j->id);
    snprintf(r->bkey, sizeof(r->bkey), "%s%s", j->root, j->path);
    r->kind = kind_of(j->kind);
    r->t0_ms = r->progress_ms = r->peer_checked_ms = runner_now_ms();
    r->timer = evtimer_new(w->base, on_timer, r);
    if (!r->timer || worker_add_run(w, r) != 0) {
        if (r->timer)
            event_free(r->timer);
        free(r);
        return NULL;
    }
    return r;
}

static void on_parked(int rc, void *ud)
{
    struct run *r = ud;
    if (rc == 0) { /* the script set the state and dropped the entry */
        r->state_set = true;
        r->acked = true;
        r->requeue = RQ_PARK;
    }
    if (!runner_resume(r))
        return;
    if (rc == 0)
        runner_finish(r, ST_EAGAIN, "the client went away; the upload waits for a resume");
    else if (rc == ST_EPRECOND) /* resumed, ended or taken over meanwhile: look again */
        runner_wait(r);
    else if (rc == ST_EUNAVAIL)
        runner_cancel(r, rc, "the worker lost its Redis connection", true);
    else
        runner_finish(r, rc, "cannot park the paused upload: %s", st_strerror(rc));
}

void runner_park(struct run *r)
{
    struct job_change ch = {.id = r->j.id,
                            .from = JOB_RUNNING,
                            .to = JOB_QUEUED,
                            .owner = r->w->cfg->worker.name,
                            .retention_s = r->w->cfg->jobs.retention_s,
                            .park_entry = r->entry};
    int rc = r->w->cmd ? job_change_async(r->w->cmd, &ch, on_parked, r) : ST_EUNAVAIL;
    if (rc == ST_EUNAVAIL) {
        runner_cancel(r, rc, "the worker lost its Redis connection", true);
        return;
    }
    if (rc) {
        runner_finish(r, rc, "cannot park the paused upload: %s", st_strerror(rc));
        return;
    }
    runner_begin(r);
}

void runner_hand_back(struct run *r, const char *why)
{
    if (r->finishing)
        return;
    r->requeue = RQ_HAND_BACK;
    runner_cancel(r, ST_EUNAVAIL, why, false);
}

void runner_start(struct worker *w, const struct job *j, const char *entry)
{
    static const struct timeval zero = {0, 0};
    struct run *r = run_new(w, j, entry);
    if (!r) {
        log_error("job=%s cannot start: out of memory (left pending)", j->id);
        return;
    }
    log_debug("job=%s kind=%s key=%s starting", j->id, job_kind_name(j->kind), r->bkey);
    r->busy++;
    r->inflight++;
    if (event_base_once(w->base, -1, EV_TIMEOUT, start_now, r, &zero) != 0) {
        r->busy--;
        r->inflight--;
        runner_finish(r, ST_ENOMEM, "out of memory");
    }
}
