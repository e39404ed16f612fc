/* cred.c - base64, PBKDF2 password hashes, HMAC bearer tokens, the
 * authorization header (see cred.h). */
#include "cred.h"

#include "err.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char b64url_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int cred_b64url_encode(const unsigned char *in, size_t len, char *out, size_t outlen)
{
    size_t need = (len * 4 + 2) / 3;
    if (outlen < need + 1)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o++] = b64url_chars[(v >> 18) & 63];
        out[o++] = b64url_chars[(v >> 12) & 63];
        if (i + 1 < len)
            out[o++] = b64url_chars[(v >> 6) & 63];
        if (i + 2 < len)
            out[o++] = b64url_chars[v & 63];
    }
    out[o] = '\0';
    return (int)o;
}

static int b64_value(char ch, bool std)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == (std ? '+' : '-'))
        return 62;
    if (ch == (std ? '/' : '_'))
        return 63;
    return -1;
}

int cred_b64_decode(const char *in, size_t len, bool std, unsigned char *out, size_t outlen)
{
    if (std)
        while (len > 0 && in[len - 1] == '=')
            len--;
    if (len % 4 == 1)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value(in[i], std);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= outlen)
                return -1;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    /* the unused low bits must be zero: one encoding per value */
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return -1;
    return (int)o;
}

void cred_hex(const unsigned char *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

int cred_unhex(const char *hex, unsigned char *out, size_t outlen)
{
    size_t len = strlen(hex);
    if (len % 2 || len / 2 > outlen)
        return -1;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return (int)(len / 2);
}

int cred_salt_new(char out[CRED_HEX_MAX])
{
    unsigned char salt[CRED_SALT_BYTES];
    if (RAND_bytes(salt, sizeof(salt)) != 1)
        return ST_EINTERNAL;
    cred_hex(salt, sizeof(salt), out);
    return 0;
}

int cred_pw_hash(const char *password, const char *salt, long iter, char out[CRED_HEX_MAX])
{
    unsigned char s[CRED_HASH_BYTES], dk[CRED_HASH_BYTES];
    int slen = cred_unhex(salt, s, sizeof(s));
    if (slen <= 0 || iter < 1 || iter > 10000000)
        return ST_EINVAL;
    if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), s, slen, (int)iter, EVP_sha256(),
                          (int)sizeof(dk), dk) != 1)
        return ST_EINTERNAL;
    cred_hex(dk, sizeof(dk), out);
    OPENSSL_cleanse(dk, sizeof(dk));
    return 0;
}

bool cred_pw_check(const char *password, const char *salt, long iter, const char *stored)
{
    char got[CRED_HEX_MAX];
    if (!stored || strlen(stored) != 2 * CRED_HASH_BYTES)
        return false;
    if (cred_pw_hash(password, salt, iter, got))
        return false;
    return CRYPTO_memcmp(got, stored, 2 * CRED_HASH_BYTES) == 0;
}

static int mac_b64(const unsigned char *secret, size_t secret_len, const char *msg, size_t len,
                   char out[64])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)msg, len, mac,
              &mac_len))
        return ST_EINTERNAL;
    return cred_b64url_encode(mac, mac_len, out, 64) < 0 ? ST_EINTERNAL : 0;
}

int cred_token_make(const unsigned char *secret, size_t secret_len, const char *user, long long gen,
                    int64_t expires_ms, char *out, size_t outlen)
{
    char payload[CRED_USER_MAX + 48], mac[64];
    if (strchr(user, '|') || strlen(user) >= CRED_USER_MAX || !*user)
        return ST_EINVAL;
    int plen = snprintf(payload, sizeof(payload), "%s|%lld|%" PRId64, user, gen, expires_ms);
    int n = snprintf(out, outlen, "v1.");
    int w = cred_b64url_encode((const unsigned char *)payload, (size_t)plen, out + n,
                               outlen - (size_t)n);
    if (w < 0)
        return ST_EINVAL;
    n += w;
    int rc = mac_b64(secret, secret_len, out, (size_t)n, mac);
    if (rc)
        return rc;
    if ((size_t)n + 1 + strlen(mac) + 1 > outlen)
        return ST_EINVAL;
    snprintf(out + n, outlen - (size_t)n, ".%s", mac);
    return 0;
}

/* "user|gen|expires" -> out. */
static int parse_payload(const char *p, struct cred_token *out)
{
    const char *bar1 = strchr(p, '|');
    const char *bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
    char *end;
    if (!bar1 || !bar2 || bar1 == p || (size_t)(bar1 - p) >= sizeof(out->user))
        return ST_EAUTH;
    memcpy(out->user, p, (size_t)(bar1 - p));
    out->user[bar1 - p] = '\0';
    out->gen = strtoll(bar1 + 1, &end, 10);
    if (end != bar2)
        return ST_EAUTH;
    out->expires_ms = strtoll(bar2 + 1, &end, 10);
    if (*end || end == bar2 + 1)
        return ST_EAUTH;
    return 0;
}

