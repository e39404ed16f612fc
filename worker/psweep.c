/* psweep.c - expiring parked paused uploads (see psweep.h). */
#include "psweep.h"

#include "backend.h"
#include "backends.h"
#include "config.h"
#include "err.h"
#include "job.h"
#include "keys.h"
#include "log.h"
#include "psclaim.h"
#include "worker.h"

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPIRED_MSG "the client went away and did not resume within upload.resume_window_s"

/* One claimed job being swept. */
struct sweep {
    struct worker *w;
    struct job j;
    char *wstate;                  /* the writer's state from the job hash ("" none) */
    char claim[PSCLAIM_TOKEN_MAX]; /* the claim's sweep_claim: the fence of every step */
    struct backend *b;
    char key[2300]; /* backend key: root + path */
};

static void sweep_free(struct sweep *s)
{
    struct worker *w = s->w;
    s->b = backends_release(w->backends, s->b);
    free(s->wstate);
    free(s);
    w->sweeping--;
    if (w->stopping)
        worker_slot_freed(w); /* the drain may wait for this */
}

/* Out of the set unless another claim holds the job now (fenced, see
 * psclaim.h), then forgotten; a removal lost with Redis is redone by the
 * next claim (the job is terminal then, its writer already gone). */
static void sweep_done(struct sweep *s)
{
    struct psunfile_cmd c;
    if (s->w->cmd && psunfile_build(&c, s->j.id, s->claim) == 0)
        redisAsyncCommandArgv(s->w->cmd, NULL, NULL, PSUNFILE_ARGC, c.argv, c.lens);
    sweep_free(s);
}

static void on_failed(int rc, void *ud)
{
    struct sweep *s = ud;
    if (rc == 0) {
        log_info("job=%s paused upload expired: its writer and parts are gone", s->j.id);
        sweep_done(s);
        return;
    }
    /* EPRECOND: it ended meanwhile (cancelled), or our lease lapsed and
     * another claim holds it (fenced). Either way it stays in the set: its
     * next claim sees which and finishes it. */
    if (rc == ST_EPRECOND)
        log_info("job=%s expired paused upload not failed: it ended meanwhile or another "
                 "sweeper holds it (%d %s)",
                 s->j.id, rc, st_strerror(rc));
    else
        log_warn("job=%s cannot fail the expired paused upload: %d %s (swept again later)", s->j.id,
                 rc, st_strerror(rc));
    sweep_free(s); /* claimed again after the lease */
}

/* The writer is gone: end the job (a QUEUED one) and leave the set. */
static void finalize(struct sweep *s)
{
    s->b = backends_release(s->w->backends, s->b);
    if (s->j.state != JOB_QUEUED) { /* cancelled or failed while parked: only the writer */
        sweep_done(s);
        return;
    }
    if (!s->w->cmd) { /* Redis lost: claimed again after the lease */
        sweep_free(s);
        return;
    }
    struct job_change ch = {.id = s->j.id,
                            .from = JOB_QUEUED,
                            .to = JOB_FAILED,
                            .err = ST_ETIMEOUT,
                            .msg = EXPIRED_MSG,
                            .retention_s = s->w->cfg->jobs.retention_s,
                            .sweep_claim = s->claim};
    if (job_change_async(s->w->cmd, &ch, on_failed, s) != 0)
        sweep_free(s);
}

static void on_aborted(int rc, const char *msg, void *ud)
{
    struct sweep *s = ud;
    if (rc)
        log_warn("job=%s cannot drop the writer of the expired upload: %s (%d %s)", s->j.id,
                 msg ? msg : "", rc, st_strerror(rc));
    finalize(s);
}

static void on_reopened(int rc, const char *msg, struct backend_writer *wr, void *ud)
{
    struct sweep *s = ud;
    if (rc) { /* already gone: nothing to drop */
        log_debug("job=%s the expired upload's writer is gone already: %s", s->j.id,
                  msg ? msg : st_strerror(rc));
        finalize(s);
        return;
    }
    if (backend_write_abort(wr, on_aborted, s) != 0)
        finalize(s);
}

static void drop_writer(struct sweep *s)
{
    char err[400] = "";
    struct backend_write_opts o = {.content_type = s->j.content_type,
                                   .no_overwrite = !s->j.overwrite,
                                   .part_align = s->j.part_size > 0 ? (size_t)s->j.part_size : 0,
                                   .creator = s->j.user,
                                   .sha256 = s->j.sha256};
    int rc = 0;
    s->b = s->w->backend;
    if (s->j.storage[0] || s->w->backends)
        rc = backends_for_job(s->w->backends, &s->j, &s->b, err, sizeof(err));
    if (rc) {
        s->b = NULL;
        log_warn("job=%s cannot reach the expired upload's storage to drop its writer: %s", s->j.id,
                 err);
        finalize(s);
        return;
    }
    snprintf(s->key, sizeof(s->key), "%s%s", s->j.root, s->j.path);
    if (backend_write_resume(s->b, s->key, &o, s->wstate, 0, 0, on_reopened, s) != 0)
        finalize(s);
}

