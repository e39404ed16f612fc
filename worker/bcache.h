/* bcache.h - the worker's cache of external-stage backends, as a pure data
 * structure: entries keyed by a stage name and a content hash of the
 * stage's definition, each with a reference count, the least recently used
 * idle ones evicted beyond a size.
 *
 * - A hit takes a reference; so does an insert. Every reference is given
 *   back with bcache_release().
 * - An insert for a stage retires that stage's other entries (an
 *   AlterStage: new definition, new hash): a retired entry is never found
 *   again and is handed to the free callback at its last release.
 * - Beyond `max` entries, idle ones (no reference) are handed to the free
 *   callback, least recently used first. Entries in use are never: the
 *   cache then holds more than `max` until they are released, so it never
 *   refuses an insert for being full (in use: at most a few per running
 *   job, bounded by worker.concurrency).
 *
 * Values are opaque; the free callback owns them once called (it may defer
 * the real free). No I/O, no logging; one thread. */
#ifndef STAGE_WORKER_BCACHE_H
#define STAGE_WORKER_BCACHE_H

#include <stddef.h>

#define BCACHE_HASH_LEN 32 /* SHA-256 */

struct bcache;

typedef void(bcache_free_fn)(void *value, void *ud);

/* `max` >= 1. NULL on OOM. */
struct bcache *bcache_new(size_t max, bcache_free_fn *free_fn, void *ud);

/* Hand every value, in use or not, to the free callback and free the
 * cache (shutdown). NULL-safe; returns NULL. */
struct bcache *bcache_free(struct bcache *c);

/* The live value of (stage, hash) with a new reference, or NULL. */
void *bcache_get(struct bcache *c, const char *stage, const unsigned char hash[BCACHE_HASH_LEN]);

/* Add `value` for (stage, hash), not in the cache (bcache_get() missed),
 * with one reference for the caller; retire the stage's other entries,
 * then evict idle entries beyond max. 0 or ST_ENOMEM (nothing changed,
 * `value` stays the caller's). */
int bcache_put(struct bcache *c, const char *stage, const unsigned char hash[BCACHE_HASH_LEN],
               void *value);

/* Give back a reference to `value`. A retired entry is freed at its last
 * one; an idle entry beyond max is evicted. ST_ENOTFOUND if `value` is not
 * in the cache or has no reference (nothing changed), else 0. */
int bcache_release(struct bcache *c, void *value);

/* Entries held (in use, idle and retired-in-use), and those in use. */
size_t bcache_count(const struct bcache *c);
size_t bcache_in_use(const struct bcache *c);

#endif
