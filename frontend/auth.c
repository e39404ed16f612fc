/* auth.c - user records, the token secret, Login and per-call
 * authentication over Redis (see auth.h). */
#include "auth.h"

#include "call.h"
#include "config.h"
#include "cred.h"
#include "db.h"
#include "err.h"
#include "job.h"
#include "keys.h"
#include "location.h"
#include "log.h"
#include "loop.h"
#include "lthrottle.h"

#include <hiredis/hiredis.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <grpc/grpc_security.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRET_BYTES 32

static const char msg_missing[] =
    "missing credentials: send 'authorization: Bearer <token>' (from Login) or Basic";
static const char msg_badpw[] = "invalid user or password";
static const char msg_badtoken[] = "invalid or expired token: log in again";

/* Written once by auth_init() before the handler threads start. */
static unsigned char g_secret[SECRET_BYTES];
static unsigned char g_presign[AUTH_PRESIGN_KEY_BYTES];
static bool g_keyed; /* auth_set_master_key() derived both */
static int g_token_ttl_s = 3600;

struct user_rec {
    bool exists;
    bool admin;
    long iter;
    long long gen;
    int64_t created_on; /* the user's incarnation (authz_owns) */
    char pwhash[CRED_HEX_MAX];
    char salt[CRED_HEX_MAX];
};

static void copy_str(char *dst, size_t n, const redisReply *r)
{
    dst[0] = '\0';
    if (r && r->type == REDIS_REPLY_STRING)
        snprintf(dst, n, "%.*s", (int)r->len, r->str);
}

/* The HMGET of a user record: its key and fields. false: not a valid user
 * name, so no such user. */
static bool user_key(const char *name, char key[KEY_MAX])
{
    char chk[128];
    return location_name_check(name, "user", chk, sizeof(chk)) == 0 &&
           keys_user(key, KEY_MAX, name) >= 0;
}

#define USER_FIELDS "pwhash", "salt", "iter", "admin", "gen", "created_on"

/* Fill `u` from the reply of HMGET key USER_FIELDS (u->exists may be false). */
static void user_parse(const redisReply *r, struct user_rec *u)
{
    memset(u, 0, sizeof(*u));
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 6 &&
        r->element[0]->type == REDIS_REPLY_STRING) {
        u->exists = true;
        copy_str(u->pwhash, sizeof(u->pwhash), r->element[0]);
        copy_str(u->salt, sizeof(u->salt), r->element[1]);
        u->iter = (long)db_reply_int(r->element[2], CRED_PBKDF2_ITER);
        u->admin = db_reply_int(r->element[3], 0) == 1;
        u->gen = db_reply_int(r->element[4], 0);
        u->created_on = db_reply_int(r->element[5], 0);
    }
}

/* HMGET the user's record. 0 (u->exists may be false) or a db error. */
static int user_get(struct db *db, const char *name, struct user_rec *u)
{
    char key[KEY_MAX];
    redisReply *r = NULL;
    memset(u, 0, sizeof(*u));
    if (!user_key(name, key))
        return 0;
    int rc = db_cmd(db, &r, "HMGET", key, USER_FIELDS, NULL);
    if (rc)
        return rc;
    user_parse(r, u);
    freeReplyObject(r);
    return 0;
}

int auth_user_info(struct db *db, const char *name, bool *admin, long long *gen, int64_t *since)
{
    struct user_rec u;
    int rc = user_get(db, name, &u);
    if (!rc && !u.exists)
        rc = ST_ENOTFOUND;
    *admin = u.admin;
    if (since)
        *since = u.created_on;
    *gen = u.gen;
    OPENSSL_cleanse(&u, sizeof(u));
    return rc;
}

void auth_presign_key(unsigned char out[AUTH_PRESIGN_KEY_BYTES])
{
    memcpy(out, g_presign, AUTH_PRESIGN_KEY_BYTES);
}

struct pw_check {
    const struct user_rec *u;
    const char *password;
    bool ok;
};

