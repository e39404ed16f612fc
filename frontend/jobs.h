/* jobs.h - the frontend's side of jobs in Redis (docs/redis.md): create,
 * read, wait for wake-ups, wake the worker, fail, and map to the API.
 * Blocking calls on the handler thread's `struct db`. Errors: st_err with
 * the text in db->err (or `err` where given). */
#ifndef STAGE_FE_JOBS_H
#define STAGE_FE_JOBS_H

#include <stdbool.h>
#include <stddef.h>

#include "stage/v1/stage.pb-c.h"

struct config;
struct db;
struct redisReply;
struct job;

/* Store a new job and queue it, in one MULTI: HSET st:job:<id> ...,
 * ZADD st:jobs:<user>, ZADD st:jobs, XADD st:q * job <id>. The caller fills
 * kind, user, stage, location, root, path and the request parameters (and
 * may preset id); this sets id if empty,
 * state QUEUED, created_at, attempts 0, parts_ready 0, parts_done 0.
 * ST_ELIMIT ("job queue is full") when XLEN st:q >= jobs.max_queue (the
 * stream holds the jobs not yet ended). */
int jobs_create(struct db *db, const struct config *cfg, struct job *j, char *err, size_t errlen);

/* Like jobs_create() with an idempotency key `idem` (may be NULL or ""):
 * SET st:idem:<user>:<idem> <new id> NX EX jobs.retention_s; if the key
 * already names a job that still exists, `j` is that job, *existing is set
 * and nothing is created. ST_EINVAL for a malformed key. */
#define KEY_ALL_JOBS "st:jobs" /* zset of every job id by created_at (admins' ListJobs) */
int jobs_create_idem(struct db *db, const struct config *cfg, struct job *j, const char *idem,
                     bool *existing, char *err, size_t errlen);
bool jobs_idem_key_valid(const char *key);

/* HGETALL st:job:<id> into `j`. ST_ENOTFOUND if there is no such job. */
int jobs_get(struct db *db, const char *id, struct job *j);

/* The same from an HGETALL reply already read (pipelines). */
int jobs_from_reply(struct db *db, const char *id, const struct redisReply *r, struct job *j);

/* Wait up to about one second for a wake-up (BLPOP st:job:<id>:fe 1). */
int jobs_wait(struct db *db, const char *id);

/* Wake the worker running the job (PUBLISH st:wake:<id> x). */
int jobs_wake(struct db *db, const char *id);

/* The consumer is done with part `n`: DEL it, HINCRBY parts_done 1, wake. */
int jobs_part_done(struct db *db, const char *id, long n);

/* DEL parts `from..to` (inclusive) of a job: a producer that finds its job
 * ended removes what it wrote after the state script cleaned up. */
int jobs_drop_parts(struct db *db, const char *id, long from, long to);

/* Fail a non-terminal job from the frontend: optionally HSET abort 1, then
 * job_set_state(* -> FAILED, err, msg) (CANCELLED when `err` is
 * ST_ECANCELLED: the client cancelled), which deletes its parts and wakes
 * the worker. ST_EPRECOND if it had already ended. */
int jobs_fail(struct db *db, const struct config *cfg, const char *id, int err, const char *msg,
              bool set_abort);

/* gRPC status code of a terminal job and its message (OK for SUCCEEDED). */
int jobs_status(const struct job *j, char *msg, size_t n);

/* Point `out` (STAGE__V1__JOB__INIT'ed) at the fields of `j`; `j` must
 * outlive `out`. Pure. */
void jobs_to_proto(const struct job *j, Stage__V1__Job *out);

/* FileInfo of a STAT/DOWNLOAD job's file_* fields. Pure, like jobs_to_proto. */
void jobs_file_info(const struct job *j, Stage__V1__FileInfo *out);

#endif
