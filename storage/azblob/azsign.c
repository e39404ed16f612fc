/* azsign.c - Azure SharedKey and service SAS signing (see azsign.h). */
#include "azsign.h"

#include "err.h"
#include "sbuf.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KEY_MAX 128 /* decoded account key bytes (Azure's are 64) */

static bool has_ctl(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* The base64 account key, decoded. 0 or ST_EINVAL. */
static int key_decode(const char *b64, unsigned char *key, size_t *klen)
{
    size_t n = b64 ? strlen(b64) : 0;
    unsigned char tmp[KEY_MAX + 4];
    if (n == 0 || n % 4 || n / 4 * 3 > sizeof(tmp))
        return ST_EINVAL;
    int len = EVP_DecodeBlock(tmp, (const unsigned char *)b64, (int)n);
    if (len < 0)
        return ST_EINVAL;
    /* EVP_DecodeBlock counts the padding as zero bytes */
    len -= (b64[n - 1] == '=') + (b64[n - 2] == '=');
    if (len <= 0 || (size_t)len > KEY_MAX)
        return ST_EINVAL;
    memcpy(key, tmp, (size_t)len);
    *klen = (size_t)len;
    OPENSSL_cleanse(tmp, sizeof(tmp));
    return 0;
}

/* base64(HMAC-SHA256(key, msg)); `out` has room for 45 bytes. */
static int hmac_b64(const char *key_b64, const char *msg, char out[45])
{
    unsigned char key[KEY_MAX], md[32];
    size_t klen = 0;
    unsigned int mdlen = 0;
    int rc = key_decode(key_b64, key, &klen);
    if (!rc &&
        !HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), md, &mdlen))
        rc = ST_EINTERNAL;
    OPENSSL_cleanse(key, sizeof(key));
    if (!rc)
        EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
    return rc;
}

static const char *header(const struct azsign_req *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value ? r->headers[i].value : "";
    return "";
}

static int cmp_name(const void *a, const void *b)
{
    const struct azsign_kv *x = a, *y = b;
    int c = strcasecmp(x->name, y->name);
    return c ? c : strcmp(x->value ? x->value : "", y->value ? y->value : "");
}

static void add_lower(struct sbuf *s, const char *t)
{
    for (; *t; t++) {
        char c = (*t >= 'A' && *t <= 'Z') ? (char)(*t - 'A' + 'a') : *t;
        sbuf_addn(s, &c, 1);
    }
}

/* The x-ms-* headers, sorted, as "name:value\n". */
static int canon_headers(struct sbuf *s, const struct azsign_req *r)
{
    struct azsign_kv *h = calloc(r->nheaders ? r->nheaders : 1, sizeof(*h));
    size_t n = 0;
    if (!h)
        return ST_ENOMEM;
    for (size_t i = 0; i < r->nheaders; i++)
        if (strncasecmp(r->headers[i].name, "x-ms-", 5) == 0)
            h[n++] = r->headers[i];
    qsort(h, n, sizeof(*h), cmp_name);
    for (size_t i = 0; i < n; i++) {
        const char *v = h[i].value ? h[i].value : "";
        add_lower(s, h[i].name);
        sbuf_add(s, ":");
        sbuf_add(s, v + strspn(v, " \t"));
        sbuf_add(s, "\n");
    }
    free(h);
    return 0;
}

/* "/<account><path>" and the query parameters, one "\nname:values" each. */
static int canon_resource(struct sbuf *s, const char *account, const struct azsign_req *r)
{
    struct azsign_kv *q = calloc(r->nquery ? r->nquery : 1, sizeof(*q));
    if (!q)
        return ST_ENOMEM;
    if (r->nquery) /* memcpy from NULL is undefined even for 0 bytes */
        memcpy(q, r->query, r->nquery * sizeof(*q));
    qsort(q, r->nquery, sizeof(*q), cmp_name);
    sbuf_add(s, "/");
    sbuf_add(s, account);
    sbuf_add(s, r->path && *r->path ? r->path : "/");
    for (size_t i = 0; i < r->nquery; i++) {
        bool same = i > 0 && strcasecmp(q[i].name, q[i - 1].name) == 0;
        if (same) {
            sbuf_add(s, ",");
        } else {
            sbuf_add(s, "\n");
            add_lower(s, q[i].name);
            sbuf_add(s, ":");
        }
        sbuf_add(s, q[i].value ? q[i].value : "");
    }
    free(q);
    return 0;
}

static int req_check(const char *account, const struct azsign_req *r)
{
    if (!account || !*account || has_ctl(account) || !r || !r->method || !r->path ||
        (r->nquery && !r->query) || (r->nheaders && !r->headers))
        return ST_EINVAL;
    for (size_t i = 0; i < r->nquery; i++)
        if (!r->query[i].name || has_ctl(r->query[i].name) || has_ctl(r->query[i].value))
            return ST_EINVAL;
    for (size_t i = 0; i < r->nheaders; i++)
        if (!r->headers[i].name || has_ctl(r->headers[i].name) || has_ctl(r->headers[i].value))
            return ST_EINVAL;
    return has_ctl(r->method) || has_ctl(r->path) ? ST_EINVAL : 0;
}

