/* backend_gcs.h - the Google Cloud Storage backend: struct backend_ops
 * over the GCS JSON API with OAuth2 bearer tokens from a service-account
 * key (gcscred.h, gcsjwt.h), non-blocking on the worker's event_base
 * through libcurl multi (s3http.h, the project's HTTP client for object
 * stores).
 *
 * Mapping: writer = a resumable upload session (POST .../upload/...?
 * uploadType=resumable, then PUT chunks of a multiple of 256 KiB with
 * Content-Range, the last one with the total size); read = a ranged media
 * download (alt=media); stat = the object resource; lister = objects.list
 * pages (prefix, startOffset, pageToken); delete_batch = one DELETE per key
 * (per-key results); copy = objects.rewrite until done. Object metadata
 * "sha256" and "creator" are stored as the S3 backend stores x-amz-meta-*;
 * the MD5 is GCS's own md5Hash.
 *
 * Tokens: fetched from the key's token_uri (RS256 JWT grant) when the
 * first request needs one, shared by all requests of the backend, renewed
 * 5 minutes before expiry or after a 401; requests wait for a fetch in
 * flight (one at a time). Every connection (the token endpoint, the upload
 * session URI) goes through the guard.
 *
 * Errors: 404 -> ST_ENOTFOUND; 412 (ifGenerationMatch=0) -> ST_EEXIST;
 * 401/403 and other refusals -> ST_EPRECOND with GCS's message; 429/5xx and
 * connection failures are retried up to 5 times with backoff (not chunk
 * uploads: their retry is the resume), then ST_EAGAIN. A bad credential is
 * ST_EINVAL at backend_gcs_new with gcscred's message. Secrets are never
 * put in a message.
 *
 * Threading: as backend.h (the event_base's thread only). */
#ifndef STAGE_BACKEND_GCS_H
#define STAGE_BACKEND_GCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct backend;
struct event_base;
struct netguard;
struct storspec;

struct backend_gcs_opts {
    size_t chunk_size; /* upload chunk, rounded up to 256 KiB; 0: 8 MiB */
    /* where connections may go (netguard.h), NULL: anywhere; outlives the backend */
    const struct netguard *guard;
    bool allow_key_file; /* `credential` may be a path (the configured storage only) */
};

/* A backend for `spec` (type STORSPEC_GCS, `credential` set). No I/O.
 * 0, or ST_EINVAL with the reason in `err`, ST_ENOMEM. */
int backend_gcs_new(struct backend **out, struct event_base *base, const struct storspec *spec,
                    const struct backend_gcs_opts *o, char *err, size_t errlen);

/* A writer's resumable state (backend.h write_state):
 *   "gcsw1 <chunk size> <bytes the session stored> <session URI or ->"
 * Pure. 0, ST_ELIMIT (`n` too small), ST_EINVAL. */
struct backend_gcs_state {
    size_t chunk;
    int64_t stored;
    char session[2048]; /* "" if none */
};
int backend_gcs_state_format(char *buf, size_t n, const struct backend_gcs_state *st);
int backend_gcs_state_parse(const char *s, struct backend_gcs_state *st);

#endif
