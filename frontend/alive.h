/* alive.h - the frontend's liveness key, so that workers notice a frontend
 * that died in the middle of a transfer.
 *
 * A frontend has an id (<host>-<pid>-<random>) and a thread that keeps
 * st:fe:<id> alive with SET PX jobs.lease_ms every third of the lease. UPLOAD,
 * DOWNLOAD and LIST jobs record the id of the frontend relaying their parts
 * (job field `frontend`); a worker waiting on that frontend that finds the
 * key gone fails the job instead of waiting for jobs.stall_timeout_s. */
#ifndef STAGE_FE_ALIVE_H
#define STAGE_FE_ALIVE_H

struct config;

/* Make the id and start the heartbeat thread (the first SET is tried at
 * once; Redis may be down, the thread keeps trying). 0 or ST_ENOMEM. */
int alive_start(const struct config *cfg);

/* This frontend's id; "" before alive_start(). Any thread. */
const char *alive_id(void);

/* Fail job `id` (abort 1, * -> FAILED with `err` and `msg`) from the
 * heartbeat thread once Redis answers again: for a call that broke because
 * Redis was down and so could not fail its job itself, which would otherwise
 * wait for its worker's stall timeout. At most 256 jobs wait; beyond that
 * the stall timeout still ends them. Any thread. */
void alive_defer_fail(const char *id, int err, const char *msg);

/* Stop the thread and delete the key (best effort). */
void alive_stop(void);

#endif
