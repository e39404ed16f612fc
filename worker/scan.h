/* scan.h - the filtered listing LIST and REMOVE share: keys under the job's
 * prefix (job.root + job.path, a plain string prefix as in Databend), after
 * job.start_after, whose name relative to the stage root (key minus
 * job.root) fully matches job.pattern. Pages come in key order; memory is
 * one backend page. Runs as the job's one op in flight (runner.h). Shared by
 * LIST, REMOVE and COPY. */
#ifndef STAGE_WORKER_SCAN_H
#define STAGE_WORKER_SCAN_H

#include <stdbool.h>
#include <stddef.h>

struct run;
struct scan;
struct backend_entry;

/* `m[0..n)` are the matches of one backend page, valid until the next
 * scan_next() or scan_free(); `last`: no more pages. Not called if the run
 * is ending. On failure rc != 0 and `msg` says why. */
typedef void(scan_fn)(struct run *r, int rc, const char *msg, const struct backend_entry *const *m,
                      size_t n, bool last);

/* ST_EINVAL (bad pattern, message in `err`) or ST_ENOMEM. */
int scan_open(struct run *r, size_t page_limit, struct scan **out, char *err, size_t errlen);

/* Fetch the next page and match it, in slices of a few ms (the loop turns
 * between them). Errors end the job (the callback is not called): one to
 * start the listing, and a pattern too expensive for a name (its PCRE2
 * limits, pattern.h), which ends it ST_EINVAL "pattern too expensive: ...". */
void scan_next(struct scan *s, scan_fn *cb);

/* The name of `e` relative to the stage root. */
const char *scan_rel(const struct run *r, const struct backend_entry *e);

/* NULL-safe; returns NULL. */
struct scan *scan_free(struct scan *s);

#endif
