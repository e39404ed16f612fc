/* xfer_copy_resume.c - a COPY resumed after its worker died goes on from the
 * last part of the file in flight that the target stored (docs/jobs.md).
 *
 * As the target confirms parts (backend_write_state()'s `durable`: fs, what
 * was written; S3, the parts UploadPart answered; azblob, the blocks Put
 * Block answered; GCS, what the session committed), one fenced script
 * stores in the job hash the writer state (cp_wkey, cp_wstate), the source
 * (cp_src, cp_size, cp_etag), the offset reached (cp_off, cp_part) and the
 * digest state there (cp_shactx, the same digest_save() state uploads keep).
 * The target's parts are a multiple of the copy's chunk (part_align), so a
 * durable length always ends on a chunk. The file's checkpoint script clears
 * them. The next run lists after the checkpoint; when the first file it
 * opens is that source, unchanged (size and etag), to the same target, it
 * reopens the writer (backend_write_resume() keeps cp_part parts) and reads
 * the source from cp_off, hashing on from cp_shactx. Otherwise (a changed
 * source, another file first, a writer the store no longer has) it aborts
 * that writer and starts the file afresh, as before parts were durable. */
#include "digest.h" /* first: it asks OpenSSL for the (deprecated) raw contexts */

#include "backend.h"
#include "config.h"
#include "dsnap.h"
#include "err.h"
#include "log.h"
#include "runner.h"
#include "worker.h"
#include "xfer_copy.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* KEYS: job hash. ARGV: worker, cp_wkey, cp_wstate, cp_src, cp_size,
 * cp_etag, cp_off, cp_part, cp_shactx. Fenced by the worker field. */
static const char save_lua[] =
    "if redis.call('HGET', KEYS[1], 'worker') ~= ARGV[1] then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'cp_wkey', ARGV[2], 'cp_wstate', ARGV[3], 'cp_src', ARGV[4],\n"
    "           'cp_size', ARGV[5], 'cp_etag', ARGV[6], 'cp_off', ARGV[7], 'cp_part', ARGV[8],\n"
    "           'cp_shactx', ARGV[9])\n"
    "return 1\n";

void cpres_written(struct run *r)
{
    struct cp *c = r->x;
    int64_t durable = 0, bd = 0;
    char size[24], off[24], part[24];
    if (c->off >= c->e->size) /* the commit follows: nothing to resume */
        return;
    if (dsnap_push(&c->snaps, c->off, &c->dg) != 0) /* then this file restarts if need be */
        return;
    if (backend_write_state(c->w, c->wstate, BACKEND_STATE_MAX, &durable) != 0) {
        dsnap_clear(&c->snaps); /* a writer that cannot resume */
        return;
    }
    if (dsnap_advance(&c->snaps, durable, &bd, c->shactx) == 0 || bd <= 0)
        return;
    snprintf(size, sizeof(size), "%" PRId64, c->e->size);
    snprintf(off, sizeof(off), "%" PRId64, bd);
    snprintf(part, sizeof(part), "%" PRId64, (bd + (int64_t)c->cap - 1) / (int64_t)c->cap);
    c->durable_saved = true;
    runner_cmdf(r, NULL, "EVAL", save_lua, "1", r->hkey, r->w->cfg->worker.name, c->dkey, c->wstate,
                c->e->key, size, c->e->etag, off, part, c->shactx, NULL);
}

/* ------------------------------------------------------------ aborting */

static void stale_done(struct run *r)
{
    struct cp *c = r->x;
    c->rs.have = false;
    c->after_stale(r);
}

static void on_stale_aborted(int rc, const char *msg, void *ud)
{
    struct run *r = ud;
    if (!runner_resume(r))
        return;
    if (rc)
        log_warn("job=%s cannot abort the write a previous run left: %s (%d %s)", r->j.id, msg, rc,
                 st_strerror(rc));
    stale_done(r);
}

static void on_stale_open(int rc, const char *msg, struct backend_writer *w, void *ud)
{
    struct run *r = ud;
    if (!runner_resume(r)) {
        if (!rc)
            backend_write_abort(w, NULL, NULL);
        return;
    }
    if (rc) { /* already gone (committed or cleaned): nothing to undo */
        log_debug("job=%s no write of a previous run to abort: %s", r->j.id, msg);
        stale_done(r);
        return;
    }
    rc = backend_write_abort(w, on_stale_aborted, r);
    if (rc)
        stale_done(r);
    else
        runner_begin(r);
}

