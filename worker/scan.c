/* scan.c - the filtered listing of LIST and REMOVE (see scan.h). */
#include "scan.h"

#include "backend.h"
#include "err.h"
#include "pattern.h"
#include "runner.h"
#include "worker.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Matching time per loop turn. A pattern may cost up to PATTERN_MATCH_LIMIT
 * steps per name on every name of a 10,000-entry page (seconds in all):
 * after each slice the rest of the page waits for the next loop turn, so the
 * other jobs of this worker go on meanwhile. */
#define SLICE_NS (5 * 1000 * 1000)

struct scan {
    struct run *r;
    struct backend_lister *l;
    struct pattern *pat;
    const struct backend_entry **m; /* matches of the current page */
    size_t cap;
    scan_fn *cb;
    /* the page being matched: e[0..n), next at i, k matches so far */
    const struct backend_entry *e;
    size_t n, i, k;
    bool last;
};

const char *scan_rel(const struct run *r, const struct backend_entry *e)
{
    size_t n = strlen(r->j.root);
    return strncmp(e->key, r->j.root, n) == 0 ? e->key + n : e->key;
}

int scan_open(struct run *r, size_t page_limit, struct scan **out, char *err, size_t errlen)
{
    char prefix[2300], after[2300] = "";
    *out = NULL;
    struct scan *s = calloc(1, sizeof(*s));
    if (!s || !(s->m = calloc(page_limit, sizeof(*s->m)))) {
        free(s);
        return ST_ENOMEM;
    }
    s->r = r;
    s->cap = page_limit;
    int rc = pattern_compile(&s->pat, r->j.pattern, err, errlen);
    snprintf(prefix, sizeof(prefix), "%s%s", r->j.root, r->j.path);
    if (r->j.start_after[0])
        snprintf(after, sizeof(after), "%s%s", r->j.root, r->j.start_after);
    if (!rc) {
        rc = backend_list_open(r->backend, prefix, after, page_limit, &s->l);
        if (rc)
            snprintf(err, errlen, "cannot list '%s': %s", r->j.path, st_strerror(rc));
    }
    if (rc) {
        scan_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void match_slice(struct scan *s);

static void on_slice(evutil_socket_t fd, short what, void *arg)
{
    struct scan *s = arg;
    (void)fd;
    (void)what;
    if (runner_resume(s->r))
        match_slice(s);
}

/* Match the page from s->i on, for one slice at most; then hand the matches
 * to the callback, or end the job when the pattern is too expensive. */
static void match_slice(struct scan *s)
{
    struct run *r = s->r;
    struct timeval zero = {0, 0};
    char err[200];
    int64_t t0 = now_ns();
    size_t plen = strlen(r->j.path);
    while (s->i < s->n && s->k < s->cap) {
        const struct backend_entry *e = &s->e[s->i++];
        /* as in Databend, the pattern sees the path after the location's
         * prefix: "@~/2023/" + ".*[.]csv" matches "2023/sub/c.csv" by "sub/c.csv" */
        const char *rel = scan_rel(r, e);
        if (strncmp(rel, r->j.path, plen) == 0)
            rel += plen;
        int rc = pattern_match(s->pat, rel, strlen(rel), err, sizeof(err));
        if (rc < 0) {
            runner_finish(r, rc, "%s (at '%.100s')", rc == ST_EINVAL ? err : st_strerror(rc), rel);
            return;
        }
        if (rc)
            s->m[s->k++] = e;
        if (s->i < s->n && now_ns() - t0 > SLICE_NS) {
            runner_begin(r);
            if (event_base_once(r->w->base, -1, EV_TIMEOUT, on_slice, s, &zero) == 0)
                return;
            runner_resume(r);
            runner_finish(r, ST_ENOMEM, "out of memory");
            return;
        }
    }
    s->cb(r, 0, "", s->m, s->k, s->last);
}

static void on_page(int rc, const char *msg, const struct backend_entry *e, size_t n, bool last,
                    void *ud)
{
    struct scan *s = ud;
    if (!runner_resume(s->r))
        return;
    if (rc) {
        s->cb(s->r, rc, msg, s->m, 0, true);
        return;
    }
    s->e = e;
    s->n = n;
    s->i = 0;
    s->k = 0;
    s->last = last;
    match_slice(s);
}

void scan_next(struct scan *s, scan_fn *cb)
{
    s->cb = cb;
    int rc = backend_list_next(s->l, on_page, s);
    if (rc)
        runner_finish(s->r, rc, "cannot list '%s': %s", s->r->j.path, st_strerror(rc));
    else
        runner_begin(s->r);
}

struct scan *scan_free(struct scan *s)
{
    if (s) {
        backend_list_close(s->l);
        pattern_free(s->pat);
        free(s->m);
        free(s);
    }
    return NULL;
}
