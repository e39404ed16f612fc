/* xfer_download.c - DOWNLOAD jobs: the producer end of the part pipe
 * (docs/redis.md). stat the key; set file_* + bytes_total + parts_total in
 * one HSET; then for part n: wait until n - parts_done < window, read the
 * range from the backend, SET the part, HSET parts_ready n+1, HINCRBY
 * bytes_done, wake the frontend. SUCCEEDED once parts_done == parts_total. */
#include "backend.h"
#include "config.h"
#include "err.h"
#include "keys.h"
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
    char *buf;
    size_t len; /* bytes of part n */
};

static void next_step(struct run *r);

static void down_cleanup(struct run *r)
{
    struct down *d = r->x;
    if (d) {
        free(d->buf);
        free(d);
        r->x = NULL;
    }
}

static void on_produced(struct run *r, redisReply *rep)
{
    struct down *d = r->x;
    runner_wake_fe(r);
    d->n++;
    next_step(r);
}

static void on_read(int rc, const char *msg, size_t nread, void *ud)
{
    struct run *r = ud;
    struct down *d = r->x;
    char len[24];
    if (!runner_resume(r))
        return;
    if (rc) {
        xfer_fail_backend(r, rc, "cannot read", msg);
        return;
    }
    if (nread != d->len) {
        runner_finish(r, ST_EAGAIN, "file '%s' changed while it was being downloaded; retry",
                      r->j.path);
        return;
    }
    xfer_put_part(r, d->n, d->buf, d->len);
    r->parts++;
    r->bytes += (int64_t)d->len;
    snprintf(len, sizeof(len), "%zu", d->len);
    runner_cmdf(r, on_produced, "HINCRBY", r->hkey, "bytes_done", len, NULL);
}

static void produce(struct run *r)
{
    struct down *d = r->x;
    int64_t at = d->off + (int64_t)d->n * d->ps;
    d->len = (size_t)(d->end - at < d->ps ? d->end - at : d->ps);
    int rc = backend_read(r->backend, r->bkey, at, d->len, d->buf, on_read, r);
    if (rc)
        xfer_fail_backend(r, rc, "cannot read", NULL);
    else
        runner_begin(r);
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
    if (d->n < d->total && d->n - r->j.parts_done < xfer_window(r))
        produce(r);
    else if (d->n >= d->total && r->j.parts_done >= d->total)
        runner_finish(r, 0, "%s", "");
    else if (runner_stalled(r))
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
    if (d->total > 0 && !(d->buf = malloc((size_t)(len < d->ps ? len : d->ps)))) {
        runner_finish(r, ST_ENOMEM, "out of memory for a part of %" PRId64 " bytes", d->ps);
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
