/* backends.c - the backend for a job, with a cache (see backends.h). */
#include "backends.h"

#include "backend.h"
#include "backend_fs.h"
#include "backend_s3.h"
#include "config.h"
#include "err.h"
#include "job.h"
#include "netguard.h"
#include "secret.h"
#include "storspec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    char *storage, *conn; /* the cache key */
    struct backend *b;
};

struct backends {
    struct event_base *base;
    const struct config *cfg;
    struct backend *dflt;
    struct netguard *guard; /* where external stages may connect (storage.endpoint_allow) */
    struct secret_key key;
    struct entry e[BACKENDS_MAX];
    size_t n;
};

int backends_new(struct backends **out, struct event_base *base, const struct config *cfg,
                 struct backend *dflt, char *err, size_t errlen)
{
    struct backends *bs = calloc(1, sizeof(*bs));
    *out = NULL;
    if (!bs)
        return ST_ENOMEM;
    bs->base = base;
    bs->cfg = cfg;
    bs->dflt = dflt;
    int rc = secret_key_from_env(&bs->key, err, errlen);
    if (!rc)
        rc = netguard_from_config(cfg, &bs->guard, err, errlen);
    if (rc) {
        secret_wipe(&bs->key, sizeof(bs->key));
        free(bs);
        return rc;
    }
    *out = bs;
    return 0;
}

struct backends *backends_free(struct backends *bs)
{
    if (!bs)
        return NULL;
    for (size_t i = 0; i < bs->n; i++) {
        backend_free(bs->e[i].b);
        free(bs->e[i].storage);
        free(bs->e[i].conn);
    }
    secret_wipe(&bs->key, sizeof(bs->key));
    free(bs->guard);
    free(bs);
    return NULL;
}

/* Build a backend for a parsed spec. */
static int build(struct backends *bs, struct storspec *s, struct backend **out, char *err,
                 size_t errlen)
{
    switch (s->type) {
    case STORSPEC_FS:
        if (!bs->cfg->storage.allow_fs_urls) {
            snprintf(err, errlen,
                     "fs:// stages are disabled on this worker (storage.allow_fs_urls)");
            return ST_EPRECOND;
        }
        return backend_fs_new(out, bs->base, s->root, err, errlen);
    case STORSPEC_S3: {
        /* Rooted at the bucket: the stage's path comes with each job (j->root). */
        struct backend_s3_opts o = {.part_size = (size_t)bs->cfg->upload.object_part_size,
                                    .parallel_parts = bs->cfg->upload.parallel_parts,
                                    .guard = bs->guard};
        s->root[0] = '\0';
        return backend_s3_new(out, bs->base, s, &o, err, errlen);
    }
    default:
        snprintf(err, errlen, "backend %s is not available yet", storspec_type_name(s->type));
        return ST_EPRECOND;
    }
}

int backends_for_job(struct backends *bs, const struct job *j, struct backend **out, char *err,
                     size_t errlen)
{
    return backends_for(bs, j->storage, j->storage_conn, out, err, errlen);
}

int backends_for(struct backends *bs, const char *storage, const char *conn, struct backend **out,
                 char *err, size_t errlen)
{
    *out = NULL;
    if (!bs) {
        snprintf(err, errlen, "this worker has no external storages");
        return ST_EPRECOND;
    }
    if (!storage[0]) {
        *out = bs->dflt;
        return 0;
    }
    for (size_t i = 0; i < bs->n; i++) {
        if (strcmp(bs->e[i].storage, storage) == 0 && strcmp(bs->e[i].conn, conn) == 0) {
            *out = bs->e[i].b;
            return 0;
        }
    }
    if (bs->n == BACKENDS_MAX) {
        snprintf(err, errlen, "this worker already serves %d external storages", BACKENDS_MAX);
        return ST_ELIMIT;
    }
    struct storspec *s = calloc(1, sizeof(*s));
    struct entry *e = &bs->e[bs->n];
    int rc = s ? storspec_unseal(storage, conn, &bs->key, s, err, errlen) : ST_ENOMEM;
    if (rc == ST_EPERM)
        snprintf(err, errlen,
                 "the connection options of %s do not open with this worker's master key", storage);
    if (!rc)
        rc = build(bs, s, &e->b, err, errlen);
    storspec_wipe(s);
    free(s);
    if (rc)
        return rc;
    e->storage = strdup(storage);
    e->conn = strdup(conn);
    if (!e->storage || !e->conn) {
        backend_free(e->b);
        free(e->storage);
        free(e->conn);
        memset(e, 0, sizeof(*e));
        return ST_ENOMEM;
    }
    bs->n++;
    *out = e->b;
    return 0;
}
