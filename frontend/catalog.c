/* catalog.c - stages and grants in Redis (see catalog.h). */
#include "catalog.h"

#include "db.h"
#include "err.h"
#include "keys.h"
#include "secret.h"

#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRANTS_USER_PREFIX "st:grants:user:"

/* Set once by main.c before the handler threads start. */
static struct secret_key g_key;

void catalog_set_key(const struct secret_key *key)
{
    g_key = *key;
}

const struct secret_key *catalog_key(void)
{
    return &g_key;
}

/* ------------------------------------------------------------ records */

static void put_str(char *dst, size_t n, const redisReply *v)
{
    snprintf(dst, n, "%.*s", (int)v->len, v->str);
}

/* Fill `rec` from field/value pairs starting at element `from`. */
static void rec_from_pairs(struct stage_rec *rec, const redisReply *r, size_t from)
{
    for (size_t i = from; i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        rec->exists = true;
#define F(name, dst)                                                                               \
    if (strcmp(k->str, name) == 0) {                                                               \
        put_str(dst, sizeof(dst), v);                                                              \
        continue;                                                                                  \
    }
        F("name", rec->name);
        F("type", rec->type);
        F("storage_type", rec->storage_type);
        F("url", rec->url);
        F("endpoint", rec->endpoint);
        F("conn", rec->conn);
        F("params", rec->params);
        F("root", rec->root);
        F("owner", rec->owner);
        F("creator", rec->creator);
        F("comment", rec->comment);
#undef F
        if (strcmp(k->str, "qbytes") == 0 && v->len)
            rec->has_quota = true, rec->quota_bytes = strtoll(v->str, NULL, 10);
        else if (strcmp(k->str, "qfiles") == 0 && v->len)
            rec->has_quota = true, rec->quota_files = strtoll(v->str, NULL, 10);
        else if (strcmp(k->str, "has_cred") == 0)
            rec->has_credentials = strcmp(v->str, "1") == 0;
        else if (strcmp(k->str, "created_on") == 0)
            rec->created_on = strtoll(v->str, NULL, 10);
    }
}

/* The record as HSET argv pairs; `num` holds the numbers' text (3 of 24
 * bytes). An unset quota is stored as "" (the configured default applies). */
static int rec_to_argv(const struct stage_rec *rec, const char **argv, char num[72])
{
    int n = 0;
    snprintf(num, 24, "%lld", (long long)rec->created_on);
    num[24] = num[48] = '\0';
    if (rec->has_quota) {
        snprintf(num + 24, 24, "%lld", rec->quota_bytes);
        snprintf(num + 48, 24, "%lld", rec->quota_files);
    }
#define P(name, val) argv[n++] = name, argv[n++] = val
    P("name", rec->name);
    P("type", rec->type);
    P("storage_type", rec->storage_type);
    P("url", rec->url);
    P("endpoint", rec->endpoint);
    P("conn", rec->conn);
    P("params", rec->params);
    P("has_cred", rec->has_credentials ? "1" : "0");
    P("root", rec->root);
    P("owner", rec->owner);
    P("creator", rec->creator);
    P("created_on", num);
    P("comment", rec->comment);
    P("qbytes", num + 24);
    P("qfiles", num + 48);
#undef P
    return n;
}

#define REC_ARGS 30

int catalog_get(struct db *db, const char *name, struct stage_rec *rec)
{
    char key[KEY_MAX];
    redisReply *r = NULL;
    memset(rec, 0, sizeof(*rec));
    if (keys_stage(key, sizeof(key), name) < 0)
        return 0;
    int rc = db_cmd(db, &r, "HGETALL", key, NULL);
    if (rc)
        return rc;
    if (r->type == REDIS_REPLY_ARRAY)
        rec_from_pairs(rec, r, 0);
    freeReplyObject(r);
    return 0;
}

/* ARGV: mode, name, grants prefix, the owner a replaced record must have
 * ("" = any), then the record's field/value pairs. */
static const char put_lua[] = "local ex = redis.call('EXISTS', KEYS[1])\n"
                              "if ex == 1 and ARGV[1] == 'c' then return {'exists'} end\n"
                              "if ex == 1 and ARGV[1] == 'i' then return {'kept'} end\n"
                              "if ex == 1 and ARGV[4] ~= '' and\n"
                              "   redis.call('HGET', KEYS[1], 'owner') ~= ARGV[4] then\n"
                              "  return {'denied'}\n"
                              "end\n"
                              "local old = {}\n"
                              "if ex == 1 then\n"
                              "  old = redis.call('HGETALL', KEYS[1])\n"
                              "  for _, u in ipairs(redis.call('HKEYS', KEYS[3])) do\n"
                              "    redis.call('SREM', ARGV[3] .. u, ARGV[2])\n"
                              "  end\n"
                              "  redis.call('DEL', KEYS[1], KEYS[3])\n"
                              "end\n"
                              "redis.call('HSET', KEYS[1], unpack(ARGV, 5))\n"
                              "redis.call('SADD', KEYS[2], ARGV[2])\n"
                              "return {'ok', unpack(old)}\n";

