/* backends.c - the backend for a job, with a cache (see backends.h). */
#include "backends.h"

#include "backend.h"
#include "backend_fs.h"
#include "backend_s3.h"
#include "config.h"
#include "err.h"
#include "fsroots.h"
#include "job.h"
#include "netguard.h"
#include "secret.h"
#include "storspec.h"

#include <errno.h>
#include <limits.h>
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

/* An fs:// stage's backend, checked again here: a stage stored before
 * these rules (or by a frontend configured otherwise) must not reach the
 * service's files or the host's. The lexical check of the frontend first,
 * then with the real paths of the base and of storage.fs.root (a base may
 * be a link into the fs root); the stage's directory is then opened beneath
 * its base with no link followed (backend_fs_new_beneath()). A stage that
 * fails here is FAILED_PRECONDITION: it was valid when stored. */
static int build_fs(struct backends *bs, const struct storspec *s, struct backend **out, char *err,
                    size_t errlen)
{
    struct fsroots_match *m = calloc(1, sizeof(*m));
    char real_base[PATH_MAX], real_root[PATH_MAX], dir[PATH_MAX + FSROOTS_PATH_MAX];
    int rc = m ? fsroots_check(bs->cfg, s->root, NULL, m, err, errlen) : ST_ENOMEM;
    if (rc == ST_EINVAL)
        rc = ST_EPRECOND;
    if (!rc && !realpath(m->root, real_base)) {
        snprintf(err, errlen, "storage.fs_url_roots entry '%.200s': %s", m->root, strerror(errno));
        rc = ST_EPRECOND;
    }
    if (!rc) {
        snprintf(dir, sizeof(dir), "%s%s%s", real_base, m->sub[0] ? "/" : "", m->sub);
        /* no fs root on disk (storage.type s3): its lexical form is all there is */
        if (!realpath(bs->cfg->storage.fs_root, real_root) &&
            fsroots_normalize(bs->cfg->storage.fs_root, NULL, real_root, sizeof(real_root)))
            real_root[0] = '\0';
        if (real_root[0] && fsroots_overlap(dir, real_root)) {
            snprintf(err, errlen,
                     "fs:// directory '%.200s' is '%.200s' on disk, which overlaps "
                     "storage.fs.root '%.200s'",
                     s->root, dir, real_root);
            rc = ST_EPRECOND;
        }
    }
    if (!rc)
        rc = backend_fs_new_beneath(out, bs->base, m->root, m->sub, err, errlen);
    free(m);
    return rc;
}

/* Build a backend for a parsed spec. */
static int build(struct backends *bs, struct storspec *s, struct backend **out, char *err,
                 size_t errlen)
{
    switch (s->type) {
    case STORSPEC_FS:
        return build_fs(bs, s, out, err, errlen);
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
