/* resume.h - resumable uploads (docs/jobs.md "Resumable uploads"): a
 * resumable UploadFile whose client went away pauses its job instead of
 * failing it; a later UploadFile with `resume_job_id` takes it over and
 * appends from the first part not yet complete in Redis.
 * Runs on a handler thread with the call's `struct db`. */
#ifndef STAGE_FE_RESUME_H
#define STAGE_FE_RESUME_H

#include <stddef.h>

struct db;
struct job;
struct Stage__V1__UploadHeader;

/* Pause job `j` (relayed by this frontend) whose client went away after
 * `parts` complete parts (`done` bytes received): it waits `window_s` for a
 * resume; the part being filled (index `parts`) is dropped, and so is the
 * idempotency key `idem` ("" = none) if it still names the job, so that the
 * same request again starts a new upload instead of answering with this
 * unfinished (later failed) job. 0 when paused; ST_EPRECOND when the job
 * ended or another frontend took it; ST_EUNAVAIL. */
int resume_pause(struct db *db, const struct job *j, long parts, long long done, int window_s,
                 const char *idem);

/* Take over the paused upload `h->resume_job_id` for `user`: it must be
 * theirs (else ST_ENOTFOUND), a non-terminal UPLOAD paused within its
 * window, of the same location, size and sha256, and `h->resume_offset`
 * must be its resume offset (else ST_EPRECOND). On success `j` is the job,
 * now relayed by this frontend and no longer paused. Writes why into `err`. */
int resume_take(struct db *db, const char *user, const struct Stage__V1__UploadHeader *h,
                struct job *j, char *err, size_t errlen);

#endif