/* First element of a script's array reply, or "". */
static const char *status_of(const redisReply *r)
{
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
        r->element[0]->type == REDIS_REPLY_STRING)
        return r->element[0]->str;
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
        return r->str;
    return "";
}

int catalog_put(struct db *db, const struct stage_rec *rec, enum catalog_mode mode,
                const char *replace_owner, bool *kept, struct stage_rec *old)
{
    char k1[KEY_MAX], k3[KEY_MAX], num[72];
    const char *argv[13 + REC_ARGS];
    redisReply *r = NULL;
    *kept = false;
    if (old)
        memset(old, 0, sizeof(*old));
    keys_stage(k1, sizeof(k1), rec->name);
    keys_grant(k3, sizeof(k3), rec->name);
    int n = 0;
    argv[n++] = "EVAL";
    argv[n++] = put_lua;
    argv[n++] = "3";
    argv[n++] = k1;
    argv[n++] = KEY_STAGES;
    argv[n++] = k3;
    argv[n++] = mode == CATALOG_CREATE ? "c" : mode == CATALOG_IF_NOT_EXISTS ? "i" : "r";
    argv[n++] = rec->name;
    argv[n++] = GRANTS_USER_PREFIX;
    argv[n++] = replace_owner ? replace_owner : "";
    n += rec_to_argv(rec, argv + n, num);
    int rc = db_cmd_argv(db, &r, n, argv, NULL);
    if (rc)
        return rc;
    const char *st = status_of(r);
    if (strcmp(st, "exists") == 0) {
        snprintf(db->err, sizeof(db->err), "stage '%s' already exists", rec->name);
        rc = ST_EEXIST;
    } else if (strcmp(st, "denied") == 0) {
        snprintf(db->err, sizeof(db->err),
                 "permission denied: user '%s' does not own stage '%s' (only its owner or an "
                 "admin may drop, alter or replace it)",
                 replace_owner, rec->name);
        rc = ST_EPERM;
    } else if (strcmp(st, "kept") == 0) {
        *kept = true;
    } else if (old) {
        rec_from_pairs(old, r, 1);
    }
    freeReplyObject(r);
    return rc;
}

/* ARGV: name, grants prefix, the created_on the record must have ("" = any). */
static const char drop_lua[] = "if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing'} end\n"
                               "if ARGV[3] ~= '' and\n"
                               "   redis.call('HGET', KEYS[1], 'created_on') ~= ARGV[3] then\n"
                               "  return {'changed'}\n"
                               "end\n"
                               "local old = redis.call('HGETALL', KEYS[1])\n"
                               "for _, u in ipairs(redis.call('HKEYS', KEYS[3])) do\n"
                               "  redis.call('SREM', ARGV[2] .. u, ARGV[1])\n"
                               "end\n"
                               "redis.call('DEL', KEYS[1], KEYS[3])\n"
                               "redis.call('SREM', KEYS[2], ARGV[1])\n"
                               "return {'ok', unpack(old)}\n";

static void changed(struct db *db, const char *name)
{
    snprintf(db->err, sizeof(db->err),
             "stage '%s' was dropped and created again meanwhile; try again", name);
}

int catalog_drop(struct db *db, const char *name, int64_t created_on, struct stage_rec *old)
{
    char k1[KEY_MAX], k3[KEY_MAX], num[24] = "";
    redisReply *r = NULL;
    memset(old, 0, sizeof(*old));
    keys_stage(k1, sizeof(k1), name);
    keys_grant(k3, sizeof(k3), name);
    if (created_on)
        snprintf(num, sizeof(num), "%lld", (long long)created_on);
    int rc = db_cmd(db, &r, "EVAL", drop_lua, "3", k1, KEY_STAGES, k3, name, GRANTS_USER_PREFIX,
                    num, NULL);
    if (rc)
        return rc;
    if (strcmp(status_of(r), "missing") == 0) {
        snprintf(db->err, sizeof(db->err), "stage '%s' does not exist", name);
        rc = ST_ENOTFOUND;
    } else if (strcmp(status_of(r), "changed") == 0) {
        changed(db, name);
        rc = ST_EPRECOND;
    } else {
        rec_from_pairs(old, r, 1);
    }
    freeReplyObject(r);
    return rc;
}

