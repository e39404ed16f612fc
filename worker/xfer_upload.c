/* xfer_upload.c - UPLOAD jobs: the consumer end of the part pipe
 * (docs/redis.md). For part n: wait until parts_ready > n, GET it, write it
 * to the backend writer, then MULTI DEL part / HINCRBY parts_done /
 * HINCRBY bytes_done EXEC and wake the frontend. When parts_done ==
 * parts_total: check the SHA-256 (if the client gave one) and commit, which
 * makes the file visible atomically, with the MD5 and SHA-256 of every byte
 * (always computed, digest.h) and the job's user as its creator. Any failure aborts the writer (in
 * runner_finish), so no partial file is ever visible.
 *
 * Resume (docs/jobs.md): consuming part n is one fenced script that
 * advances parts_done/bytes_done and stores the writer's state (`wstate`,
 * backend_write_state()). The backend may hold part n only in memory for a
 * while (S3 parts in flight), so the parts stay in Redis until the state
 * says they are durable: the script then deletes them and moves
 * parts_durable/bytes_durable and the digest state at that point
 * (`shactx`, digest_save()). Whoever runs the job next reopens the writer at
 * parts_durable (backend_write_resume()), rewinds parts_done to it and goes
 * on hashing from there. */
#include "digest.h" /* first: it asks OpenSSL for the (deprecated) raw contexts */

#include "backend.h"
#include "config.h"
#include "dsnap.h"
#include "err.h"
#include "keys.h"
#include "log.h"
#include "qacct.h"
#include "runner.h"
#include "worker.h"
#include "xfer.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct up {
    long n;     /* next part to consume */
    long pd;    /* parts 0..pd-1 are durable; Redis still holds pd.. */
    int64_t bd; /* their bytes */
    int64_t consumed;
    struct dsnaps snaps; /* v[i]: after part pd+i, for parts pd..n-1 */
    char *buf;           /* copy of part n while the backend writes it */
    size_t cap;
    size_t len;
    bool want_sha; /* the client gave a sha256 */
    struct digest dg;
    bool dg_lost; /* resumed from a run that saved no digest state: none stored */
    char md5[DIGEST_MD5_HEX], sha256[DIGEST_SHA256_HEX]; /* once every part is in */
    char *wstate;                                        /* BACKEND_STATE_MAX */
    char shactx[DIGEST_STATE_MAX];                       /* the digest state at part pd */
    int64_t old_size; /* the file an overwrite replaces, for the quota usage; -1: none */
};

/* KEYS[1] job hash, KEYS[2..] the parts that just became durable. ARGV:
 * worker, n, bytes, wstate, shactx, parts_durable, bytes_durable.
 * 1 consumed; 0 the job is not ours and running any more, or not at part n. */
static const char consume_lua[] =
    "if redis.call('HGET', KEYS[1], 'worker') ~= ARGV[1] or\n"
    "   redis.call('HGET', KEYS[1], 'state') ~= 'RUNNING' then return 0 end\n"
    "if tonumber(redis.call('HGET', KEYS[1], 'parts_done') or '0') ~= tonumber(ARGV[2])\n"
    "  then return 0 end\n"
    "for i = 2, #KEYS do redis.call('DEL', KEYS[i]) end\n"
    "redis.call('HINCRBY', KEYS[1], 'parts_done', 1)\n"
    "redis.call('HINCRBY', KEYS[1], 'bytes_done', ARGV[3])\n"
    "redis.call('HSET', KEYS[1], 'wstate', ARGV[4], 'shactx', ARGV[5],\n"
    "           'parts_durable', ARGV[6], 'bytes_durable', ARGV[7])\n"
    "redis.call('PUBLISH', 'st:ev:' .. string.sub(KEYS[1], 8), 'progress')\n"
    "return 1\n";