/* Password check that costs the same whether or not the user exists. */
static void pw_check_run(void *arg)
{
    static const char dummy_salt[] = "00000000000000000000000000000000";
    struct pw_check *pc = arg;
    if (!pc->u->exists) {
        char ignored[CRED_HEX_MAX];
        cred_pw_hash(pc->password, dummy_salt, CRED_PBKDF2_ITER, ignored);
        pc->ok = false;
        return;
    }
    pc->ok = cred_pw_check(pc->password, pc->u->salt, pc->u->iter, pc->u->pwhash);
}

/* PBKDF2 costs ~30 ms of CPU: on the offload pool, so the loop goes on. */
static bool password_ok(const struct user_rec *u, const char *password)
{
    struct pw_check pc = {.u = u, .password = password};
    loop_offload(pw_check_run, &pc);
    return pc.ok;
}

/* ------------------------------------------------------------ start-up */

/* The token and presign keys come from the master key (HKDF, one label
 * each): every frontend with the same key agrees, and nothing in Redis lets
 * a reader mint a token. A key an older version kept in Redis goes. */
int auth_set_master_key(const unsigned char *k, size_t n)
{
    static const unsigned char salt[] = "stage-service";
    static const unsigned char tok[] = "stage token v2", pre[] = "stage presign v2";
    int rc =
        cred_hkdf(k, n, salt, sizeof(salt) - 1, tok, sizeof(tok) - 1, g_secret, sizeof(g_secret));
    if (!rc)
        rc = cred_hkdf(k, n, salt, sizeof(salt) - 1, pre, sizeof(pre) - 1, g_presign,
                       sizeof(g_presign));
    g_keyed = rc == 0;
    return rc;
}

static int drop_legacy_secret(struct db *db, char *err, size_t errlen)
{
    redisReply *r = NULL;
    int rc = db_cmd(db, &r, "DEL", AUTH_LEGACY_SECRET_KEY, NULL);
    if (rc) {
        snprintf(err, errlen, "%s", db->err);
        return rc;
    }
    if (db_reply_int(r, 0) > 0)
        log_warn("removed %s from Redis: tokens are now keyed by STAGE_MASTER_KEY (tokens issued "
                 "before this start are no longer valid: log in again)",
                 AUTH_LEGACY_SECRET_KEY);
    freeReplyObject(r);
    return 0;
}

/* The root password from the environment or a file; "" if neither is set. */
static int root_password(char *out, size_t n, char *err, size_t errlen)
{
    const char *env = getenv("STAGE_ROOT_PASSWORD");
    const char *file = getenv("STAGE_ROOT_PASSWORD_FILE");
    out[0] = '\0';
    if (env && *env) {
        snprintf(out, n, "%s", env);
        return 0;
    }
    if (!file || !*file)
        return 0;
    FILE *f = fopen(file, "r");
    if (!f) {
        snprintf(err, errlen, "STAGE_ROOT_PASSWORD_FILE: cannot open %s", file);
        return ST_EINVAL;
    }
    size_t len = fread(out, 1, n - 1, f);
    fclose(f);
    out[len] = '\0';
    while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r'))
        out[--len] = '\0';
    return 0;
}

/* Create a user record only if the key does not exist (atomic). */
static const char create_lua[] = "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end\n"
                                 "redis.call('HSET', KEYS[1], unpack(ARGV))\n"
                                 "return 1\n";

static int create_root(struct db *db, const char *password, char *err, size_t errlen)
{
    char key[KEY_MAX], salt[CRED_HEX_MAX], hash[CRED_HEX_MAX], iter[16], now[24];
    redisReply *r = NULL;
    keys_user(key, sizeof(key), AUTH_ROOT_USER);
    int rc = cred_salt_new(salt);
    if (!rc)
        rc = cred_pw_hash(password, salt, CRED_PBKDF2_ITER, hash);
    if (rc) {
        snprintf(err, errlen, "cannot hash the root password: %s", st_strerror(rc));
        return rc;
    }
    snprintf(iter, sizeof(iter), "%d", CRED_PBKDF2_ITER);
    snprintf(now, sizeof(now), "%lld", (long long)job_now_ms());
    rc = db_cmd(db, &r, "EVAL", create_lua, "1", key, "pwhash", hash, "salt", salt, "iter", iter,
                "admin", "1", "gen", "1", "created_on", now, NULL);
    if (rc) {
        snprintf(err, errlen, "%s", db->err);
        return rc;
    }
    if (db_reply_int(r, 0) == 1)
        log_info("user=%s created from the bootstrap password", AUTH_ROOT_USER);
    freeReplyObject(r);
    return 0;
}

