/* xfer_copy.c - COPY jobs: list the source like LIST (prefix + pattern,
 * scan.h) and stream each match into the target (dst_* fields, naming rules
 * in copypath.h) through the backend interface, in part-size chunks (read
 * from the source backend, write_part to the target's writer, in order)
 * with up to worker.parallel_reads chunks of the source read ahead
 * (readahead.h), so memory is that many chunks whatever the file size, and
 * any pair of backends works (fs -> s3, s3 -> fs, ...). Inside one store
 * that can copy by itself (backend_copy(): S3 CopyObject within the bucket)
 * the store does it and the bytes never pass through the worker.
 *
 * A target that exists with overwrite=false is skipped (SKIPPED, like
 * `cp -n`): the job still succeeds, and re-running a copy only fills the
 * gaps. The commit is also no-overwrite then, so a file created meanwhile is
 * skipped, never replaced. Per-file outcomes (COPIED, SKIPPED, FAILED) go
 * to st:job:<id>:results for GetJobResults; a source that vanished after
 * the listing fails that file only, and the job fails at the end naming the
 * first one. Backend failures end the job (retried when transient).
 *
 * Resuming: after each file one script appends its result and stores the
 * checkpoint (start_after = the source name, files_done, ckpt_bytes), so a
 * retry or another worker after a crash lists after it and copies only the
 * rest. The file in flight goes on from the last part its target stored
 * (xfer_copy_resume.c); its writer's state (cp_wkey, cp_wstate) is saved
 * when it opens, so that a next run that cannot go on aborts what a dead
 * worker left (an fs temp file, a multipart upload). Cancel is seen between
 * chunks and between files. No match at all is NOT_FOUND.
 *
 * Progress: files_total grows page by page; bytes_total is set once the
 * listing has ended (the first page is the last for most copies), to the
 * bytes this job moves: the checkpoint's, plus the matches' sizes, less
 * those of files skipped or failed (lowered as they end), so that
 * `job get`/`--wait` show a total that bytes_done reaches. */
#include "digest.h" /* first: it asks OpenSSL for the (deprecated) raw contexts */

#include "backend.h"
#include "backends.h"
#include "config.h"
#include "copypath.h"
#include "err.h"
#include "log.h"
#include "qacct.h"
#include "runner.h"
#include "scan.h"
#include "worker.h"
#include "xfer.h"
#include "xfer_copy.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PAGE 1000

static void next_file(struct run *r);
static void on_matches(struct run *r, int rc, const char *msg, const struct backend_entry *const *e,
                       size_t n, bool last);

static void cp_cleanup(struct run *r)
{
    struct cp *c = r->x;
    if (!c)
        return;
    /* A failed or cancelled file leaves nothing behind; a run handed back or
     * retried keeps a writer whose stored parts the job hash names, for the
     * next run to go on with (xfer_copy_resume.c), as uploads do. */
    if (c->w && (r->lost || r->requeue) && c->durable_saved)
        backend_write_detach(c->w);
    else if (c->w)
        backend_write_abort(c->w, NULL, NULL);
    scan_free(c->s);
    readahead_free(c->ra);
    free(c->wstate);
    dsnap_free(&c->snaps);
    cpres_free(c);
    backends_release(r->w->backends, c->dst);
    free(c);
    r->x = NULL;
}

static const char *src_rel(const struct run *r, const struct cp *c)
{
    return scan_rel(r, c->e);
}

/* A backend failure that ends the job, naming the file and the side. */
static void fail(struct run *r, int rc, const char *what, const char *key, const char *msg)
{
    r->transient = rc == ST_EAGAIN || rc == ST_EUNAVAIL || rc == ST_EIO || rc == ST_ETIMEOUT;
    runner_finish(r, rc, "cannot %s '%s': %s", what, key, msg && *msg ? msg : st_strerror(rc));
}

/* ------------------------------------------------------------ checkpoint */

