/* backend_open.h - a backend from a storage spec: the one place that maps a
 * scheme (registry.h) to its backend's constructor.
 *
 * The worker builds the backend of an external stage with backend_open()
 * from the stage's unsealed spec, and its configured storage with
 * backend_open_config(); neither names a backend type. Policy stays with
 * the caller: which fs:// directories a stage may use (fsroots.h) and
 * where object stores may connect (netguard.h) are decided before, and
 * passed in the options.
 *
 * No I/O beyond what a backend's constructor does (fs: opening its root).
 * Any thread; the backend is then used on `base`'s thread (backend.h). */
#ifndef STAGE_BACKEND_OPEN_H
#define STAGE_BACKEND_OPEN_H

#include <stdbool.h>
#include <stddef.h>

#include "registry.h"

struct backend;
struct config;
struct event_base;
struct netguard;
struct storspec;

struct backend_open_opts {
    size_t part_size;   /* object stores: bytes per part (upload.object_part_size) */
    int parallel_parts; /* object stores: parts of one file in flight */
    /* Object stores: where connections may go; NULL: anywhere (the
     * operator's configured storage). Must outlive the backend. */
    const struct netguard *guard;
    /* fs: a stage's directory as fs_base/fs_sub, opened beneath fs_base
     * with no link followed (backend_fs_new_beneath()); fs_base NULL: the
     * operator's storage.fs.root, spec->root (backend_fs_new()). */
    const char *fs_base;
    const char *fs_sub;
};

/* The backend for `spec`, rooted as the backend's constructor roots it
 * (object stores: at spec->root inside the bucket). 0, ST_EPRECOND with
 * "backend gcs is not available yet" for a known scheme without a backend,
 * or the constructor's error, with a message in `err` that names no
 * secret. */
int backend_open(struct backend **out, struct event_base *base, const struct storspec *spec,
                 const struct backend_open_opts *o, char *err, size_t errlen);

/* The operator's configured storage (storage.type and its section), with
 * upload.object_part_size and upload.parallel_parts, unguarded. As
 * backend_open(). */
int backend_open_config(struct backend **out, struct event_base *base, const struct config *cfg,
                        char *err, size_t errlen);

/* True if backend_open() has a constructor for `t` (registry.h's
 * `available` must say the same). */
bool backend_open_has(enum storspec_type t);

#endif
