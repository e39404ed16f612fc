/* db.h - Redis for one caller of the frontend, with one API in two modes.
 *
 * In a fiber (every gRPC call, loop.h) commands go out on the loop's shared
 * async connections (aredis.h), pipelined with every other call's, and the
 * fiber yields until the replies arrive or redis.timeout_ms passes; no
 * thread waits. Elsewhere (the HTTP listener, presign relays, the heartbeat
 * thread) a `struct db` owns a synchronous hiredis context, opened lazily and
 * dropped after a connection-level error. A `struct db` belongs to one
 * caller at a time. Every function returns 0 or a negative st_err:
 *   ST_EUNAVAIL  connection failed or broke ("redis unavailable: ..."),
 *   ST_ELIMIT    Redis refused a write because it is out of memory,
 *   ST_EINTERNAL Redis answered with another error (a bug: bad command),
 * with the text in db->err. Replies returned through `out` belong to the
 * caller (freeReplyObject). */
#ifndef STAGE_FE_DB_H
#define STAGE_FE_DB_H

#include "job.h"

#include <stdbool.h>
#include <stddef.h>

struct config;
struct db_ticket;
struct hub_sub;
struct redisAsyncContext;
struct redisContext;
struct redisReply;
struct waiter;

struct db {
    const struct config *cfg;
    struct redisContext *c; /* sync mode: NULL until first use or after an error */
    char err[256];
    /* fiber mode: the pipeline in flight on aredis connection `slot` */
    int slot;
    struct redisAsyncContext *ac;
    struct db_ticket **t;
    int n, ndone, cap;
    struct waiter *w;
    struct hub_sub *sub; /* jobs_wait(): this caller's job events */
    bool failover;       /* a reply said READONLY/LOADING: drop the connection */
};

void db_init(struct db *db, const struct config *cfg);
void db_cleanup(struct db *db);

/* The live hiredis context (connecting if needed), for common/ functions
 * that take one. Sync mode only. Call db_check() after using it. */
int db_context(struct db *db, struct redisContext **out);

/* Drop the context if the last command broke it. Returns `rc`. */
int db_check(struct db *db, int rc);

/* One command from binary-safe argv. `out` may be NULL (reply discarded). */
int db_cmd_argv(struct db *db, struct redisReply **out, int argc, const char **argv,
                const size_t *lens);

/* One command from NUL-terminated strings; the list ends with NULL. */
int db_cmd(struct db *db, struct redisReply **out, const char *arg0, ...) __attribute__((sentinel));

/* Pipelining: queue commands with db_append*(), then read every reply with
 * db_exec(): one round trip. The reply of the last command goes to `last`
 * (may be NULL); an error reply of any command makes db_exec() fail after
 * all replies were read. */
int db_append_argv(struct db *db, int argc, const char **argv, const size_t *lens);
int db_append(struct db *db, const char *arg0, ...) __attribute__((sentinel));
int db_exec(struct db *db, int n, struct redisReply **last);
/* Same, keeping every reply: replies[i] is the reply of command i (NULL when
 * it was an error reply; the first error is the result). On a broken
 * connection every reply is released and all are NULL. */
int db_exec_each(struct db *db, int n, struct redisReply **replies);

/* Send every command of a part-pipe step (common/pipe.h) as one pipeline. */
struct pipe_cmds;
int db_send_pipe(struct db *db, const struct pipe_cmds *p);

/* job_set_state() in either mode (see job.h for the result codes). */
int db_set_state(struct db *db, const char *id, enum job_state from, enum job_state to, int err,
                 const char *msg, long retention_s);

/* Run a blocking command (sync mode only) (BLPOP ... 1) whose server-side timeout is
 * `block_ms`: the client timeout is raised above it for this command. */
int db_cmd_blocking(struct db *db, struct redisReply **out, int block_ms, const char *arg0, ...)
    __attribute__((sentinel));

/* Integer or numeric-string reply as long long; `def` for nil. */
long long db_reply_int(const struct redisReply *r, long long def);

#endif
