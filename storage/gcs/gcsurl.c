/* gcsurl.c - JSON API URLs and V4 signed URLs (see gcsurl.h). */
#include "gcsurl.h"

#include "err.h"
#include "gcscred.h"
#include "sbuf.h"
#include "sigv4.h" /* sigv4_sha256_hex */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gcsurl_origin(const char *endpoint, char **origin, char **host)
{
    const char *ep = endpoint && *endpoint ? endpoint : GCSURL_ENDPOINT;
    const char *h = strncmp(ep, "https://", 8) == 0  ? ep + 8
                    : strncmp(ep, "http://", 7) == 0 ? ep + 7
                                                     : NULL;
    if (!h || !*h || *h == '/' || *h == ':')
        return ST_EINVAL;
    size_t olen = (size_t)(h - ep) + strcspn(h, "/?#");
    const char *end = ep + olen;
    /* the host name: up to the port's ':', or the ']' of an IPv6 literal */
    const char *hend = *h == '[' ? memchr(h, ']', (size_t)(end - h)) : NULL;
    hend = hend ? hend + 1 : h + strcspn(h, ":/?#");
    if (hend > end || strpbrk(ep, " \t\r\n@"))
        return ST_EINVAL;
    *origin = strndup(ep, olen);
    if (host)
        *host = strndup(h, (size_t)(hend - h));
    if (!*origin || (host && !*host)) {
        free(*origin);
        if (host)
            free(*host);
        return ST_ENOMEM;
    }
    return 0;
}

static bool presign_ok(const struct gcscred *c, const struct gcsurl_presign *p)
{
    return c && p && p->method && *p->method && p->bucket && *p->bucket && p->key && *p->key &&
           p->expires_s >= 1 && p->expires_s <= GCSURL_PRESIGN_MAX;
}

/* The query parameters before the signature, in the library's (sorted)
 * order, encoded. */
static void signed_query(struct sbuf *q, const struct gcscred *c, const struct gcsurl_presign *p)
{
    char date[17], scope[64], exp[24];
    struct tm tm;
    gmtime_r(&p->now, &tm);
    strftime(date, sizeof(date), "%Y%m%dT%H%M%SZ", &tm);
    snprintf(scope, sizeof(scope), "/%.8s/auto/storage/goog4_request", date);
    snprintf(exp, sizeof(exp), "%ld", p->expires_s);
    sbuf_add(q, "X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=");
    sbuf_encode(q, c->client_email, false);
    sbuf_encode(q, scope, false);
    sbuf_add(q, "&X-Goog-Date=");
    sbuf_add(q, date);
    sbuf_add(q, "&X-Goog-Expires=");
    sbuf_add(q, exp);
    sbuf_add(q, "&X-Goog-SignedHeaders=host");
}

static void resource_path(struct sbuf *s, const struct gcsurl_presign *p)
{
    sbuf_add(s, "/");
    sbuf_add(s, p->bucket);
    sbuf_add(s, "/");
    sbuf_encode(s, p->key, true);
}

int gcsurl_presign_texts(const struct gcscred *c, const struct gcsurl_presign *p, char **canon,
                         char **to_sign)
{
    if (!presign_ok(c, p) || !canon || !to_sign || strpbrk(p->bucket, "/?#%\r\n "))
        return ST_EINVAL;
    char *origin = NULL, *host = NULL;
    int rc = gcsurl_origin(p->endpoint, &origin, &host);
    if (rc)
        return rc;
    struct sbuf s = {0}, t = {0};
    sbuf_add(&s, p->method);
    sbuf_add(&s, "\n");
    resource_path(&s, p);
    sbuf_add(&s, "\n");
    signed_query(&s, c, p);
    sbuf_add(&s, "\nhost:");
    sbuf_add(&s, host);
    sbuf_add(&s, "\n\nhost\nUNSIGNED-PAYLOAD");
    char hash[65], date[17];
    struct tm tm;
    gmtime_r(&p->now, &tm);
    strftime(date, sizeof(date), "%Y%m%dT%H%M%SZ", &tm);
    if (!s.oom)
        sigv4_sha256_hex(s.p, s.len, hash);
    sbuf_add(&t, "GOOG4-RSA-SHA256\n");
    sbuf_add(&t, date);
    sbuf_add(&t, "\n");
    sbuf_addn(&t, date, 8);
    sbuf_add(&t, "/auto/storage/goog4_request\n");
    sbuf_add(&t, s.oom ? "" : hash);
    free(origin);
    free(host);
    rc = sbuf_take(&s, canon);
    int rc2 = sbuf_take(&t, to_sign);
    if (rc || rc2) {
        free(*canon);
        free(*to_sign);
        *canon = *to_sign = NULL;
        return ST_ENOMEM;
    }
    return 0;
}

int gcsurl_presign(const struct gcscred *c, const struct gcsurl_presign *p, char **url)
{
    char *canon = NULL, *to_sign = NULL, *origin = NULL;
    unsigned char *sig = NULL;
    size_t siglen = 0;
    int rc = gcsurl_presign_texts(c, p, &canon, &to_sign);
    if (!rc)
        rc = gcscred_sign(c, to_sign, strlen(to_sign), &sig, &siglen);
    if (!rc)
        rc = gcsurl_origin(p->endpoint, &origin, NULL);
    if (!rc) {
        static const char hx[] = "0123456789abcdef";
        struct sbuf s = {0};
        sbuf_add(&s, origin);
        resource_path(&s, p);
        sbuf_add(&s, "?");
        signed_query(&s, c, p);
        sbuf_add(&s, "&X-Goog-Signature=");
        for (size_t i = 0; i < siglen; i++) {
            char two[2] = {hx[sig[i] >> 4], hx[sig[i] & 15]};
            sbuf_addn(&s, two, 2);
        }
        rc = sbuf_take(&s, url);
    }
    free(canon);
    free(to_sign);
    free(origin);
    free(sig);
    return rc;
}

static int build(const char *endpoint, const char *bucket, bool upload, const char *key,
                 const char *suffix, const char *query, char **url)
{
    if (!bucket || !*bucket || strpbrk(bucket, "/?#%\r\n ") || (key && !*key))
        return ST_EINVAL;
    char *origin = NULL;
    int rc = gcsurl_origin(endpoint, &origin, NULL);
    if (rc)
        return rc;
    struct sbuf s = {0};
    sbuf_add(&s, origin);
    sbuf_add(&s, upload ? "/upload/storage/v1/b/" : "/storage/v1/b/");
    sbuf_add(&s, bucket);
    sbuf_add(&s, "/o");
    if (key) {
        sbuf_add(&s, "/");
        sbuf_encode(&s, key, false);
    }
    if (suffix && *suffix) {
        sbuf_add(&s, "/");
        sbuf_add(&s, suffix);
    }
    if (query && *query) {
        sbuf_add(&s, "?");
        sbuf_add(&s, query);
    }
    free(origin);
    return sbuf_take(&s, url);
}

int gcsurl_object(const char *endpoint, const char *bucket, const char *key, const char *suffix,
                  const char *query, char **url)
{
    return key ? build(endpoint, bucket, false, key, suffix, query, url) : ST_EINVAL;
}

int gcsurl_bucket(const char *endpoint, const char *bucket, int upload, const char *query,
                  char **url)
{
    return build(endpoint, bucket, upload != 0, NULL, NULL, query, url);
}
