/* inflight.h - upload bytes this frontend put in Redis that no worker has
 * stored yet (upload.max_inflight_bytes), so that many slow workers cannot
 * make Redis hold more than a bound of upload data for one frontend.
 *
 * Each upload keeps its own share up to date (inflight_sync with the bytes it
 * received minus the job's bytes_done, inflight_add per chunk) and gives it
 * back at the end (inflight_release). A new upload is admitted only if its
 * first part fits (inflight_admit); a running upload that finds the total
 * over the limit waits until its own parts were stored, so the total stays
 * under the limit plus one part per running upload. Any thread; lock-free. */
#ifndef STAGE_FE_INFLIGHT_H
#define STAGE_FE_INFLIGHT_H

#include <stdbool.h>

/* The process-wide total in bytes. */
long long inflight_total(void);

/* Would `need` more bytes fit under `limit` (0 = no limit)? */
bool inflight_admit(long long limit, long long need);

/* Set an upload's share (*charged) to `now`, adjusting the total. */
void inflight_sync(long long *charged, long long now);

/* Add `n` bytes to an upload's share and the total. */
void inflight_add(long long *charged, long long n);

/* Give an upload's whole share back. */
void inflight_release(long long *charged);

#endif