int auth_init(struct db *db, const struct config *cfg, char *err, size_t errlen)
{
    char password[CRED_PASS_MAX];
    struct user_rec u;
    g_token_ttl_s = cfg->auth.token_ttl_s > 0 ? cfg->auth.token_ttl_s : 3600;
    if (!g_keyed) {
        snprintf(err, errlen,
                 "no token key: set STAGE_MASTER_KEY or STAGE_MASTER_KEY_FILE (32 random bytes, "
                 "base64: openssl rand -base64 32); it keys tokens and presigned URLs");
        return ST_EINVAL;
    }
    int rc = drop_legacy_secret(db, err, errlen);
    if (!rc)
        rc = user_get(db, AUTH_ROOT_USER, &u);
    if (rc) {
        if (!err[0])
            snprintf(err, errlen, "%s", db->err);
        return rc;
    }
    if (u.exists)
        return 0;
    rc = root_password(password, sizeof(password), err, errlen);
    if (!rc && !password[0])
        log_warn("user=%s does not exist and neither STAGE_ROOT_PASSWORD nor "
                 "STAGE_ROOT_PASSWORD_FILE is set: nobody can log in",
                 AUTH_ROOT_USER);
    else if (!rc)
        rc = create_root(db, password, err, errlen);
    OPENSSL_cleanse(password, sizeof(password));
    return rc;
}

/* ------------------------------------------------------------ login */

/* Failed-login throttling: per (user, address) with a doubling lock, per
 * address, and per user for addresses it never logged in from; the limits
 * and why they are these are in lthrottle.h, the keys in docs/redis.md. A
 * refused attempt checks no password and counts nothing, so guessing costs
 * time whatever the answer. */

/* "ipv4:127.0.0.1:5555" -> "ipv4:127.0.0.1": the port changes per connection. */
static void peer_addr(const char *peer, char *out, size_t n)
{
    snprintf(out, n, "%s", peer ? peer : "");
    char *colon = strrchr(out, ':');
    if (colon && colon != strchr(out, ':'))
        *colon = '\0';
}

/* One attempt's keys and what they held before it. */
struct throttle {
    char user[80]; /* the name as given if valid, else "-": no such user */
    char pair[KEY_MAX], known[KEY_MAX], peer[KEY_MAX], per_user[KEY_MAX];
    struct lthrottle_view v;
};

static int throttle_keys(struct throttle *t, const char *user, const char *peer)
{
    char addr[128], chk[8];
    /* Names that cannot exist share one record per address (bounded keys). */
    snprintf(t->user, sizeof(t->user), "%s",
             user && strlen(user) < sizeof(t->user) &&
                     location_name_check(user, "user", chk, sizeof(chk)) == 0
                 ? user
                 : "-");
    peer_addr(peer, addr, sizeof(addr));
    if (keys_login_pair(t->pair, KEY_MAX, "up", t->user, addr) < 0 ||
        keys_login_pair(t->known, KEY_MAX, "ok", t->user, addr) < 0 ||
        keys_login_fail(t->peer, KEY_MAX, "p", addr) < 0 ||
        keys_login_fail(t->per_user, KEY_MAX, "u", t->user) < 0)
        return ST_EINVAL;
    return 0;
}

