/* db.h - the Redis connection of one frontend handler thread.
 *
 * Each handler thread owns one `struct db` (one synchronous hiredis context)
 * and is the only thread that touches it. The connection is opened lazily
 * and dropped after a connection-level error, so the next command
 * reconnects. Every function returns 0 or a negative st_err:
 *   ST_EUNAVAIL  connection failed or broke ("redis unavailable: ..."),
 *   ST_ELIMIT    Redis refused a write because it is out of memory,
 *   ST_EINTERNAL Redis answered with another error (a bug: bad command),
 * with the text in db->err. Replies returned through `out` belong to the
 * caller (freeReplyObject). */
#ifndef STAGE_FE_DB_H
#define STAGE_FE_DB_H

#include <stddef.h>

struct config;
struct redisContext;
struct redisReply;

struct db {
    const struct config *cfg;
    struct redisContext *c; /* NULL until first use or after an error */
    char err[256];
};

void db_init(struct db *db, const struct config *cfg);
void db_cleanup(struct db *db);

/* The live hiredis context (connecting if needed), for common/ functions
 * that take one (job_set_state). Call db_check() after using it. */
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

/* Run a blocking command (BLPOP ... 1) whose server-side timeout is
 * `block_ms`: the client timeout is raised above it for this command. */
int db_cmd_blocking(struct db *db, struct redisReply **out, int block_ms, const char *arg0, ...)
    __attribute__((sentinel));

/* Integer or numeric-string reply as long long; `def` for nil. */
long long db_reply_int(const struct redisReply *r, long long def);

#endif
