/* xfer_list.c - LIST jobs: the producer of result pages (docs/redis.md).
 * Each part is one packed stage.v1.ListFilesResponse with up to page_size
 * FileInfos (name relative to the stage root). Memory: one backend page plus
 * one result page. At the end parts_total and files_total are set; the job
 * succeeds once the frontend consumed every page. */
#include "backend.h"
#include "err.h"
#include "runner.h"
#include "scan.h"
#include "worker.h"
#include "xfer.h"

#include "stage/v1/stage.pb-c.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_DEFAULT 1000
#define PAGE_MAX     10000

enum phase { PH_FILL, PH_EMIT, PH_DRAIN };

struct lst {
    struct scan *s;
    enum phase phase;
    Stage__V1__FileInfo *info; /* the result page being built */
    Stage__V1__FileInfo **ptr;
    size_t n, cap;
    const struct backend_entry *const *m; /* matches of the backend page */
    size_t mn, mi;
    bool last;         /* the backend page is the last one */
    long page;         /* result pages written */
    int64_t seen_done; /* parts_done last seen */
};

static void fill(struct run *r);

static void page_clear(struct lst *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->info[i].name);
        free(l->info[i].etag);
        free(l->info[i].md5);
        free(l->info[i].sha256);
        free(l->info[i].creator);
    }
    l->n = 0;
}

static void lst_cleanup(struct run *r)
{
    struct lst *l = r->x;
    if (!l)
        return;
    page_clear(l);
    scan_free(l->s);
    free(l->info);
    free(l->ptr);
    free(l);
    r->x = NULL;
}

static int page_add(struct run *r, struct lst *l, const struct backend_entry *e)
{
    Stage__V1__FileInfo *fi = &l->info[l->n];
    stage__v1__file_info__init(fi);
    fi->name = strdup(scan_rel(r, e));
    fi->etag = strdup(e->etag);
    fi->md5 = strdup(e->md5);
    fi->sha256 = strdup(e->sha256);
    fi->creator = strdup(e->creator);
    fi->size = e->size;
    fi->last_modified = e->mtime_ms;
    l->ptr[l->n] = fi;
    l->n++; /* counted even on failure so page_clear() frees it */
    return fi->name && fi->etag && fi->md5 && fi->sha256 && fi->creator ? 0 : ST_ENOMEM;
}

/* After runner_read_counters(): false if the run is ending; else the
 * client's reading, when it moved, is reported as progress. */
static bool live_progress(struct run *r)
{
    struct lst *l = r->x;
    if (!runner_live(r))
        return false;
    if (r->j.parts_done != l->seen_done) {
        l->seen_done = r->j.parts_done;
        runner_progress(r);
    }
    return true;
}

/* Nothing to do until the client reads on: wait for it, unless it stalled. */
static void wait_client(struct run *r)
{
    if (runner_stalled(r))
        runner_finish(r, ST_ETIMEOUT, "listing stalled: the client read nothing for %d s",
                      runner_stall_s(r));
    else
        runner_wait_peer(r);
}

static void on_drained(struct run *r, redisReply *rep)
{
    struct lst *l = r->x;
    if (!live_progress(r))
        return;
    if (r->j.parts_done >= l->page)
        runner_finish(r, 0, "%s", "");
    else
        wait_client(r);
}

static void on_ended(struct run *r, redisReply *rep)
{
    struct lst *l = r->x;
    l->phase = PH_DRAIN;
    runner_wake_fe(r);
    runner_read_counters(r, on_drained);
}

static void end(struct run *r)
{
    struct lst *l = r->x;
    char parts[24], files[24];
    snprintf(parts, sizeof(parts), "%ld", l->page);
    snprintf(files, sizeof(files), "%" PRId64, r->files);
    runner_cmdf(r, on_ended, "HSET", r->hkey, "parts_total", parts, "files_total", files,
                "files_done", files, NULL);
}

static void on_page_written(struct run *r, redisReply *rep)
{
    struct lst *l = r->x;
    runner_wake_fe(r);
    l->phase = PH_FILL;
    fill(r);
}

static void write_page(struct run *r)
{
    struct lst *l = r->x;
    char n[24];
    Stage__V1__ListFilesResponse resp = STAGE__V1__LIST_FILES_RESPONSE__INIT;
    resp.n_files = l->n;
    resp.files = l->ptr;
    resp.job_id = r->j.id;
    size_t len = stage__v1__list_files_response__get_packed_size(&resp);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        runner_finish(r, ST_ENOMEM, "out of memory for a page of %zu bytes", len);
        return;
    }
    stage__v1__list_files_response__pack(&resp, buf);
    xfer_put_part(r, l->page, buf, len);
    free(buf);
    r->files += (int64_t)l->n;
    r->parts++;
    r->bytes += (int64_t)len;
    snprintf(n, sizeof(n), "%zu", l->n);
    l->page++;
    page_clear(l);
    runner_cmdf(r, on_page_written, "HINCRBY", r->hkey, "files_done", n, NULL);
}

static void on_window(struct run *r, redisReply *rep)
{
    struct lst *l = r->x;
    if (!live_progress(r))
        return;
    if (l->page - r->j.parts_done < xfer_window(r))
        write_page(r);
    else
        wait_client(r);
}

static void emit(struct run *r)
{
    struct lst *l = r->x;
    l->phase = PH_EMIT;
    runner_read_counters(r, on_window);
}

static void on_matches(struct run *r, int rc, const char *msg, const struct backend_entry *const *m,
                       size_t n, bool last)
{
    struct lst *l = r->x;
    if (rc) {
        runner_finish(r, rc, "cannot list '%s': %s", r->j.path, msg);
        return;
    }
    l->m = m;
    l->mn = n;
    l->mi = 0;
    l->last = last;
    fill(r);
}

/* Move matches into the result page; emit it when full or at the end. */
static void fill(struct run *r)
{
    struct lst *l = r->x;
    while (l->n < l->cap && l->mi < l->mn)
        if (page_add(r, l, l->m[l->mi++])) {
            runner_finish(r, ST_ENOMEM, "out of memory");
            return;
        }
    if (l->n == l->cap || (l->mi == l->mn && l->last && l->n > 0))
        emit(r);
    else if (l->mi == l->mn && l->last)
        end(r);
    else
        scan_next(l->s, on_matches);
}

static void lst_poll(struct run *r)
{
    struct lst *l = r->x;
    if (l->phase == PH_EMIT)
        emit(r);
    else
        runner_read_counters(r, on_drained);
}

static void lst_start(struct run *r)
{
    char err[300] = "";
    struct lst *l = calloc(1, sizeof(*l));
    if (!l) {
        runner_finish(r, ST_ENOMEM, "out of memory");
        return;
    }
    r->x = l;
    l->cap = r->j.page_size <= 0         ? PAGE_DEFAULT
             : r->j.page_size > PAGE_MAX ? PAGE_MAX
                                         : (size_t)r->j.page_size;
    l->info = calloc(l->cap, sizeof(*l->info));
    l->ptr = calloc(l->cap, sizeof(*l->ptr));
    if (!l->info || !l->ptr) {
        runner_finish(r, ST_ENOMEM, "out of memory");
        return;
    }
    int rc = scan_open(r, l->cap, &l->s, err, sizeof(err));
    if (rc) {
        runner_finish(r, rc, "%s", err);
        return;
    }
    l->last = false;
    fill(r);
}

const struct xfer_kind xfer_list = {"LIST", lst_start, lst_poll, lst_cleanup};
