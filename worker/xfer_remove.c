/* xfer_remove.c - REMOVE jobs: list like LIST (prefix + pattern) and delete
 * each backend page as one batch (at most BACKEND_DELETE_MAX keys), adding
 * to files_total/files_done after every batch. dry_run only counts. Every
 * failed key counts; the job fails naming the first one (a key that is
 * already gone counts as removed: the outcome the caller asked for). Cancel
 * is seen between batches. */
#include "backend.h"
#include "config.h"
#include "err.h"
#include "qacct.h"
#include "runner.h"
#include "scan.h"
#include "worker.h"
#include "xfer.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH BACKEND_DELETE_MAX

struct rm {
    struct scan *s;
    const char *keys[BATCH];
    int64_t sizes[BATCH]; /* of keys[], for the quota usage */
    size_t n;
    bool last;
    int64_t matched, failed;
    int first_err;
    char first_key[1100];
    char first_msg[200];
};

static void rm_cleanup(struct run *r)
{
    struct rm *m = r->x;
    if (m) {
        scan_free(m->s);
        free(m);
        r->x = NULL;
    }
}

static void finish(struct run *r)
{
    struct rm *m = r->x;
    if (m->failed == 0) {
        runner_finish(r, 0, "%s", "");
        return;
    }
    runner_finish(r, m->first_err,
                  "could not remove %" PRId64 " of %" PRId64 " files; first: '%s': %s", m->failed,
                  m->matched, m->first_key, m->first_msg);
}

static void on_matches(struct run *r, int rc, const char *msg, const struct backend_entry *const *e,
                       size_t n, bool last);

static void on_live(struct run *r, redisReply *rep)
{
    struct rm *m = r->x;
    if (!runner_live(r))
        return;
    if (m->last)
        finish(r);
    else
        scan_next(m->s, on_matches);
}

/* Between batches: look for a cancel, then go on. */
static void on_counted(struct run *r, redisReply *rep)
{
    runner_wake_fe(r);
    runner_read_counters(r, on_live);
}

/* RPUSH st:job:<id>:results "<status>\t<name>\t<error>" for each key of
 * the batch (names hold no control characters: backend_key_check()), for
 * GetJobResults; the list expires with the job. `errs` NULL: a dry run. */
static void record(struct run *r, const char *const *keys, const int *errs, size_t n)
{
    size_t root = strlen(r->j.root), cap = 0, used = 0;
    char rkey[KEY_MAX + 16], ttl[24];
    for (size_t i = 0; i < n; i++)
        cap += strlen(keys[i]) + 64;
    char *buf = malloc(cap);
    const char **argv = malloc((n + 2) * sizeof(*argv));
    if (!buf || !argv) {
        free(buf);
        free(argv);
        return; /* counts still tell the outcome */
    }
    snprintf(rkey, sizeof(rkey), "%s:results", r->hkey);
    argv[0] = "RPUSH";
    argv[1] = rkey;
    for (size_t i = 0; i < n; i++) {
        int e = errs ? errs[i] : 0;
        const char *st = !errs ? "MATCHED" : (e == 0 || e == ST_ENOTFOUND) ? "REMOVED" : "FAILED";
        const char *key = strlen(keys[i]) >= root ? keys[i] + root : keys[i];
        int w = snprintf(buf + used, cap - used, "%s\t%s\t%s", st, key,
                         e && e != ST_ENOTFOUND ? st_strerror(e) : "");
        argv[i + 2] = buf + used;
        used += (size_t)w + 1;
    }
    runner_cmd(r, NULL, (int)n + 2, argv, NULL);
    snprintf(ttl, sizeof(ttl), "%d", r->w->cfg->jobs.retention_s);
    runner_cmdf(r, NULL, "EXPIRE", rkey, ttl, NULL);
    free(buf);
    free(argv);
}

static void count(struct run *r, size_t total, size_t done)
{
    char t[24], d[24], ev[KEY_MAX];
    snprintf(t, sizeof(t), "%zu", total);
    snprintf(d, sizeof(d), "%zu", done);
    snprintf(ev, sizeof(ev), "st:ev:%s", r->j.id);
    runner_cmdf(r, NULL, "HINCRBY", r->hkey, "files_total", t, NULL);
    runner_cmdf(r, NULL, "PUBLISH", ev, "progress", NULL); /* for WatchJob */
    runner_cmdf(r, on_counted, "HINCRBY", r->hkey, "files_done", d, NULL);
}

static void on_deleted(int rc, const char *msg, const int *errs, size_t n, void *ud)
{
    struct run *r = ud;
    struct rm *m = r->x;
    size_t ok = 0;
    int64_t gone = 0, gone_bytes = 0;
    if (!runner_resume(r))
        return;
    if (rc) {
        runner_finish(r, rc, "cannot remove files under '%s': %s", r->j.path, msg);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (errs[i] == 0 || errs[i] == ST_ENOTFOUND) {
            ok++;
            /* already gone: whoever removed it took it off the usage */
            if (errs[i] == 0)
                gone++, gone_bytes += m->sizes[i];
            continue;
        }
        if (m->failed++ == 0) {
            m->first_err = errs[i];
            snprintf(m->first_key, sizeof(m->first_key), "%s", m->keys[i] + strlen(r->j.root));
            snprintf(m->first_msg, sizeof(m->first_msg), "%s", st_strerror(errs[i]));
        }
    }
    r->files += (int64_t)ok;
    /* a dropped stage's usage went with it (the frontend deleted it) */
    if (r->j.kind == JOB_REMOVE && qacct_counted(r->j.storage))
        qacct_add(r, r->j.root, -gone_bytes, -gone);
    record(r, m->keys, errs, n);
    count(r, n, ok);
}

static void on_matches(struct run *r, int rc, const char *msg, const struct backend_entry *const *e,
                       size_t n, bool last)
{
    struct rm *m = r->x;
    if (rc) {
        runner_finish(r, rc, "cannot list '%s': %s", r->j.path, msg);
        return;
    }
    m->last = last;
    m->matched += (int64_t)n;
    if (n == 0 || r->j.dry_run) {
        if (n == 0) {
            on_counted(r, NULL);
            return;
        }
        for (size_t i = 0; i < n; i++)
            m->keys[i] = e[i]->key;
        record(r, m->keys, NULL, n);
        count(r, n, 0);
        return;
    }
    for (size_t i = 0; i < n; i++)
        m->keys[i] = e[i]->key, m->sizes[i] = e[i]->size;
    m->n = n;
    rc = backend_delete_batch(r->backend, m->keys, n, r->j.root, on_deleted, r);
    if (rc)
        runner_finish(r, rc, "cannot remove files under '%s': %s", r->j.path, st_strerror(rc));
    else
        runner_begin(r);
}

static void rm_start(struct run *r)
{
    char err[300] = "";
    struct rm *m = calloc(1, sizeof(*m));
    if (!m) {
        runner_finish(r, ST_ENOMEM, "out of memory");
        return;
    }
    r->x = m;
    int rc = scan_open(r, BATCH, &m->s, err, sizeof(err));
    if (rc) {
        runner_finish(r, rc, "%s", err);
        return;
    }
    scan_next(m->s, on_matches);
}

static void rm_poll(struct run *r)
{
    runner_read_counters(r, on_live);
}

const struct xfer_kind xfer_remove = {"REMOVE", rm_start, rm_poll, rm_cleanup};