/* KEYS: job hash, results list. ARGV: result line, retention, start_after,
 * files_done, ckpt_bytes, worker, event channel. Fenced by the worker field
 * so a run that lost its lease cannot move the checkpoint of the new owner.
 * The file ended: nothing of it is to be resumed or aborted any more. */
static const char ckpt_lua[] =
    "if redis.call('HGET', KEYS[1], 'worker') ~= ARGV[6] then return 0 end\n"
    "redis.call('RPUSH', KEYS[2], ARGV[1])\n"
    "redis.call('EXPIRE', KEYS[2], ARGV[2])\n"
    "redis.call('HSET', KEYS[1], 'start_after', ARGV[3], 'files_done', ARGV[4],\n"
    "           'ckpt_bytes', ARGV[5], 'bytes_done', ARGV[5])\n"
    "redis.call('HDEL', KEYS[1], 'cp_wkey', 'cp_wstate', 'cp_src', 'cp_size', 'cp_etag',\n"
    "           'cp_off', 'cp_part', 'cp_shactx')\n"
    "redis.call('PUBLISH', ARGV[7], 'progress')\n"
    "return 1\n";

static void on_between(struct run *r, redisReply *rep)
{
    struct cp *c = r->x;
    if (!runner_live(r))
        return;
    c->i++;
    next_file(r);
}

/* bytes_total, once the whole listing is known (see the top). */
static void set_bytes_total(struct run *r, run_reply_fn *cb)
{
    struct cp *c = r->x;
    char total[24];
    snprintf(total, sizeof(total), "%" PRId64, c->base_bytes + c->matched_bytes - c->unmoved_bytes);
    runner_cmdf(r, cb, "HSET", r->hkey, "bytes_total", total, NULL);
}

/* The current file ended as `status`; record it, then look for a cancel. */
static void file_done(struct run *r, const char *status, const char *err)
{
    struct cp *c = r->x;
    char line[2600], rkey[KEY_MAX + 16], ttl[24], done[24], bytes[24], ev[KEY_MAX];
    c->done++;
    if (strcmp(status, "COPIED") != 0) {
        c->unmoved_bytes += c->e->size;
        if (c->last)
            set_bytes_total(r, NULL);
    }
    snprintf(line, sizeof(line), "%s\t%s\t%s", status, src_rel(r, c), err);
    snprintf(rkey, sizeof(rkey), "%s:results", r->hkey);
    snprintf(ttl, sizeof(ttl), "%d", r->w->cfg->jobs.retention_s);
    snprintf(done, sizeof(done), "%" PRId64, c->base_done + c->done);
    snprintf(bytes, sizeof(bytes), "%" PRId64, c->base_bytes + c->bytes);
    snprintf(ev, sizeof(ev), "st:ev:%s", r->j.id);
    runner_cmdf(r, NULL, "EVAL", ckpt_lua, "2", r->hkey, rkey, line, ttl, src_rel(r, c), done,
                bytes, r->j.worker, ev, NULL);
    runner_read_counters(r, on_between);
}

static void file_failed(struct run *r, int rc, const char *msg)
{
    struct cp *c = r->x;
    char err[600];
    snprintf(err, sizeof(err), "%s", msg && *msg ? msg : st_strerror(rc));
    if (c->failed++ == 0) {
        c->first_err = rc;
        snprintf(c->first, sizeof(c->first), "'%s': %s", src_rel(r, c), err);
    }
    file_done(r, "FAILED", err);
}

/* ------------------------------------------------------------ one file */

static void next_chunk(struct run *r);

