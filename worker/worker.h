/* worker.h - the worker process: one event_base, three Redis connections
 * (commands, the blocking XREADGROUP, the st:wake:* subscription), the table
 * of running jobs, and the drain on SIGTERM/SIGINT.
 *
 * Everything runs on the one event_base thread. Redis connections that drop
 * are re-opened every second until the worker stops; a job whose Redis
 * connection dropped is given up locally (its writer detached, its stream
 * entry left pending) and resumed on reconnect or by another worker once its
 * lease ran out (lease.h). */
#ifndef STAGE_WORKER_H
#define STAGE_WORKER_H

#include <stdbool.h>
#include <stddef.h>

struct backend;
struct backends;
struct config;
struct event;
struct event_base;
struct redisAsyncContext;
struct run;
struct sleeper;

struct worker {
    const struct config *cfg;
    struct event_base *base;
    struct backend *backend;
    struct backends *backends;     /* per-job backends (external stages); set by main */
    struct redisAsyncContext *cmd; /* commands; NULL while down */
    struct redisAsyncContext *blk; /* XREADGROUP ... BLOCK only */
    struct redisAsyncContext *sub; /* PSUBSCRIBE st:wake:* only */
    struct event *reconnect_ev, *drain_ev, *sigterm_ev, *sigint_ev;
    unsigned connect_fails[3]; /* per connection, for quieter logs */
    struct run **runs;         /* running jobs, at most cfg->worker.concurrency */
    size_t nruns;
    int claiming;  /* stream entries being looked at, not yet runs */
    bool reading;  /* a command on `blk` is in flight (one at a time) */
    bool rescan;   /* a connection came back: redo group + pending scan */
    bool scanning; /* the pending-entry scan is in progress */
    char scan_cursor[64];
    struct event *retry_ev;              /* XGROUP CREATE / XREADGROUP retry */
    bool group_ready;                    /* XGROUP CREATE answered */
    bool stopping;                       /* no new jobs; exit once the running ones end */
    bool draining_done;                  /* connections closed, the loop may exit */
    struct event *lease_ev, *reclaim_ev; /* lease.c timers */
    struct sleeper *sleepers;            /* jobs waiting for a retry (lease.c) */
    bool autoclaiming;                   /* an XAUTOCLAIM is in flight */
    char autoclaim_cursor[64];
    struct event *psweep_ev; /* psweep.c: expiring parked paused uploads */
    int sweeping;            /* sweeps in flight (no slots of concurrency) */
    bool sweep_claiming;     /* the sweep's claim script is in flight */
    int exit_code;
};

/* Set up `w` (nothing connected yet). 0 or ST_ENOMEM. */
int worker_init(struct worker *w, const struct config *cfg, struct event_base *base,
                struct backend *backend);

/* Connect to Redis and start consuming; returns at once (the loop runs it). */
int worker_start(struct worker *w);

/* Stop taking jobs and exit the loop once the running ones ended (or were
 * handed back after worker.drain_timeout_s). Idempotent; a second call
 * hands them back now. */
void worker_stop(struct worker *w);

/* Free what worker_init() made (after the loop ended). */
void worker_cleanup(struct worker *w);

/* The running job with this id, or NULL. */
struct run *worker_find(struct worker *w, const char *job_id);

/* Slots for new jobs: concurrency - running - claiming. */
int worker_free_slots(const struct worker *w);

/* Table maintenance, for runner.c. */
int worker_add_run(struct worker *w, struct run *r);
void worker_remove_run(struct worker *w, struct run *r);

/* A job ended or a claim finished: take more work, or finish the drain. */
void worker_slot_freed(struct worker *w);

#endif