/* KEYS and ARGV as consume_lua (n and bytes unused): the writer's state,
 * the digest state and the durable parts as they are once no request of
 * the writer is in flight, before a paused upload is parked (its writer
 * detached for good, so nothing would record them later). */
static const char settle_lua[] =
    "if redis.call('HGET', KEYS[1], 'worker') ~= ARGV[1] or\n"
    "   redis.call('HGET', KEYS[1], 'state') ~= 'RUNNING' then return 0 end\n"
    "for i = 2, #KEYS do redis.call('DEL', KEYS[i]) end\n"
    "redis.call('HSET', KEYS[1], 'wstate', ARGV[4], 'shactx', ARGV[5],\n"
    "           'parts_durable', ARGV[6], 'bytes_durable', ARGV[7])\n"
    "return 1\n";

/* KEYS[1] job hash. ARGV: worker, parts_durable, bytes_durable. A new run
 * goes on from the durable parts: what an earlier run consumed after them
 * is consumed again. Fenced like consume_lua. */
static const char rewind_lua[] =
    "if redis.call('HGET', KEYS[1], 'worker') ~= ARGV[1] or\n"
    "   redis.call('HGET', KEYS[1], 'state') ~= 'RUNNING' then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'parts_done', ARGV[2], 'bytes_done', ARGV[3])\n"
    "return 1\n";

static void next_part(struct run *r);

static void up_cleanup(struct run *r)
{
    struct up *u = r->x;
    if (!u)
        return;
    free(u->buf);
    dsnap_free(&u->snaps);
    free(u->wstate);
    free(u);
    r->x = NULL;
}

static const char *stage_name(struct run *r)
{
    static char st[80];
    return runner_stage(r, st, sizeof(st));
}

static void stored(struct run *r)
{
    struct up *u = r->x;
    /* Sent before the state change on the same connection: a poller that
     * sees SUCCEEDED also sees the file counted. */
    runner_cmdf(r, NULL, "HSET", r->hkey, "files_done", "1", "files_total", "1", NULL);
    qacct_stored(r, u->consumed > r->j.bytes_total ? u->consumed : r->j.bytes_total, u->old_size);
    runner_finish(r, 0, "%s", "");
}

static void on_committed(int rc, const char *msg, void *ud)
{
    struct run *r = ud;
    if (!runner_resume(r))
        return;
    if (rc == ST_EEXIST)
        runner_finish(r, rc, "file '%s' already exists in stage %s (use overwrite)", r->j.path,
                      stage_name(r));
    else if (rc)
        xfer_fail_backend(r, rc, "cannot store", msg);
    else
        stored(r);
}

/* Ends the digests; they match the client's SHA-256 (if it gave one), or
 * the job failed (and runner_finish aborts the writer: nothing stored). */
static bool sha_ok(struct run *r)
{
    struct up *u = r->x;
    digest_final(&u->dg, u->md5, u->sha256);
    if (u->dg_lost)
        u->md5[0] = u->sha256[0] = '\0'; /* never a digest of part of the file */
    if (!u->want_sha || strcasecmp(u->sha256, r->j.sha256) == 0)
        return true;
    runner_finish(r, ST_EINVAL,
                  "sha256 mismatch for '%s': the client said %s, the data hashes to %s", r->j.path,
                  r->j.sha256, u->sha256);
    return false;
}

static void do_commit(struct run *r)
{
    struct up *u = r->x;
    struct backend_writer *w = r->writer;
    backend_write_digests(w, u->md5, u->sha256);
    r->writer = NULL;
    int rc = backend_write_commit(w, on_committed, r);
    if (rc) {
        r->writer = w; /* still ours: runner_finish aborts it */
        xfer_fail_backend(r, rc, "cannot store", NULL);
        return;
    }
    runner_begin(r);
}

/* The size of the file the commit replaces: the quota usage swaps it for
 * the new one. (A concurrent overwrite of the same name between this stat
 * and the commit can leave the usage off by one file's size.) */
