/* psweep.h - expiring parked paused uploads without a worker slot
 * (docs/jobs.md "Resumable uploads").
 *
 * A paused upload holds no worker: its run parks it (runner_park(): QUEUED,
 * no stream entry, filed in the zset KEY_PAUSED by its deadline). Every
 * worker looks at that set every PSWEEP_EVERY_MS: one script claims up to
 * the free sweep places' worth of jobs whose deadline passed. The claim
 * moves a job's score to now + jobs.lease_ms and names the worker in the
 * job's `sweeper` field and the claim in `sweep_claim` (psclaim.h), so one
 * worker sweeps a job at a time, a worker that dies mid-sweep leaves it to
 * whoever claims it after that lease, and one whose lease lapsed mid-sweep
 * can no longer end the job nor take it out of the set (fenced by the
 * claim). Everything lives in Redis: a worker kill or a Redis restart with
 * AOF loses nothing. For each claimed job the writer recorded in `wstate` is
 * reopened and aborted (fs temp file deleted, multipart upload aborted,
 * uncommitted blocks dropped; one already gone is fine), then the job goes
 * QUEUED -> FAILED "the client went away and did not resume within
 * upload.resume_window_s" (the state script deletes its parts in Redis)
 * and leaves the set. A job cancelled while parked only has its writer
 * dropped. The resume script (frontend/resume.c) refuses a job with a
 * `sweeper`, so a job is resumed or expired, never both.
 *
 * Bounded: at most PSWEEP_MAX sweeps in flight per worker, each one job
 * record and one backend operation; they use no slot of
 * worker.concurrency. A stopping worker claims nothing more and exits once
 * its sweeps ended. Everything runs on the worker's event_base thread. */
#ifndef STAGE_WORKER_PSWEEP_H
#define STAGE_WORKER_PSWEEP_H

struct worker;

#define PSWEEP_EVERY_MS 1000
#define PSWEEP_MAX      4

/* The timer; called once from worker_init(). 0 or ST_ENOMEM. */
int psweep_init(struct worker *w);
/* Free the timer (after the loop ended). */
void psweep_cleanup(struct worker *w);

#endif
