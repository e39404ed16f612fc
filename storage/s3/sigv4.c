/* sigv4.c - AWS Signature Version 4 (see sigv4.h). */
#include "sigv4.h"

#include "err.h"
#include "sbuf.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sigv4_uri_encode(const char *in, bool keep_slash, char **out)
{
    if (!in || !out)
        return ST_EINVAL;
    struct sbuf s = {0};
    sbuf_encode(&s, in, keep_slash);
    return sbuf_take(&s, out);
}

struct enc_kv {
    char *name, *value;
};

static int cmp_enc(const void *a, const void *b)
{
    const struct enc_kv *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

int sigv4_query(const struct sigv4_kv *p, size_t n, char **out)
{
    if ((!p && n) || !out)
        return ST_EINVAL;
    struct enc_kv *e = calloc(n ? n : 1, sizeof(*e));
    struct sbuf s = {0};
    int rc = e ? 0 : ST_ENOMEM;
    for (size_t i = 0; !rc && i < n; i++) {
        if (!p[i].name)
            rc = ST_EINVAL;
        if (!rc)
            rc = sigv4_uri_encode(p[i].name, false, &e[i].name);
        if (!rc)
            rc = sigv4_uri_encode(p[i].value ? p[i].value : "", false, &e[i].value);
    }
    if (!rc) {
        qsort(e, n, sizeof(*e), cmp_enc);
        for (size_t i = 0; i < n; i++) {
            if (i)
                sbuf_add(&s, "&");
            sbuf_add(&s, e[i].name);
            sbuf_add(&s, "=");
            sbuf_add(&s, e[i].value);
        }
        rc = sbuf_take(&s, out);
    }
    for (size_t i = 0; e && i < n; i++) {
        free(e[i].name);
        free(e[i].value);
    }
    free(e);
    return rc;
}

void sigv4_amz_date(time_t t, char out[17])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static void to_hex(const unsigned char *md, size_t n, char *hex)
{
    static const char h[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = h[md[i] >> 4];
        hex[2 * i + 1] = h[md[i] & 15];
    }
    hex[2 * n] = '\0';
}

void sigv4_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data, len, md);
    to_hex(md, sizeof(md), hex);
}

/* A header lower-cased and trimmed (inner runs of spaces folded, as AWS does). */
struct canon_hdr {
    char *name, *value;
};

static int cmp_hdr(const void *a, const void *b)
{
    return strcmp(((const struct canon_hdr *)a)->name, ((const struct canon_hdr *)b)->name);
}

