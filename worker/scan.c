/* scan.c - the filtered listing of LIST and REMOVE (see scan.h). */
#include "scan.h"

#include "backend.h"
#include "err.h"
#include "pattern.h"
#include "runner.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct scan {
    struct run *r;
    struct backend_lister *l;
    struct pattern *pat;
    const struct backend_entry **m; /* matches of the current page */
    size_t cap;
    scan_fn *cb;
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

static void on_page(int rc, const char *msg, const struct backend_entry *e, size_t n, bool last,
                    void *ud)
{
    struct scan *s = ud;
    struct run *r = s->r;
    size_t k = 0;
    if (!runner_resume(r))
        return;
    size_t plen = strlen(r->j.path);
    for (size_t i = 0; !rc && i < n && k < s->cap; i++) {
        /* as in Databend, the pattern sees the path after the location's
         * prefix: "@~/2023/" + ".*[.]csv" matches "2023/sub/c.csv" by "sub/c.csv" */
        const char *rel = scan_rel(r, &e[i]);
        if (strncmp(rel, r->j.path, plen) == 0)
            rel += plen;
        if (pattern_match(s->pat, rel, strlen(rel)))
            s->m[k++] = &e[i];
    }
    s->cb(r, rc, msg, s->m, k, last || rc);
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
