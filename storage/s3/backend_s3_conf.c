/* backend_s3_conf.c - the S3 spec of the configured storage (storage.s3.*,
 * see backend_s3.h). Apart from backend_s3.c because the frontend needs it
 * for presigned URLs and links only the signing code (sigv4.c, s3url.c),
 * not the backend's HTTP and XML code. */
#include "backend_s3.h"

#include "config.h"
#include "storspec.h"

#include <stdio.h>
#include <string.h>

void backend_s3_spec_from_config(const struct config *cfg, struct storspec *sp)
{
    const __typeof__(cfg->storage.s3) *c = &cfg->storage.s3;
    memset(sp, 0, sizeof(*sp));
    sp->type = STORSPEC_S3;
    snprintf(sp->bucket, sizeof(sp->bucket), "%s", c->bucket);
    const char *root = c->root[0] == '/' ? c->root + 1 : c->root;
    size_t rl = strlen(root);
    snprintf(sp->root, sizeof(sp->root), "%s%s", root, rl && root[rl - 1] != '/' ? "/" : "");
    snprintf(sp->url, sizeof(sp->url), "s3://%.250s/%.700s", sp->bucket, sp->root);
    snprintf(sp->endpoint_url, sizeof(sp->endpoint_url), "%s", c->endpoint_url);
    snprintf(sp->region, sizeof(sp->region), "%s", c->region[0] ? c->region : "us-east-1");
    sp->virtual_host = c->enable_virtual_host_style;
    snprintf(sp->access_key_id, sizeof(sp->access_key_id), "%s", c->access_key_id);
    snprintf(sp->secret_access_key, sizeof(sp->secret_access_key), "%s", c->secret_access_key);
    snprintf(sp->session_token, sizeof(sp->session_token), "%s", c->session_token);
}