static char *lower_dup(const char *s)
{
    char *d = strdup(s);
    for (char *p = d; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

static char *trim_dup(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *d = malloc(strlen(s) + 1), *o = d;
    if (!d)
        return NULL;
    for (; *s; s++) {
        if ((*s == ' ' || *s == '\t') && (o == d || o[-1] == ' '))
            continue;
        *o++ = *s == '\t' ? ' ' : *s;
    }
    while (o > d && o[-1] == ' ')
        o--;
    *o = '\0';
    return d;
}

int sigv4_canonical_request(const struct sigv4_req *r, char **canon, char **signed_headers)
{
    if (!r || !r->method || !r->path || !r->payload_hash || (!r->headers && r->nheaders) ||
        !canon || !signed_headers)
        return ST_EINVAL;
    struct canon_hdr *h = calloc(r->nheaders ? r->nheaders : 1, sizeof(*h));
    int rc = h ? 0 : ST_ENOMEM;
    for (size_t i = 0; !rc && i < r->nheaders; i++) {
        h[i].name = lower_dup(r->headers[i].name);
        h[i].value = trim_dup(r->headers[i].value ? r->headers[i].value : "");
        if (!h[i].name || !h[i].value)
            rc = ST_ENOMEM;
    }
    struct sbuf c = {0}, sh = {0};
    if (!rc) {
        qsort(h, r->nheaders, sizeof(*h), cmp_hdr);
        sbuf_add(&c, r->method);
        sbuf_add(&c, "\n");
        sbuf_add(&c, *r->path ? r->path : "/");
        sbuf_add(&c, "\n");
        sbuf_add(&c, r->query ? r->query : "");
        sbuf_add(&c, "\n");
        for (size_t i = 0; i < r->nheaders; i++) {
            sbuf_add(&c, h[i].name);
            sbuf_add(&c, ":");
            sbuf_add(&c, h[i].value);
            sbuf_add(&c, "\n");
            if (i)
                sbuf_add(&sh, ";");
            sbuf_add(&sh, h[i].name);
        }
        sbuf_add(&c, "\n");
        if (!sh.p)
            sbuf_add(&sh, "");
        sbuf_add(&c, sh.p ? sh.p : "");
        sbuf_add(&c, "\n");
        sbuf_add(&c, r->payload_hash);
        rc = sbuf_take(&c, canon);
        int rc2 = sbuf_take(&sh, signed_headers);
        if (rc || rc2) {
            free(*canon);
            free(*signed_headers);
            *canon = *signed_headers = NULL;
            rc = ST_ENOMEM;
        }
    }
    for (size_t i = 0; h && i < r->nheaders; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    free(h);
    return rc;
}

static void hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &len);
}

static int string_to_sign_sig(const char *canon, const char *amz_date, const struct sigv4_creds *c,
                              char sig[65])
{
    const char *svc = c->service ? c->service : "s3";
    char day[9], hash[65];
    if (!amz_date || strlen(amz_date) != 16 || !c->secret_access_key || !c->region)
        return ST_EINVAL;
    memcpy(day, amz_date, 8);
    day[8] = '\0';
    sigv4_sha256_hex(canon, strlen(canon), hash);
    struct sbuf sts = {0};
    sbuf_add(&sts, "AWS4-HMAC-SHA256\n");
    sbuf_add(&sts, amz_date);
    sbuf_add(&sts, "\n");
    sbuf_add(&sts, day);
    sbuf_add(&sts, "/");
    sbuf_add(&sts, c->region);
    sbuf_add(&sts, "/");
    sbuf_add(&sts, svc);
    sbuf_add(&sts, "/aws4_request\n");
    sbuf_add(&sts, hash);
    char *s = NULL, *k0 = NULL;
    int rc = sbuf_take(&sts, &s);
    if (!rc && asprintf(&k0, "AWS4%s", c->secret_access_key) < 0) {
        k0 = NULL;
        rc = ST_ENOMEM;
    }
    if (!rc) {
        unsigned char k[32], md[32];
        hmac(k0, strlen(k0), day, k);
        hmac(k, 32, c->region, k);
        hmac(k, 32, svc, k);
        hmac(k, 32, "aws4_request", k);
        hmac(k, 32, s, md);
        to_hex(md, 32, sig);
        OPENSSL_cleanse(k, sizeof(k));
        OPENSSL_cleanse(k0, strlen(k0));
    }
    free(k0);
    free(s);
    return rc;
}

int sigv4_signature(const struct sigv4_req *r, const struct sigv4_creds *c, char sig[65])
{
    if (!c)
        return ST_EINVAL;
    char *canon = NULL, *sh = NULL;
    int rc = sigv4_canonical_request(r, &canon, &sh);
    if (!rc)
        rc = string_to_sign_sig(canon, r->amz_date, c, sig);
    free(canon);
    free(sh);
    return rc;
}

static bool has(const char *s)
{
    return s && *s;
}

int sigv4_sign_headers(const struct sigv4_req *r, const struct sigv4_creds *c, char **auth)
{
    if (!r || !c || !auth || !has(c->access_key_id) || !r->amz_date || !r->payload_hash ||
        (!r->headers && r->nheaders))
        return ST_EINVAL;
    struct sigv4_kv *h = calloc(r->nheaders + 3, sizeof(*h));
    if (!h)
        return ST_ENOMEM;
    size_t n = r->nheaders;
    if (n)
        memcpy(h, r->headers, n * sizeof(*h));
    h[n++] = (struct sigv4_kv){"x-amz-content-sha256", r->payload_hash};
    h[n++] = (struct sigv4_kv){"x-amz-date", r->amz_date};
    if (has(c->session_token))
        h[n++] = (struct sigv4_kv){"x-amz-security-token", c->session_token};
    struct sigv4_req rr = *r;
    rr.headers = h;
    rr.nheaders = n;
    char *canon = NULL, *sh = NULL, sig[65];
    int rc = sigv4_canonical_request(&rr, &canon, &sh);
    if (!rc)
        rc = string_to_sign_sig(canon, r->amz_date, c, sig);
    if (!rc && asprintf(auth,
                        "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request, "
                        "SignedHeaders=%s, Signature=%s",
                        c->access_key_id, r->amz_date, c->region, c->service ? c->service : "s3",
                        sh, sig) < 0) {
        *auth = NULL;
        rc = ST_ENOMEM;
    }
    free(canon);
    free(sh);
    free(h);
    return rc;
}

/* The sorted ';'-joined lower-case names of `h`. */
static int signed_names(const struct sigv4_kv *h, size_t n, char **out)
{
    struct sigv4_req r = {
        .method = "GET", .path = "/", .headers = h, .nheaders = n, .payload_hash = ""};
    char *canon = NULL;
    int rc = sigv4_canonical_request(&r, &canon, out);
    free(canon);
    return rc;
}

int sigv4_presign(const struct sigv4_req *r, const struct sigv4_kv *params, size_t nparams,
                  const struct sigv4_creds *c, long expires_s, char **query)
{
    if (!r || !c || !query || (!params && nparams) || !has(c->access_key_id) || !r->amz_date ||
        strlen(r->amz_date) != 16 || !has(c->region) || expires_s < 1 ||
        expires_s > SIGV4_PRESIGN_MAX)
        return ST_EINVAL;
    char *sh = NULL, *cred = NULL, *q = NULL, exp[24];
    struct sigv4_kv *p = calloc(nparams + 7, sizeof(*p));
    int rc = p ? signed_names(r->headers, r->nheaders, &sh) : ST_ENOMEM;
    if (!rc && asprintf(&cred, "%s/%.8s/%s/%s/aws4_request", c->access_key_id, r->amz_date,
                        c->region, c->service ? c->service : "s3") < 0) {
        cred = NULL;
        rc = ST_ENOMEM;
    }
    if (!rc) {
        size_t n = nparams;
        if (n)
            memcpy(p, params, n * sizeof(*p));
        snprintf(exp, sizeof(exp), "%ld", expires_s);
        p[n++] = (struct sigv4_kv){"X-Amz-Algorithm", "AWS4-HMAC-SHA256"};
        p[n++] = (struct sigv4_kv){"X-Amz-Credential", cred};
        p[n++] = (struct sigv4_kv){"X-Amz-Date", r->amz_date};
        p[n++] = (struct sigv4_kv){"X-Amz-Expires", exp};
        p[n++] = (struct sigv4_kv){"X-Amz-SignedHeaders", sh};
        if (has(c->session_token))
            p[n++] = (struct sigv4_kv){"X-Amz-Security-Token", c->session_token};
        rc = sigv4_query(p, n, &q);
    }
    char sig[65];
    if (!rc) {
        struct sigv4_req rr = *r;
        rr.query = q;
        rr.payload_hash = SIGV4_UNSIGNED;
        rc = sigv4_signature(&rr, c, sig);
    }
    if (!rc && asprintf(query, "%s&X-Amz-Signature=%s", q, sig) < 0) {
        *query = NULL;
        rc = ST_ENOMEM;
    }
    free(q);
    free(sh);
    free(cred);
    free(p);
    return rc;
}
