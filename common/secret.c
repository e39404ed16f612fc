/* secret.c - AES-256-GCM sealing of connection secrets (see secret.h). */
#include "secret.h"

#include "err.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONCE_BYTES 12
#define TAG_BYTES   16
#define PREFIX      "v1:"
#define KEYFILE_MAX 4096

void secret_wipe(void *p, size_t n)
{
    if (p)
        OPENSSL_cleanse(p, n);
}

/* Standard base64 with padding; `*out` malloc'd. Returns its length or -1. */
static long b64_encode(const unsigned char *in, size_t n, char **out)
{
    size_t cap = 4 * ((n + 2) / 3) + 1;
    *out = malloc(cap);
    if (!*out)
        return -1;
    return EVP_EncodeBlock((unsigned char *)*out, in, (int)n);
}

/* Decode standard base64 (padding required, no whitespace). `*out`
 * malloc'd; returns the byte count or -1. EVP_DecodeBlock counts padding
 * as zero bytes, so the '=' are subtracted here. */
static long b64_decode(const char *in, unsigned char **out)
{
    size_t n = strlen(in);
    if (n == 0 || n % 4 != 0 || n > (size_t)1 << 30)
        return -1;
    *out = malloc(n / 4 * 3 + 1);
    if (!*out)
        return -1;
    int len = EVP_DecodeBlock(*out, (const unsigned char *)in, (int)n);
    if (len < 0) {
        free(*out);
        *out = NULL;
        return -1;
    }
    if (in[n - 1] == '=')
        len--;
    if (in[n - 2] == '=')
        len--;
    return len;
}

int secret_key_parse(struct secret_key *key, const char *b64, char *err, size_t errlen)
{
    unsigned char *raw = NULL;
    memset(key, 0, sizeof(*key));
    long n = b64_decode(b64, &raw);
    if (n != SECRET_KEY_BYTES) {
        if (raw)
            secret_wipe(raw, n > 0 ? (size_t)n : 0);
        free(raw);
        snprintf(err, errlen, "master key must be %d bytes, base64-encoded (got %s)",
                 SECRET_KEY_BYTES, n < 0 ? "invalid base64" : "a different length");
        return ST_EINVAL;
    }
    memcpy(key->k, raw, SECRET_KEY_BYTES);
    secret_wipe(raw, SECRET_KEY_BYTES);
    free(raw);
    key->set = true;
    return 0;
}

static int read_key_file(const char *path, char *buf, size_t n, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "STAGE_MASTER_KEY_FILE '%s': %s", path, strerror(errno));
        return ST_EINVAL;
    }
    size_t len = fread(buf, 1, n - 1, f);
    fclose(f);
    buf[len] = '\0';
    while (len > 0 && strchr(" \t\r\n", buf[len - 1]))
        buf[--len] = '\0';
    return 0;
}

int secret_key_from_env(struct secret_key *key, char *err, size_t errlen)
{
    char buf[KEYFILE_MAX];
    const char *v = getenv("STAGE_MASTER_KEY");
    const char *file = getenv("STAGE_MASTER_KEY_FILE");
    memset(key, 0, sizeof(*key));
    if ((!v || !*v) && file && *file) {
        int rc = read_key_file(file, buf, sizeof(buf), err, errlen);
        if (rc)
            return rc;
        v = buf;
    }
    if (!v || !*v)
        return 0;
    int rc = secret_key_parse(key, v, err, errlen);
    secret_wipe(buf, sizeof(buf));
    return rc;
}

/* One AES-256-GCM pass. `enc`: encrypt `in` into `out` and write the tag
 * into `tag`; else decrypt and verify `tag`. 0, ST_EPERM (tag mismatch) or
 * ST_EINTERNAL. */
static int gcm(bool enc, const struct secret_key *key, const unsigned char *nonce, const char *aad,
               const unsigned char *in, size_t n, unsigned char *out, unsigned char *tag)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0, ok;
    if (!ctx)
        return ST_ENOMEM;
    ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_BYTES, NULL) &&
         EVP_CipherInit_ex(ctx, NULL, NULL, key->k, nonce, enc);
    if (ok && aad && *aad)
        ok = EVP_CipherUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)strlen(aad));
    if (ok && n > 0)
        ok = EVP_CipherUpdate(ctx, out, &len, in, (int)n);
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_BYTES, tag);
    int rc = ok ? 0 : ST_EINTERNAL;
    if (ok && EVP_CipherFinal_ex(ctx, out + len, &len) != 1)
        rc = enc ? ST_EINTERNAL : ST_EPERM;
    if (!rc && enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, tag))
        rc = ST_EINTERNAL;
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

int secret_seal(const struct secret_key *key, const void *pt, size_t n, const char *aad, char **out)
{
    *out = NULL;
    if (!key || !key->set)
        return ST_EINVAL;
    if (n > (size_t)1 << 24)
        return ST_ELIMIT;
    size_t rawlen = NONCE_BYTES + n + TAG_BYTES;
    unsigned char *raw = malloc(rawlen);
    if (!raw)
        return ST_ENOMEM;
    int rc = RAND_bytes(raw, NONCE_BYTES) == 1 ? 0 : ST_EINTERNAL;
    if (!rc)
        rc = gcm(true, key, raw, aad, pt, n, raw + NONCE_BYTES, raw + NONCE_BYTES + n);
    char *b64 = NULL;
    long blen = rc ? -1 : b64_encode(raw, rawlen, &b64);
    free(raw);
    if (rc || blen < 0) {
        free(b64);
        return rc ? rc : ST_ENOMEM;
    }
    *out = malloc(sizeof(PREFIX) + (size_t)blen);
    if (*out) {
        memcpy(*out, PREFIX, sizeof(PREFIX) - 1);
        memcpy(*out + sizeof(PREFIX) - 1, b64, (size_t)blen + 1);
    }
    free(b64);
    return *out ? 0 : ST_ENOMEM;
}

int secret_open(const struct secret_key *key, const char *sealed, const char *aad,
                unsigned char **out, size_t *n)
{
    unsigned char *raw = NULL;
    *out = NULL;
    *n = 0;
    if (!key || !key->set)
        return ST_EINVAL;
    if (strncmp(sealed, PREFIX, sizeof(PREFIX) - 1) != 0)
        return ST_EINVAL;
    long rawlen = b64_decode(sealed + sizeof(PREFIX) - 1, &raw);
    if (rawlen < NONCE_BYTES + TAG_BYTES) {
        free(raw);
        return ST_EINVAL;
    }
    size_t ctlen = (size_t)rawlen - NONCE_BYTES - TAG_BYTES;
    unsigned char *pt = malloc(ctlen + 1);
    int rc = pt ? 0 : ST_ENOMEM;
    if (!rc)
        rc = gcm(false, key, raw, aad, raw + NONCE_BYTES, ctlen, pt, raw + NONCE_BYTES + ctlen);
    free(raw);
    if (rc) {
        if (pt)
            secret_wipe(pt, ctlen);
        free(pt);
        return rc;
    }
    pt[ctlen] = '\0';
    *out = pt;
    *n = ctlen;
    return 0;
}
