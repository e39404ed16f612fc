/* readahead.h - keep up to `depth` ranged reads of one object in flight for
 * a job that consumes its bytes in order (DOWNLOAD: parts into the Redis
 * pipe; COPY: chunks into the target's writer), so that each part does not
 * pay a whole request latency of its own. The ordering and the bound are
 * partring.h's: memory is depth x part_size bytes per job at most, whatever
 * the object's size.
 *
 * Runs on the worker's event_base thread, inside a run (runner.h): every
 * read counts as an op of the run (runner_begin/runner_resume), so a cancel
 * or a failure of the job is seen when a read lands, and the run is freed
 * only after the last one landed. A read that cannot start, or fails, is
 * not an error of the call: it lands in its slot with its rc, and the
 * consumer sees it when that part becomes the head, in order.
 *
 * `on_ready` runs after a read landed while the job goes on (never inside
 * the call that started the read, never once the job is ending); the
 * consumer looks at readahead_head() then. Reads start only from
 * readahead_start() and readahead_pop(), and after a landing. */
#ifndef STAGE_READAHEAD_H
#define STAGE_READAHEAD_H

#include "partring.h"

#include <stddef.h>
#include <stdint.h>

struct run;
struct backend;
struct readahead;

typedef void(readahead_ready_fn)(struct run *r);

/* The reads in flight of one job when its config says nothing. */
#define READAHEAD_DEPTH_DEF 4

/* NULL on OOM. depth < 1 counts as 1. */
struct readahead *readahead_new(struct run *r, int depth, size_t part_size,
                                readahead_ready_fn *on_ready);

/* Read [off, end) of `key` (copied) on `b` (borrowed: it must outlive the
 * reads; the run's backends do) from its first part on; the parts of a
 * previous range not handed on yet are dropped. 0 or ST_ENOMEM. */
int readahead_start(struct readahead *ra, struct backend *b, const char *key, int64_t off,
                    int64_t end);

/* The next part in order if its read landed, else NULL (on_ready follows).
 * The slot's buffer stays valid until readahead_pop(). */
const struct partring_slot *readahead_head(const struct readahead *ra);

/* The head was consumed: free its slot and start the reads that fit. */
void readahead_pop(struct readahead *ra);

/* Every part of the range consumed. */
bool readahead_finished(const struct readahead *ra);

/* Only once no read is in flight (the run's cleanup). NULL-safe; returns
 * NULL. */
struct readahead *readahead_free(struct readahead *ra);

/* The configured depth (worker.parallel_reads) with its default. */
int readahead_depth(const struct run *r);

#endif
