/* rpcstats.h - what the frontend's /metrics says about its calls: calls by
 * method and status, their durations (a histogram per method), the bytes
 * they moved, and the build. Updated when a call ends and rendered by
 * /metrics, both on the loop thread (no locks). */
#ifndef STAGE_FE_RPCSTATS_H
#define STAGE_FE_RPCSTATS_H

#include <stdint.h>

struct method;
struct promtext_buf;

/* The methods calls are counted by (the table outlives the stats). */
void rpcstats_init(const struct method *methods, int n);

/* A call ended: `m` (NULL for an unknown method), its gRPC status code, how
 * long it took and how many payload bytes it moved. */
void rpcstats_record(const struct method *m, int code, int64_t ms, int64_t bytes);

/* Append the metrics to `b`. */
void rpcstats_render(struct promtext_buf *b);

#endif