/* Abort rs's writer, then c->after_stale. */
static void abort_stale(struct run *r)
{
    struct cp *c = r->x;
    struct backend_write_opts o = {.no_overwrite = true};
    if (c->rs.wstate &&
        backend_write_resume(c->dst, c->rs.wkey, &o, c->rs.wstate, 0, 0, on_stale_open, r) == 0) {
        log_info("job=%s aborting the write of '%s' a previous run left", r->j.id, c->rs.wkey);
        runner_begin(r);
        return;
    }
    stale_done(r);
}

/* ------------------------------------------------------------ loading */

static const char *str_at(const redisReply *rep, size_t i)
{
    if (rep->type != REDIS_REPLY_ARRAY || i >= rep->elements ||
        rep->element[i]->type != REDIS_REPLY_STRING)
        return NULL;
    return rep->element[i]->str;
}

static void on_saved(struct run *r, redisReply *rep)
{
    struct cp *c = r->x;
    struct cp_saved *s = &c->rs;
    const char *wkey = str_at(rep, 0), *ws = str_at(rep, 1), *src = str_at(rep, 2);
    const char *size = str_at(rep, 3), *etag = str_at(rep, 4), *off = str_at(rep, 5);
    const char *part = str_at(rep, 6), *sha = str_at(rep, 7);
    if (!wkey || !ws || snprintf(s->wkey, sizeof(s->wkey), "%s", wkey) >= (int)sizeof(s->wkey) ||
        !(s->wstate = strdup(ws))) {
        c->after_stale(r);
        return;
    }
    s->have = true;
    if (src && size && off && part && sha) {
        snprintf(s->src, sizeof(s->src), "%s", src);
        snprintf(s->etag, sizeof(s->etag), "%s", etag ? etag : "");
        snprintf(s->shactx, sizeof(s->shactx), "%s", sha);
        s->size = strtoll(size, NULL, 10);
        s->off = strtoll(off, NULL, 10);
        s->part = atol(part);
    }
    if (s->off > 0 && s->part > 0) { /* resumed when the listing reaches it */
        log_info("job=%s the previous run stored %" PRId64 " bytes of '%s' (%ld parts)", r->j.id,
                 s->off, s->src, s->part);
        c->after_stale(r);
    } else {
        abort_stale(r);
    }
}

void cpres_load(struct run *r, void (*then)(struct run *r))
{
    struct cp *c = r->x;
    c->after_stale = then;
    runner_cmdf(r, on_saved, "HMGET", r->hkey, "cp_wkey", "cp_wstate", "cp_src", "cp_size",
                "cp_etag", "cp_off", "cp_part", "cp_shactx", NULL);
}

/* ------------------------------------------------------------ resuming */

bool cpres_open(struct run *r)
{
    struct cp *c = r->x;
    struct cp_saved *s = &c->rs;
    if (!s->have)
        return false;
    bool same = s->off > 0 && s->off < c->e->size && strcmp(s->src, c->e->key) == 0 &&
                strcmp(s->wkey, c->dkey) == 0 && s->size == c->e->size &&
                strcmp(s->etag, c->e->etag) == 0;
    if (!same || digest_load(&c->dg, s->shactx) != 0) {
        log_info("job=%s not resuming '%s' (the source or target changed): starting afresh",
                 r->j.id, s->src);
        c->after_stale = cp_open_fresh;
        abort_stale(r);
        return true;
    }
    s->have = false;
    c->off = c->read_from = s->off;
    c->part = s->part;
    c->resuming = c->durable_saved = true;
    log_info("job=%s resuming the copy of '%s' at part %ld, offset %" PRId64 " of %" PRId64,
             r->j.id, c->e->key, c->part, c->off, c->e->size);
    struct backend_write_opts o = cp_write_opts(r);
    int rc = backend_write_resume(c->dst, c->dkey, &o, s->wstate, s->part, s->off, cp_on_open, r);
    if (rc)
        cpres_reopen_failed(r, st_strerror(rc));
    else
        runner_begin(r);
    return true;
}

bool cpres_drop(struct run *r, void (*then)(struct run *r))
{
    struct cp *c = r->x;
    if (!c->rs.have)
        return false;
    log_info("job=%s the file '%s' a previous run was writing was not copied again", r->j.id,
             c->rs.src[0] ? c->rs.src : c->rs.wkey);
    c->after_stale = then;
    abort_stale(r);
    return true;
}

void cpres_free(struct cp *c)
{
    free(c->rs.wstate);
    c->rs.wstate = NULL;
}

void cpres_reopen_failed(struct run *r, const char *msg)
{
    struct cp *c = r->x;
    log_warn("job=%s cannot resume the write of '%s': %s; starting afresh", r->j.id, c->dkey, msg);
    c->resuming = false;
    c->rs.have = true;
    c->after_stale = cp_open_fresh;
    abort_stale(r);
}
