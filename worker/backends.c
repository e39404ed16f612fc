/* backends.c - the backend for a job, with a cache (see backends.h). */
#include "backends.h"

#include "bcache.h"
#include "backend.h"
#include "backend_open.h"
#include "config.h"
#include "err.h"
#include "fsroots.h"
#include "job.h"
#include "log.h"
#include "netguard.h"
#include "netguard_url.h"
#include "secret.h"
#include "storspec.h"

#include <errno.h>
#include <event2/event.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct backends {
    struct event_base *base;
    const struct config *cfg;
    struct backend *dflt;
    struct netguard *guard; /* where external stages may connect (storage.endpoint_allow) */
    struct secret_key key;
    struct bcache *cache;
    /* Backends out of the cache but still busy (backend_busy(): a detached
     * writer, an abort nobody waits for): freed by `reaper` once idle. */
    struct backend **dying;
    size_t ndying, capdying;
    struct event *reaper;
};

#define REAP_INTERVAL_S 1

static void reap(evutil_socket_t fd, short what, void *arg)
{
    struct backends *bs = arg;
    (void)fd;
    (void)what;
    for (size_t i = bs->ndying; i-- > 0;) {
        if (backend_busy(bs->dying[i]))
            continue;
        backend_free(bs->dying[i]);
        bs->dying[i] = bs->dying[--bs->ndying];
    }
    if (bs->ndying) {
        struct timeval tv = {REAP_INTERVAL_S, 0};
        evtimer_add(bs->reaper, &tv);
    }
}

/* The cache's free callback: an evicted or replaced backend nobody holds.
 * Freed now unless something it started still runs. */
static void retire(void *value, void *ud)
{
    struct backends *bs = ud;
    struct backend *b = value;
    if (!backend_busy(b) || !bs->reaper) {
        backend_free(b);
        return;
    }
    if (bs->ndying == bs->capdying) {
        size_t cap = bs->capdying ? bs->capdying * 2 : 8;
        struct backend **d = realloc(bs->dying, cap * sizeof(*d));
        if (!d) {
            /* Rather leak a backend than free one under its requests. */
            log_warn("backends: out of memory: a busy backend is leaked");
            return;
        }
        bs->dying = d;
        bs->capdying = cap;
    }
    bs->dying[bs->ndying++] = b;
    if (!evtimer_pending(bs->reaper, NULL)) {
        struct timeval tv = {REAP_INTERVAL_S, 0};
        evtimer_add(bs->reaper, &tv);
    }
}

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
    if (!rc && (!(bs->cache = bcache_new((size_t)cfg->worker.backend_cache, retire, bs)) ||
                !(bs->reaper = evtimer_new(base, reap, bs))))
        rc = ST_ENOMEM;
    if (rc) {
        backends_free(bs);
        return rc;
    }
    *out = bs;
    return 0;
}

struct backends *backends_free(struct backends *bs)
{
    if (!bs)
        return NULL;
    if (bs->reaper)
        event_free(bs->reaper);
    bs->reaper = NULL; /* shutdown: the loop has stopped, free even busy ones */
    bcache_free(bs->cache);
    for (size_t i = 0; i < bs->ndying; i++)
        backend_free(bs->dying[i]);
    free(bs->dying);
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
static int build_fs(struct backends *bs, const struct storspec *s, struct backend_open_opts *o,
                    struct backend **out, char *err, size_t errlen)
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
    if (!rc) {
        o->fs_base = m->root;
        o->fs_sub = m->sub;
        rc = backend_open(out, bs->base, s, o, err, errlen);
    }
    free(m);
    return rc;
}

/* Build a backend for a parsed spec. */
static int build(struct backends *bs, struct storspec *s, struct backend **out, char *err,
                 size_t errlen)
{
    struct backend_open_opts o = {.part_size = (size_t)bs->cfg->upload.object_part_size,
                                  .parallel_parts = bs->cfg->upload.parallel_parts,
                                  .guard = bs->guard};
    if (s->type == STORSPEC_FS)
        return build_fs(bs, s, &o, out, err, errlen);
    /* Object stores are rooted at the bucket: the stage's path comes with
     * each job (j->root). */
    s->root[0] = '\0';
    return backend_open(out, bs->base, s, &o, err, errlen);
}

int backends_for_job(struct backends *bs, const struct job *j, struct backend **out, char *err,
                     size_t errlen)
{
    return backends_for(bs, j->stage, j->storage, j->storage_conn, out, err, errlen);
}

/* SHA-256 of the definition as the job carries it. The sealed options get a
 * fresh nonce at every CreateStage/AlterStage, so an altered stage always
 * hashes anew (even to the same options: one rebuild), and every job of one
 * definition hashes the same. */
static int spec_hash(const char *storage, const char *conn, unsigned char h[BCACHE_HASH_LEN])
{
    unsigned int n = 0;
    EVP_MD_CTX *x = EVP_MD_CTX_new();
    int ok = x && EVP_DigestInit_ex(x, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(x, storage, strlen(storage) + 1) && /* the NUL separates */
             EVP_DigestUpdate(x, conn, strlen(conn)) && EVP_DigestFinal_ex(x, h, &n);
    EVP_MD_CTX_free(x);
    return ok && n == BCACHE_HASH_LEN ? 0 : ST_EINTERNAL;
}

static int open_spec(struct backends *bs, const char *storage, const char *conn,
                     struct backend **out, char *err, size_t errlen)
{
    struct storspec *s = calloc(1, sizeof(*s));
    int rc = s ? storspec_unseal(storage, conn, &bs->key, s, err, errlen) : ST_ENOMEM;
    if (rc == ST_EPERM)
        snprintf(err, errlen,
                 "the connection options of %s do not open with this worker's master key", storage);
    if (!rc)
        rc = build(bs, s, out, err, errlen);
    storspec_wipe(s);
    free(s);
    return rc;
}

int backends_for(struct backends *bs, const char *stage, const char *storage, const char *conn,
                 struct backend **out, char *err, size_t errlen)
{
    unsigned char h[BCACHE_HASH_LEN];
    *out = NULL;
    if (!bs) {
        snprintf(err, errlen, "this worker has no external storages");
        return ST_EPRECOND;
    }
    if (!storage[0]) {
        *out = bs->dflt;
        return 0;
    }
    int rc = spec_hash(storage, conn, h);
    if (rc) {
        snprintf(err, errlen, "cannot hash the definition of %s", storage);
        return rc;
    }
    if ((*out = bcache_get(bs->cache, stage, h)))
        return 0;
    struct backend *b = NULL;
    rc = open_spec(bs, storage, conn, &b, err, errlen);
    if (!rc && (rc = bcache_put(bs->cache, stage, h, b)) != 0) {
        backend_free(b);
        snprintf(err, errlen, "out of memory");
    }
    if (!rc)
        *out = b;
    return rc;
}

struct backend *backends_release(struct backends *bs, struct backend *b)
{
    if (bs && b && b != bs->dflt)
        bcache_release(bs->cache, b);
    return NULL;
}

size_t backends_cached(const struct backends *bs)
{
    return bs ? bcache_count(bs->cache) : 0;
}