static void on_old_size(int rc, const char *msg, const struct backend_entry *e, void *ud)
{
    struct run *r = ud;
    struct up *u = r->x;
    (void)msg;
    if (!runner_resume(r))
        return;
    u->old_size = rc == 0 ? e->size : -1;
    do_commit(r);
}

static void commit(struct run *r)
{
    if (!sha_ok(r))
        return;
    if (!r->j.overwrite || !qacct_counted(r->j.storage)) {
        do_commit(r); /* no overwrite: the start checked that no file was there */
        return;
    }
    if (backend_stat(r->backend, r->bkey, on_old_size, r) != 0)
        do_commit(r);
    else
        runner_begin(r);
}

static void on_fenced(struct run *r, redisReply *rep)
{
    struct up *u = r->x;
    if (runner_live(r))
        runner_finish(r, ST_EINTERNAL, "part %ld was confirmed twice", u->n);
}

static void on_consumed(struct run *r, redisReply *rep)
{
    struct up *u = r->x;
    if (rep->type != REDIS_REPLY_INTEGER || rep->integer != 1) {
        runner_read_counters(r, on_fenced); /* ended elsewhere, or taken over */
        return;
    }
    runner_wake_fe(r);
    u->n++;
    next_part(r);
}

/* The backend holds `durable` bytes for sure: move pd to the last consumed
 * part boundary within them. Returns how many parts became durable. */
static long advance_durable(struct up *u, int64_t durable)
{
    long i = dsnap_advance(&u->snaps, durable, &u->bd, u->shactx);
    u->pd += i;
    return i;
}

#define CONSUME_ARGS 11 /* EVAL script numkeys hash + 7 ARGV */

/* consume_lua or settle_lua with the parts from..from+ndurable-1 that
 * became durable, the writer and digest states. */
