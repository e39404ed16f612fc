/* confspec.c - the configured storage's spec (see confspec.h). In the
 * signing library, not with the backends, because the frontend's
 * PresignFile needs it and links no backend (curl, libxml2). */
#include "confspec.h"

#include "config.h"
#include "err.h"
#include "registry.h"
#include "storspec.h"

#include <stdio.h>
#include <string.h>

/* An object store's bucket (container) and root as every stage has them. */
static void bucket_root(struct storspec *sp, const char *bucket, const char *root)
{
    snprintf(sp->bucket, sizeof(sp->bucket), "%s", bucket);
    if (root[0] == '/')
        root++;
    size_t rl = strlen(root);
    snprintf(sp->root, sizeof(sp->root), "%s%s", root, rl && root[rl - 1] != '/' ? "/" : "");
    snprintf(sp->url, sizeof(sp->url), "%s://%.250s/%.700s", storspec_type_name(sp->type),
             sp->bucket, sp->root);
}

static void fill_fs(const struct config *cfg, struct storspec *sp)
{
    snprintf(sp->root, sizeof(sp->root), "%s", cfg->storage.fs_root);
}

static void fill_s3(const struct config *cfg, struct storspec *sp)
{
    const __typeof__(cfg->storage.s3) *c = &cfg->storage.s3;
    bucket_root(sp, c->bucket, c->root);
    snprintf(sp->endpoint_url, sizeof(sp->endpoint_url), "%s", c->endpoint_url);
    snprintf(sp->region, sizeof(sp->region), "%s", c->region[0] ? c->region : "us-east-1");
    sp->virtual_host = c->enable_virtual_host_style;
    snprintf(sp->access_key_id, sizeof(sp->access_key_id), "%s", c->access_key_id);
    snprintf(sp->secret_access_key, sizeof(sp->secret_access_key), "%s", c->secret_access_key);
    snprintf(sp->session_token, sizeof(sp->session_token), "%s", c->session_token);
}

static void fill_gcs(const struct config *cfg, struct storspec *sp)
{
    const __typeof__(cfg->storage.gcs) *c = &cfg->storage.gcs;
    bucket_root(sp, c->bucket, c->root);
    snprintf(sp->endpoint_url, sizeof(sp->endpoint_url), "%s", c->endpoint_url);
    snprintf(sp->credential, sizeof(sp->credential), "%s", c->credential);
}

static void fill_azblob(const struct config *cfg, struct storspec *sp)
{
    const __typeof__(cfg->storage.azblob) *c = &cfg->storage.azblob;
    bucket_root(sp, c->container, c->root);
    snprintf(sp->endpoint_url, sizeof(sp->endpoint_url), "%s", c->endpoint_url);
    snprintf(sp->account_name, sizeof(sp->account_name), "%s", c->account_name);
    snprintf(sp->account_key, sizeof(sp->account_key), "%s", c->account_key);
}

static const struct {
    enum storspec_type type;
    void (*fill)(const struct config *cfg, struct storspec *sp);
} fillers[] = {
    {STORSPEC_FS, fill_fs},
    {STORSPEC_S3, fill_s3},
    {STORSPEC_GCS, fill_gcs},
    {STORSPEC_AZBLOB, fill_azblob},
};

int confspec_from_config(const struct config *cfg, struct storspec *sp, char *err, size_t errlen)
{
    const struct registry_scheme *r = registry_find(cfg->storage.type);
    memset(sp, 0, sizeof(*sp));
    for (size_t i = 0; r && i < sizeof(fillers) / sizeof(fillers[0]); i++) {
        if (fillers[i].type != r->type)
            continue;
        sp->type = r->type;
        fillers[i].fill(cfg, sp);
        return 0;
    }
    return st_fail(ST_EINVAL, err, errlen, "storage.type '%.64s' is not a storage scheme",
                   cfg->storage.type);
}
