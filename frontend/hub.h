/* hub.h - one Redis Pub/Sub connection per frontend for job events.
 *
 * Workers and the state script PUBLISH on st:ev:<id> whenever a job moves
 * (state, progress, a part done). Every call in this process that waits on
 * a job (uploads and downloads waiting for the window, WatchJob, wait=true)
 * holds a `struct hub_sub` on that job; the hub SUBSCRIBEs a channel once,
 * however many subscribers it has, and calls each one's function on every
 * message. Pub/Sub drops messages while the connection is down: when it is
 * re-established every channel is subscribed again and every subscriber is
 * called, so it re-reads its job and no terminal state is missed.
 *
 * Loop thread only. A subscriber's function runs on the loop, never inside
 * hub_sub_new() or hub_sub_free(). */
#ifndef STAGE_FE_HUB_H
#define STAGE_FE_HUB_H

#include <stdint.h>

struct config;
struct hub_sub;

typedef void(hub_fn)(void *ud);

/* Open the Pub/Sub connection (it reconnects by itself). */
void hub_start(const struct config *cfg);
void hub_stop(void);

/* Subscribe `fn(ud)` to job `id`'s events. It is also called once when the
 * channel's subscription is confirmed (so the subscriber re-reads anything
 * that happened before) and after every reconnect. NULL when out of memory. */
struct hub_sub *hub_sub_new(const char *id, hub_fn *fn, void *ud);

/* Unsubscribe (the channel goes when its last subscriber does). Accepts NULL. */
void hub_sub_free(struct hub_sub *s);

/* Channels subscribed and subscribers, for /metrics and tests. */
long hub_channels(void);
long hub_subscribers(void);

/* In a fiber: wait until job `id` has an event or `timeout_ms` passed. The
 * fiber's subscription is kept in *sub between waits (free it with
 * hub_sub_free when done). 0 when an event came, ST_ETIMEOUT. */
int hub_wait(struct hub_sub **sub, const char *id, int64_t timeout_ms);

#endif
