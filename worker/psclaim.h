/* psclaim.h - the Redis commands of the paused-upload sweep's lease
 * (psweep.h), built by pure functions so that tests run them against a
 * real redis-server without a worker.
 *
 * A claim gives each job it takes a lease: its score in KEY_PAUSED becomes
 * the claim's `until`, and the job hash gets `sweeper` (the worker's name,
 * for people and for the resume script, frontend/resume.c) and
 * `sweep_claim`, a token of this one claim ("<worker>/<until>"). Each claim
 * of a job has a later `until` than the one before (it is taken only once
 * the previous lease passed), so the token differs even for a worker that
 * claims it again under the same name after a restart. The steps that
 * finish a sweep are fenced by the token: the state change (job_change()'s
 * `sweep_claim`) and psclaim_unfile_build()'s removal from the set change
 * nothing once another claim took the job, so a sweeper whose lease
 * lapsed mid-sweep cannot finish it.
 *
 * Pure; any thread. The argv point into the struct: keep it while the
 * command is sent. */
#ifndef STAGE_WORKER_PSCLAIM_H
#define STAGE_WORKER_PSCLAIM_H

#include "keys.h"

#include <stddef.h>
#include <stdint.h>

#define PSCLAIM_TOKEN_MAX 112
#define PSCLAIM_ARGC      10
#define PSUNFILE_ARGC     7

/* The claim script's EVAL: up to `max` jobs of KEY_PAUSED whose deadline
 * passed at `now_ms`, leased until psclaim_until(now_ms, lease_ms)
 * to `worker`. Its reply is the array of the claimed ids. */
struct psclaim_cmd {
    const char *argv[PSCLAIM_ARGC];
    size_t lens[PSCLAIM_ARGC];
    char now[24], until[24], max[16], prefix[KEY_MAX];
    char token[PSCLAIM_TOKEN_MAX]; /* this claim's sweep_claim */
};

/* 0, or ST_EINVAL (worker name empty or too long, max < 1). */
int psclaim_build(struct psclaim_cmd *c, int64_t now_ms, int lease_ms, const char *worker, int max);

/* The job's exit from KEY_PAUSED once swept: ZREM unless another claim
 * (a different sweep_claim) holds the job now. Its reply is 1 removed,
 * 0 not (not there, or fenced). */
struct psunfile_cmd {
    const char *argv[PSUNFILE_ARGC];
    size_t lens[PSUNFILE_ARGC];
    char key[KEY_MAX];
};

/* 0, or ST_EINVAL (bad id). `id` and `token` must outlive the command. */
int psunfile_build(struct psunfile_cmd *c, const char *id, const char *token);

/* The score a claim gives a job: `now_ms` + the lease (jobs.lease_ms,
 * 15000 when unset), after which another worker may claim it again. */
int64_t psclaim_until(int64_t now_ms, int lease_ms);

#endif
