/* s3url.c - S3 endpoints and presigned URLs (see s3url.h). */
#include "s3url.h"

#include "err.h"
#include "sigv4.h"
#include "storspec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int s3url_parse(const struct storspec *sp, struct s3url *u, char *err, size_t errlen)
{
    char ep[600], host[512];
    memset(u, 0, sizeof(*u));
    snprintf(u->region, sizeof(u->region), "%s", sp->region[0] ? sp->region : "us-east-1");
    if (!sp->bucket[0] || strchr(sp->bucket, '/')) {
        snprintf(err, errlen, "s3 storage needs a bucket name");
        return ST_EINVAL;
    }
    if (sp->endpoint_url[0])
        snprintf(ep, sizeof(ep), "%s", sp->endpoint_url);
    else
        snprintf(ep, sizeof(ep), "https://s3.%s.amazonaws.com", u->region);
    size_t slen = strncmp(ep, "http://", 7) == 0 ? 7 : strncmp(ep, "https://", 8) == 0 ? 8 : 0;
    if (!slen) {
        snprintf(err, errlen, "endpoint_url '%.300s' must start with http:// or https://", ep);
        return ST_EINVAL;
    }
    snprintf(host, sizeof(host), "%s", ep + slen);
    size_t hl = strlen(host);
    while (hl && host[hl - 1] == '/')
        host[--hl] = '\0';
    if (!hl || strpbrk(host, "/?#@ ")) {
        snprintf(err, errlen, "endpoint_url '%.300s' must be scheme://host[:port]", ep);
        return ST_EINVAL;
    }
    if (sp->virtual_host) {
        snprintf(u->host, sizeof(u->host), "%.250s.%.400s", sp->bucket, host);
    } else {
        snprintf(u->host, sizeof(u->host), "%.600s", host);
        snprintf(u->bucket_path, sizeof(u->bucket_path), "/%.280s", sp->bucket);
    }
    snprintf(u->scheme_host, sizeof(u->scheme_host), "%.*s%s", (int)slen, ep, u->host);
    return 0;
}

int s3url_presign(const struct storspec *sp, const char *key, bool put, const char *content_type,
                  long expires_s, time_t now, char **url, char *err, size_t errlen)
{
    struct s3url u;
    *url = NULL;
    if (expires_s == 0)
        expires_s = S3URL_PRESIGN_DEFAULT;
    if (expires_s < 1 || expires_s > SIGV4_PRESIGN_MAX) {
        snprintf(err, errlen, "expire_seconds must be between 1 and %d, not %ld", SIGV4_PRESIGN_MAX,
                 expires_s);
        return ST_EINVAL;
    }
    if (!sp->access_key_id[0] || !sp->secret_access_key[0]) {
        snprintf(err, errlen, "the stage's storage has no credentials to sign with");
        return ST_EINVAL;
    }
    int rc = s3url_parse(sp, &u, err, errlen);
    if (rc)
        return rc;
    char *enc = NULL, *path = NULL, *q = NULL, date[17];
    rc = sigv4_uri_encode(key, true, &enc);
    if (!rc && asprintf(&path, "%s/%s", u.bucket_path, enc) < 0)
        path = NULL, rc = ST_ENOMEM;
    struct sigv4_kv h[2] = {{"host", u.host}, {"content-type", content_type}};
    size_t nh = put && content_type && *content_type ? 2 : 1;
    sigv4_amz_date(now, date);
    struct sigv4_creds c = {sp->access_key_id, sp->secret_access_key, sp->session_token, u.region,
                            "s3"};
    struct sigv4_req r = {put ? "PUT" : "GET", path, NULL, h, nh, NULL, date};
    if (!rc)
        rc = sigv4_presign(&r, NULL, 0, &c, expires_s, &q);
    if (!rc && asprintf(url, "%s%s?%s", u.scheme_host, path, q) < 0)
        *url = NULL, rc = ST_ENOMEM;
    if (rc && !*err)
        snprintf(err, errlen, "cannot sign: %s", st_strerror(rc));
    free(enc);
    free(path);
    free(q);
    return rc;
}
