/* db.c - Redis for one caller: a fiber's commands on the loop's shared
 * async connections, or a thread's own lazy synchronous connection
 * (see db.h). */
#include "db.h"

#include "aredis.h"
#include "config.h"
#include "err.h"
#include "fiber.h"
#include "hub.h"
#include "job.h"
#include "loop.h"
#include "pipe.h"
#include "primary.h"
#include "rconn.h"
#include "rstats.h"
#include "sentinel.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DB_MAX_ARGS 32

void db_init(struct db *db, const struct config *cfg)
{
    memset(db, 0, sizeof(*db));
    db->cfg = cfg;
    db->slot = -1;
}

static void tickets_abandon(struct db *db);

void db_cleanup(struct db *db)
{
    if (db->c)
        redisFree(db->c);
    db->c = NULL;
    tickets_abandon(db);
    free(db->t);
    db->t = NULL;
    db->cap = 0;
    hub_sub_free(db->sub);
    db->sub = NULL;
}

/* ------------------------------------------------------------ async (fibers)
 *
 * A command is a ticket: it goes out on the db's connection at once and its
 * reply lands in the ticket. db_exec() waits (yielding) for every ticket or
 * for redis.timeout_ms; after a timeout the connection is reset, so a hung
 * Redis costs each call one timeout, not one per command. A ticket whose
 * caller gave up is `abandoned` and frees itself when its reply comes. */
struct db_ticket {
    struct db *db; /* NULL once abandoned */
    redisReply *reply;
    bool done;
};

/* How long a fiber waits for its replies (redis.timeout_ms). */
static int reply_timeout_ms(const struct db *db)
{
    return db->cfg->redis.timeout_ms > 0 ? db->cfg->redis.timeout_ms : 5000;
}

static bool db_async(const struct db *db)
{
    (void)db;
    return fiber_current() != NULL;
}

/* hiredis frees a reply when its callback returns: keep a copy. */
static redisReply *reply_dup(const redisReply *r)
{
    redisReply *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->type = r->type;
    c->integer = r->integer;
    if (r->str) {
        c->str = malloc(r->len + 1);
        if (!c->str) {
            free(c);
            return NULL;
        }
        memcpy(c->str, r->str, r->len);
        c->str[r->len] = '\0';
        c->len = r->len;
    }
    if (r->element && r->elements) {
        c->element = calloc(r->elements, sizeof(*c->element));
        if (!c->element) {
            freeReplyObject(c);
            return NULL;
        }
        c->elements = r->elements;
        for (size_t i = 0; i < r->elements; i++)
            if (r->element[i] && !(c->element[i] = reply_dup(r->element[i]))) {
                freeReplyObject(c);
                return NULL;
            }
    }
    return c;
}

static void on_ticket(redisAsyncContext *ac, void *reply, void *ud)
{
    (void)ac;
    struct db_ticket *t = ud;
    if (!t->db) {
        free(t);
        return;
    }
    t->reply = reply ? reply_dup(reply) : NULL;
    t->done = true;
    if (++t->db->ndone == t->db->n && t->db->w)
        loop_wake(t->db->w);
}

static void tickets_abandon(struct db *db)
{
    for (int i = 0; i < db->n; i++) {
        struct db_ticket *t = db->t[i];
        if (t->done) {
            if (t->reply)
                freeReplyObject(t->reply);
            free(t);
        } else {
            t->db = NULL;
        }
    }
    db->n = db->ndone = 0;
}

static int async_append(struct db *db, int argc, const char **argv, const size_t *lens)
{
    char err[200];
    if (db->slot < 0)
        db->slot = aredis_pick();
    if (db->n == 0) /* a pipeline stays on one connection */
        aredis_renew_if_stale(db->slot);
    redisAsyncContext *ac = aredis_ctx(db->slot, err, sizeof(err));
    if (!ac) {
        snprintf(db->err, sizeof(db->err), "redis unavailable: %s", err);
        return ST_EUNAVAIL;
    }
    if (db->n == db->cap) {
        int cap = db->cap ? db->cap * 2 : 8;
        struct db_ticket **v = realloc(db->t, (size_t)cap * sizeof(*v));
        if (!v)
            return ST_ENOMEM;
        db->t = v;
        db->cap = cap;
    }
    struct db_ticket *t = calloc(1, sizeof(*t));
    if (!t)
        return ST_ENOMEM;
    t->db = db;
    if (redisAsyncCommandArgv(ac, on_ticket, t, argc, argv, lens) != REDIS_OK) {
        free(t);
        snprintf(db->err, sizeof(db->err), "redis unavailable: %s",
                 ac->errstr[0] ? ac->errstr : "connection closing");
        return ST_EUNAVAIL;
    }
    db->ac = ac;
    db->t[db->n++] = t;
    return 0;
}

