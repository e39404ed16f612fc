/* users.c - user administration (see users.h). */
#include "users.h"

#include "cred.h"
#include "db.h"
#include "err.h"
#include "loop.h"
#include "job.h"
#include "keys.h"

#include <hiredis/hiredis.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRANT_PREFIX "st:grant:"

struct pw {
    char salt[CRED_HEX_MAX], hash[CRED_HEX_MAX], iter[16];
};

struct pw_job {
    const char *password;
    struct pw *p;
    int rc;
};

static void pw_hash_run(void *arg)
{
    struct pw_job *j = arg;
    j->rc = cred_pw_hash(j->password, j->p->salt, CRED_PBKDF2_ITER, j->p->hash);
}

static int pw_make(struct db *db, const char *password, struct pw *p)
{
    int rc = cred_salt_new(p->salt);
    if (!rc) { /* PBKDF2 on the offload pool: the loop goes on meanwhile */
        struct pw_job j = {.password = password, .p = p};
        loop_offload(pw_hash_run, &j);
        rc = j.rc;
    }
    if (rc)
        snprintf(db->err, sizeof(db->err), "cannot hash the password: %s", st_strerror(rc));
    snprintf(p->iter, sizeof(p->iter), "%d", CRED_PBKDF2_ITER);
    return rc;
}

static const char create_lua[] = "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end\n"
                                 "redis.call('HSET', KEYS[1], unpack(ARGV))\n"
                                 "return 1\n";

int users_create(struct db *db, const char *name, const char *password, bool admin,
                 bool if_not_exists, bool *created)
{
    char key[KEY_MAX], now[24];
    struct pw p;
    redisReply *r = NULL;
    *created = false;
    keys_user(key, sizeof(key), name);
    int rc = pw_make(db, password, &p);
    if (rc)
        return rc;
    snprintf(now, sizeof(now), "%lld", (long long)job_now_ms());
    rc = db_cmd(db, &r, "EVAL", create_lua, "1", key, "pwhash", p.hash, "salt", p.salt, "iter",
                p.iter, "admin", admin ? "1" : "0", "gen", now, "created_on", now, NULL);
    OPENSSL_cleanse(&p, sizeof(p));
    if (rc)
        return rc;
    *created = db_reply_int(r, 0) == 1;
    freeReplyObject(r);
    if (!*created && !if_not_exists) {
        snprintf(db->err, sizeof(db->err), "user '%s' already exists", name);
        return ST_EEXIST;
    }
    return 0;
}

static const char drop_lua[] = "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
                               "for _, s in ipairs(redis.call('SMEMBERS', KEYS[2])) do\n"
                               "  redis.call('HDEL', ARGV[2] .. s, ARGV[1])\n"
                               "end\n"
                               "redis.call('DEL', KEYS[1], KEYS[2])\n"
                               "return 1\n";

int users_drop(struct db *db, const char *name, bool if_exists, bool *dropped_out)
{
    char key[KEY_MAX], gkey[KEY_MAX];
    redisReply *r = NULL;
    keys_user(key, sizeof(key), name);
    keys_user_grants(gkey, sizeof(gkey), name);
    int rc = db_cmd(db, &r, "EVAL", drop_lua, "2", key, gkey, name, GRANT_PREFIX, NULL);
    if (rc)
        return rc;
    bool dropped = db_reply_int(r, 0) == 1;
    freeReplyObject(r);
    *dropped_out = dropped;
    if (!dropped && !if_exists) {
        snprintf(db->err, sizeof(db->err), "user '%s' does not exist", name);
        return ST_ENOTFOUND;
    }
    return 0;
}

/* ARGV: set_pw, pwhash, salt, iter, set_admin, admin. */
static const char alter_lua[] = "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
                                "if ARGV[1] == '1' then\n"
                                "  redis.call('HSET', KEYS[1], 'pwhash', ARGV[2], 'salt', "
                                "ARGV[3], 'iter', ARGV[4])\n"
                                "  redis.call('HINCRBY', KEYS[1], 'gen', 1)\n"
                                "end\n"
                                "if ARGV[5] == '1' then redis.call('HSET', KEYS[1], 'admin', "
                                "ARGV[6]) end\n"
                                "return 1\n";

int users_alter(struct db *db, const char *name, const char *password, bool set_admin, bool admin)
{
    char key[KEY_MAX];
    struct pw p;
    redisReply *r = NULL;
    bool set_pw = password && password[0];
    memset(&p, 0, sizeof(p));
    keys_user(key, sizeof(key), name);
    int rc = set_pw ? pw_make(db, password, &p) : 0;
    if (!rc)
        rc = db_cmd(db, &r, "EVAL", alter_lua, "1", key, set_pw ? "1" : "0", p.hash, p.salt, p.iter,
                    set_admin ? "1" : "0", admin ? "1" : "0", NULL);
    OPENSSL_cleanse(&p, sizeof(p));
    if (rc)
        return rc;
    bool found = db_reply_int(r, 0) == 1;
    freeReplyObject(r);
    if (!found) {
        snprintf(db->err, sizeof(db->err), "user '%s' does not exist", name);
        return ST_ENOTFOUND;
    }
    return 0;
}

int users_get(struct db *db, const char *name, struct user_info *out)
{
    char key[KEY_MAX];
    redisReply *r = NULL;
    memset(out, 0, sizeof(*out));
    keys_user(key, sizeof(key), name);
    int rc = db_cmd(db, &r, "HMGET", key, "admin", "created_on", "pwhash", NULL);
    if (rc)
        return rc;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
        r->element[2]->type != REDIS_REPLY_STRING) {
        snprintf(db->err, sizeof(db->err), "user '%s' does not exist", name);
        rc = ST_ENOTFOUND;
    } else {
        snprintf(out->name, sizeof(out->name), "%s", name);
        out->admin = db_reply_int(r->element[0], 0) == 1;
        out->created_on = db_reply_int(r->element[1], 0);
    }
    freeReplyObject(r);
    return rc;
}

static int cmp_user(const void *a, const void *b)
{
    return strcmp(((const struct user_info *)a)->name, ((const struct user_info *)b)->name);
}

/* Append the users of one SCAN page. */
static int add_page(struct db *db, const redisReply *keys, struct user_info **out, size_t *n,
                    size_t *cap)
{
    for (size_t i = 0; i < keys->elements; i++) {
        const char *k = keys->element[i]->str;
        if (keys->element[i]->type != REDIS_REPLY_STRING || strncmp(k, "st:user:", 8) != 0)
            continue;
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 16;
            struct user_info *p = realloc(*out, nc * sizeof(*p));
            if (!p)
                return ST_ENOMEM;
            *out = p;
            *cap = nc;
        }
        int rc = users_get(db, k + 8, &(*out)[*n]);
        if (rc == 0)
            (*n)++;
        else if (rc != ST_ENOTFOUND)
            return rc;
    }
    return 0;
}

int users_list(struct db *db, struct user_info **out, size_t *n)
{
    char cursor[32] = "0";
    size_t cap = 0;
    int rc = 0;
    *out = NULL;
    *n = 0;
    do {
        redisReply *r = NULL;
        rc = db_cmd(db, &r, "SCAN", cursor, "MATCH", "st:user:*", "COUNT", "500", NULL);
        if (rc)
            break;
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            freeReplyObject(r);
            rc = ST_EINTERNAL;
            break;
        }
        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        rc = add_page(db, r->element[1], out, n, &cap);
        freeReplyObject(r);
    } while (!rc && strcmp(cursor, "0") != 0);
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
        return rc;
    }
    qsort(*out, *n, sizeof(**out), cmp_user);
    return 0;
}
