/* digest.c - see digest.h. */
#include "digest.h"

#include "err.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int digest_init(struct digest *d)
{
    memset(d, 0, sizeof(*d));
    if (SHA256_Init(&d->sha) != 1 || MD5_Init(&d->md5) != 1)
        return ST_EINTERNAL;
    d->md5_known = true;
    return 0;
}

int digest_init_sha256(struct digest *d)
{
    int rc = digest_init(d);
    d->md5_known = false;
    return rc;
}

void digest_update(struct digest *d, const void *p, size_t n)
{
    if (n == 0)
        return;
    SHA256_Update(&d->sha, p, n);
    if (d->md5_known)
        MD5_Update(&d->md5, p, n);
}

static void to_hex(const void *p, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[b[i] >> 4];
        out[2 * i + 1] = hx[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static int from_hex(const char *s, size_t len, void *p, size_t n)
{
    unsigned char *b = p;
    if (len != 2 * n)
        return ST_EINVAL;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (!isxdigit((unsigned char)s[2 * i]) || !isxdigit((unsigned char)s[2 * i + 1]) ||
            sscanf(s + 2 * i, "%2x", &v) != 1)
            return ST_EINVAL;
        b[i] = (unsigned char)v;
    }
    return 0;
}

void digest_final(struct digest *d, char *md5, char *sha256)
{
    unsigned char s[SHA256_DIGEST_LENGTH], m[MD5_DIGEST_LENGTH];
    SHA256_Final(s, &d->sha);
    to_hex(s, sizeof(s), sha256);
    md5[0] = '\0';
    if (d->md5_known) {
        MD5_Final(m, &d->md5);
        to_hex(m, sizeof(m), md5);
    }
}

void digest_save(const struct digest *d, char *out)
{
    to_hex(&d->sha, sizeof(d->sha), out);
    if (!d->md5_known)
        return;
    size_t at = 2 * sizeof(d->sha);
    out[at] = ':';
    to_hex(&d->md5, sizeof(d->md5), out + at + 1);
}

int digest_load(struct digest *d, const char *s)
{
    const char *colon = strchr(s, ':');
    size_t shalen = colon ? (size_t)(colon - s) : strlen(s);
    memset(d, 0, sizeof(*d));
    if (from_hex(s, shalen, &d->sha, sizeof(d->sha)))
        return ST_EINVAL;
    if (!colon)
        return 0; /* an older state: SHA-256 only */
    if (from_hex(colon + 1, strlen(colon + 1), &d->md5, sizeof(d->md5)))
        return ST_EINVAL;
    d->md5_known = true;
    return 0;
}

bool digest_hex_ok(const char *s, size_t n)
{
    size_t i = 0;
    for (; s[i] && i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return i == n && s[i] == '\0';
}
