/* runner.h - one running job: its lifecycle, Redis helpers for the job
 * kinds (xfer_*.c), waiting for wake-ups, and the one way a job ends.
 *
 * Discipline for the kinds (everything on the worker's event_base thread):
 *   - a kind has at most one operation of its own in flight (a Redis
 *     command with a callback, or a backend op) and otherwise waits;
 *   - before a backend op call runner_begin(r); the op's callback starts
 *     with `if (!runner_resume(r)) return;` (false: the job is ending);
 *   - runner_cmd*() with a callback counts as the kind's op; without one it
 *     is fire-and-forget (replies are still tracked);
 *   - runner_cmd*() never fails to the caller: a Redis failure ends the job
 *     from the runner's side, so call it last and return;
 *   - runner_finish() ends the job: aborts the open writer (r->writer), sets
 *     SUCCEEDED/FAILED (unless the job already ended elsewhere), XACKs, logs
 *     one line, and frees the run once nothing is in flight, never inside a
 *     callback (deferred to the next loop turn). A transient failure
 *     (r->transient) with attempts left ends the run but not the job: the
 *     writer is detached (kept for resuming), the job goes RUNNING -> QUEUED
 *     with the error kept as its last one, and the entry sleeps for an
 *     exponential backoff with jitter before it is claimed again (lease.h).
 *     A run that lost Redis or its lease detaches its writer and leaves the
 *     job alone: its new owner resumes it. */
#ifndef STAGE_WORKER_RUNNER_H
#define STAGE_WORKER_RUNNER_H

#include "job.h"
#include "keys.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct worker;
struct run;
struct redisReply;
struct backend;
struct backend_writer;
struct event;

typedef void(run_reply_fn)(struct run *r, struct redisReply *reply);

/* A job kind (xfer_*.c). */
struct xfer_kind {
    const char *name;
    /* Begin the job; it ends through runner_finish() sooner or later. */
    void (*start)(struct run *r);
    /* Re-check after runner_wait() was woken (st:wake:<id> or the timer). */
    void (*poll)(struct run *r);
    /* Free the kind's state (r->x); nothing is in flight. May be NULL. */
    void (*cleanup)(struct run *r);
};

extern const struct xfer_kind xfer_upload, xfer_download, xfer_list, xfer_remove, xfer_stat,
    xfer_copy;

struct run {
    struct worker *w;
    struct job j;
    char entry[64];     /* stream entry id in st:q */
    char hkey[KEY_MAX]; /* st:job:<id> */
    char bkey[2300];    /* backend key: j.root + j.path */
    const struct xfer_kind *kind;
    struct backend *backend;       /* the job's storage (backends.h) */
    void *x;                       /* the kind's state */
    struct backend_writer *writer; /* open writer: finish aborts it */
    struct event *timer;           /* fallback poll while waiting */
    bool waiting, woken;           /* runner_wait() armed / a wake-up came meanwhile */
    int inflight;                  /* every callback still to come */
    int busy;                      /* the kind's own op in flight (0 or 1) */
    bool finishing, state_set, acked, done, released, lost;
    int cancel_err; /* != 0: end at the next chance with this */
    char cancel_msg[512];
    int err; /* the outcome: 0 = SUCCEEDED */
    char msg[512];
    bool ended_elsewhere; /* the job is terminal already: do not set a state */
    bool fenced;          /* the job hash names another worker: hands off */
    bool transient;       /* the failure may go away: retry (xfer_fail_backend) */
    enum { RQ_NONE, RQ_RETRY, RQ_HAND_BACK, RQ_PARK } requeue; /* end as QUEUED, not terminal */
    int64_t t0_ms, progress_ms;                                /* monotonic */
    int64_t peer_checked_ms;     /* last look at the frontend's liveness key (runner_wait_peer) */
    run_reply_fn *counters_cb;   /* continuation of runner_read_counters() */
    long produced;               /* producer kinds: parts written to Redis */
    int64_t parts, bytes, files; /* for the final log line */
};

/* Start a claimed job (already RUNNING in Redis). Takes a copy of `j`. */
void runner_start(struct worker *w, const struct job *j, const char *entry);

/* st:wake:<id> arrived. */
void runner_wake(struct run *r);

/* End the job at the next chance (shutdown, lost Redis). `lost`: Redis is
 * gone, so neither set the state nor XACK. */
void runner_cancel(struct run *r, int err, const char *msg, bool lost);

/* End the job here but not for good: detach its writer, move it RUNNING ->
 * QUEUED and mark its entry idle, so that another worker resumes it. */
void runner_hand_back(struct run *r, const char *why);

/* ---- for the kinds */

/* Park a paused resumable upload (docs/jobs.md "Resumable uploads"): one
 * fenced state change moves it RUNNING -> QUEUED into the paused set and
 * drops its stream entry (job_change, park_entry) while its pause still
 * stands; then the run ends with its writer detached (its state is in the
 * job hash), freeing the slot. When the pause ended meanwhile (a resume won)
 * the run waits and polls again as usual. Counts as the kind's op. */
void runner_park(struct run *r);

/* Send a command (binary-safe argv). `cb` NULL: fire-and-forget. */
void runner_cmd(struct run *r, run_reply_fn *cb, int argc, const char **argv, const size_t *lens);
/* Same with NUL-terminated string arguments, ended by NULL. */
void runner_cmdf(struct run *r, run_reply_fn *cb, ...);
/* EVALSHA: argv[0] "EVALSHA", argv[1] the SHA1 of `script` (static
 * storage), NUL-terminated strings. Redis caches scripts only until it
 * restarts or flushes them: on a NOSCRIPT reply the same runs once more as
 * EVAL `script`, and cb sees that reply; otherwise as runner_cmd(). */
void runner_evalsha(struct run *r, run_reply_fn *cb, int argc, const char **argv,
                    const char *script);

/* HMGET state abort parts_ready parts_done parts_total worker into r->j
 * (and r->fenced), then cb(r, reply). */
void runner_read_counters(struct run *r, run_reply_fn *cb);

/* After runner_read_counters(): false if the job ended elsewhere, another
 * worker took it over, or the client went away, in which case the run is
 * already finishing. */
bool runner_live(struct run *r);

/* Wake the frontend call waiting on this job (RPUSH/LTRIM/EXPIRE :fe). */
void runner_wake_fe(struct run *r);

void runner_begin(struct run *r);
bool runner_resume(struct run *r);

/* Nothing in flight: sleep until a wake-up or the fallback timer (200 ms),
 * then kind->poll(r). */
void runner_wait(struct run *r);

/* Like runner_wait(), for a kind waiting on the frontend call that relays
 * its data: every jobs.lease_ms / 3 it first checks the liveness key of the
 * job's frontend (st:fe:<j.frontend>, frontend/alive.h) and fails the job
 * once it expired (the frontend died), instead of waiting for the stall
 * timeout. Jobs without a recorded frontend just wait. */
void runner_wait_peer(struct run *r);

/* The peer made progress; and whether it has made none for too long. */
void runner_progress(struct run *r);
bool runner_stalled(const struct run *r);
int runner_stall_s(const struct run *r);

/* End the job: err 0 = SUCCEEDED, else FAILED with `fmt`. */
void runner_finish(struct run *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The stage as the user wrote it, for messages: "@~" or "@name". */
const char *runner_stage(const struct run *r, char *buf, size_t n);

/* Monotonic milliseconds. */
int64_t runner_now_ms(void);

#endif
