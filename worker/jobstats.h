/* jobstats.h - what a worker's /metrics says about the jobs it ran: runs
 * by kind and outcome, their durations, the bytes and files they moved.
 * Updated when a run ends and rendered by /metrics, both on the worker's
 * event loop (no locks). */
#ifndef STAGE_WORKER_JOBSTATS_H
#define STAGE_WORKER_JOBSTATS_H

#include <stdint.h>

struct promtext_buf;

enum jobstats_outcome {
    JOBSTATS_SUCCEEDED,
    JOBSTATS_FAILED,
    JOBSTATS_RETRIED,  /* ended here, queued again (retry or hand-back) */
    JOBSTATS_GIVEN_UP, /* left to its next owner (the lease was lost) */
    JOBSTATS_OUTCOMES
};

/* A run of a job of `kind` (enum job_kind) ended. */
void jobstats_record(int kind, enum jobstats_outcome o, double seconds, int64_t bytes,
                     int64_t files);

/* Append the metrics to `b`. */
void jobstats_render(struct promtext_buf *b);

#endif
