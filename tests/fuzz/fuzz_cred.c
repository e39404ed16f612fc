/* fuzz_cred.c - the `authorization` header and bearer tokens
 * (frontend/cred.c), the first bytes any caller controls.
 *
 * The input is taken three ways: as a header value; as a token checked
 * under a fixed key; and as a token *payload* signed here with that key, so
 * that the payload parser behind the MAC (reachable only with a genuine
 * signature) is explored too. Properties: accepted values are
 * NUL-terminated and consistent (a Basic user has no ':', a token user no
 * '|'), and what cred_token_make() signs verifies back to the same claims. */
#include "fuzz.h"

#include "cred.h"
#include "err.h"

#include <openssl/hmac.h>

static const unsigned char KEY[32] = "fuzz-key-fuzz-key-fuzz-key-fuzz";

static void check_header(const char *v, size_t len)
{
    struct cred_header h;
    if (cred_parse_header(v, len, &h))
        return;
    FUZZ_CHECK(h.scheme == CRED_BEARER || h.scheme == CRED_BASIC);
    if (h.scheme == CRED_BEARER) {
        FUZZ_CHECK(memchr(h.token, '\0', sizeof(h.token)) && h.token[0]);
    } else {
        FUZZ_CHECK(memchr(h.user, '\0', sizeof(h.user)) && h.user[0]);
        FUZZ_CHECK(!strchr(h.user, ':'));
        FUZZ_CHECK(memchr(h.password, '\0', sizeof(h.password)));
    }
    cred_header_wipe(&h);
}

static void check_roundtrip(const struct cred_token *t)
{
    char tok[CRED_TOKEN_MAX];
    struct cred_token back;
    FUZZ_CHECK(
        cred_token_make(KEY, sizeof(KEY), t->user, t->gen, t->expires_ms, tok, sizeof(tok)) == 0);
    FUZZ_CHECK(cred_token_verify(KEY, sizeof(KEY), tok, t->expires_ms - 1, &back) == 0);
    FUZZ_CHECK(strcmp(back.user, t->user) == 0 && back.gen == t->gen &&
               back.expires_ms == t->expires_ms);
}

static void check_token(const char *tok)
{
    struct cred_token t;
    if (cred_token_verify(KEY, sizeof(KEY), tok, 0, &t))
        return;
    FUZZ_CHECK(memchr(t.user, '\0', sizeof(t.user)) && t.user[0] && !strchr(t.user, '|'));
    FUZZ_CHECK(t.expires_ms > 0);
    if (t.expires_ms > INT64_MIN + 1)
        check_roundtrip(&t);
}

/* "v1.<b64url(payload)>.<b64url(HMAC(KEY, "v1.<b64url(payload)>"))>" */
static void check_signed_payload(const uint8_t *data, size_t size)
{
    char tok[CRED_TOKEN_MAX + 64] = "v1.";
    if (cred_b64url_encode(data, size, tok + 3, sizeof(tok) - 3 - 64) < 0)
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
    check_header((const char *)data, size);
    char *s = malloc(size + 1);
    FUZZ_CHECK(s);
    memcpy(s, data, size);
    s[size] = '\0';
    check_token(s);
    free(s);
    if (size < CRED_USER_MAX + 48)
        check_signed_payload(data, size);

    /* Both base64 alphabets, decoded into a tight buffer. */
    unsigned char out[64];
    for (int std = 0; std < 2; std++) {
        int n = cred_b64_decode((const char *)data, size, std, out, sizeof(out));
        FUZZ_CHECK(n >= -1 && n <= (int)sizeof(out));
    }
    return 0;
}