/* The target was written (or not): record the file's outcome. */
static void stored(struct run *r, int rc, const char *msg)
{
    struct cp *c = r->x;
    char why[1400];
    if (rc == ST_EEXIST) { /* created meanwhile: overwrite=false keeps it */
        snprintf(why, sizeof(why), "'%s' already exists in @%s (overwrite is off)", c->drel,
                 r->j.dst_stage);
        file_done(r, "SKIPPED", why);
        return;
    }
    if (rc) {
        fail(r, rc, "store", c->drel, msg);
        return;
    }
    c->bytes += c->off;
    r->bytes += c->off - c->read_from;
    if (c->read_from > 0)
        log_info("job=%s copied '%s' from offset %" PRId64 ": read %" PRId64
                 " bytes of the source in this run",
                 r->j.id, c->e->key, c->read_from, c->src_read);
    r->files++;
    qacct_copied(r, c->off, c->old_size);
    file_done(r, "COPIED", "");
}

static void on_committed(int rc, const char *msg, void *ud)
{
    struct run *r = ud;
    if (runner_resume(r))
        stored(r, rc, msg);
}

static void on_copied(int rc, const char *msg, void *ud)
{
    struct run *r = ud;
    struct cp *c = r->x;
    if (!runner_resume(r))
        return;
    if (rc == ST_ENOTFOUND) {
        file_failed(r, rc, "the file disappeared while it was being copied");
        return;
    }
    if (rc == 0) {
        c->off = c->e->size;
        r->parts++;
    }
    stored(r, rc, msg);
}

/* Source and target in the same store: let it copy (S3 CopyObject, Azure
 * Copy Blob From URL, also between two stages of one account), the bytes
 * never come here. false if the backends cannot. */
static bool copy_inside(struct run *r)
{
    struct cp *c = r->x;
    struct backend_write_opts o = {.no_overwrite = !r->j.overwrite, .size_hint = c->e->size};
    c->off = 0;
    int rc =
        backend_copy_from(c->dst, r->backend, c->e->key, c->dkey, c->e->size, &o, on_copied, r);
    if (rc == ST_EUNIMPL)
        return false;
    if (rc)
        fail(r, rc, "copy", c->drel, NULL);
    else
        runner_begin(r);
    return true;
}

/* The streamed bytes' digests go with the copy; when the source recorded
 * a SHA-256 (fs xattr, S3 metadata) the copy must have it, or it is not
 * stored (a source changed or damaged underneath). */
static void commit(struct run *r)
{
    struct cp *c = r->x;
    char md5[DIGEST_MD5_HEX], sha[DIGEST_SHA256_HEX];
    digest_final(&c->dg, md5, sha);
    if (c->e->sha256[0] && strcasecmp(c->e->sha256, sha) != 0) {
        backend_write_abort(c->w, NULL, NULL);
        c->w = NULL;
        file_failed(r, ST_EAGAIN, "the file's sha256 differs from the one recorded with it");
        return;
    }
    backend_write_digests(c->w, md5, sha);
    int rc = backend_write_commit(c->w, on_committed, r);
    if (rc) {
        fail(r, rc, "store", c->drel, NULL);
        return;
    }
    c->w = NULL; /* consumed */
    runner_begin(r);
}

static void on_chunk_live(struct run *r, redisReply *rep)
{
    struct cp *c = r->x;
    if (!runner_live(r))
        return;
    if (c->off < c->e->size)
        next_chunk(r);
    else
        commit(r);
}

static void on_written(int rc, const char *msg, void *ud)
{
    struct run *r = ud;
    struct cp *c = r->x;
    char bytes[24];
    if (!runner_resume(r))
        return;
    if (rc) {
        fail(r, rc, "write", c->drel, msg);
        return;
    }
    readahead_pop(c->ra); /* the writer is done with the chunk */
    c->part++;
    r->parts++;
    cpres_written(r);
    runner_progress(r);
    snprintf(bytes, sizeof(bytes), "%" PRId64, c->base_bytes + c->bytes + c->off);
    runner_cmdf(r, NULL, "HSET", r->hkey, "bytes_done", bytes, NULL);
    runner_read_counters(r, on_chunk_live); /* a cancel stops a big file too */
}

/* The next chunk in order: to the writer once its read landed, else wait
 * for the landing (on_chunk_ready). */
