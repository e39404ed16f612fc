/* aredis.h - the frontend's shared, pipelined async Redis connections.
 *
 * AREDIS_CONNS hiredis async contexts on the loop's event_base, used by
 * every call on the loop: a command goes out at once (pipelined behind the
 * others on its connection) and its reply comes back to a callback. A
 * connection that breaks or times out is freed (every command pending on it
 * gets a NULL reply) and opened again by the next command.
 *
 * Loop thread only. */
#ifndef STAGE_FE_AREDIS_H
#define STAGE_FE_AREDIS_H

#include <stddef.h>

#define AREDIS_CONNS 4

struct config;
struct redisAsyncContext;

/* reply: the reply (freed by hiredis after the callback returns), or NULL
 * when the connection broke. */
typedef void(aredis_fn)(struct redisAsyncContext *ac, void *reply, void *ud);

void aredis_init(const struct config *cfg);

/* Free every connection (pending callbacks get NULL). */
void aredis_close(void);

/* A connection index for a new call: round robin. */
int aredis_pick(void);

/* The context of connection `slot`, connecting if needed. NULL (and `err`
 * set) when Redis cannot be reached now. */
struct redisAsyncContext *aredis_ctx(int slot, char *err, size_t errlen);

/* Drop connection `slot` if it is still `ac` (a command on it timed out:
 * Redis hangs or the network lost it). */
void aredis_reset(int slot, struct redisAsyncContext *ac);

/* With Sentinel: drop connection `slot` if it was opened before the
 * primary last changed (primary.h). Call it only between pipelines: the
 * commands of one pipeline must all reach one connection. */
void aredis_renew_if_stale(int slot);

/* Connections open now (for /metrics and the bench). */
int aredis_open_count(void);

#endif
