/* xfer.h - helpers the job kinds (xfer_*.c) share. All run on the worker's
 * event_base thread and follow the discipline of runner.h. */
#ifndef STAGE_WORKER_XFER_H
#define STAGE_WORKER_XFER_H

#include "runner.h"

#include <stddef.h>
#include <stdint.h>

struct backend_entry;

/* parts live PIPE_PART_TTL_S (common/pipe.h) if nobody consumes them */
#define XFER_PART_SIZE_DEF (8 << 20)

/* HSET file_name file_size file_mtime file_etag file_md5 file_sha256 file_creator bytes_total
 * parts_total in one command (parts_total < 0: both totals left out), then cb. */
void xfer_file_fields(struct run *r, const struct backend_entry *e, int64_t bytes_total,
                      int64_t parts_total, run_reply_fn *cb);

/* End the job after a failed backend op on the job's key: NOT_FOUND becomes
 * "file 'x' not found in stage @s", anything else "<what> 'x': <msg>". */
void xfer_fail_backend(struct run *r, int rc, const char *what, const char *msg);

/* SET st:job:<id>:part:<n> data EX PIPE_PART_TTL_S (fire-and-forget) and
 * HSET parts_ready n+1; r->produced = n + 1. */
void xfer_put_part(struct run *r, long n, const void *data, size_t len);

/* The job's window and part size, with defaults. */
int64_t xfer_window(const struct run *r);
int64_t xfer_part_size(const struct run *r);

#endif