static void next_chunk(struct run *r)
{
    struct cp *c = r->x;
    const struct partring_slot *s = readahead_head(c->ra);
    if (!s) {
        c->wait_read = true;
        return;
    }
    if (s->rc == ST_ENOTFOUND || (!s->rc && s->got != s->len)) {
        backend_write_abort(c->w, NULL, NULL);
        c->w = NULL;
        file_failed(r, s->rc ? s->rc : ST_EAGAIN,
                    s->rc ? "the file disappeared while it was being copied"
                          : "the file changed while it was being copied");
        return;
    }
    if (s->rc) {
        fail(r, s->rc, "read", src_rel(r, c), s->msg);
        return;
    }
    digest_update(&c->dg, s->buf, s->got);
    c->src_read += (int64_t)s->got;
    int rc = backend_write_part(c->w, c->part, s->buf, s->got, on_written, r);
    if (rc) {
        fail(r, rc, "write", c->drel, NULL);
        return;
    }
    c->off += (int64_t)s->got;
    runner_begin(r);
}

/* A read of the source landed; go on if the copy waits for it. */
static void on_chunk_ready(struct run *r)
{
    struct cp *c = r->x;
    if (c->wait_read) {
        c->wait_read = false;
        next_chunk(r);
    }
}

static void on_recorded(struct run *r, redisReply *rep)
{
    struct cp *c = r->x;
    (void)rep;
    if (c->off >= c->e->size) {
        commit(r);
        return;
    }
    if (readahead_start(c->ra, r->backend, c->e->key, c->off, c->e->size) != 0) {
        runner_finish(r, ST_ENOMEM, "out of memory");
        return;
    }
    next_chunk(r);
}

/* KEYS: job hash. ARGV: worker, cp_wkey, cp_wstate. A fresh writer: what
 * the hash said of an earlier one no longer holds. Fenced like ckpt_lua. */
static const char opened_lua[] =
    "if redis.call('HGET', KEYS[1], 'worker') ~= ARGV[1] then return 0 end\n"
    "redis.call('HDEL', KEYS[1], 'cp_src', 'cp_size', 'cp_etag', 'cp_off', 'cp_part',\n"
    "           'cp_shactx')\n"
    "redis.call('HSET', KEYS[1], 'cp_wkey', ARGV[2], 'cp_wstate', ARGV[3])\n"
    "return 1\n";

void cp_on_open(int rc, const char *msg, struct backend_writer *w, void *ud)
{
    struct run *r = ud;
    struct cp *c = r->x;
    if (!runner_resume(r)) {
        if (!rc) /* ending: nothing of this file may stay */
            backend_write_abort(w, NULL, NULL);
        return;
    }
    if (rc && c->resuming) {
        cpres_reopen_failed(r, msg && *msg ? msg : st_strerror(rc));
        return;
    }
    if (rc) {
        fail(r, rc, "write", c->drel, msg);
        return;
    }
    c->w = w;
    if (c->resuming) { /* the hash already holds this writer's state */
        c->resuming = false;
        on_recorded(r, NULL);
        return;
    }
    /* A successor aborts the write the job records: record it, and only once
     * Redis has it write data, so a worker killed mid-file leaves no temp
     * file nobody knows about. */
    if (backend_write_state(w, c->wstate, BACKEND_STATE_MAX, NULL) == 0)
        runner_cmdf(r, on_recorded, "EVAL", opened_lua, "1", r->hkey, r->w->cfg->worker.name,
                    c->dkey, c->wstate, NULL);
    else
        on_recorded(r, NULL);
}

/* The target's parts are a multiple of the chunk, so that what it stored
 * durably ends on one (xfer_copy_resume.c). */
struct backend_write_opts cp_write_opts(const struct run *r)
{
    const struct cp *c = r->x;
    return (struct backend_write_opts){.no_overwrite = !r->j.overwrite,
                                       .size_hint = c->e->size,
                                       .part_align = c->cap,
                                       .creator = r->j.user,
                                       .sha256 = c->e->sha256};
}