int azsign_string_to_sign(const char *account, const struct azsign_req *r, char **out)
{
    /* The standard headers, in the order the service reads them. */
    static const char *const std[] = {"Content-Encoding",
                                      "Content-Language",
                                      "Content-Length",
                                      "Content-MD5",
                                      "Content-Type",
                                      "Date",
                                      "If-Modified-Since",
                                      "If-Match",
                                      "If-None-Match",
                                      "If-Unmodified-Since",
                                      "Range"};
    struct sbuf s = {0};
    int rc = req_check(account, r);
    if (rc || !out)
        return rc ? rc : ST_EINVAL;
    sbuf_add(&s, r->method);
    sbuf_add(&s, "\n");
    for (size_t i = 0; i < sizeof(std) / sizeof(std[0]); i++) {
        const char *v = header(r, std[i]);
        /* since version 2015-02-21 a zero length signs as empty */
        if (i == 2 && strcmp(v, "0") == 0)
            v = "";
        sbuf_add(&s, v);
        sbuf_add(&s, "\n");
    }
    rc = canon_headers(&s, r);
    if (!rc)
        rc = canon_resource(&s, account, r);
    if (rc) {
        free(s.p);
        return rc;
    }
    return sbuf_take(&s, out);
}

int azsign_shared_key(const char *account, const char *key_b64, const struct azsign_req *r,
                      char **auth)
{
    char *sts = NULL, sig[45];
    int rc = azsign_string_to_sign(account, r, &sts);
    if (!rc)
        rc = hmac_b64(key_b64, sts, sig);
    free(sts);
    if (rc)
        return rc;
    struct sbuf s = {0};
    sbuf_add(&s, "SharedKey ");
    sbuf_add(&s, account);
    sbuf_add(&s, ":");
    sbuf_add(&s, sig);
    return sbuf_take(&s, auth);
}

int azsign_uri_encode(const char *in, bool keep_slash, char **out)
{
    if (!in || !out)
        return ST_EINVAL;
    struct sbuf s = {0};
    sbuf_encode(&s, in, keep_slash);
    return sbuf_take(&s, out);
}

int azsign_query(const struct azsign_kv *p, size_t n, char **out)
{
    if ((n && !p) || !out)
        return ST_EINVAL;
    struct sbuf s = {0};
    for (size_t i = 0; i < n; i++) {
        if (!p[i].name)
            return free(s.p), ST_EINVAL;
        if (i)
            sbuf_add(&s, "&");
        sbuf_encode(&s, p[i].name, false);
        sbuf_add(&s, "=");
        sbuf_encode(&s, p[i].value ? p[i].value : "", false);
    }
    return sbuf_take(&s, out);
}

void azsign_http_date(time_t t, char out[30])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 30, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

void azsign_iso_date(time_t t, char out[21])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int sas_check(const struct azsign_sas *s)
{
    if (!s || !s->account || !*s->account || !s->container || !*s->container || !s->blob ||
        !*s->blob || !s->perms || !*s->perms || s->expiry <= s->start)
        return ST_EINVAL;
    return has_ctl(s->account) || has_ctl(s->container) || has_ctl(s->blob) || has_ctl(s->perms) ||
                   has_ctl(s->content_type)
               ? ST_EINVAL
               : 0;
}

int azsign_sas_string_to_sign(const struct azsign_sas *s, char **out)
{
    char st[21] = "", se[21];
    int rc = sas_check(s);
    if (rc || !out)
        return rc ? rc : ST_EINVAL;
    if (s->start)
        azsign_iso_date(s->start, st);
    azsign_iso_date(s->expiry, se);
    struct sbuf b = {0};
    const char *f[] = {s->perms, st, se};
    for (size_t i = 0; i < 3; i++) {
        sbuf_add(&b, f[i]);
        sbuf_add(&b, "\n");
    }
    sbuf_add(&b, "/blob/");
    sbuf_add(&b, s->account);
    sbuf_add(&b, "/");
    sbuf_add(&b, s->container);
    sbuf_add(&b, "/");
    sbuf_add(&b, s->blob);
    /* si, sip, spr, sv, sr, snapshot time, ses, rscc, rscd, rsce, rscl, rsct */
    sbuf_add(&b, "\n\n\n\n" AZSIGN_VERSION "\nb\n\n\n\n\n\n\n");
    sbuf_add(&b, s->content_type ? s->content_type : "");
    return sbuf_take(&b, out);
}

int azsign_sas_query(const struct azsign_sas *s, char **query)
{
    char *sts = NULL, sig[45], st[21] = "", se[21];
    int rc = azsign_sas_string_to_sign(s, &sts);
    if (!rc)
        rc = hmac_b64(s->key_b64, sts, sig);
    free(sts);
    if (rc || !query)
        return rc ? rc : ST_EINVAL;
    if (s->start)
        azsign_iso_date(s->start, st);
    azsign_iso_date(s->expiry, se);
    struct azsign_kv p[7];
    size_t n = 0;
    p[n++] = (struct azsign_kv){"sv", AZSIGN_VERSION};
    if (s->start)
        p[n++] = (struct azsign_kv){"st", st};
    p[n++] = (struct azsign_kv){"se", se};
    p[n++] = (struct azsign_kv){"sr", "b"};
    p[n++] = (struct azsign_kv){"sp", s->perms};
    if (s->content_type && *s->content_type)
        p[n++] = (struct azsign_kv){"rsct", s->content_type};
    p[n++] = (struct azsign_kv){"sig", sig};
    return azsign_query(p, n, query);
}
