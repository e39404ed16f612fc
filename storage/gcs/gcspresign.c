/* gcspresign.c - PresignFile for gcs (see gcspresign.h). */
#include "gcspresign.h"

#include "config.h"
#include "err.h"
#include "gcscred.h"
#include "gcsurl.h"
#include "storspec.h"

#include <stdio.h>
#include <string.h>

int gcspresign_url(const struct storspec *sp, bool allow_key_file, const char *key, bool put,
                   long expires_s, time_t now, char **url, char *err, size_t errlen)
{
    struct gcscred *c = NULL;
    *url = NULL;
    int rc = gcscred_parse(sp->credential, allow_key_file, &c, err, errlen);
    if (rc)
        return rc;
    struct gcsurl_presign p = {.endpoint = sp->endpoint_url,
                               .method = put ? "PUT" : "GET",
                               .bucket = sp->bucket,
                               .key = key,
                               .now = now,
                               .expires_s = expires_s ? expires_s : GCSPRESIGN_DEFAULT};
    rc = gcsurl_presign(c, &p, url);
    gcscred_free(c);
    if (rc == ST_EINVAL)
        st_fail(rc, err, errlen, "gcs: cannot sign a URL for this key, bucket or endpoint_url");
    return rc;
}

void gcspresign_spec_from_config(const struct config *cfg, struct storspec *sp)
{
    const __typeof__(cfg->storage.gcs) *c = &cfg->storage.gcs;
    memset(sp, 0, sizeof(*sp));
    sp->type = STORSPEC_GCS;
    snprintf(sp->bucket, sizeof(sp->bucket), "%s", c->bucket);
    const char *root = c->root[0] == '/' ? c->root + 1 : c->root;
    size_t rl = strlen(root);
    snprintf(sp->root, sizeof(sp->root), "%s%s", root, rl && root[rl - 1] != '/' ? "/" : "");
    snprintf(sp->url, sizeof(sp->url), "gcs://%.250s/%.700s", sp->bucket, sp->root);
    snprintf(sp->endpoint_url, sizeof(sp->endpoint_url), "%s", c->endpoint_url);
    snprintf(sp->credential, sizeof(sp->credential), "%s", c->credential);
}
