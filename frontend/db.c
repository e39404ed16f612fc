/* db.c - lazy, self-healing synchronous Redis connection (see db.h). */
#include "db.h"

#include "config.h"
#include "err.h"
#include "rconn.h"

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DB_MAX_ARGS 32

void db_init(struct db *db, const struct config *cfg)
{
    memset(db, 0, sizeof(*db));
    db->cfg = cfg;
}

void db_cleanup(struct db *db)
{
    if (db->c)
        redisFree(db->c);
    db->c = NULL;
}

static int db_connect(struct db *db)
{
    char err[200];
    db->err[0] = '\0';
    if (db->c)
        return 0;
    int rc = rconn_connect(db->cfg, &db->c, err, sizeof(err));
    if (rc) {
        db->c = NULL;
        snprintf(db->err, sizeof(db->err), "redis unavailable: %s", err);
        return ST_EUNAVAIL;
    }
    return 0;
}

int db_context(struct db *db, struct redisContext **out)
{
    int rc = db_connect(db);
    *out = rc ? NULL : db->c;
    return rc;
}

int db_check(struct db *db, int rc)
{
    if (db->c && db->c->err) {
        snprintf(db->err, sizeof(db->err), "redis unavailable: %s", db->c->errstr);
        db_cleanup(db);
    }
    return rc;
}

/* The connection broke: remember why and drop it. */
static int db_broken(struct db *db)
{
    snprintf(db->err, sizeof(db->err), "redis unavailable: %s",
             db->c && db->c->errstr[0] ? db->c->errstr : "connection lost");
    db_cleanup(db);
    return ST_EUNAVAIL;
}

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

/* Map an error reply to a code; the connection stays usable. */
static int db_reply_error(struct db *db, const redisReply *r)
{
    static const char *const unavail[] = {"LOADING",  "MASTERDOWN",  "READONLY", "BUSY",
                                          "TRYAGAIN", "CLUSTERDOWN", "NOAUTH"};
    snprintf(db->err, sizeof(db->err), "redis error: %.*s", (int)r->len, r->str);
    if (has_prefix(r->str, "OOM"))
        return ST_ELIMIT;
    for (size_t i = 0; i < sizeof(unavail) / sizeof(unavail[0]); i++)
        if (has_prefix(r->str, unavail[i])) {
            snprintf(db->err, sizeof(db->err), "redis unavailable: %.*s", (int)r->len, r->str);
            return ST_EUNAVAIL;
        }
    return ST_EINTERNAL;
}

static int db_take(struct db *db, redisReply *r, struct redisReply **out)
{
    int rc = 0;
    if (!r)
        return db_broken(db);
    if (r->type == REDIS_REPLY_ERROR)
        rc = db_reply_error(db, r);
    if (out && !rc)
        *out = r;
    else
        freeReplyObject(r);
    return rc;
}

int db_cmd_argv(struct db *db, struct redisReply **out, int argc, const char **argv,
                const size_t *lens)
{
    if (out)
        *out = NULL;
    int rc = db_connect(db);
    if (rc)
        return rc;
    return db_take(db, redisCommandArgv(db->c, argc, argv, lens), out);
}

/* Collect a NULL-terminated list of strings into argv/lens. */
static int collect(const char *arg0, va_list ap, const char **argv, size_t *lens)
{
    int n = 0;
    for (const char *a = arg0; a; a = va_arg(ap, const char *)) {
        if (n == DB_MAX_ARGS)
            return ST_EINTERNAL;
        argv[n] = a;
        lens[n++] = strlen(a);
    }
    return n;
}

int db_cmd(struct db *db, struct redisReply **out, const char *arg0, ...)
{
    const char *argv[DB_MAX_ARGS];
    size_t lens[DB_MAX_ARGS];
    va_list ap;
    va_start(ap, arg0);
    int n = collect(arg0, ap, argv, lens);
    va_end(ap);
    if (n < 0)
        return n;
    return db_cmd_argv(db, out, n, argv, lens);
}

int db_append_argv(struct db *db, int argc, const char **argv, const size_t *lens)
{
    int rc = db_connect(db);
    if (rc)
        return rc;
    if (redisAppendCommandArgv(db->c, argc, argv, lens) != REDIS_OK)
        return db_broken(db);
    return 0;
}

int db_append(struct db *db, const char *arg0, ...)
{
    const char *argv[DB_MAX_ARGS];
    size_t lens[DB_MAX_ARGS];
    va_list ap;
    va_start(ap, arg0);
    int n = collect(arg0, ap, argv, lens);
    va_end(ap);
    if (n < 0)
        return n;
    return db_append_argv(db, n, argv, lens);
}

/* Read `n` replies: into each[i] when `each`, the last into `last` when
 * `last`, the others freed. The first error reply is the result. */
static int exec_into(struct db *db, int n, struct redisReply **each, struct redisReply **last)
{
    int rc = 0;
    for (int i = 0; each && i < n; i++)
        each[i] = NULL;
    if (last)
        *last = NULL;
    if (!db->c)
        return db_broken(db);
    for (int i = 0; i < n; i++) {
        void *r = NULL;
        if (redisGetReply(db->c, &r) != REDIS_OK) {
            for (int k = 0; each && k < i; k++) {
                if (each[k])
                    freeReplyObject(each[k]);
                each[k] = NULL;
            }
            return db_broken(db);
        }
        struct redisReply **out = each ? &each[i] : i == n - 1 ? last : NULL;
        int one = db_take(db, r, out);
        if (one && !rc)
            rc = one;
    }
    return rc;
}

int db_exec_each(struct db *db, int n, struct redisReply **replies)
{
    return exec_into(db, n, replies, NULL);
}

int db_exec(struct db *db, int n, struct redisReply **last)
{
    return exec_into(db, n, NULL, last);
}

int db_cmd_blocking(struct db *db, struct redisReply **out, int block_ms, const char *arg0, ...)
{
    const char *argv[DB_MAX_ARGS];
    size_t lens[DB_MAX_ARGS];
    va_list ap;
    va_start(ap, arg0);
    int n = collect(arg0, ap, argv, lens);
    va_end(ap);
    if (n < 0)
        return n;
    int rc = db_connect(db);
    if (rc)
        return rc;
    int normal = db->cfg->redis.timeout_ms;
    bool raise = normal > 0 && normal < block_ms + 1000;
    if (raise)
        rconn_set_timeout(db->c, block_ms + 1000);
    rc = db_take(db, redisCommandArgv(db->c, n, argv, lens), out);
    if (raise && db->c)
        rconn_set_timeout(db->c, normal);
    return rc;
}

long long db_reply_int(const struct redisReply *r, long long def)
{
    if (!r)
        return def;
    if (r->type == REDIS_REPLY_INTEGER)
        return r->integer;
    if (r->type == REDIS_REPLY_STRING)
        return strtoll(r->str, NULL, 10);
    return def;
}