static const char *field_of(const redisReply *r, const char *name)
{
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2)
        if (r->element[i]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, name) == 0 &&
            r->element[i + 1]->type == REDIS_REPLY_STRING)
            return r->element[i + 1]->str;
    return NULL;
}

static void on_job(redisAsyncContext *ac, void *reply, void *priv)
{
    struct sweep *s = priv;
    redisReply *r = reply;
    const char *ws = field_of(r, "wstate"), *sw = field_of(r, "sweep_claim");
    (void)ac;
    if (!r || r->type != REDIS_REPLY_ARRAY) { /* Redis lost: the next claim redoes it */
        sweep_free(s);
        return;
    }
    char id[JOB_ID_LEN + 1];
    snprintf(id, sizeof(id), "%s", s->j.id);
    job_init(&s->j);
    if (job_from_reply(&s->j, r) != 0) { /* gone (expired): nothing left to sweep */
        snprintf(s->j.id, sizeof(s->j.id), "%s", id);
        sweep_done(s);
        return;
    }
    if (!sw || strcmp(sw, s->claim) != 0) { /* our claim ran out: another claim's now */
        sweep_free(s);
        return;
    }
    s->wstate = strdup(ws ? ws : "");
    if (!s->wstate) {
        sweep_free(s);
        return;
    }
    if (s->j.kind == JOB_UPLOAD && s->wstate[0])
        drop_writer(s);
    else
        finalize(s);
}

static void sweep_start(struct worker *w, const char *id, const char *claim)
{
    char key[KEY_MAX];
    struct sweep *s = calloc(1, sizeof(*s));
    if (!s || keys_job(key, sizeof(key), id) < 0) {
        free(s);
        return;
    }
    s->w = w;
    snprintf(s->claim, sizeof(s->claim), "%s", claim);
    snprintf(s->j.id, sizeof(s->j.id), "%s", id);
    w->sweeping++;
    const char *argv[] = {"HGETALL", key};
    if (!w->cmd || redisAsyncCommandArgv(w->cmd, on_job, s, 2, argv, NULL) != REDIS_OK)
        sweep_free(s);
}

/* One claim in flight: its token names the jobs it took (psclaim.h). */
struct claim_call {
    struct worker *w;
    char token[PSCLAIM_TOKEN_MAX];
};

/* hiredis calls this exactly once, with NULL when the connection goes. */
static void on_claimed(redisAsyncContext *ac, void *reply, void *priv)
{
    struct claim_call *cc = priv;
    struct worker *w = cc->w;
    redisReply *r = reply;
    (void)ac;
    w->sweep_claiming = false;
    if (r && r->type == REDIS_REPLY_ERROR)
        log_warn("paused uploads: the sweep's claim failed: %s", r->str);
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        if (r->element[i]->type == REDIS_REPLY_STRING && !w->stopping) {
            log_info("job=%s paused upload past its window: expiring it", r->element[i]->str);
            sweep_start(w, r->element[i]->str, cc->token);
        }
    free(cc);
}

static void claim(struct worker *w)
{
    struct psclaim_cmd c;
    int room = PSWEEP_MAX - w->sweeping;
    if (room <= 0 || w->sweep_claiming || w->stopping || !w->cmd)
        return;
    struct claim_call *cc = calloc(1, sizeof(*cc));
    if (!cc ||
        psclaim_build(&c, job_now_ms(), w->cfg->jobs.lease_ms, w->cfg->worker.name, room) != 0) {
        free(cc);
        return;
    }
    cc->w = w;
    snprintf(cc->token, sizeof(cc->token), "%s", c.token);
    if (redisAsyncCommandArgv(w->cmd, on_claimed, cc, PSCLAIM_ARGC, c.argv, c.lens) == REDIS_OK)
        w->sweep_claiming = true;
    else
        free(cc);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    struct timeval tv = {PSWEEP_EVERY_MS / 1000, (PSWEEP_EVERY_MS % 1000) * 1000};
    (void)fd;
    (void)what;
    claim(w);
    if (!w->stopping)
        evtimer_add(w->psweep_ev, &tv);
}

int psweep_init(struct worker *w)
{
    struct timeval tv = {PSWEEP_EVERY_MS / 1000, (PSWEEP_EVERY_MS % 1000) * 1000};
    w->psweep_ev = evtimer_new(w->base, on_tick, w);
    if (!w->psweep_ev)
        return ST_ENOMEM;
    evtimer_add(w->psweep_ev, &tv);
    return 0;
}

void psweep_cleanup(struct worker *w)
{
    if (w->psweep_ev)
        event_free(w->psweep_ev);
    w->psweep_ev = NULL;
}
