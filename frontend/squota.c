/* squota.c - stage quotas on the frontend (see squota.h). */
#include "squota.h"

#include "catalog.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "job.h"
#include "keys.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void squota_of_stage(const struct config *cfg, const struct stage_rec *rec, struct quota_lim *l)
{
    l->bytes = l->files = 0;
    if (strcmp(rec->type, "Internal") != 0)
        return; /* external: the owner's storage */
    if (rec->has_quota) {
        l->bytes = rec->quota_bytes;
        l->files = rec->quota_files;
    } else {
        l->bytes = cfg->quotas.internal_stage_bytes;
        l->files = cfg->quotas.internal_stage_files;
    }
}

/* A hash field that may be missing or "" (unset: `def`). */
static long long field_or(const redisReply *e, long long def)
{
    if (!e || e->type != REDIS_REPLY_STRING || e->len == 0)
        return def;
    return strtoll(e->str, NULL, 10);
}

int squota_of_user(struct db *db, const char *user, struct quota_lim *l)
{
    char key[KEY_MAX];
    redisReply *r = NULL;
    l->bytes = db->cfg->quotas.user_stage_bytes;
    l->files = db->cfg->quotas.user_stage_files;
    if (keys_user(key, sizeof(key), user) < 0)
        return 0;
    int rc = db_cmd(db, &r, "HMGET", key, "qbytes", "qfiles", NULL);
    if (rc)
        return rc;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
        l->bytes = field_or(r->element[0], l->bytes);
        l->files = field_or(r->element[1], l->files);
    }
    freeReplyObject(r);
    return 0;
}

/* ARGV: "1" set / "0" reset, bytes, files. 1 done, 0 no such user. */
static const char set_user_lua[] = "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
                                   "if ARGV[1] == '1' then\n"
                                   "  redis.call('HSET', KEYS[1], 'qbytes', ARGV[2], 'qfiles', "
                                   "ARGV[3])\n"
                                   "else\n"
                                   "  redis.call('HDEL', KEYS[1], 'qbytes', 'qfiles')\n"
                                   "end\n"
                                   "return 1\n";

int squota_set_user(struct db *db, const char *user, bool reset, long long bytes, long long files)
{
    char b[24], f[24];
    snprintf(b, sizeof(b), "%lld", bytes);
    snprintf(f, sizeof(f), "%lld", files);
    return catalog_user_eval(db, user, set_user_lua, reset ? "0" : "1", b, f, NULL);
}

static long long elem_int(const redisReply *r, size_t i)
{
    return i < r->elements ? db_reply_int(r->element[i], 0) : 0;
}

/* Run quota_reserve_lua for job `id` ("": report only) on the stage at
 * `root`; *st, *u and *granted from its reply. By EVALSHA, then by EVAL if
 * Redis lost the script (db.c words an error reply "redis error: <reply>"). */
static int run_reserve(struct db *db, const char *root, const char *id, long long need,
                       long long ask, const struct quota_lim *l, long long *st, struct quota_use *u,
                       long long *granted)
{
    struct quota_reserve_cmd c;
    redisReply *r = NULL;
    int rc = quota_reserve_args(&c, root, id, need, ask, l, job_now_ms());
    if (rc) {
        snprintf(db->err, sizeof(db->err), "%s",
                 rc == ST_EINVAL ? "stage root too long" : "cannot hash the quota script");
        return rc;
    }
    rc = db_cmd_argv(db, &r, QUOTA_RESERVE_ARGC, c.argv, NULL);
    if (rc == ST_EINTERNAL && strncmp(db->err, "redis error: ", 13) == 0 &&
        quota_noscript(db->err + 13)) {
        quota_reserve_eval(&c);
        rc = db_cmd_argv(db, &r, QUOTA_RESERVE_ARGC, c.argv, NULL);
    }
    if (rc)
        return rc;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 6) {
        freeReplyObject(r);
        snprintf(db->err, sizeof(db->err), "quota script: unexpected reply");
        return ST_EINTERNAL;
    }
    *st = elem_int(r, 0);
    *u = (struct quota_use){elem_int(r, 1), elem_int(r, 2), elem_int(r, 3), elem_int(r, 4)};
    *granted = elem_int(r, 5);
    freeReplyObject(r);
    return 0;
}

/* The script, not a plain read: it drops the reservations of ended jobs
 * first, so "in flight" is what really is in flight. */
int squota_usage(struct db *db, const char *root, struct quota_use *u)
{
    struct quota_lim none = {0, 0};
    long long st = 0, granted = 0;
    memset(u, 0, sizeof(*u));
    return run_reserve(db, root, "", 0, 0, &none, &st, u, &granted);
}

int squota_reserve(struct db *db, const struct job *j, long long need, long long ask,
                   long long *granted, char *msg, size_t n)
{
    struct quota_lim l = {j->quota_bytes, j->quota_files};
    struct quota_use u;
    long long st = 0;
    *granted = 0;
    int rc = run_reserve(db, j->root, j->id, need, ask, &l, &st, &u, granted);
    if (rc)
        return st_fail(rc, msg, n, "%s", db->err);
    if (st == 1)
        return 0;
    /* the script's decision, in words (quota_check() reaches the same one) */
    if (quota_check(j->stage, &l, &u, need, 1, msg, n) == 0)
        snprintf(msg, n, "stage '%s' is over its quota", j->stage);
    return ST_ELIMIT;
}

int squota_forget(struct db *db, const char *root)
{
    char uk[KEY_ROOT_MAX], rk[KEY_ROOT_MAX];
    if (keys_usage(uk, sizeof(uk), root) < 0 || keys_quota_res(rk, sizeof(rk), root) < 0)
        return 0;
    return db_cmd(db, NULL, "DEL", uk, rk, NULL);
}
