/* catalog.h - named stages and grants in Redis (docs/redis.md "Stages,
 * grants"): st:stage:<name> (hash), st:stages (set of names),
 * st:grant:<stage> (hash user -> bits), st:grants:user:<user> (set of
 * stages). The global CREATE_STAGE privilege is the user hash field
 * `create_stage`. Multi-key changes run as one Lua script each, so a
 * concurrent drop and grant cannot leave a grant on a dropped stage.
 *
 * An internal stage's files live under stage/internal/<name>/<incarnation>/:
 * a stage dropped or replaced and created again gets a fresh directory at
 * once, while the old one is emptied by a DROP_STAGE job.
 *
 * Blocking, on the handler thread's `struct db`; errors are st_err with the
 * text in db->err. Sealed connection options are stored as given; nothing
 * here logs them. */
#ifndef STAGE_FE_CATALOG_H
#define STAGE_FE_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct secret_key;

#define CATALOG_CONN_MAX 16384

struct stage_rec {
    bool exists;
    char name[72];
    char type[16];         /* "Internal" | "External" */
    char storage_type[16]; /* "fs" | "s3" | "gcs" | "azblob" */
    char url[1100];        /* external stages */
    char endpoint[512];
    char conn[CATALOG_CONN_MAX]; /* sealed options (storspec_seal), "" = none */
    char params[2048];           /* options as JSON, secrets masked */
    bool has_credentials;
    char root[1100]; /* key prefix in the backend: internal "stage/internal/<n>/<inc>/" */
    char owner[72], creator[72];
    int64_t created_on;
    char comment[512];
    /* internal stages: the quota set by CreateStage/AlterStage (0 = none);
     * !has_quota: quotas.internal_stage_* of the config apply */
    bool has_quota;
    long long quota_bytes, quota_files;
};

/* The master key for sealing connection options (main.c, at start-up). */
void catalog_set_key(const struct secret_key *key);
const struct secret_key *catalog_key(void);

/* HGETALL st:stage:<name>. 0 with rec->exists false if there is none. */
int catalog_get(struct db *db, const char *name, struct stage_rec *rec);

enum catalog_mode { CATALOG_CREATE, CATALOG_IF_NOT_EXISTS, CATALOG_OR_REPLACE };

/* Store a new stage record. CATALOG_CREATE: ST_EEXIST if the name is taken;
 * IF_NOT_EXISTS: 0 with *kept true and nothing changed; OR_REPLACE: the old
 * record and its grants go, and `old` (may be NULL) receives what it was
 * (old->exists false if there was none). `replace_owner` (NULL: any, for
 * admins): an existing record is replaced only if this user owns it, else
 * ST_EPERM, in the same script (no window between check and replace). */
int catalog_put(struct db *db, const struct stage_rec *rec, enum catalog_mode mode,
                const char *replace_owner, bool *kept, struct stage_rec *old);

/* Remove a stage and its grants; `old` receives the record. ST_ENOTFOUND;
 * ST_EPRECOND if `created_on` (0: any) is not the record's: the stage the
 * caller's privilege check saw was dropped and created again meanwhile. */
int catalog_drop(struct db *db, const char *name, int64_t created_on, struct stage_rec *old);

/* Replace the mutable fields (url, storage, conn, params, comment) of an
 * existing record. ST_ENOTFOUND; ST_EPRECOND if the stored record's
 * created_on is not rec->created_on (dropped and created again since the
 * caller loaded it: the check the caller made was about another stage). */
int catalog_update(struct db *db, const struct stage_rec *rec);

/* Every stage name (SMEMBERS st:stages), malloc'd array of malloc'd names. */
int catalog_names(struct db *db, char ***names, size_t *n);
void catalog_names_free(char **names, size_t n);

/* Grant bits of `user` on `stage` (0 if none). */
int catalog_grant_bits(struct db *db, const char *stage, const char *user, unsigned *bits);

/* OR (`add`) or clear `bits` of `user` on `stage`. ST_ENOTFOUND naming the
 * stage or the user if either is missing. */
int catalog_grant_change(struct db *db, const char *stage, const char *user, unsigned bits,
                         bool add);

/* EVAL `lua` with the user's hash as KEYS[1] and the NULL-terminated ARGV
 * (at most 4); the script returns 1, or 0 when the user does not exist
 * (ST_ENOTFOUND, db->err names the user). */
int catalog_user_eval(struct db *db, const char *user, const char *lua, ...)
    __attribute__((sentinel));

/* Set or clear the global CREATE_STAGE privilege. ST_ENOTFOUND (user). */
int catalog_create_priv_change(struct db *db, const char *user, bool add);
int catalog_create_priv(struct db *db, const char *user, bool *has);

struct grant_row {
    char stage[72];
    char user[72];
    unsigned bits;
};

/* Grants on a stage, or of a user (stage grants plus CREATE_STAGE as a row
 * with an empty stage and bits 0). malloc'd array. */
int catalog_grants_of_stage(struct db *db, const char *stage, struct grant_row **rows, size_t *n);
int catalog_grants_of_user(struct db *db, const char *user, struct grant_row **rows, size_t *n);

#endif
