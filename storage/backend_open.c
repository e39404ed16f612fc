/* backend_open.c - scheme -> constructor (see backend_open.h). */
#include "backend_open.h"

#include "backend.h"
#include "backend_az.h"
#include "backend_fs.h"
#include "backend_gcs.h"
#include "backend_s3.h"
#include "config.h"
#include "confspec.h"
#include "err.h"
#include "storspec.h"

#include <stdio.h>
#include <stdlib.h>

typedef int(open_fn)(struct backend **out, struct event_base *base, const struct storspec *spec,
                     const struct backend_open_opts *o, char *err, size_t errlen);

static int open_fs(struct backend **out, struct event_base *base, const struct storspec *spec,
                   const struct backend_open_opts *o, char *err, size_t errlen)
{
    if (o->fs_base)
        return backend_fs_new_beneath(out, base, o->fs_base, o->fs_sub ? o->fs_sub : "", err,
                                      errlen);
    return backend_fs_new(out, base, spec->root, err, errlen);
}

static int open_s3(struct backend **out, struct event_base *base, const struct storspec *spec,
                   const struct backend_open_opts *o, char *err, size_t errlen)
{
    struct backend_s3_opts so = {
        .part_size = o->part_size, .parallel_parts = o->parallel_parts, .guard = o->guard};
    return backend_s3_new(out, base, spec, &so, err, errlen);
}

static int open_gcs(struct backend **out, struct event_base *base, const struct storspec *spec,
                    const struct backend_open_opts *o, char *err, size_t errlen)
{
    /* a key file path only for the operator's storage (no guard), never a
     * user's stage: a stage must not make a worker open its local files */
    struct backend_gcs_opts go = {
        .chunk_size = o->part_size, .guard = o->guard, .allow_key_file = o->guard == NULL};
    return backend_gcs_new(out, base, spec, &go, err, errlen);
}

static int open_az(struct backend **out, struct event_base *base, const struct storspec *spec,
                   const struct backend_open_opts *o, char *err, size_t errlen)
{
    struct backend_az_opts ao = {
        .part_size = o->part_size, .parallel_parts = o->parallel_parts, .guard = o->guard};
    return backend_az_new(out, base, spec, &ao, err, errlen);
}

static const struct {
    enum storspec_type type;
    open_fn *open;
} openers[] = {
    {STORSPEC_FS, open_fs},
    {STORSPEC_S3, open_s3},
    {STORSPEC_GCS, open_gcs},
    {STORSPEC_AZBLOB, open_az},
};
#define NOPENERS (sizeof(openers) / sizeof(openers[0]))

static size_t find(enum storspec_type t)
{
    size_t i = 0;
    while (i < NOPENERS && openers[i].type != t)
        i++;
    return i;
}

bool backend_open_has(enum storspec_type t)
{
    return find(t) < NOPENERS;
}

static int unavailable(enum storspec_type t, char *err, size_t errlen)
{
    char names[64];
    const struct registry_scheme *r = registry_get(t);
    snprintf(err, errlen, "backend %s is not available yet (available: %s)", r ? r->name : "?",
             registry_names(names, sizeof(names), true));
    return ST_EPRECOND;
}

int backend_open(struct backend **out, struct event_base *base, const struct storspec *spec,
                 const struct backend_open_opts *o, char *err, size_t errlen)
{
    static const struct backend_open_opts none;
    const struct registry_scheme *r = registry_get(spec->type);
    size_t i = find(spec->type);
    *out = NULL;
    if (!r || !r->available || i == NOPENERS)
        return unavailable(spec->type, err, errlen);
    return openers[i].open(out, base, spec, o ? o : &none, err, errlen);
}

int backend_open_config(struct backend **out, struct event_base *base, const struct config *cfg,
                        char *err, size_t errlen)
{
    const struct registry_scheme *r = registry_find(cfg->storage.type);
    *out = NULL;
    if (!r) {
        snprintf(err, errlen, "storage.type '%.64s' is not a storage scheme", cfg->storage.type);
        return ST_EINVAL;
    }
    size_t i = find(r->type);
    if (!r->available || i == NOPENERS)
        return unavailable(r->type, err, errlen);
    struct storspec *sp = calloc(1, sizeof(*sp)); /* large; secrets wiped below */
    if (!sp)
        return ST_ENOMEM;
    int rc = confspec_from_config(cfg, sp, err, errlen);
    struct backend_open_opts o = {.part_size = (size_t)cfg->upload.object_part_size,
                                  .parallel_parts = cfg->upload.parallel_parts};
    if (!rc)
        rc = openers[i].open(out, base, sp, &o, err, errlen);
    storspec_wipe(sp);
    free(sp);
    return rc;
}
