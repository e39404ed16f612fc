/* backend_az.h - the Azure Blob backend (azblob://container/path/):
 * struct backend_ops over the Blob REST API, signed with SharedKey by the
 * project (azsign.h), non-blocking on the worker's event_base through
 * libcurl multi (s3http.h, the object stores' shared HTTP transport).
 *
 * Mapping: writer = block blob: data cut into blocks of part_size, Put
 * Block with up to parallel_parts in flight (ids from azblock.h), then Put
 * Block List on commit with the blob's
 * Content-Type, Content-MD5 (x-ms-blob-content-md5) and metadata md5,
 * sha256 and creator (x-ms-meta-*), If-None-Match: * when no_overwrite;
 * abort leaves the uncommitted blocks to Azure (they expire after 7 days).
 * read = ranged Get Blob (x-ms-range); stat = Get Blob Properties; lister =
 * List Blobs pages (prefix, marker, include=metadata); delete_batch =
 * Blob Batch requests (azbatch.h; Delete Blob per key behind a service
 * without it), per-key results. Transient
 * failures (network, 408, 429, 5xx) are retried up to 5 times with backoff.
 *
 * Resume: write_state is "azw1 <block size> <tag> <k>" (azblock.h), the
 * blocks Azure confirmed without a gap; a resumed writer (another worker
 * after a crash) commits those with what follows.
 *
 * The same backend serves azblob:// stages and the configured storage
 * (storage.type azblob, its spec from confspec.h). Copies and Blob Batch
 * deletes: backend_az_copy.c, backend_az_delete.c.
 *
 * Addressing as azurl.h. Keys are stored under spec->root. Errors: 404 ->
 * ST_ENOTFOUND; 409/412 on a no-overwrite commit -> ST_EEXIST; 403 and
 * other refusals -> ST_EPRECOND with Azure's code and message; retries
 * exhausted -> ST_EAGAIN; a connection the guard refuses -> ST_EPERM. The
 * account key is copied in and never appears in a message.
 *
 * Threading: as backend.h (the event_base's thread only). */
#ifndef STAGE_BACKEND_AZ_H
#define STAGE_BACKEND_AZ_H

#include <stddef.h>

struct backend;
struct event_base;
struct netguard;
struct storspec;

#define AZ_PARALLEL_DEFAULT 4

struct backend_az_opts {
    size_t part_size;   /* block size (azblock_size(): at least 1 MiB) */
    int parallel_parts; /* blocks of one file in flight, default 4 */
    /* where connections may go (netguard.h), NULL: anywhere; must outlive
     * the backend */
    const struct netguard *guard;
};

/* A backend for `spec` (type STORSPEC_AZBLOB, account_name and
 * account_key set). No I/O is done here. 0, or ST_EINVAL with the reason
 * in `err`, ST_ENOMEM. */
int backend_az_new(struct backend **out, struct event_base *base, const struct storspec *spec,
                   const struct backend_az_opts *o, char *err, size_t errlen);

#endif
