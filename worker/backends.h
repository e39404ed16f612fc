/* backends.h - the backend a job runs against.
 *
 * A job with an empty `storage` uses the worker's configured storage. A job
 * of an external stage names its URL in `storage` and its sealed connection
 * options in `storage_conn` (storspec.h); the backend for it is built once
 * and cached (bcache.h) by the stage's name and a SHA-256 of (storage,
 * storage_conn), so every job of one stage definition shares it, and an
 * AlterStage (new sealed options, new hash) replaces the stage's entry
 * instead of adding one. Beyond worker.backend_cache entries the least
 * recently used idle backends are freed; a backend a job holds is never
 * freed under it, and the cache never refuses a stage for being full.
 *
 * Ownership: backends_for*() hand out a reference; the caller gives it back
 * with backends_release() when it no longer calls the backend (the runner:
 * when the run is freed). A backend out of the cache with a writer or a
 * request still running on its own (a detached writer, an abort nobody
 * waits for: backend_busy()) is freed once that ends, checked every second.
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

/* `dflt` is the configured storage; it stays the caller's to free. The
 * master key is read from STAGE_MASTER_KEY[_FILE]. 0, ST_EINVAL (bad key or
 * storage.endpoint_allow, message in `err`) or ST_ENOMEM. */
int backends_new(struct backends **out, struct event_base *base, const struct config *cfg,
                 struct backend *dflt, char *err, size_t errlen);

/* Free the set and every backend it built. NULL-safe; returns NULL. */
struct backends *backends_free(struct backends *bs);

/* The backend for `j` (stage `j->stage`), with a reference to give back
 * with backends_release(). 0, or ST_EINVAL / ST_EPERM (the options do not
 * open with this worker's key) / ST_EPRECOND (scheme disabled or not
 * available) / ST_ENOMEM with a message in `err` that never contains a
 * secret. */
int backends_for_job(struct backends *bs, const struct job *j, struct backend **out, char *err,
                     size_t errlen);

/* The same for a stage, its storage URL and its sealed options given apart
 * (a COPY job's target: dst_stage, dst_storage, dst_storage_conn). An empty
 * `storage` is the configured storage (no reference needed, none taken). */
int backends_for(struct backends *bs, const char *stage, const char *storage, const char *conn,
                 struct backend **out, char *err, size_t errlen);

/* Give back a reference from backends_for*(). NULL-safe (either argument);
 * the configured storage is ignored. Returns NULL: b = backends_release(bs, b). */
struct backend *backends_release(struct backends *bs, struct backend *b);

/* Backends in the cache (in use or idle), for tests. */
size_t backends_cached(const struct backends *bs);

#endif
