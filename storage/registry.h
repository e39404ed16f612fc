/* registry.h - the storage schemes the service knows, in one table: the
 * only place that lists them. storspec.c parses URLs with it, config.c
 * checks storage.type against it, the frontend refuses file calls on a
 * stage whose scheme has no backend yet, and backend_open.c builds the
 * backend of each scheme that has one.
 *
 * A scheme is "known" once it is here (stages of it may be created and
 * stored) and "available" once the worker has a backend for it. Adding a
 * backend: its enum value and name here, `available` true, and its opener
 * in backend_open.c (storage/tests/test_registry.c checks that they agree).
 *
 * Pure: no allocation, no I/O, no dependency, so the core library links it
 * without linking any backend. Thread-safe (constant data). */
#ifndef STAGE_REGISTRY_H
#define STAGE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

/* The schemes, in the order messages list them. */
enum storspec_type { STORSPEC_NONE = 0, STORSPEC_FS, STORSPEC_S3, STORSPEC_GCS, STORSPEC_AZBLOB };

struct registry_scheme {
    enum storspec_type type;
    const char *name; /* URL scheme and storage.type: "s3" */
    bool available;   /* the worker has a backend for it */
};

/* The scheme named `name` (`len` bytes, not NUL-terminated), or NULL. */
const struct registry_scheme *registry_find_n(const char *name, size_t len);

/* The same for a NUL-terminated name; NULL-safe. */
const struct registry_scheme *registry_find(const char *name);

/* The scheme of `t`, or NULL for STORSPEC_NONE and values out of range. */
const struct registry_scheme *registry_get(enum storspec_type t);

/* True if `name` is a scheme with a backend. NULL-safe (false). */
bool registry_available(const char *name);

/* The names, "fs, s3, gcs, azblob" (`available_only`: those with a
 * backend), into `buf` (truncated to `n`, always terminated if n > 0).
 * Returns `buf`. */
const char *registry_names(char *buf, size_t n, bool available_only);

#endif
