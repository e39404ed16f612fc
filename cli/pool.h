/* pool.h - a few threads running one stagectl operation on many items
 * (put of many files, get of a prefix), fed through a bounded queue so a
 * listing of a million files never sits in memory at once.
 *
 * Each thread gets its own copy of the `struct cli` with its own channel
 * (rpc.c allows one call at a time per connection). Items are malloc'd by
 * the caller; the pool frees each with free() after `fn` ran on it.
 * pool_push() and pool_finish() are called from one thread (the command's);
 * `fn` runs on the pool's threads; output goes through cli.c/out.c, which
 * lock stdout/stderr per message. */
#ifndef STAGECTL_POOL_H
#define STAGECTL_POOL_H

#include <stddef.h>

struct cli;
struct pool;

/* Run one item on a pool thread with that thread's `cli`; returns an exit
 * code (CLI_EXIT_OK or CLI_EXIT_ERR). */
typedef int(pool_fn)(struct cli *tcli, void *item, void *ud);

/* Called on the command's thread about every 200 ms while it waits. */
typedef void(pool_tick_fn)(void *ud);

#define POOL_MAX_THREADS 64

/* Start `nthreads` (1..POOL_MAX_THREADS) threads. NULL if out of memory. */
struct pool *pool_new(const struct cli *cli, int nthreads, pool_fn *fn, void *ud);

/* Queue an item, waiting while the queue is full; `tick` runs while waiting
 * (may be NULL). Takes ownership of `item`. */
void pool_push(struct pool *p, void *item, pool_tick_fn *tick, void *tick_ud);

/* No more items: wait for every thread, free the pool. Returns the worst exit
 * code of all items (CLI_EXIT_OK if there was none). */
int pool_finish(struct pool *p, pool_tick_fn *tick, void *tick_ud);

#endif
