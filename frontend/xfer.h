/* xfer.h - what the job-based handlers share: waiting on a job while
 * watching the call, and answering with a job's outcome.
 * Runs on a handler thread with the call's `struct db`. */
#ifndef STAGE_FE_XFER_H
#define STAGE_FE_XFER_H

#include <stdbool.h>
#include <stddef.h>

struct call;
struct db;
struct job;

/* True when the handler may go on (checked on every fresh copy of the job). */
typedef bool(xfer_ready_fn)(const struct job *j, long arg);

/* Re-read `j` after each wake-up (or 1 s) until ready(j, arg). Returns
 *   0            ready, and the job is running or SUCCEEDED,
 *   ST_EPRECOND  the job failed or was cancelled (or succeeded without ever
 *                becoming ready): answer with xfer_answer_job(),
 *   ST_ECANCELLED the client went away,
 *   ST_ETIMEOUT  the call's deadline passed,
 *   ST_EUNAVAIL  the server is cancelling calls, or Redis failed (db->err). */
int xfer_wait(struct call *c, struct job *j, xfer_ready_fn *ready, long arg);

/* Why a wait should end early: 0 to go on, or the code xfer_wait() returns. */
typedef int(xfer_stop_fn)(void *arg);

/* The same without a call: `stop(stop_arg)` (may be NULL: never) is asked
 * before every wait. xfer_wait() is this with xfer_call_stop(c). */
int xfer_wait_job(struct db *db, xfer_stop_fn *stop, void *stop_arg, struct job *j,
                  xfer_ready_fn *ready, long arg);

/* A call's reasons to stop waiting: the server cancels calls, the client
 * went away, the deadline passed. `arg` is the struct call. */
int xfer_call_stop(void *arg);

/* Answer the call with the outcome of terminal job `j` (OK without a
 * message for SUCCEEDED: callers send their own reply then). */
void xfer_answer_job(struct call *c, const struct job *j);

/* The transfer broke on the frontend's side (`rc` from a wait or a send):
 * fail the job (abort 1, FAILED, parts deleted, worker woken) and answer the
 * call. `done` is the number of bytes moved so far, for the message. */
/* End a relay (download, list) whose loop returned `rc`: OK when it ran to
 * the end, the job's own status when the job ended first (ST_EPRECOND),
 * otherwise abort the job because the client or Redis failed. */
void xfer_finish(struct call *c, const struct job *j, int rc);

void xfer_abort(struct call *c, const struct job *j, int rc, long long done);

/* Answer after xfer_wait() failed, leaving the job alone (it goes on
 * without this call): cancelled, deadline, shutdown or Redis. */
void xfer_wait_fail(struct call *c, const struct job *j, int rc);

/* The message of xfer_wait_fail(), `dberr` the db's text. */
void xfer_wait_msg(const struct job *j, int rc, const char *dberr, char *msg, size_t n);

/* Answer with an st_err after a Redis failure (UNAVAILABLE "redis
 * unavailable: ..." and the like). */
void xfer_db_fail(struct call *c, int rc);

/* Ready predicates. */
bool xfer_ended(const struct job *j, long arg);     /* the job is terminal */
bool xfer_has_total(const struct job *j, long arg); /* parts_total known */
bool xfer_part_ready(const struct job *j, long n);  /* parts_ready > n or all done */
bool xfer_window_open(const struct job *j, long n); /* n - parts_done < window */
bool xfer_drained(const struct job *j, long n);     /* parts_done >= n: all n stored */

#endif
