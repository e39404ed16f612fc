/* lease.h - leases on this worker's jobs, reclaim of dead workers' jobs, and
 * jobs sleeping before a retry (docs/jobs.md).
 *
 * The lease of a job is the idle time of its entry in the stream's pending
 * list: every jobs.lease_ms / 3 the worker renews each of its jobs with one
 * script that checks the job hash still names this worker, resets the
 * entry's idle time (XCLAIM ... 0 JUSTID, which does not count a delivery)
 * and stamps `lease_until`. Every worker also runs XAUTOCLAIM with min-idle
 * jobs.lease_ms: an entry nobody renewed for a whole lease belongs to a dead
 * (or cut off) worker and is claimed like a new one (queue.c), which moves
 * the job RUNNING -> QUEUED -> RUNNING and resumes it.
 *
 * A job waiting for a retry stays QUEUED with its entry pending here; it is
 * renewed like a running job and claimed again when its backoff ends. On
 * stop, sleeping jobs are handed back: their entries are marked idle so that
 * another worker's XAUTOCLAIM takes them at once.
 *
 * Everything runs on the worker's event_base thread. */
#ifndef STAGE_WORKER_LEASE_H
#define STAGE_WORKER_LEASE_H

#include <stdint.h>

struct worker;

/* Timers; called once from worker_init(). 0 or ST_ENOMEM. */
int lease_init(struct worker *w);
/* Free the timers and sleeping jobs. */
void lease_cleanup(struct worker *w);

/* Sleep `delay_ms`, then claim stream entry `entry` of job `id` again. */
void lease_sleep(struct worker *w, const char *entry, const char *id, int64_t delay_ms);

/* Mark `entry` idle for longer than any lease, so that the next XAUTOCLAIM
 * of any worker takes it (fire-and-forget). */
void lease_hand_back(struct worker *w, const char *entry);

/* Stopping: hand back every sleeping job. */
void lease_stop(struct worker *w);

/* Backoff before attempt `attempt` + 1 (attempt >= 1): base * 2^(attempt-1),
 * capped, with full jitter in [d/2, d]. `rnd` is a random number. Pure. */
int64_t lease_backoff_ms(int attempt, int base_ms, int max_ms, uint32_t rnd);

#endif
