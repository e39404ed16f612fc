/* stage.h - from a location string to the backend place it names, with the
 * caller's privileges checked on the way.
 *
 * The single place where a stage name becomes a backend root: "~" is the
 * caller's user stage ("stage/user/<user>/" of the configured storage); any
 * other name is looked up in the catalog (catalog.h): an internal stage's
 * root is its directory under "stage/internal/<name>/", an external stage
 * adds its URL and sealed options (job fields storage, storage_conn).
 * Runs on a handler thread (it reads Redis through c->db). */
#ifndef STAGE_FE_STAGE_H
#define STAGE_FE_STAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

struct call;
struct db;
struct job;

/* True if workers have a backend for this storage type ("fs", "s3", ...):
 * external stages on other types are stored but their files answer
 * FAILED_PRECONDITION until the backend lands. */
bool stage_backend_ready(const char *storage_type);

/* Parse `location`, resolve its stage for the caller (c->user, c->admin),
 * check that the caller holds `need` (enum authz_bits) on it and fill
 * j->stage, location, root, path, storage and storage_conn.
 * `need_file`: the location must name a file (not "@~" nor "dir/").
 * 0, ST_EINVAL (bad location), ST_ENOTFOUND (no such stage), ST_EPERM,
 * ST_EPRECOND (backend not available) or a Redis error; message in `err`. */
int stage_locate(struct call *c, const char *location, bool need_file, unsigned need, struct job *j,
                 char *err, size_t errlen);

/* The same for a caller that is not a gRPC call (the presigned-URL relay of
 * the HTTP listener): who asks, and the Redis connection to use. */
struct stage_who {
    struct db *db;
    const char *user;
    bool admin;
    int64_t since; /* the user's incarnation (authz_owns) */
};
int stage_locate_as(const struct stage_who *who, const char *location, bool need_file,
                    unsigned need, struct job *j, char *err, size_t errlen);

#endif