void cp_open_fresh(struct run *r)
{
    struct cp *c = r->x;
    c->off = c->read_from = c->src_read = 0;
    c->part = 0;
    c->resuming = false;
    c->durable_saved = false;
    if (digest_init(&c->dg) != 0) {
        runner_finish(r, ST_EINTERNAL, "cannot set up MD5 and SHA-256");
        return;
    }
    struct backend_write_opts o = cp_write_opts(r);
    int rc = backend_write_open(c->dst, c->dkey, &o, cp_on_open, r);
    if (rc)
        fail(r, rc, "write", c->drel, NULL);
    else
        runner_begin(r);
}

static void open_target(struct run *r)
{
    struct cp *c = r->x;
    size_t ps = (size_t)xfer_part_size(r);
    if (!c->ra) { /* cap is the chunk even for an empty file: the writer's part_align */
        if (!(c->ra = readahead_new(r, readahead_depth(r), ps, on_chunk_ready))) {
            runner_finish(r, ST_ENOMEM, "out of memory");
            return;
        }
        c->cap = ps;
    }
    dsnap_clear(&c->snaps);
    c->src_read = 0;
    if (!cpres_open(r))
        cp_open_fresh(r);
}

/* The store copies by itself, or the bytes stream through a writer. */
static void copy_file(struct run *r)
{
    if (!copy_inside(r))
        open_target(r);
}

static void on_target_stat(int rc, const char *msg, const struct backend_entry *e, void *ud)
{
    struct run *r = ud;
    struct cp *c = r->x;
    char why[1400];
    if (!runner_resume(r))
        return;
    if (rc == 0 && r->j.overwrite) {
        c->old_size = e->size;
        copy_file(r);
    } else if (rc == 0) {
        snprintf(why, sizeof(why), "'%s' already exists in @%s (overwrite is off)", c->drel,
                 r->j.dst_stage);
        file_done(r, "SKIPPED", why);
    } else if (rc == ST_ENOTFOUND) {
        copy_file(r);
    } else {
        fail(r, rc, "check", c->drel, msg);
    }
}

/* Look for an existing target first: unless overwrite, it is skipped; with
 * overwrite on a counted stage, its size leaves the quota usage. */
static void stat_target(struct run *r)
{
    struct cp *c = r->x;
    c->old_size = -1;
    if (r->j.overwrite && !qacct_counted(r->j.dst_storage)) {
        copy_file(r);
        return;
    }
    int rc = backend_stat(c->dst, c->dkey, on_target_stat, r);
    if (rc)
        fail(r, rc, "check", c->drel, NULL);
    else
        runner_begin(r);
}

static void on_quota(struct run *r, redisReply *rep)
{
    struct cp *c = r->x;
    char msg[400];
    int rc = qacct_reserved(r, rep, c->e->size, msg, sizeof(msg));
    if (rc)
        runner_finish(r, rc, "cannot copy '%s': %s", src_rel(r, c), msg);
    else
        stat_target(r);
}

/* Start on match c->i: room in the target's quota (if it has one), then
 * the target's state. */
static void start_file(struct run *r)
{
    struct cp *c = r->x;
    if (!qacct_reserve_copy(r, c->e->size, on_quota))
        stat_target(r);
}

/* ------------------------------------------------------------ the listing */

static void finish(struct run *r)
{
    struct cp *c = r->x;
    if (cpres_drop(r, finish))
        return;
    if (c->base_done + c->done == 0) {
        if (r->j.pattern[0])
            runner_finish(r, ST_ENOTFOUND, "no file under '%s' matches pattern '%s'", r->j.location,
                          r->j.pattern);
        else
            runner_finish(r, ST_ENOTFOUND, "no file matches '%s'", r->j.location);
    } else if (c->failed) {
        runner_finish(r, c->first_err, "could not copy %" PRId64 " of %" PRId64 " files; first: %s",
                      c->failed, c->done, c->first);
    } else {
        runner_finish(r, 0, "%s", "");
    }
}

