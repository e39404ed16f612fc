/* authz.h - who may do what on a stage (docs/design.md §3): a pure function of the
 * caller, the stage record and the caller's grant bits.
 *
 * Rules: admins have ALL and OWN on every stage; the owner (creator) has ALL
 * and OWN; everyone has ALL on their own user stage "~" (a user can only
 * ever name their own); other users have the bits granted to them, never OWN.
 * READ covers list, download, stat, presign download and copy-from; WRITE
 * covers upload, remove, presign upload and copy-to; OWN covers drop, alter
 * and CreateStage or_replace over the stage: a grantee of ALL keeps the
 * files, not the stage (its URL, credentials, existence). Pure; any thread. */
#ifndef STAGE_FE_AUTHZ_H
#define STAGE_FE_AUTHZ_H

#include <stdbool.h>
#include <stdint.h>

enum authz_bits {
    AUTHZ_READ = 1,
    AUTHZ_WRITE = 2,
    AUTHZ_ALL = AUTHZ_READ | AUTHZ_WRITE,
    AUTHZ_OWN = 4, /* the owner's and admins' only: drop, alter, replace; never granted */
};

struct authz_principal {
    const char *user;
    bool admin;
    int64_t since; /* when this user was created (ms); 0 = unknown */
};

/* What the frontend knows about the stage a call names. */
struct authz_stage {
    const char *name; /* "~" for the caller's user stage */
    bool exists;      /* false: no such stage record */
    const char *owner;
    int64_t created_on; /* when the stage record was made (ms); 0 = unknown */
};

/* Whether `user`, created at `since` (ms), is the `owner` recorded on an
 * object made at `made` (ms). A user name dropped and created again is a
 * new user (issue 14 #9): the creation time is its incarnation, and the new
 * one owns nothing made before it. 0 for either time: by name only (records
 * older than these fields). */
bool authz_owns(const char *user, int64_t since, const char *owner, int64_t made);

/* 0 if `p` holding `granted` (enum authz_bits) on `s` may do `need`;
 * ST_ENOTFOUND if the stage does not exist; ST_EPERM otherwise. */
int authz_check(const struct authz_principal *p, const struct authz_stage *s, unsigned granted,
                unsigned need);

/* The bits `p` holds on `s` (as authz_check() sees them). */
unsigned authz_effective(const struct authz_principal *p, const struct authz_stage *s,
                         unsigned granted);

/* "READ", "WRITE", "ALL" or "NONE" for a set of bits (OWN is not named). */
const char *authz_bits_name(unsigned bits);

/* Parse "READ" / "WRITE" / "ALL" (case-insensitive). 0 if unknown. */
unsigned authz_bits_parse(const char *s);

#endif
