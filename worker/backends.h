/* backends.h - the backend a job runs against.
 *
 * A job with an empty `storage` uses the worker's configured storage. A job
 * of an external stage names its URL in `storage` and its sealed connection
 * options in `storage_conn` (storspec.h); the backend for it is built once
 * and cached by (storage, storage_conn), so every job of one stage
 * definition shares it, and an altered stage (new sealed options) gets a new
 * one. The cache holds at most BACKENDS_MAX entries, freed with the set.
 *
 * Backend roots: an fs:// backend is rooted at the URL's directory (jobs
 * carry root ""), which must pass fsroots_check() (storage.allow_fs_urls,
 * under storage.fs_url_roots, clear of storage.fs.root, also by real path)
 * and is opened beneath its base without following links, else
 * ST_EPRECOND; an object-store backend is rooted at the bucket (jobs
 * carry the URL's path as root). fs:// and s3:// have backends; other
 * schemes answer ST_EPRECOND ("backend gcs is not available yet").
 *
 * External object-store backends connect only where netguard.h allows
 * (storage.endpoint_allow, and the configured s3 storage's own endpoint):
 * a refused connection fails the call ST_EPERM with the guard's reason. The
 * configured storage (`dflt`) is the operator's and is not guarded.
 *
 * One event_base thread only (the worker loop). */
#ifndef STAGE_WORKER_BACKENDS_H
#define STAGE_WORKER_BACKENDS_H

#include <stddef.h>

struct backend;
struct backends;
struct config;
struct event_base;
struct job;

#define BACKENDS_MAX 256

/* `dflt` is the configured storage; it stays the caller's to free. The
 * master key is read from STAGE_MASTER_KEY[_FILE]. 0, ST_EINVAL (bad key or
 * storage.endpoint_allow, message in `err`) or ST_ENOMEM. */
int backends_new(struct backends **out, struct event_base *base, const struct config *cfg,
                 struct backend *dflt, char *err, size_t errlen);

/* Free the set and every backend it built. NULL-safe; returns NULL. */
struct backends *backends_free(struct backends *bs);

/* The backend for `j` (owned by the set). 0, or ST_EINVAL / ST_EPERM (the
 * options do not open with this worker's key) / ST_EPRECOND (scheme
 * disabled or not available) / ST_ELIMIT / ST_ENOMEM with a message in
 * `err` that never contains a secret. */
int backends_for_job(struct backends *bs, const struct job *j, struct backend **out, char *err,
                     size_t errlen);

/* The same for a storage URL and its sealed options given apart (a COPY
 * job's target: dst_storage, dst_storage_conn). */
int backends_for(struct backends *bs, const char *storage, const char *conn, struct backend **out,
                 char *err, size_t errlen);

#endif
