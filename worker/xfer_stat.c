/* xfer_stat.c - STAT jobs (fill the file_* fields), plus the helpers of
 * xfer.h that STAT and DOWNLOAD share. */
#include "xfer.h"

#include "backend.h"
#include "config.h"
#include "err.h"
#include "keys.h"
#include "pipe.h"
#include "runner.h"
#include "worker.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int64_t xfer_window(const struct run *r)
{
    if (r->j.window > 0)
        return r->j.window;
    return r->w->cfg->upload.window > 0 ? r->w->cfg->upload.window : 4;
}

int64_t xfer_part_size(const struct run *r)
{
    if (r->j.part_size > 0)
        return r->j.part_size;
    return r->w->cfg->upload.part_size > 0 ? r->w->cfg->upload.part_size : XFER_PART_SIZE_DEF;
}

void xfer_file_fields(struct run *r, const struct backend_entry *e, int64_t bytes_total,
                      int64_t parts_total, run_reply_fn *cb)
{
    char size[24], mtime[24], btotal[24], ptotal[24];
    snprintf(size, sizeof(size), "%" PRId64, e->size);
    snprintf(mtime, sizeof(mtime), "%" PRId64, e->mtime_ms);
    snprintf(btotal, sizeof(btotal), "%" PRId64, bytes_total);
    snprintf(ptotal, sizeof(ptotal), "%" PRId64, parts_total);
    const char *argv[] = {"HSET",     r->hkey,       "file_name",   r->j.path,     "file_size",
                          size,       "file_mtime",  mtime,         "file_etag",   e->etag,
                          "file_md5", e->md5,        "file_sha256", e->sha256,     "file_creator",
                          e->creator, "bytes_total", btotal,        "parts_total", ptotal};
    runner_cmd(r, cb, parts_total < 0 ? 16 : 20, argv, NULL);
}

void xfer_fail_backend(struct run *r, int rc, const char *what, const char *msg)
{
    char st[80];
    runner_stage(r, st, sizeof(st));
    /* the backend may come back: retried with backoff (runner.h) */
    r->transient = rc == ST_EAGAIN || rc == ST_EUNAVAIL || rc == ST_EIO || rc == ST_ETIMEOUT;
    if (rc == ST_ENOTFOUND)
        runner_finish(r, rc, "file '%s' not found in stage %s", r->j.path, st);
    else
        runner_finish(r, rc, "%s '%s' in stage %s: %s", what, r->j.path, st,
                      msg && *msg ? msg : st_strerror(rc));
}

void xfer_put_part(struct run *r, long n, const void *data, size_t len)
{
    char ready[24];
    struct pipe_cmds p;
    snprintf(ready, sizeof(ready), "%ld", n + 1);
    if (pipe_put(&p, r->j.id, n, data, len) == 0)
        runner_cmd(r, NULL, p.cmd[0].argc, p.cmd[0].argv, p.cmd[0].lens);
    r->produced = n + 1;
    runner_cmdf(r, NULL, "HSET", r->hkey, "parts_ready", ready, NULL);
}

/* ------------------------------------------------------------ STAT */

static void on_fields(struct run *r, redisReply *rep)
{
    r->files = 1;
    runner_finish(r, 0, "%s", "");
}

static void on_stat(int rc, const char *msg, const struct backend_entry *e, void *ud)
{
    struct run *r = ud;
    if (!runner_resume(r))
        return;
    if (rc) {
        xfer_fail_backend(r, rc, "cannot stat", msg);
        return;
    }
    xfer_file_fields(r, e, -1, -1, on_fields);
}

static void stat_start(struct run *r)
{
    int rc = backend_stat(r->backend, r->bkey, on_stat, r);
    if (rc)
        xfer_fail_backend(r, rc, "cannot stat", NULL);
    else
        runner_begin(r);
}

const struct xfer_kind xfer_stat = {"STAT", stat_start, NULL, NULL};