static void view_parse(redisReply **r, struct lthrottle_view *v)
{
    memset(v, 0, sizeof(*v));
    if (r[0] && r[0]->type == REDIS_REPLY_ARRAY && r[0]->elements == 3) {
        v->pair_fails = db_reply_int(r[0]->element[0], 0);
        v->pair_level = db_reply_int(r[0]->element[1], 0);
        v->pair_until_ms = db_reply_int(r[0]->element[2], 0);
    }
    v->peer_fails = db_reply_int(r[1], 0);
    v->peer_ttl_s = db_reply_int(r[2], 0);
    v->user_fails = db_reply_int(r[3], 0);
    v->user_ttl_s = db_reply_int(r[4], 0);
    v->known = db_reply_int(r[5], 0) == 1;
}

/* 0, ST_ELIMIT with the client's message in `msg`, or a Redis error. */
static int throttle_check(struct db *db, struct throttle *t, const char *user, const char *peer,
                          char *msg, size_t msglen)
{
    redisReply *r[6] = {NULL};
    int64_t retry_s;
    int rc = throttle_keys(t, user, peer);
    if (rc) {
        snprintf(msg, msglen, "invalid user or password");
        return ST_EAUTH;
    }
    db_append(db, "HMGET", t->pair, "n", "lvl", "until", NULL);
    db_append(db, "GET", t->peer, NULL);
    db_append(db, "TTL", t->peer, NULL);
    db_append(db, "GET", t->per_user, NULL);
    db_append(db, "TTL", t->per_user, NULL);
    db_append(db, "EXISTS", t->known, NULL);
    rc = db_exec_each(db, 6, r);
    if (!rc)
        view_parse(r, &t->v);
    for (size_t i = 0; i < 6; i++)
        if (r[i])
            freeReplyObject(r[i]);
    if (rc) {
        snprintf(msg, msglen, "%s", db->err);
        return rc;
    }
    enum lthrottle_verdict verdict = lthrottle_check(&t->v, job_now_ms(), &retry_s);
    if (verdict == LTHROTTLE_ALLOW)
        return 0;
    lthrottle_message(verdict, retry_s, strcmp(t->user, "-") ? t->user : NULL, msg, msglen);
    return ST_ELIMIT;
}

static void throttle_record(struct db *db, const struct throttle *t, bool ok)
{
    char num[3][32], win[16];
    redisReply *r[6] = {NULL};
    struct lthrottle_next next;
    int64_t now = job_now_ms();
    if (ok) {
        /* The per-user window is left alone: the owner logging in does not
         * end a distributed guess. */
        snprintf(num[0], sizeof(num[0]), "%d", LTHROTTLE_KNOWN_S);
        db_append(db, "DEL", t->pair, NULL);
        db_append(db, "SET", t->known, "1", "EX", num[0], NULL);
        if (db_exec(db, 2, NULL))
            log_warn("user=%s login not recorded: %s", t->user, db->err);
        return;
    }
    /* Counted with HINCRBY so parallel failures are all counted; the lock
     * is written by the one that reached the limit (or, racing, by a few
     * with the same values). The windows start at their first failure
     * (EXPIRE NX), they do not slide. */
    lthrottle_after_fail(&t->v, t->v.pair_fails + 1, now, &next);
    snprintf(num[0], sizeof(num[0]), "%lld", (long long)next.expire_ms);
    snprintf(win, sizeof(win), "%d", LTHROTTLE_WINDOW_S);
    db_append(db, "HINCRBY", t->pair, "n", "1", NULL);
    db_append(db, "PEXPIRE", t->pair, num[0], NULL);
    db_append(db, "INCR", t->peer, NULL);
    db_append(db, "EXPIRE", t->peer, win, "NX", NULL);
    db_append(db, "INCR", t->per_user, NULL);
    db_append(db, "EXPIRE", t->per_user, win, "NX", NULL);
    int rc = db_exec_each(db, 6, r);
    long long fails = rc ? 0 : db_reply_int(r[0], 0);
    for (size_t i = 0; i < 6; i++)
        if (r[i])
            freeReplyObject(r[i]);
    if (rc) {
        log_warn("user=%s failed login not counted: %s", t->user, db->err);
        return;
    }
    lthrottle_after_fail(&t->v, fails, now, &next);
    if (!next.lock)
        return;
    snprintf(num[0], sizeof(num[0]), "%lld", next.level);
    snprintf(num[1], sizeof(num[1]), "%lld", (long long)next.until_ms);
    snprintf(num[2], sizeof(num[2]), "%lld", (long long)next.expire_ms);
    db_append(db, "HSET", t->pair, "n", "0", "lvl", num[0], "until", num[1], NULL);
    db_append(db, "PEXPIRE", t->pair, num[2], NULL);
    if (db_exec(db, 2, NULL))
        log_warn("user=%s login lock not written: %s", t->user, db->err);
    else
        log_info("user=%s locked for %lld s after %lld failed logins from one address (lock %lld)",
                 t->user, (long long)lthrottle_lock_s(next.level), fails, next.level);
}

