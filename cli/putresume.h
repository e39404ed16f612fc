/* putresume.h - which paused upload `stagectl put --resume` continues
 * (docs/stagectl.md, docs/jobs.md "Resumable uploads"). Pure. */
#ifndef STAGE_CLI_PUTRESUME_H
#define STAGE_CLI_PUTRESUME_H

#include "stage/v1/stage.pb-c.h"

#include <stddef.h>
#include <stdint.h>

/* `put --resume` looks for its job in at most PUTRESUME_PAGES_MAX pages of
 * PUTRESUME_PAGE_SIZE jobs (ListJobs, filtered by the server), so a lookup
 * costs bounded calls however many jobs the user has. */
#define PUTRESUME_PAGE_SIZE 200
#define PUTRESUME_PAGES_MAX 50

/* The index in `jobs` of the paused upload of `loc` with `size` bytes whose
 * resume window is still open at `now_ms` (the newest if several: jobs come
 * newest first), or -1. The server checks the rest (owner, sha256). */
int putresume_pick(Stage__V1__Job *const *jobs, size_t n, const char *loc, int64_t size,
                   int64_t now_ms);

/* Where a resumed upload of `size` bytes starts: `offset` when it is a
 * sane resume point (0 < offset <= size), else 0 (upload from the start). */
int64_t putresume_offset(int64_t offset, int64_t size);

#endif