static void send_durable(struct run *r, const char *script, run_reply_fn *cb, long from,
                         long ndurable)
{
    struct up *u = r->x;
    size_t argc = CONSUME_ARGS + (size_t)ndurable;
    const char **argv = calloc(argc, sizeof(*argv));
    size_t *lens = calloc(argc, sizeof(*lens));
    char *keys = calloc((size_t)ndurable + 1, KEY_MAX);
    char nkeys[24], n[24], len[24], pd[24], bd[24];
    if (!argv || !lens || !keys) {
        free(argv);
        free(lens);
        free(keys);
        runner_finish(r, ST_ENOMEM, "out of memory");
        return;
    }
    snprintf(nkeys, sizeof(nkeys), "%ld", 1 + ndurable);
    snprintf(n, sizeof(n), "%ld", u->n);
    snprintf(len, sizeof(len), "%zu", u->len);
    snprintf(pd, sizeof(pd), "%ld", u->pd);
    snprintf(bd, sizeof(bd), "%" PRId64, u->bd);
    const char *fixed[] = {"EVAL", script, nkeys, r->hkey};
    size_t a = 0;
    for (; a < 4; a++)
        argv[a] = fixed[a];
    for (long i = 0; i < ndurable; i++) {
        char *k = keys + (size_t)i * KEY_MAX;
        keys_job_part(k, KEY_MAX, r->j.id, from + i);
        argv[a++] = k;
    }
    const char *rest[] = {r->w->cfg->worker.name, n, len, u->wstate, u->shactx, pd, bd};
    for (size_t i = 0; i < 7; i++)
        argv[a++] = rest[i];
    for (size_t i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    runner_cmd(r, cb, (int)argc, argv, lens);
    free(argv);
    free(lens);
    free(keys);
}

static void send_consume(struct run *r, long from, long ndurable)
{
    send_durable(r, consume_lua, on_consumed, from, ndurable);
}

static void on_settled(struct run *r, redisReply *rep)
{
    if (rep->type != REDIS_REPLY_INTEGER || rep->integer != 1)
        runner_read_counters(r, on_fenced); /* ended elsewhere, or taken over */
    else
        runner_park(r);
}

/* A paused upload leaves this worker (runner_park) once its writer's state
 * is final: a request still in flight (S3's Create or UploadParts) would
 * change it after the detach, unrecorded, and its upload id or parts would
 * be lost to the resume and to the expiry's abort. A backend that cannot
 * resume keeps the job here, waiting, as before. */
static void settle_and_park(struct run *r)
{
    struct up *u = r->x;
    int64_t durable = 0;
    if (!r->writer) { /* none open (no part written yet): nothing to record */
        runner_park(r);
        return;
    }
    if (!backend_write_idle(r->writer)) {
        runner_wait(r); /* polls again; the requests in flight end */
        return;
    }
    int rc = backend_write_state(r->writer, u->wstate, BACKEND_STATE_MAX, &durable);
    if (rc == ST_EUNIMPL) {
        runner_wait(r);
        return;
    }
    if (rc) {
        runner_finish(r, rc, "cannot record the upload's state: %s", st_strerror(rc));
        return;
    }
    long from = u->pd;
    send_durable(r, settle_lua, on_settled, from, advance_durable(u, durable));
}

static void on_written(int rc, const char *msg, void *ud)
{
    struct run *r = ud;
    struct up *u = r->x;
    int64_t durable = 0;
    if (!runner_resume(r))
        return;
    if (rc) {
        xfer_fail_backend(r, rc, "cannot write", msg);
        return;
    }
    digest_update(&u->dg, u->buf, u->len);
    u->consumed += (int64_t)u->len;
    if (dsnap_push(&u->snaps, u->consumed, &u->dg)) {
        runner_finish(r, ST_ENOMEM, "out of memory");
        return;
    }
    rc = backend_write_state(r->writer, u->wstate, BACKEND_STATE_MAX, &durable);
    if (rc == ST_EUNIMPL) { /* this backend cannot resume: nothing to keep */
        u->wstate[0] = '\0';
        durable = u->consumed;
    } else if (rc) {
        runner_finish(r, rc, "cannot record the upload's state: %s", st_strerror(rc));
        return;
    }
    r->parts++;
    r->bytes += (int64_t)u->len;
    long from = u->pd;
    send_consume(r, from, advance_durable(u, durable));
}

static int keep_part(struct up *u, const redisReply *rep)
{
    if (rep->len > u->cap) {
        char *p = realloc(u->buf, rep->len);
        if (!p)
            return ST_ENOMEM;
        u->buf = p;
        u->cap = rep->len;
    }
    memcpy(u->buf, rep->str, rep->len);
    u->len = rep->len;
    return 0;
}

static void on_missing(struct run *r, redisReply *rep)
{
    struct up *u = r->x;
    if (runner_live(r))
        runner_finish(r, ST_EINTERNAL, "part %ld of the upload is missing from Redis", u->n);
}

static void on_part(struct run *r, redisReply *rep)
{
    struct up *u = r->x;
    if (rep->type != REDIS_REPLY_STRING) { /* gone: the job probably ended */
        runner_read_counters(r, on_missing);
        return;
    }
    int rc = keep_part(u, rep);
    if (rc) {
        runner_finish(r, rc, "out of memory for a part of %zu bytes", (size_t)rep->len);
        return;
    }
    runner_progress(r);
    rc = backend_write_part(r->writer, u->n, u->buf, u->len, on_written, r);
    if (rc)
        xfer_fail_backend(r, rc, "cannot write", NULL);
    else
        runner_begin(r);
}

static void on_counters(struct run *r, redisReply *rep)
{
    struct up *u = r->x;
    char key[KEY_MAX];
    if (!runner_live(r))
        return;
    if (r->j.parts_total >= 0 && u->n >= r->j.parts_total) {
        commit(r);
    } else if (r->j.parts_ready > u->n) {
        keys_job_part(key, sizeof(key), r->j.id, u->n);
        runner_cmdf(r, on_part, "GET", key, NULL);
    } else if (r->j.paused_until > 0) { /* the client went away; it may resume */
        /* wall clock: the frontend set it. Within the window the job leaves
         * this worker (its slot, its writer) until a resume queues it again
         * or a sweep (psweep.h) expires it. */
        if (job_now_ms() <= r->j.paused_until) {
            runner_progress(r);
            settle_and_park(r);
        } else {
            runner_finish(r, ST_ETIMEOUT,
                          "the client went away and did not resume within "
                          "upload.resume_window_s");
        }
    } else if (runner_stalled(r)) {
        runner_finish(r, ST_ETIMEOUT, "upload stalled: no data from the client for %d s",
                      runner_stall_s(r));
    } else {
        runner_wait_peer(r); /* the frontend relaying the data may have died */
    }
}

static void next_part(struct run *r)
{
    runner_read_counters(r, on_counters);
}

static void on_open(int rc, const char *msg, struct backend_writer *w, void *ud)
{
    struct run *r = ud;
    r->writer = w; /* before resume: a finishing run aborts it */
    if (!runner_resume(r))
        return;
    if (rc)
        xfer_fail_backend(r, rc, "cannot write", msg);
    else
        next_part(r);
}

/* KEYS[1] job hash. ARGV: worker, wstate. Fenced like consume_lua. */
static const char opened_lua[] =
    "if redis.call('HGET', KEYS[1], 'worker') ~= ARGV[1] or\n"
    "   redis.call('HGET', KEYS[1], 'state') ~= 'RUNNING' then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'wstate', ARGV[2])\n"
    "return 1\n";

static void on_recorded(struct run *r, redisReply *rep)
{
    if (rep->type != REDIS_REPLY_INTEGER || rep->integer != 1)
        runner_read_counters(r, on_fenced); /* ended elsewhere, or taken over */
    else
        next_part(r);
}

/* A fresh writer is recorded before its first part, so that if this run
 * loses Redis or dies before a part is confirmed, the next attempt can
 * discard it (discard_stale) instead of leaving a temp file or an open
 * multipart upload behind. */
static void on_fresh_open(int rc, const char *msg, struct backend_writer *w, void *ud)
{
    struct run *r = ud;
    struct up *u = r->x;
    r->writer = w; /* before resume: a finishing run aborts it */
    if (!runner_resume(r))
        return;
    if (rc) {
        xfer_fail_backend(r, rc, "cannot write", msg);
        return;
    }
    rc = backend_write_state(w, u->wstate, BACKEND_STATE_MAX, NULL);
    if (rc) { /* this backend keeps no state (or a single PUT): nothing to record */
        next_part(r);
        return;
    }
    runner_cmdf(r, on_recorded, "EVAL", opened_lua, "1", r->hkey, r->w->cfg->worker.name, u->wstate,
                NULL);
}

static struct backend_write_opts write_opts(const struct run *r)
{
    return (struct backend_write_opts){.content_type = r->j.content_type,
                                       .no_overwrite = !r->j.overwrite,
                                       .size_hint = r->j.bytes_total > 0 ? r->j.bytes_total : 0,
                                       .part_align =
                                           r->j.part_size > 0 ? (size_t)r->j.part_size : 0,
                                       .creator = r->j.user,
                                       .sha256 = r->j.sha256};
}

static void open_writer(struct run *r)
{
    struct backend_write_opts o = write_opts(r);
    int rc = backend_write_open(r->backend, r->bkey, &o, on_fresh_open, r);
    if (rc)
        xfer_fail_backend(r, rc, "cannot write", NULL);
    else
        runner_begin(r);
}

static void on_exists(int rc, const char *msg, const struct backend_entry *e, void *ud)
{
    struct run *r = ud;
    if (!runner_resume(r))
        return;
    if (rc == 0)
        runner_finish(r, ST_EEXIST, "file '%s' already exists in stage %s (use overwrite)",
                      r->j.path, stage_name(r));
    else if (rc != ST_ENOTFOUND)
        xfer_fail_backend(r, rc, "cannot check", msg);
    else
        open_writer(r);
}

static void start_fresh(struct run *r)
{
    if (r->j.overwrite) {
        open_writer(r);
        return;
    }
    int rc = backend_stat(r->backend, r->bkey, on_exists, r);
    if (rc)
        xfer_fail_backend(r, rc, "cannot check", NULL);
    else
        runner_begin(r);
}

/* A run before this one stored parts 0..pd-1 durably: go on from there. */
static void resume(struct run *r)
{
    struct up *u = r->x;
    struct backend_write_opts o = write_opts(r);
    if (!u->wstate[0]) {
        runner_finish(r, ST_EINTERNAL,
                      "cannot resume the upload of '%s' after %ld parts: its backend keeps no "
                      "writer state",
                      r->j.path, u->pd);
        return;
    }
    /* A job an older worker began without a client digest saved no state:
     * it goes on, and the file is stored without digests. */
    if (!u->shactx[0] && !u->want_sha)
        u->dg_lost = true;
    else if (digest_load(&u->dg, u->shactx) != 0) {
        runner_finish(r, ST_EINTERNAL, "cannot resume the upload of '%s': no saved digest state",
                      r->j.path);
        return;
    }
    u->n = u->pd;
    log_info("job=%s resuming the upload of '%s' at part %ld (%" PRId64 " bytes stored)", r->j.id,
             r->bkey, u->n, u->bd);
    int rc = backend_write_resume(r->backend, r->bkey, &o, u->wstate, u->n, u->bd, on_open, r);
    if (rc)
        xfer_fail_backend(r, rc, "cannot resume writing", NULL);
    else
        runner_begin(r);
}

static void discard_stale(struct run *r);

/* From the durable parts on, parts_done already rewound to them. */
static void go_on(struct run *r)
{
    struct up *u = r->x;
    if (u->pd > 0)
        resume(r);
    else if (u->wstate[0])
        discard_stale(r);
    else
        start_fresh(r);
}

static void on_rewound(struct run *r, redisReply *rep)
{
    if (rep->type != REDIS_REPLY_INTEGER || rep->integer != 1)
        runner_read_counters(r, on_fenced);
    else
        go_on(r);
}

static void rewind_and_go_on(struct run *r)
{
    struct up *u = r->x;
    char pd[24], bd[24];
    if (r->j.parts_done == u->pd) {
        go_on(r);
        return;
    }
    log_info("job=%s parts %ld..%" PRId64 " of '%s' were not stored yet: consuming them again",
             r->j.id, u->pd, r->j.parts_done - 1, r->bkey);
    snprintf(pd, sizeof(pd), "%ld", u->pd);
    snprintf(bd, sizeof(bd), "%" PRId64, u->bd);
    r->j.parts_done = u->pd;
    r->j.bytes_done = u->bd;
    runner_cmdf(r, on_rewound, "EVAL", rewind_lua, "1", r->hkey, r->w->cfg->worker.name, pd, bd,
                NULL);
}

static void on_committed_before(int rc, const char *msg, const struct backend_entry *e, void *ud)
{
    struct run *r = ud;
    if (!runner_resume(r))
        return;
    /* As long as the upload and written after the job began: the file that
     * an attempt which lost Redis right after its commit stored (the commit
     * consumed the temp file, so there is nothing to resume). */
    if (rc == 0 && e->size == r->j.bytes_total && e->mtime_ms >= r->j.created_at - 2000) {
        log_info("job=%s '%s' was committed by an earlier attempt", r->j.id, r->bkey);
        stored(r);
        return;
    }
    rewind_and_go_on(r);
}

static void on_stale_aborted(int rc, const char *msg, void *ud)
{
    struct run *r = ud;
    if (!runner_resume(r))
        return;
    if (rc)
        log_warn("job=%s cannot discard the writer of an earlier attempt: %s", r->j.id,
                 msg ? msg : st_strerror(rc));
    start_fresh(r);
}

static void on_stale_open(int rc, const char *msg, struct backend_writer *w, void *ud)
{
    struct run *r = ud;
    if (!runner_resume(r)) {
        backend_write_detach(w); /* NULL-safe; the next attempt finds it again */
        return;
    }
    if (rc) { /* already gone (swept, or never created) */
        start_fresh(r);
        return;
    }
    rc = backend_write_abort(w, on_stale_aborted, r);
    if (rc)
        start_fresh(r);
    else
        runner_begin(r);
}

/* An earlier attempt opened a writer but stored no part: drop it. */
static void discard_stale(struct run *r)
{
    struct up *u = r->x;
    struct backend_write_opts o = write_opts(r);
    log_info("job=%s discarding the unfinished write of an earlier attempt", r->j.id);
    int rc = backend_write_resume(r->backend, r->bkey, &o, u->wstate, 0, 0, on_stale_open, r);
    if (rc)
        start_fresh(r);
    else
        runner_begin(r);
}

static const char *reply_str(const redisReply *rep, size_t i)
{
    if (rep->type != REDIS_REPLY_ARRAY || i >= rep->elements ||
        rep->element[i]->type != REDIS_REPLY_STRING)
        return NULL;
    return rep->element[i]->str;
}

static void on_saved(struct run *r, redisReply *rep)
{
    struct up *u = r->x;
    const char *ws = reply_str(rep, 0), *sha = reply_str(rep, 1);
    const char *pd = reply_str(rep, 2), *bd = reply_str(rep, 3);
    snprintf(u->wstate, BACKEND_STATE_MAX, "%s", ws ? ws : "");
    snprintf(u->shactx, sizeof(u->shactx), "%s", sha ? sha : "");
    /* Jobs from before parts_durable existed: every consumed part was durable. */
    u->pd = pd ? atol(pd) : (long)r->j.parts_done;
    u->bd = bd ? strtoll(bd, NULL, 10) : r->j.bytes_done;
    if (u->pd < 0 || u->pd > r->j.parts_done || u->bd < 0) {
        runner_finish(r, ST_EINTERNAL,
                      "job hash holds parts_durable %ld beyond parts_done %" PRId64, u->pd,
                      r->j.parts_done);
        return;
    }
    u->consumed = u->bd;
    if (r->j.parts_total <= 0 || r->j.parts_done < r->j.parts_total) {
        rewind_and_go_on(r);
        return;
    }
    /* Every part was consumed: an earlier attempt may have committed. */
    int rc = backend_stat(r->backend, r->bkey, on_committed_before, r);
    if (rc)
        xfer_fail_backend(r, rc, "cannot check", NULL);
    else
        runner_begin(r);
}

static void up_start(struct run *r)
{
    struct up *u = calloc(1, sizeof(*u));
    if (!u || !(u->wstate = malloc(BACKEND_STATE_MAX))) {
        free(u);
        runner_finish(r, ST_ENOMEM, "out of memory");
        return;
    }
    r->x = u;
    u->old_size = -1;
    u->want_sha = r->j.sha256[0] != '\0';
    if (digest_init(&u->dg) != 0) {
        runner_finish(r, ST_EINTERNAL, "cannot set up MD5 and SHA-256");
        return;
    }
    runner_cmdf(r, on_saved, "HMGET", r->hkey, "wstate", "shactx", "parts_durable", "bytes_durable",
                NULL);
}

static void up_poll(struct run *r)
{
    next_part(r);
}

const struct xfer_kind xfer_upload = {"UPLOAD", up_start, up_poll, up_cleanup};
