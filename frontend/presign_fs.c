/* presign_fs.c - presigned fs URLs: sign and verify (see presign_fs.h). */
#include "presign_fs.h"

#include "config.h"
#include "err.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLAIMS_MAX 1600 /* the claims' text at most (fields are bounded) */
#define SIG_BYTES  32

static const char b64u[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding; returns the length or -1 if `out` is too small. */
static int b64u_encode(const unsigned char *in, size_t len, char *out, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        size_t k = len - i < 3 ? len - i : 3;
        if (k > 1)
            v |= (unsigned)in[i + 1] << 8;
        if (k > 2)
            v |= in[i + 2];
        if (o + k + 2 > n)
            return -1;
        for (size_t j = 0; j <= k; j++)
            out[o++] = b64u[(v >> (18 - 6 * j)) & 63];
    }
    out[o] = '\0';
    return (int)o;
}

/* Decode `len` chars; returns the byte count or -1 (bad char, length, room). */
static int b64u_decode(const char *in, size_t len, unsigned char *out, size_t n)
{
    size_t o = 0;
    if (len % 4 == 1)
        return -1;
    for (size_t i = 0; i < len; i += 4) {
        unsigned v = 0;
        size_t k = len - i < 4 ? len - i : 4;
        for (size_t j = 0; j < 4; j++) {
            const char *p = j < k && in[i + j] ? strchr(b64u, in[i + j]) : NULL;
            if (j < k && !p)
                return -1;
            v = v << 6 | (p ? (unsigned)(p - b64u) : 0);
        }
        if (o + k - 1 > n)
            return -1;
        for (size_t j = 0; j + 1 < k; j++)
            out[o++] = (unsigned char)(v >> (16 - 8 * j));
    }
    return (int)o;
}

static bool printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

static void mac(const unsigned char *key, size_t keylen, const char *data, size_t len,
                unsigned char out[SIG_BYTES])
{
    unsigned int n = SIG_BYTES;
    HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)data, len, out, &n);
}

int presign_fs_sign(const unsigned char *key, size_t keylen, const struct presign_claims *c,
                    char *out, size_t n)
{
    char text[CLAIMS_MAX];
    unsigned char sig[SIG_BYTES];
    if (!printable(c->user) || !printable(c->content_type) || !printable(c->location))
        return ST_EINVAL;
    int tl = snprintf(text, sizeof(text), "v1\n%s\n%s\n%lld\n%lld\n%s\n%s", c->put ? "PUT" : "GET",
                      c->user, c->gen, c->expires, c->content_type, c->location);
    if (tl < 0 || tl >= (int)sizeof(text))
        return ST_ELIMIT;
    int pl = b64u_encode((const unsigned char *)text, (size_t)tl, out, n);
    if (pl < 0 || (size_t)pl + 2 > n)
        return ST_ELIMIT;
    mac(key, keylen, out, (size_t)pl, sig);
    out[pl] = '.';
    return b64u_encode(sig, sizeof(sig), out + pl + 1, n - (size_t)pl - 1) < 0 ? ST_ELIMIT : 0;
}

/* Split the claims' text into `c`. */
static int parse(char *text, struct presign_claims *c)
{
    char *f[7];
    int k = 0;
    for (char *p = text; k < 7; k++) {
        f[k] = p;
        char *nl = k < 6 ? strchr(p, '\n') : NULL;
        if (k < 6 && !nl)
            return ST_EPERM;
        if (nl) {
            *nl = '\0';
            p = nl + 1;
        }
    }
    if (strcmp(f[0], "v1") != 0 || (strcmp(f[1], "GET") != 0 && strcmp(f[1], "PUT") != 0))
        return ST_EPERM;
    memset(c, 0, sizeof(*c));
    c->put = f[1][0] == 'P';
    char *end;
    c->gen = strtoll(f[3], &end, 10);
    if (*end)
        return ST_EPERM;
    c->expires = strtoll(f[4], &end, 10);
    if (*end)
        return ST_EPERM;
    if (strlen(f[2]) >= sizeof(c->user) || strlen(f[5]) >= sizeof(c->content_type) ||
        strlen(f[6]) >= sizeof(c->location))
        return ST_EPERM;
    strcpy(c->user, f[2]);
    strcpy(c->content_type, f[5]);
    strcpy(c->location, f[6]);
    return 0;
}

int presign_fs_verify(const unsigned char *key, size_t keylen, const char *token, long long now,
                      struct presign_claims *c)
{
    unsigned char want[SIG_BYTES], got[SIG_BYTES + 3];
    char text[CLAIMS_MAX + 1];
    const char *dot = strrchr(token, '.');
    if (!dot || strlen(token) > 4 * CLAIMS_MAX / 3 + 64)
        return ST_EPERM;
    size_t pl = (size_t)(dot - token);
    char canon[2 * SIG_BYTES];
    if (b64u_decode(dot + 1, strlen(dot + 1), got, sizeof(got)) != SIG_BYTES ||
        b64u_encode(got, SIG_BYTES, canon, sizeof(canon)) < 0 || strcmp(canon, dot + 1) != 0)
        return ST_EPERM; /* one spelling only: no spare bits to play with */
    mac(key, keylen, token, pl, want);
    if (CRYPTO_memcmp(want, got, SIG_BYTES) != 0)
        return ST_EPERM;
    int tl = b64u_decode(token, pl, (unsigned char *)text, sizeof(text) - 1);
    if (tl < 0)
        return ST_EPERM;
    text[tl] = '\0';
    if (strlen(text) != (size_t)tl || parse(text, c))
        return ST_EPERM;
    return now >= c->expires ? ST_ETIMEOUT : 0;
}

int presign_fs_url(const char *base, const char *token, char *out, size_t n)
{
    int w = snprintf(out, n, "%s%s%s", base, PRESIGN_FS_PATH, token);
    return w < 0 || (size_t)w >= n ? ST_ELIMIT : 0;
}

int presign_fs_base(const char *public_url, const char *http_listen, bool tls, char *out, size_t n)
{
    char host[128];
    int port, w;
    if (public_url && *public_url) {
        size_t len = strlen(public_url);
        while (len > 0 && public_url[len - 1] == '/')
            len--;
        w = snprintf(out, n, "%.*s", (int)len, public_url);
    } else {
        if (config_split_addr(http_listen, host, sizeof(host), &port))
            return ST_EINVAL;
        bool any = strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0 || !host[0];
        bool v6 = strchr(host, ':') != NULL;
        w = snprintf(out, n, "%s://%s%s%s:%d", tls ? "https" : "http", v6 && !any ? "[" : "",
                     any ? "127.0.0.1" : host, v6 && !any ? "]" : "", port);
    }
    return w < 0 || (size_t)w >= n ? ST_ELIMIT : 0;
}
