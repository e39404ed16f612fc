/* squota.h - the frontend's side of stage quotas (common/quota.h,
 * docs/quotas.md): which limits apply to a stage, reservations for uploads
 * in flight, usage for DescribeStage, and forgetting a dropped stage.
 *
 * Limits: an internal stage's own (CreateStage/AlterStage, owner or admin)
 * or else quotas.internal_stage_*; a user's @~ the user's own (AlterUser,
 * admins) or else quotas.user_stage_*; external stages none. Usage is only
 * counted on the configured storage, by the worker (worker/qacct.h).
 *
 * Every function reads Redis through a `struct db` (in a fiber: no thread
 * waits; every command has redis.timeout_ms) and returns 0 or a negative
 * st_err with the text in db->err. */
#ifndef STAGE_FE_SQUOTA_H
#define STAGE_FE_SQUOTA_H

#include "quota.h"

#include <stdbool.h>
#include <stddef.h>

struct config;
struct db;
struct job;
struct stage_rec;

/* The limits of named stage `rec` (none for an external one). Pure. */
void squota_of_stage(const struct config *cfg, const struct stage_rec *rec, struct quota_lim *l);

/* The limits of `user`'s @~ (HMGET st:user:<user> qbytes qfiles). */
int squota_of_user(struct db *db, const char *user, struct quota_lim *l);

/* Set `user`'s own @~ limits (0 = none); `reset`: back to the config's
 * defaults. ST_ENOTFOUND if there is no such user. */
int squota_set_user(struct db *db, const char *user, bool reset, long long bytes, long long files);

/* Usage of the stage at `root`, reservations of live uploads included (the
 * reservations of ended jobs are dropped on the way). */
int squota_usage(struct db *db, const char *root, struct quota_use *u);

/* Reserve for upload job `j` (j->quota_*: its limits) a total of at least
 * `need` and up to `ask` bytes, and one file; *granted gets the total
 * reserved. ST_ELIMIT when the stage has no room, with a message for the
 * client in `msg`. */
int squota_reserve(struct db *db, const struct job *j, long long need, long long ask,
                   long long *granted, char *msg, size_t n);

/* Forget the usage and reservations of a dropped stage at `root`. */
int squota_forget(struct db *db, const char *root);

#endif