/* Name the target of match c->i; false if the match is not copied. */
static bool target_of(struct run *r, const struct backend_entry *e, struct cp *c, int *rc)
{
    char drel[sizeof(c->drel)];
    *rc = copypath_target(r->j.path, r->j.dst_path, scan_rel(r, e), drel, sizeof(drel));
    if (*rc == ST_ENOTFOUND) {
        *rc = 0;
        return false;
    }
    if (!*rc &&
        snprintf(c->dkey, sizeof(c->dkey), "%s%s", r->j.dst_root, drel) >= (int)sizeof(c->dkey))
        *rc = ST_ELIMIT;
    if (!*rc)
        memcpy(c->drel, drel, sizeof(drel));
    return !*rc;
}

static void next_file(struct run *r)
{
    struct cp *c = r->x;
    int rc = 0;
    for (; c->i < c->n; c->i++) {
        c->e = c->m[c->i];
        if (target_of(r, c->e, c, &rc)) {
            start_file(r);
            return;
        }
        if (rc) {
            file_failed(r, rc, "the target name is too long");
            return;
        }
    }
    if (c->last)
        finish(r);
    else
        scan_next(c->s, on_matches);
}

static void on_total(struct run *r, redisReply *rep)
{
    runner_wake_fe(r); /* the CopyFiles call waits for the first page */
    next_file(r);
}

static void on_matches(struct run *r, int rc, const char *msg, const struct backend_entry *const *e,
                       size_t n, bool last)
{
    struct cp *c = r->x;
    char total[24];
    if (rc) {
        runner_finish(r, rc, "cannot list '%s': %s", r->j.path, msg);
        return;
    }
    c->m = e;
    c->n = n;
    c->i = 0;
    c->last = last;
    for (size_t i = 0; i < n; i++) { /* a file target takes one of them at most */
        char tmp[sizeof(c->drel)];
        if (copypath_target(r->j.path, r->j.dst_path, scan_rel(r, e[i]), tmp, sizeof(tmp)) !=
            ST_ENOTFOUND)
            c->matched++, c->matched_bytes += e[i]->size;
    }
    snprintf(total, sizeof(total), "%" PRId64, c->base_done + c->matched);
    runner_cmdf(r, last ? NULL : on_total, "HSET", r->hkey, "files_total", total, NULL);
    if (last)
        set_bytes_total(r, on_total);
}

static void scan_start(struct run *r)
{
    struct cp *c = r->x;
    char err[400] = "";
    int rc = scan_open(r, PAGE, &c->s, err, sizeof(err));
    if (rc) {
        runner_finish(r, rc, "%s", err);
        return;
    }
    scan_next(c->s, on_matches);
}

static void cp_start(struct run *r)
{
    char err[400] = "";
    struct cp *c = calloc(1, sizeof(*c));
    if (!c) {
        runner_finish(r, ST_ENOMEM, "out of memory");
        return;
    }
    r->x = c;
    if (!(c->wstate = malloc(BACKEND_STATE_MAX))) {
        runner_finish(r, ST_ENOMEM, "out of memory");
        return;
    }
    c->base_done = r->j.files_done;
    c->base_bytes = r->j.ckpt_bytes;
    int rc = 0;
    c->dst = r->w->backend;
    if (r->j.dst_storage[0] || r->w->backends)
        rc = backends_for(r->w->backends, r->j.dst_stage, r->j.dst_storage, r->j.dst_storage_conn,
                          &c->dst, err, sizeof(err));
    if (rc) {
        c->dst = NULL;
        runner_finish(r, rc, "stage @%s: %s", r->j.dst_stage, err);
        return;
    }
    if (r->j.attempts > 1)
        cpres_load(r, scan_start);
    else
        scan_start(r);
}

/* Never waits (runner_wait()), so never polled; go on if it ever is. */
static void cp_poll(struct run *r)
{
    next_file(r);
}

const struct xfer_kind xfer_copy = {"COPY", cp_start, cp_poll, cp_cleanup};