/* ARGV: the created_on the record must still have (the one the caller's
 * check saw: not a stage dropped and created again meanwhile), then the
 * record's field/value pairs. */
static const char update_lua[] = "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
                                 "if redis.call('HGET', KEYS[1], 'created_on') ~= ARGV[1] then\n"
                                 "  return 2\n"
                                 "end\n"
                                 "redis.call('HSET', KEYS[1], unpack(ARGV, 2))\n"
                                 "return 1\n";

int catalog_update(struct db *db, const struct stage_rec *rec)
{
    char k1[KEY_MAX], num[72];
    const char *argv[8 + REC_ARGS];
    redisReply *r = NULL;
    keys_stage(k1, sizeof(k1), rec->name);
    int n = 0;
    argv[n++] = "EVAL";
    argv[n++] = update_lua;
    argv[n++] = "1";
    argv[n++] = k1;
    int expect = n++; /* ARGV[1] */
    n += rec_to_argv(rec, argv + n, num);
    argv[expect] = num; /* rec_to_argv() wrote created_on there */
    int rc = db_cmd_argv(db, &r, n, argv, NULL);
    if (rc)
        return rc;
    long long st = db_reply_int(r, 0);
    if (st == 2) {
        changed(db, rec->name);
        rc = ST_EPRECOND;
    } else if (st != 1) {
        snprintf(db->err, sizeof(db->err), "stage '%s' does not exist", rec->name);
        rc = ST_ENOTFOUND;
    }
    freeReplyObject(r);
    return rc;
}

void catalog_names_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* SMEMBERS `key` as a sorted malloc'd array. */
static int members(struct db *db, const char *key, char ***out, size_t *n)
{
    redisReply *r = NULL;
    *out = NULL;
    *n = 0;
    int rc = db_cmd(db, &r, "SMEMBERS", key, NULL);
    if (rc)
        return rc;
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
        *out = calloc(r->elements, sizeof(char *));
        for (size_t i = 0; *out && i < r->elements; i++) {
            if (r->element[i]->type != REDIS_REPLY_STRING)
                continue;
            (*out)[*n] = strdup(r->element[i]->str);
            if ((*out)[*n])
                (*n)++;
        }
        if (!*out)
            rc = ST_ENOMEM;
        else
            qsort(*out, *n, sizeof(char *), cmp_str);
    }
    freeReplyObject(r);
    return rc;
}

int catalog_names(struct db *db, char ***names, size_t *n)
{
    return members(db, KEY_STAGES, names, n);
}

/* ------------------------------------------------------------ grants */

int catalog_grant_bits(struct db *db, const char *stage, const char *user, unsigned *bits)
{
    char key[KEY_MAX];
    redisReply *r = NULL;
    *bits = 0;
    if (keys_grant(key, sizeof(key), stage) < 0)
        return 0;
    int rc = db_cmd(db, &r, "HGET", key, user, NULL);
    if (rc)
        return rc;
    *bits = (unsigned)db_reply_int(r, 0);
    freeReplyObject(r);
    return 0;
}