/* The throttle, the user and the password, with failures counted; `u` is
 * the user's record when the password is right. */
static int verify(struct db *db, const char *user, const char *password, const char *peer,
                  struct user_rec *u, char *err, size_t errlen)
{
    struct throttle t;
    int rc = throttle_check(db, &t, user, peer, err, errlen);
    if (rc)
        return rc;
    rc = user_get(db, user, u);
    if (rc) {
        snprintf(err, errlen, "%s", db->err);
        return rc;
    }
    bool ok = password_ok(u, password);
    throttle_record(db, &t, ok);
    if (!ok) {
        snprintf(err, errlen, "%s", msg_badpw);
        return ST_EAUTH;
    }
    return 0;
}

int auth_login(struct db *db, const char *user, const char *password, const char *peer, char *token,
               size_t token_len, int64_t *expires_ms, char *err, size_t errlen)
{
    struct user_rec u;
    int rc = verify(db, user, password, peer, &u, err, errlen);
    if (rc)
        goto out;
    *expires_ms = job_now_ms() + (int64_t)g_token_ttl_s * 1000;
    rc = cred_token_make(g_secret, sizeof(g_secret), user, u.gen, *expires_ms, token, token_len);
    if (rc)
        snprintf(err, errlen, "cannot issue a token for user '%s'", user);
out:
    OPENSSL_cleanse(&u, sizeof(u));
    return rc;
}

int auth_check_password(struct db *db, const char *user, const char *password, const char *peer,
                        char *err, size_t errlen)
{
    struct user_rec u;
    int rc = verify(db, user, password, peer, &u, err, errlen);
    OPENSSL_cleanse(&u, sizeof(u));
    return rc;
}

/* ------------------------------------------------------------ per call */

/* A bearer token: its signature and expiry locally, the user's generation
 * in Redis. `extra` (may be NULL): a command sent in the same round trip,
 * its reply returned in `*extra_reply` only when the token is good. */
static int check_bearer(struct call *c, const struct cred_header *h, struct user_rec *u,
                        const struct auth_extra *extra, redisReply **extra_reply)
{
    struct cred_token t;
    char key[KEY_MAX];
    if (cred_token_verify(g_secret, sizeof(g_secret), h->token, job_now_ms(), &t))
        return ST_EAUTH;
    if (!extra) {
        int rc = user_get(c->db, t.user, u);
        if (rc)
            return rc;
    } else {
        redisReply *r[2] = {NULL, NULL};
        memset(u, 0, sizeof(*u));
        if (!user_key(t.user, key))
            return ST_EAUTH;
        int rc = db_append(c->db, "HMGET", key, USER_FIELDS, NULL);
        if (!rc)
            rc = db_append_argv(c->db, extra->argc, extra->argv, extra->lens);
        if (!rc)
            rc = db_exec_each(c->db, 2, r);
        user_parse(r[0], u);
        if (r[0])
            freeReplyObject(r[0]);
        if (rc || !u->exists || u->gen != t.gen) {
            if (r[1])
                freeReplyObject(r[1]);
            return rc ? rc : ST_EAUTH;
        }
        *extra_reply = r[1];
    }
    if (!u->exists || u->gen != t.gen)
        return ST_EAUTH;
    snprintf(c->user, sizeof(c->user), "%s", t.user);
    return 0;
}

