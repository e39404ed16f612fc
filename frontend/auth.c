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

#define USER_FIELDS "pwhash", "salt", "iter", "admin", "gen"

/* Fill `u` from the reply of HMGET key USER_FIELDS (u->exists may be false). */
static void user_parse(const redisReply *r, struct user_rec *u)
{
    memset(u, 0, sizeof(*u));
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 5 &&
        r->element[0]->type == REDIS_REPLY_STRING) {
        u->exists = true;
        copy_str(u->pwhash, sizeof(u->pwhash), r->element[0]);
        copy_str(u->salt, sizeof(u->salt), r->element[1]);
        u->iter = (long)db_reply_int(r->element[2], CRED_PBKDF2_ITER);
        u->admin = db_reply_int(r->element[3], 0) == 1;
        u->gen = db_reply_int(r->element[4], 0);
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

int auth_user_info(struct db *db, const char *name, bool *admin, long long *gen)
{
    struct user_rec u;
    int rc = user_get(db, name, &u);
    if (!rc && !u.exists)
        rc = ST_ENOTFOUND;
    *admin = u.admin;
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

/* Failed-login throttling per user and per peer (DESIGN §3): failures are
 * counted in st:lfail:u:<user> and st:lfail:p:<peer address> for a fixed
 * window; at the limit every attempt (even a right password) is refused
 * until the window ends, so guessing costs time whatever the answer. A
 * success clears the user's counter, not the peer's. */
#define THROTTLE_WINDOW_S "60"
#define THROTTLE_USER_MAX 5  /* failures per user per window */
#define THROTTLE_PEER_MAX 20 /* failures per client address per window */

/* "ipv4:127.0.0.1:5555" -> "ipv4:127.0.0.1": the port changes per connection. */
static void peer_addr(const char *peer, char *out, size_t n)
{
    snprintf(out, n, "%s", peer ? peer : "");
    char *colon = strrchr(out, ':');
    if (colon && colon != strchr(out, ':'))
        *colon = '\0';
}

static int throttle_keys(const char *user, const char *peer, char *ku, char *kp)
{
    char addr[128];
    peer_addr(peer, addr, sizeof(addr));
    if (keys_login_fail(ku, KEY_MAX, "u", user) < 0 || keys_login_fail(kp, KEY_MAX, "p", addr) < 0)
        return ST_EINVAL;
    return 0;
}

static int throttle_check(struct db *db, const char *user, const char *peer)
{
    char ku[KEY_MAX], kp[KEY_MAX];
    redisReply *r = NULL;
    if (throttle_keys(user, peer, ku, kp))
        return ST_ELIMIT;
    int rc = db_cmd(db, &r, "MGET", ku, kp, NULL);
    if (rc)
        return rc;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        (db_reply_int(r->element[0], 0) >= THROTTLE_USER_MAX ||
         db_reply_int(r->element[1], 0) >= THROTTLE_PEER_MAX))
        rc = ST_ELIMIT;
    freeReplyObject(r);
    return rc;
}

static void throttle_record(struct db *db, const char *user, const char *peer, bool ok)
{
    char ku[KEY_MAX], kp[KEY_MAX];
    if (throttle_keys(user, peer, ku, kp))
        return;
    if (ok) {
        db_cmd(db, NULL, "DEL", ku, NULL);
        return;
    }
    /* The window starts at the first failure (EXPIRE NX), it does not slide. */
    db_append(db, "INCR", ku, NULL);
    db_append(db, "EXPIRE", ku, THROTTLE_WINDOW_S, "NX", NULL);
    db_append(db, "INCR", kp, NULL);
    db_append(db, "EXPIRE", kp, THROTTLE_WINDOW_S, "NX", NULL);
    if (db_exec(db, 4, NULL))
        log_warn("user=%s failed login not counted: %s", user, db->err);
}

/* The throttle, the user and the password, with failures counted; `u` is
 * the user's record when the password is right. */
static int verify(struct db *db, const char *user, const char *password, const char *peer,
                  struct user_rec *u, char *err, size_t errlen)
{
    int rc = throttle_check(db, user, peer);
    if (rc) {
        snprintf(err, errlen, "%s",
                 rc == ST_ELIMIT ? "too many failed logins: retry in a minute" : db->err);
        return rc;
    }
    rc = user_get(db, user, u);
    if (rc) {
        snprintf(err, errlen, "%s", db->err);
        return rc;
    }
    bool ok = password_ok(u, password);
    throttle_record(db, user, peer, ok);
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

static int check_basic(struct call *c, const struct cred_header *h, struct user_rec *u)
{
    char peer[128];
    call_peer(c, peer, sizeof(peer));
    int rc = throttle_check(c->db, h->user, peer);
    if (!rc)
        rc = user_get(c->db, h->user, u);
    if (rc)
        return rc;
    bool ok = password_ok(u, h->password);
    throttle_record(c->db, h->user, peer, ok);
    if (!ok)
        return ST_EAUTH;
    snprintf(c->user, sizeof(c->user), "%s", h->user);
    return 0;
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
        snprintf(c->user, sizeof(c->user), "%s", name), c->admin = u->admin;
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
    rc = h.scheme == CRED_BEARER ? check_bearer(c, &h, &u, extra, reply) : check_basic(c, &h, &u);
    /* Basic auth costs a PBKDF2 anyway: its extra command simply follows */
    if (!rc && extra && h.scheme != CRED_BEARER)
        rc = db_cmd_argv(c->db, reply, extra->argc, extra->argv, extra->lens);
    if (rc == ST_EAUTH)
        call_fail(c, rc, "%s", h.scheme == CRED_BEARER ? msg_badtoken : msg_badpw);
    else if (rc == ST_ELIMIT)
        call_fail(c, rc, "too many failed logins: retry in a minute");
    else if (rc)
        call_fail(c, rc, "%s", c->db->err);
    else
        c->admin = u.admin;
out:
    cred_header_wipe(&h);
    return rc;
}
