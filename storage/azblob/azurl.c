/* azurl.c - Azure Blob endpoints and SAS URLs (see azurl.h). */
#include "azurl.h"

#include "azsign.h"
#include "err.h"
#include "storspec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Azure's container names: 3-63 of a-z 0-9 '-' (the emulator's "$root"
 * aside); anything else could not be one and must not reach a path. */
static bool container_ok(const char *c)
{
    size_t n = strlen(c);
    if (n < 3 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((c[i] >= 'a' && c[i] <= 'z') || (c[i] >= '0' && c[i] <= '9') || c[i] == '-'))
            return false;
    return true;
}

int azurl_parse(const struct storspec *sp, struct azurl *u, char *err, size_t errlen)
{
    char ep[600];
    memset(u, 0, sizeof(*u));
    if (!container_ok(sp->bucket)) {
        snprintf(err, errlen, "azblob container '%.100s' is not 3-63 of a-z, 0-9 and '-'",
                 sp->bucket);
        return ST_EINVAL;
    }
    if (!sp->account_name[0] && !sp->endpoint_url[0]) {
        snprintf(err, errlen, "azblob storage needs account_name or endpoint_url");
        return ST_EINVAL;
    }
    snprintf(u->container, sizeof(u->container), "%s", sp->bucket);
    snprintf(u->account, sizeof(u->account), "%s", sp->account_name);
    if (sp->endpoint_url[0])
        snprintf(ep, sizeof(ep), "%s", sp->endpoint_url);
    else
        snprintf(ep, sizeof(ep), "https://%.200s.blob.core.windows.net", sp->account_name);
    size_t slen = strncmp(ep, "http://", 7) == 0 ? 7 : strncmp(ep, "https://", 8) == 0 ? 8 : 0;
    size_t hl = slen ? strcspn(ep + slen, "/") : 0;
    if (!slen || !hl || strpbrk(ep, "?#@ \\") || hl + slen >= sizeof(u->scheme_host)) {
        snprintf(err, errlen, "endpoint_url '%.300s' must be http[s]://host[:port][/path]", ep);
        return ST_EINVAL;
    }
    memcpy(u->scheme_host, ep, slen + hl);
    const char *path = ep + slen + hl;
    size_t pl = strlen(path);
    while (pl && path[pl - 1] == '/')
        pl--;
    if (pl >= sizeof(u->prefix)) {
        snprintf(err, errlen, "endpoint_url '%.300s': the path is too long", ep);
        return ST_EINVAL;
    }
    memcpy(u->prefix, path, pl);
    return 0;
}

int azurl_path(const struct azurl *u, const char *key, char **path)
{
    char *enc = NULL;
    *path = NULL;
    if (key && *key && azsign_uri_encode(key, true, &enc))
        return ST_ENOMEM;
    int n = asprintf(path, "%s/%s%s%s", u->prefix, u->container, enc ? "/" : "", enc ? enc : "");
    free(enc);
    if (n < 0) {
        *path = NULL;
        return ST_ENOMEM;
    }
    return 0;
}

int azurl_presign(const struct storspec *sp, const char *key, bool put, const char *content_type,
                  long expires_s, time_t now, char **url, char *err, size_t errlen)
{
    struct azurl u;
    *url = NULL;
    if (expires_s == 0)
        expires_s = AZURL_PRESIGN_DEFAULT;
    if (expires_s < 1 || expires_s > AZSIGN_PRESIGN_MAX) {
        snprintf(err, errlen, "expire_seconds must be between 1 and %d, not %ld",
                 AZSIGN_PRESIGN_MAX, expires_s);
        return ST_EINVAL;
    }
    if (!sp->account_name[0] || !sp->account_key[0]) {
        snprintf(err, errlen, "the stage's storage has no credentials to sign with");
        return ST_EINVAL;
    }
    if (!key || !*key) {
        snprintf(err, errlen, "no blob to sign for");
        return ST_EINVAL;
    }
    int rc = azurl_parse(sp, &u, err, errlen);
    if (rc)
        return rc;
    char *path = NULL, *q = NULL;
    /* a start a little in the past: a clock behind the service's still works */
    struct azsign_sas s = {
        sp->account_name, sp->account_key, u.container,     key,
        put ? "cw" : "r", now - 300,       now + expires_s, put ? NULL : content_type};
    rc = azurl_path(&u, key, &path);
    if (!rc)
        rc = azsign_sas_query(&s, &q);
    if (!rc && asprintf(url, "%s%s?%s", u.scheme_host, path, q) < 0)
        *url = NULL, rc = ST_ENOMEM;
    if (rc && !*err)
        snprintf(err, errlen, "cannot sign: %s", st_strerror(rc));
    free(path);
    free(q);
    return rc;
}
