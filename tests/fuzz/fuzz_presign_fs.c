/* fuzz_presign_fs.c - presigned fs URL tokens (frontend/presign_fs.c):
 * the path of any request to the HTTP listener, unauthenticated.
 *
 * The input is checked as a token under a fixed key, and as a claims text
 * signed here with that key, so the claims parser behind the signature is
 * explored too. Properties: accepted claims are NUL-terminated within their
 * fields, and claims presign_fs_sign() accepts verify back unchanged. */
#include "fuzz.h"

#include "cred.h"
#include "err.h"
#include "presign_fs.h"

#include <limits.h>
#include <openssl/hmac.h>

static const unsigned char KEY[32] = "presign-fuzz-key-presign-fuzz-k";

static void check_roundtrip(const struct presign_claims *c)
{
    char tok[4096];
    struct presign_claims back;
    int rc = presign_fs_sign(KEY, sizeof(KEY), c, tok, sizeof(tok));
    if (rc == ST_EINVAL)
        return; /* a control character: never signed, so never served */
    FUZZ_CHECK(rc == 0);
    rc = presign_fs_verify(KEY, sizeof(KEY), tok, c->expires - 1, &back);
    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(back.put == c->put && back.gen == c->gen && back.expires == c->expires);
    FUZZ_CHECK(strcmp(back.user, c->user) == 0 && strcmp(back.location, c->location) == 0 &&
               strcmp(back.content_type, c->content_type) == 0);
}

static void check_token(const char *tok)
{
    struct presign_claims c;
    int rc = presign_fs_verify(KEY, sizeof(KEY), tok, 0, &c);
    FUZZ_CHECK(rc == 0 || rc == ST_EPERM || rc == ST_ETIMEOUT);
    if (rc == ST_EPERM)
        return;
    FUZZ_CHECK(memchr(c.user, '\0', sizeof(c.user)));
    FUZZ_CHECK(memchr(c.content_type, '\0', sizeof(c.content_type)));
    FUZZ_CHECK(memchr(c.location, '\0', sizeof(c.location)));
    if (c.expires > LLONG_MIN)
        check_roundtrip(&c);
}

/* b64url(text) "." b64url(HMAC(KEY, b64url(text))) */
static void check_signed_claims(const uint8_t *data, size_t size)
{
    char tok[4096];
    if (cred_b64url_encode(data, size, tok, sizeof(tok) - 64) < 0)
        return;
    size_t n = strlen(tok);
    unsigned char mac[32];
    unsigned int mlen = 0;
    FUZZ_CHECK(HMAC(EVP_sha256(), KEY, sizeof(KEY), (const unsigned char *)tok, n, mac, &mlen));
    tok[n] = '.';
    FUZZ_CHECK(cred_b64url_encode(mac, mlen, tok + n + 1, sizeof(tok) - n - 1) > 0);
    check_token(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    FUZZ_CHECK(s);
    memcpy(s, data, size);
    s[size] = '\0';
    check_token(s);
    free(s);
    if (size < 2000)
        check_signed_claims(data, size);
    return 0;
}