/* Wait for every ticket: 0, or ST_EUNAVAIL after the timeout (reset). */
static int async_wait(struct db *db)
{
    if (db->ndone == db->n)
        return 0;
    struct waiter w = {0};
    db->w = &w;
    int rc = loop_wait(&w, reply_timeout_ms(db));
    db->w = NULL;
    if (rc == 0 && db->ndone == db->n)
        return 0;
    snprintf(db->err, sizeof(db->err), "redis unavailable: no reply within %d ms",
             db->cfg->redis.timeout_ms);
    redisAsyncContext *ac = db->ac;
    tickets_abandon(db);
    aredis_reset(db->slot, ac);
    return ST_EUNAVAIL;
}

static int db_connect(struct db *db)
{
    if (db_async(db))
        abort(); /* a synchronous command on the loop would block every call */
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
        rstats_reconnect();
        db_cleanup(db);
    }
    return rc;
}

/* The connection broke: remember why and drop it. */
static int db_broken(struct db *db)
{
    snprintf(db->err, sizeof(db->err), "redis unavailable: %s",
             db->c && db->c->errstr[0] ? db->c->errstr : "connection lost");
    if (db->c)
        rstats_reconnect();
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
    if (sentinel_error_means_failover(r->str))
        db->failover = true; /* the caller drops the connection once the replies are read */
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

/* A reply said the server is not (or not yet) a usable primary (READONLY
 * after a failover, LOADING after a restart): drop the connection so that
 * the next command connects to whatever the sentinels name now. */
static void drop_if_failover(struct db *db)
{
    if (!db->failover)
        return;
    db->failover = false;
    primary_suspect();
    if (db_async(db)) {
        aredis_reset(db->slot, db->ac);
    } else if (db->c) {
        rstats_reconnect();
        redisFree(db->c);
        db->c = NULL;
    }
}

/* Collect every ticket's reply as exec_into() does for the sync path. */
static int async_exec(struct db *db, struct redisReply **each, struct redisReply **last)
{
    int rc = async_wait(db), n = db->n;
    bool broken = false;
    for (int i = 0; i < n; i++) {
        struct db_ticket *t = db->t[i];
        redisReply *r = t->reply;
        free(t);
        struct redisReply **out = each ? &each[i] : i == n - 1 ? last : NULL;
        if (out)
            *out = NULL;
        if (!r) {
            broken = true;
            continue;
        }
        int one = r->type == REDIS_REPLY_ERROR ? db_reply_error(db, r) : 0;
        if (one && !rc)
            rc = one;
        if (out && !one && !broken)
            *out = r;
        else
            freeReplyObject(r);
    }
    db->n = db->ndone = 0;
    if (broken) {
        for (int i = 0; each && i < n; i++) {
            if (each[i])
                freeReplyObject(each[i]);
            each[i] = NULL;
        }
        if (last && *last) {
            freeReplyObject(*last);
            *last = NULL;
        }
        snprintf(db->err, sizeof(db->err), "redis unavailable: connection lost");
        return ST_EUNAVAIL;
    }
    return rc;
}

static int cmd_once(struct db *db, struct redisReply **out, int argc, const char **argv,
                    const size_t *lens)
{
    int rc;
    if (db_async(db)) {
        db->err[0] = '\0';
        rc = async_append(db, argc, argv, lens);
        if (!rc)
            rc = async_exec(db, NULL, out);
    } else {
        rc = db_connect(db);
        if (!rc)
            rc = db_take(db, redisCommandArgv(db->c, argc, argv, lens), out);
    }
    drop_if_failover(db);
    return rc;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_ms(const struct db *db, int64_t ms)
{
    if (db_async(db)) {
        loop_sleep_ms(ms);
    } else {
        struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
}

/* A read whose connection broke (a restart, a failover, a stale connection
 * the loop had not noticed yet) is sent again on a new one, with a growing
 * pause, until redis.timeout_ms has passed since the first try: callers see
 * UNAVAILABLE only when Redis stays away. A read that timed out is not
 * retried (it already took the whole timeout), nor is a write: its first
 * copy may have run. */
int db_cmd_argv(struct db *db, struct redisReply **out, int argc, const char **argv,
                const size_t *lens)
{
    if (out)
        *out = NULL;
    bool retryable = argc > 0 && sentinel_cmd_retryable(argv[0], lens ? lens[0] : strlen(argv[0]));
    int64_t start = mono_ms(), pause = 50, budget = reply_timeout_ms(db);
    for (;;) {
        int rc = cmd_once(db, out, argc, argv, lens);
        int64_t spent = mono_ms() - start;
        if (rc != ST_EUNAVAIL || !retryable || spent + pause >= budget)
            return rc;
        pause_ms(db, pause);
        pause = pause * 2 > 500 ? 500 : pause * 2;
    }
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
    if (db_async(db)) {
        if (db->n == 0)
            db->err[0] = '\0';
        int rc = async_append(db, argc, argv, lens);
        if (rc) /* the pipeline is void: its earlier commands' replies are dropped */
            tickets_abandon(db);
        return rc;
    }
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
    if (db_async(db)) {
        if (db->n != n) { /* a caller bug: never mix pipelines */
            tickets_abandon(db);
            snprintf(db->err, sizeof(db->err), "pipeline of %d commands read as %d", db->n, n);
            return ST_EINTERNAL;
        }
        return async_exec(db, each, last);
    }
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
    int rc = exec_into(db, n, replies, NULL);
    drop_if_failover(db);
    return rc;
}

int db_exec(struct db *db, int n, struct redisReply **last)
{
    int rc = exec_into(db, n, NULL, last);
    drop_if_failover(db);
    return rc;
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
    if (db_async(db))
        abort(); /* fibers wait on hub.h, never on a blocking command */
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

struct state_wait {
    struct waiter w;
    int rc;
    bool done, abandoned;
};

static void on_state(int rc, void *ud)
{
    struct state_wait *sw = ud;
    if (sw->abandoned) {
        free(sw);
        return;
    }
    sw->rc = rc;
    sw->done = true;
    loop_wake(&sw->w);
}

int db_set_state(struct db *db, const char *id, enum job_state from, enum job_state to, int err,
                 const char *msg, long retention_s)
{
    db->err[0] = '\0';
    if (!db_async(db)) {
        int rc = db_connect(db);
        if (!rc)
            rc = db_check(db, job_set_state(db->c, id, from, to, NULL, err, msg, retention_s));
        return rc;
    }
    char e[200];
    if (db->slot < 0)
        db->slot = aredis_pick();
    redisAsyncContext *ac = aredis_ctx(db->slot, e, sizeof(e));
    struct state_wait *sw = ac ? calloc(1, sizeof(*sw)) : NULL;
    int rc = !ac ? ST_EUNAVAIL : !sw ? ST_ENOMEM : 0;
    if (!rc)
        rc = job_set_state_async(ac, id, from, to, NULL, err, msg, retention_s, on_state, sw);
    if (rc) {
        free(sw);
        snprintf(db->err, sizeof(db->err), "redis unavailable: %s", ac ? "cannot send" : e);
        return rc;
    }
    if (loop_wait(&sw->w, reply_timeout_ms(db)) || !sw->done) {
        sw->abandoned = true;
        snprintf(db->err, sizeof(db->err), "redis unavailable: no reply within %d ms",
                 db->cfg->redis.timeout_ms);
        aredis_reset(db->slot, ac);
        return ST_EUNAVAIL;
    }
    rc = sw->rc;
    free(sw);
    if (rc == ST_EUNAVAIL)
        snprintf(db->err, sizeof(db->err), "redis unavailable: cannot change job '%s'", id);
    return rc;
}

int db_send_pipe(struct db *db, const struct pipe_cmds *p)
{
    int rc = 0;
    for (int i = 0; i < p->n && !rc; i++)
        rc = db_append_argv(db, p->cmd[i].argc, (const char **)p->cmd[i].argv, p->cmd[i].lens);
    return rc ? rc : db_exec(db, p->n, NULL);
}
