/* xfer_download.c - DOWNLOAD jobs: the producer end of the part pipe
 * (docs/redis.md). stat the key; set file_* + bytes_total + parts_total in
 * one HSET; then for part n: once its ranged read landed and
 * n - parts_done < window, SET the part, HSET parts_ready n+1, HINCRBY
 * bytes_done, wake the frontend. SUCCEEDED once parts_done == parts_total.
 *
 * The reads run ahead of the pipe (readahead.h): up to worker.parallel_reads
 * ranges are read at once while the parts go into Redis strictly in order,
 * so an object store's request latency is paid once per depth parts, not
 * once per part. Memory: parallel_reads x part size per job, besides the
 * window in Redis. A failed read fails the job when its part is next (a
 * transient failure is retried like any other, runner.h). */
#include "backend.h"
#include "config.h"
#include "err.h"
#include "keys.h"
#include "readahead.h"
#include "runner.h"
#include "worker.h"
#include "xfer.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct down {
    long n;            /* next part to produce */
    long total;        /* parts_total */
    int64_t off;       /* first byte of the range */
    int64_t end;       /* one past the last byte */
    int64_t ps;        /* part size */
    int64_t seen_done; /* parts_done last seen, for stall detection */
    struct readahead *ra;
};

static void next_step(struct run *r);

static void down_cleanup(struct run *r)
{
    struct down *d = r->x;
    if (d) {
        readahead_free(d->ra);
        free(d);
        r->x = NULL;
    }
}

static void on_produced(struct run *r, redisReply *rep)
{
    runner_wake_fe(r);
    next_step(r);
}

/* A read landed: the producer looks again (at once if it is waiting). */
static void on_ready(struct run *r)
{
    runner_wake(r);
}

/* Part n's read landed and the window has room: into the pipe. Its bytes
 * are copied into the command (hiredis), so its slot is free at once. */
static void produce(struct run *r, const struct partring_slot *s)
{
    struct down *d = r->x;
    char len[24];
    if (s->rc) {
        xfer_fail_backend(r, s->rc, "cannot read", s->msg);
        return;
    }
    if (s->got != s->len) {
        runner_finish(r, ST_EAGAIN, "file '%s' changed while it was being downloaded; retry",
                      r->j.path);
        return;
    }
    xfer_put_part(r, d->n, s->buf, s->len);
    r->parts++;
    r->bytes += (int64_t)s->len;
    snprintf(len, sizeof(len), "%zu", s->len);
    readahead_pop(d->ra);
    d->n++;
    runner_cmdf(r, on_produced, "HINCRBY", r->hkey, "bytes_done", len, NULL);
}

static void on_counters(struct run *r, redisReply *rep)
{
    struct down *d = r->x;
    if (!runner_live(r))
        return;
    if (r->j.parts_done != d->seen_done) {
        d->seen_done = r->j.parts_done;
        runner_progress(r);
    }
    const struct partring_slot *s = d->n < d->total ? readahead_head(d->ra) : NULL;
    bool room = d->n - r->j.parts_done < xfer_window(r);
    if (s && (room || s->rc))
        produce(r, s);
    else if (d->n >= d->total && r->j.parts_done >= d->total)
        runner_finish(r, 0, "%s", "");
    else if (d->n < d->total && !s && room) {
        /* waiting for the backend, not the client: with every part it was
         * given read, the client is not stalling */
        if (r->j.parts_done >= d->n)
            runner_progress(r);
        runner_wait(r); /* the read's landing wakes it */
    } else if (runner_stalled(r))
        runner_finish(r, ST_ETIMEOUT, "download stalled: the client read nothing for %d s",
                      runner_stall_s(r));
    else
        runner_wait_peer(r);
}

static void next_step(struct run *r)
{
    runner_read_counters(r, on_counters);
}

static void on_info(struct run *r, redisReply *rep)
{
    runner_wake_fe(r);
    next_step(r);
}

static void on_stat(int rc, const char *msg, const struct backend_entry *e, void *ud)
{
    struct run *r = ud;
    struct down *d = r->x;
    if (!runner_resume(r))
        return;
    if (rc) {
        xfer_fail_backend(r, rc, "cannot stat", msg);
        return;
    }
    if (r->j.offset > e->size) {
        runner_finish(r, ST_EINVAL,
                      "offset %" PRId64 " is past the end of '%s' (%" PRId64 " bytes)", r->j.offset,
                      r->j.path, e->size);
        return;
    }
    int64_t len = e->size - r->j.offset;
    if (r->j.length > 0 && r->j.length < len)
        len = r->j.length;
    d->off = r->j.offset;
    d->end = d->off + len;
    d->total = (long)((len + d->ps - 1) / d->ps);
    if (!(d->ra = readahead_new(r, readahead_depth(r), (size_t)d->ps, on_ready)) ||
        readahead_start(d->ra, r->backend, r->bkey, d->off, d->end) != 0) {
        runner_finish(r, ST_ENOMEM, "out of memory for the reads of '%s'", r->j.path);
        return;
    }
    r->files = 1;
    xfer_file_fields(r, e, len, d->total, on_info);
}

static void down_start(struct run *r)
{
    struct down *d = calloc(1, sizeof(*d));
    if (!d) {
        runner_finish(r, ST_ENOMEM, "out of memory");
        return;
    }
    r->x = d;
    d->ps = xfer_part_size(r);
    int rc = backend_stat(r->backend, r->bkey, on_stat, r);
    if (rc)
        xfer_fail_backend(r, rc, "cannot stat", NULL);
    else
        runner_begin(r);
}

static void down_poll(struct run *r)
{
    next_step(r);
}

const struct xfer_kind xfer_download = {"DOWNLOAD", down_start, down_poll, down_cleanup};
