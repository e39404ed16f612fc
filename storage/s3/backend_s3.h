/* backend_s3.h - the S3 backend (AWS S3 and compatibles: MinIO, R2, Ceph,
 * GCS XML with HMAC keys): struct backend_ops over the S3 REST API, signed
 * with SigV4 by the project (sigv4.h), non-blocking on the worker's
 * event_base through libcurl multi (s3http.h).
 *
 * Mapping: writer = PutObject when the whole file fits one part, else
 * multipart (Create, UploadPart with up to `parallel_parts` in flight,
 * Complete; Abort on failure or write_abort); read = ranged GetObject;
 * stat = HeadObject; lister = ListObjectsV2 pages with continuation tokens;
 * delete_batch = DeleteObjects (≤ 1000 keys, per-key errors); copy (inside
 * the bucket) = CopyObject, or UploadPartCopy ranges above 5 GiB. Transient
 * failures (s3_retry_class) are retried up to 5 times with backoff.
 *
 * Addressing: path-style ("http://host/bucket/key") unless
 * spec->virtual_host ("http://bucket.host/key"). Keys are stored under
 * spec->root. Errors: 404 -> ST_ENOTFOUND; 403 and other refusals ->
 * ST_EPRECOND with the S3 code and message; retries exhausted -> ST_EAGAIN.
 * Secrets from the spec are copied in and never appear in a message.
 *
 * Threading: as backend.h (the event_base's thread only). */
#ifndef STAGE_BACKEND_S3_H
#define STAGE_BACKEND_S3_H

#include <stddef.h>
#include <stdint.h>

struct backend;
struct backend_writer;
struct config;
struct event_base;
struct netguard;
struct storspec;

#define S3_PART_MIN         (5 * 1024 * 1024) /* S3's smallest non-last part */
#define S3_PART_MAX         (5LL << 30)       /* and largest part */
#define S3_PARTS_MAX        10000
#define S3_PARALLEL_DEFAULT 4

struct backend_s3_opts {
    size_t part_size;   /* bytes per multipart part; raised to S3_PART_MIN */
    int parallel_parts; /* parts of one file in flight, default 4 */
    int64_t copy_max;   /* largest single CopyObject, default (and at most) 5 GiB;
                           bigger copies are UploadPartCopy ranges of that size */
    /* where connections may go (netguard.h), NULL: anywhere (the configured
     * storage); must outlive the backend. A refused connection fails the
     * call ST_EPERM at once, with the guard's reason, never retried */
    const struct netguard *guard;
};

/* A backend for `spec` (type STORSPEC_S3). No I/O is done here. 0, or
 * ST_EINVAL with the reason in `err` (no bucket, bad endpoint), ST_ENOMEM. */
int backend_s3_new(struct backend **out, struct event_base *base, const struct storspec *spec,
                   const struct backend_s3_opts *o, char *err, size_t errlen);

/* The part size a file of `size` bytes (-1: unknown) is uploaded with:
 * `part_size` (at least 5 MiB), grown so that it needs at most 10,000
 * parts, rounded up to 1 MiB. Pure. */
size_t backend_s3_part_size(size_t part_size, int64_t size);

/* `part_size` rounded up to a multiple of `align` (0: none), unless that
 * would pass S3_PART_MAX. Pure. */
size_t backend_s3_part_align(size_t part_size, size_t align);

/* A writer's resumable state (backend.h write_state), as text:
 *   "s3w1 <part size> <upload id or -> <k>\n" then the ETags of parts
 *   1..k, one per line.
 * Only the parts that completed without a gap are recorded: S3 holds them
 * whatever happened to the parts in flight. Pure functions. */
#define S3_UPLOAD_ID_MAX 512
#define S3_ETAG_MAX      71
struct backend_s3_state {
    size_t part_size;
    char upload_id[S3_UPLOAD_ID_MAX + 1]; /* "" if none */
    char **etags;                         /* k strings, owned */
    size_t k;
};
/* 0, ST_ELIMIT if `n` is too small, ST_EINVAL for an id or ETag that has
 * blanks or is too long. */
int backend_s3_state_format(char *buf, size_t n, size_t part_size, const char *upload_id,
                            const char *const *etags, size_t k);
/* 0 (free `st` with backend_s3_state_free()), ST_EINVAL, ST_ENOMEM. */
int backend_s3_state_parse(const char *state, struct backend_s3_state *st);
void backend_s3_state_free(struct backend_s3_state *st);

/* The multipart state of an S3 writer, for a job to record and resume:
 * upload id ("" before CreateMultipartUpload finished, or for a single
 * PutObject), part size, and the ETags of the parts that have completed so
 * far (etags[i] is part i+1, NULL while still in flight). Valid until the
 * next call on the writer. ST_EINVAL if `w` is not an S3 writer. */
int backend_s3_writer_state(const struct backend_writer *w, const char **upload_id,
                            size_t *part_size, const char *const **etags, size_t *nparts);

#endif