int cred_token_verify(const unsigned char *secret, size_t secret_len, const char *token,
                      int64_t now_ms, struct cred_token *out)
{
    char mac[64];
    unsigned char payload[CRED_USER_MAX + 48];
    memset(out, 0, sizeof(*out));
    if (strncmp(token, "v1.", 3) != 0)
        return ST_EAUTH;
    const char *dot = strchr(token + 3, '.');
    if (!dot || strlen(token) >= CRED_TOKEN_MAX)
        return ST_EAUTH;
    if (mac_b64(secret, secret_len, token, (size_t)(dot - token), mac))
        return ST_EAUTH;
    if (strlen(dot + 1) != strlen(mac) || CRYPTO_memcmp(dot + 1, mac, strlen(mac)) != 0)
        return ST_EAUTH;
    int n =
        cred_b64_decode(token + 3, (size_t)(dot - token - 3), false, payload, sizeof(payload) - 1);
    if (n <= 0)
        return ST_EAUTH;
    payload[n] = '\0';
    if (memchr(payload, '\0', (size_t)n) || parse_payload((const char *)payload, out))
        return ST_EAUTH;
    if (out->expires_ms <= now_ms)
        return ST_EAUTH;
    return 0;
}

static int parse_basic(const char *b64, size_t len, struct cred_header *out)
{
    unsigned char raw[CRED_USER_MAX + CRED_PASS_MAX + 1];
    int n = cred_b64_decode(b64, len, true, raw, sizeof(raw) - 1);
    if (n <= 0)
        return ST_EAUTH;
    raw[n] = '\0';
    const char *colon = memchr(raw, ':', (size_t)n);
    size_t ulen = colon ? (size_t)(colon - (const char *)raw) : 0;
    size_t plen = colon ? (size_t)n - ulen - 1 : 0;
    int rc = ST_EAUTH;
    if (!colon || ulen == 0 || ulen >= sizeof(out->user) || plen >= sizeof(out->password) ||
        memchr(raw, '\0', (size_t)n))
        goto out;
    memcpy(out->user, raw, ulen);
    out->user[ulen] = '\0';
    memcpy(out->password, colon + 1, plen);
    out->password[plen] = '\0';
    out->scheme = CRED_BASIC;
    rc = 0;
out:
    OPENSSL_cleanse(raw, sizeof(raw));
    return rc;
}

int cred_parse_header(const char *value, size_t len, struct cred_header *out)
{
    memset(out, 0, sizeof(*out));
    while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
        len--;
    if (len > 7 && strncasecmp(value, "Bearer ", 7) == 0) {
        size_t skip = 7;
        while (skip < len && value[skip] == ' ')
            skip++;
        if (len - skip == 0 || len - skip >= sizeof(out->token) ||
            memchr(value + skip, '\0', len - skip))
            return ST_EAUTH;
        memcpy(out->token, value + skip, len - skip);
        out->token[len - skip] = '\0';
        out->scheme = CRED_BEARER;
        return 0;
    }
    if (len > 6 && strncasecmp(value, "Basic ", 6) == 0) {
        size_t skip = 6;
        while (skip < len && value[skip] == ' ')
            skip++;
        return parse_basic(value + skip, len - skip, out);
    }
    return ST_EAUTH;
}

void cred_header_wipe(struct cred_header *h)
{
    OPENSSL_cleanse(h, sizeof(*h));
}

int cred_hkdf(const unsigned char *ikm, size_t ikmlen, const unsigned char *salt, size_t saltlen,
              const unsigned char *info, size_t infolen, unsigned char *out, size_t outlen)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    size_t n = outlen;
    int ok = ctx && EVP_PKEY_derive_init(ctx) > 0 &&
             EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) > 0 &&
             EVP_PKEY_CTX_set1_hkdf_salt(ctx, salt, (int)saltlen) > 0 &&
             EVP_PKEY_CTX_set1_hkdf_key(ctx, ikm, (int)ikmlen) > 0 &&
             EVP_PKEY_CTX_add1_hkdf_info(ctx, info, (int)infolen) > 0 &&
             EVP_PKEY_derive(ctx, out, &n) > 0 && n == outlen;
    EVP_PKEY_CTX_free(ctx);
    return ok ? 0 : ST_EINTERNAL;
}