/* Basic auth: a login on every call, with the same throttle. */
static int check_basic(struct call *c, const struct cred_header *h, struct user_rec *u, char *msg,
                       size_t msglen)
{
    int rc = verify(c->db, h->user, h->password, call_peer(c), u, msg, msglen);
    if (!rc)
        snprintf(c->user, sizeof(c->user), "%s", h->user);
    return rc;
}

/* mTLS (server.tls_client_user "cn"): the verified client certificate's
 * common name, if it is a plausible user name. */
static int cert_name(struct call *c, char *out, size_t n)
{
    grpc_auth_context *ctx = grpc_call_auth_context(c->call);
    int rc = ST_EAUTH;
    if (ctx && grpc_auth_context_peer_is_authenticated(ctx)) {
        grpc_auth_property_iterator it =
            grpc_auth_context_find_properties_by_name(ctx, GRPC_X509_CN_PROPERTY_NAME);
        const grpc_auth_property *p = grpc_auth_property_iterator_next(&it);
        if (p && p->value_length > 0 && p->value_length < n) {
            memcpy(out, p->value, p->value_length);
            out[p->value_length] = '\0';
            char why[200];
            rc = location_name_check(out, "user", why, sizeof(why)) == 0 ? 0 : ST_EAUTH;
        }
    }
    if (ctx)
        grpc_auth_context_release(ctx);
    return rc;
}

/* A call without credentials on an mTLS port: its certificate names the
 * user, who must exist. */
static int check_cert(struct call *c, struct user_rec *u, const struct auth_extra *extra,
                      struct redisReply **reply)
{
    char name[72];
    int rc = cert_name(c, name, sizeof(name));
    if (!rc)
        rc = user_get(c->db, name, u);
    if (!rc && !u->exists) {
        call_fail(c, ST_EAUTH, "the client certificate's CN '%s' is not a user", name);
        return ST_EAUTH;
    }
    if (!rc && extra)
        rc = db_cmd_argv(c->db, reply, extra->argc, extra->argv, extra->lens);
    if (rc == ST_EAUTH)
        call_fail(c, rc, "%s", msg_missing);
    else if (rc)
        call_fail(c, rc, "%s", c->db->err);
    else
        snprintf(c->user, sizeof(c->user), "%s", name), c->admin = u->admin,
                                                        c->user_since = u->created_on;
    return rc;
}

int auth_call(struct call *c)
{
    return auth_call_with(c, NULL, NULL);
}

int auth_call_with(struct call *c, const struct auth_extra *extra, struct redisReply **reply)
{
    struct cred_header h;
    struct user_rec u;
    char msg[256] = "";
    size_t len;
    memset(&h, 0, sizeof(h));
    const char *value = call_metadata(c, "authorization", &len);
    if (reply)
        *reply = NULL;
    if (!value && c->cfg->server.tls_client_user[0])
        return check_cert(c, &u, extra, reply);
    int rc = value ? cred_parse_header(value, len, &h) : ST_EAUTH;
    if (rc) {
        call_fail(c, ST_EAUTH, "%s", msg_missing);
        goto out;
    }
    rc = h.scheme == CRED_BEARER ? check_bearer(c, &h, &u, extra, reply)
                                 : check_basic(c, &h, &u, msg, sizeof(msg));
    /* Basic auth costs a PBKDF2 anyway: its extra command simply follows */
    if (!rc && extra && h.scheme != CRED_BEARER)
        rc = db_cmd_argv(c->db, reply, extra->argc, extra->argv, extra->lens);
    if (rc == ST_EAUTH)
        call_fail(c, rc, "%s", h.scheme == CRED_BEARER ? msg_badtoken : msg_badpw);
    else if (rc == ST_ELIMIT)
        call_fail(c, rc, "%s", msg);
    else if (rc)
        call_fail(c, rc, "%s", c->db->err);
    else
        c->admin = u.admin, c->user_since = u.created_on;
out:
    cred_header_wipe(&h);
    return rc;
}
