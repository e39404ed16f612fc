/* auth.h - users, passwords and bearer tokens in Redis (docs/design.md §3).
 *
 * Users are hashes st:user:<name> {pwhash, salt, iter, admin, gen,
 * created_on}. The token HMAC key and the presign key are derived from
 * STAGE_MASTER_KEY (HKDF-SHA256, a label each), so every frontend with that
 * key shares them and nothing in Redis lets a reader act as a user. The
 * pure crypto is in cred.h. Nothing here logs a password, a key or a token.
 *
 * Threads: auth_init() runs once in main before the server starts; the
 * rest runs on handler threads with the thread's own `struct db`. */
#ifndef STAGE_FE_AUTH_H
#define STAGE_FE_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct call;
struct config;
struct db;
struct redisReply;

/* Where versions before the master-key derivation kept the token key in
 * clear; auth_init() deletes it. */
#define AUTH_LEGACY_SECRET_KEY "st:secret:token"
#define AUTH_ROOT_USER         "root"

/* Derive the token and presign keys from the master key (`n` bytes). Call
 * once in main before auth_init(). 0 or ST_EINTERNAL. */
int auth_set_master_key(const unsigned char *k, size_t n);

/* Check the keys are set (ST_EINVAL with the fix in `err` otherwise), drop
 * the legacy key from Redis, and bootstrap the `root` admin from
 * STAGE_ROOT_PASSWORD or the file named by STAGE_ROOT_PASSWORD_FILE if
 * st:user:root does not exist. 0, or an st_err with a message in `err`. */
int auth_init(struct db *db, const struct config *cfg, char *err, size_t errlen);

/* Authenticate a call from its `authorization` metadata (Bearer or Basic)
 * and set c->user / c->admin. On failure the call is answered
 * (UNAUTHENTICATED, or UNAVAILABLE if Redis failed) and an st_err returned. */
int auth_call(struct call *c);

/* A Redis command to run with the authentication, in the same round trip
 * (the hot polling calls: GetJob is one round trip, docs/design.md §4). */
struct auth_extra {
    int argc;
    const char **argv;
    const size_t *lens;
};

/* auth_call() that also runs `extra` and returns its reply in `*reply`
 * (owned by the caller) when the caller is authenticated; on failure the
 * call is answered, nothing is returned and an st_err is the result. */
int auth_call_with(struct call *c, const struct auth_extra *extra, struct redisReply **reply);

/* Check a password and issue a token valid for auth.token_ttl_s.
 * 0, ST_EAUTH ("invalid user or password"), ST_ELIMIT (throttled) or a
 * Redis error; `err` holds the message for the client. */
int auth_login(struct db *db, const char *user, const char *password, const char *peer, char *token,
               size_t token_len, int64_t *expires_ms, char *err, size_t errlen);

/* Check `user`'s password as auth_login() does, without a token: the same
 * throttle, and a wrong password counts as a failed login (so a stolen token
 * cannot guess the password through it). 0, ST_EAUTH, ST_ELIMIT or a Redis
 * error; `err` holds the message. */
int auth_check_password(struct db *db, const char *user, const char *password, const char *peer,
                        char *err, size_t errlen);

/* A user's admin flag and token generation (bumped by a password change or
 * a drop). 0, ST_ENOTFOUND, or a Redis error (db->err). */
int auth_user_info(struct db *db, const char *name, bool *admin, long long *gen, int64_t *since);

/* The key that signs presigned fs URLs (presign_fs.h), derived from the
 * master key with its own label (not the token key). After
 * auth_set_master_key(); any thread. */
#define AUTH_PRESIGN_KEY_BYTES 32
void auth_presign_key(unsigned char out[AUTH_PRESIGN_KEY_BYTES]);

#endif
