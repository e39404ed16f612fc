/* qacct.h - a worker's side of stage quotas (common/quota.h): it keeps
 * st:usage:<root> right as files are stored, replaced and removed.
 *
 * Only stages on the configured storage are counted (a job with `storage`
 * "" : user stages and internal stages); external stages have no quota, their
 * storage being their owner's. Commands go out fire-and-forget on the run's
 * connection, before the job's state change on the same connection, so a
 * poller that sees the job ended also sees the usage changed. A lost reply
 * leaves the usage off by that file, never blocks a job. On the loop thread. */
#ifndef STAGE_WK_QACCT_H
#define STAGE_WK_QACCT_H

#include "runner.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct redisReply;

/* True when the job's writes count against a quota (see above). */
bool qacct_counted(const char *storage);

/* An UPLOAD stored `size` bytes, replacing a file of `old_size` bytes (-1:
 * none). Once per job; drops the job's reservation. */
void qacct_stored(struct run *r, int64_t size, int64_t old_size);

/* `bytes`/`files` (signed) more in the stage at `root` (remove, copy). */
void qacct_add(struct run *r, const char *root, int64_t bytes, int64_t files);

/* A COPY is about to write a file of `size` bytes into its target
 * (dst_root, the limits in j.quota_*): reserve room for it as an upload
 * does. false when the target has no quota (nothing sent); else true, and
 * cb(r, reply) gets the script's reply: give it to qacct_reserved(). */
bool qacct_reserve_copy(struct run *r, int64_t size, run_reply_fn *cb);

/* 0 when the reservation of qacct_reserve_copy(size) was granted, else
 * ST_ELIMIT (or ST_EINTERNAL) with the reason in `msg`. */
int qacct_reserved(const struct run *r, const struct redisReply *rep, int64_t size, char *msg,
                   size_t n);

/* The COPY stored that file (`old_size` the one it replaced, -1 none):
 * count it and drop the reservation. */
void qacct_copied(struct run *r, int64_t size, int64_t old_size);

#endif
