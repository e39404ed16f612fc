/* rstats.h - Redis connections lost and renewed, for
 * stage_redis_reconnects_total on the /metrics of the frontend and of every
 * worker: an established connection that broke, or that the process dropped
 * because it had gone stale (no reply in time, READONLY/LOADING after a
 * failover, a primary the sentinels no longer name). Closing connections at
 * shutdown does not count. Atomic: the frontend's synchronous connections
 * live on other threads than its loop. */
#ifndef STAGE_RSTATS_H
#define STAGE_RSTATS_H

#include <stdint.h>

struct promtext_buf;

void rstats_reconnect(void);
uint64_t rstats_reconnects(void);

/* Append stage_redis_reconnects_total (always, 0 included) to `b`. */
void rstats_render(struct promtext_buf *b);

#endif