static const char grant_lua[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 'nostage' end\n"
    "if redis.call('EXISTS', KEYS[2]) == 0 then return 'nouser' end\n"
    "local cur = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')\n"
    "local b = tonumber(ARGV[3])\n"
    "local new\n"
    "if ARGV[4] == '1' then new = bit.bor(cur, b) else new = bit.band(cur, bit.bnot(b)) end\n"
    "if new == 0 then\n"
    "  redis.call('HDEL', KEYS[3], ARGV[1])\n"
    "  redis.call('SREM', KEYS[4], ARGV[2])\n"
    "else\n"
    "  redis.call('HSET', KEYS[3], ARGV[1], new)\n"
    "  redis.call('SADD', KEYS[4], ARGV[2])\n"
    "end\n"
    "return 'ok'\n";

int catalog_grant_change(struct db *db, const char *stage, const char *user, unsigned bits,
                         bool add)
{
    char k1[KEY_MAX], k2[KEY_MAX], k3[KEY_MAX], k4[KEY_MAX], b[16];
    redisReply *r = NULL;
    keys_stage(k1, sizeof(k1), stage);
    keys_user(k2, sizeof(k2), user);
    keys_grant(k3, sizeof(k3), stage);
    keys_user_grants(k4, sizeof(k4), user);
    snprintf(b, sizeof(b), "%u", bits);
    int rc = db_cmd(db, &r, "EVAL", grant_lua, "4", k1, k2, k3, k4, user, stage, b, add ? "1" : "0",
                    NULL);
    if (rc)
        return rc;
    const char *st = status_of(r);
    if (strcmp(st, "nostage") == 0) {
        snprintf(db->err, sizeof(db->err), "stage '%s' does not exist", stage);
        rc = ST_ENOTFOUND;
    } else if (strcmp(st, "nouser") == 0) {
        snprintf(db->err, sizeof(db->err), "user '%s' does not exist", user);
        rc = ST_ENOTFOUND;
    }
    freeReplyObject(r);
    return rc;
}

static const char priv_lua[] = "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
                               "if ARGV[1] == '1' then redis.call('HSET', KEYS[1], "
                               "'create_stage', '1')\n"
                               "else redis.call('HDEL', KEYS[1], 'create_stage') end\n"
                               "return 1\n";

int catalog_user_eval(struct db *db, const char *user, const char *lua, ...)
{
    char key[KEY_MAX];
    const char *argv[4 + 4];
    int n = 0;
    redisReply *r = NULL;
    if (keys_user(key, sizeof(key), user) < 0)
        return ST_EINVAL;
    argv[n++] = "EVAL";
    argv[n++] = lua;
    argv[n++] = "1";
    argv[n++] = key;
    va_list ap;
    va_start(ap, lua);
    for (const char *a; n < 8 && (a = va_arg(ap, const char *)) != NULL;)
        argv[n++] = a;
    va_end(ap);
    int rc = db_cmd_argv(db, &r, n, argv, NULL);
    if (rc)
        return rc;
    if (db_reply_int(r, 0) != 1) {
        snprintf(db->err, sizeof(db->err), "user '%s' does not exist", user);
        rc = ST_ENOTFOUND;
    }
    freeReplyObject(r);
    return rc;
}

int catalog_create_priv_change(struct db *db, const char *user, bool add)
{
    return catalog_user_eval(db, user, priv_lua, add ? "1" : "0", NULL);
}

int catalog_create_priv(struct db *db, const char *user, bool *has)
{
    char key[KEY_MAX];
    redisReply *r = NULL;
    *has = false;
    keys_user(key, sizeof(key), user);
    int rc = db_cmd(db, &r, "HGET", key, "create_stage", NULL);
    if (rc)
        return rc;
    *has = db_reply_int(r, 0) == 1;
    freeReplyObject(r);
    return 0;
}

int catalog_grants_of_stage(struct db *db, const char *stage, struct grant_row **rows, size_t *n)
{
    char key[KEY_MAX];
    redisReply *r = NULL;
    *rows = NULL;
    *n = 0;
    keys_grant(key, sizeof(key), stage);
    int rc = db_cmd(db, &r, "HGETALL", key, NULL);
    if (rc)
        return rc;
    if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2) {
        *rows = calloc(r->elements / 2, sizeof(**rows));
        if (!*rows)
            rc = ST_ENOMEM;
        for (size_t i = 0; *rows && i + 1 < r->elements; i += 2) {
            struct grant_row *g = &(*rows)[(*n)++];
            snprintf(g->stage, sizeof(g->stage), "%s", stage);
            put_str(g->user, sizeof(g->user), r->element[i]);
            g->bits = (unsigned)db_reply_int(r->element[i + 1], 0);
        }
    }
    freeReplyObject(r);
    return rc;
}

int catalog_grants_of_user(struct db *db, const char *user, struct grant_row **rows, size_t *n)
{
    char key[KEY_MAX];
    char **stages = NULL;
    size_t ns = 0;
    bool create = false;
    *rows = NULL;
    *n = 0;
    keys_user_grants(key, sizeof(key), user);
    int rc = members(db, key, &stages, &ns);
    if (!rc)
        rc = catalog_create_priv(db, user, &create);
    if (!rc && (*rows = calloc(ns + 1, sizeof(**rows))) == NULL)
        rc = ST_ENOMEM;
    if (!rc && create) {
        snprintf((*rows)[0].user, sizeof((*rows)[0].user), "%s", user);
        *n = 1;
    }
    for (size_t i = 0; !rc && i < ns; i++) {
        struct grant_row *g = &(*rows)[*n];
        rc = catalog_grant_bits(db, stages[i], user, &g->bits);
        if (!rc && g->bits) {
            snprintf(g->stage, sizeof(g->stage), "%s", stages[i]);
            snprintf(g->user, sizeof(g->user), "%s", user);
            (*n)++;
        }
    }
    catalog_names_free(stages, ns);
    if (rc) {
        free(*rows);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}
