/* cred.h - pure credential functions: base64, password hashes, bearer tokens
 * and the `authorization` header. No I/O, no global state; any thread.
 *
 * Passwords: PBKDF2-HMAC-SHA256 (OpenSSL), per-user 16-byte random salt,
 * CRED_PBKDF2_ITER iterations, 32-byte digest; salt and digest stored as hex.
 *
 * Tokens: "v1.<b64url(payload)>.<b64url(mac)>" where payload is
 * "<user>|<gen>|<expires_ms>" and mac = HMAC-SHA256(secret, "v1.<b64url(payload)>").
 * `gen` is the user's token generation: bumping it (password change, drop)
 * revokes every older token. Comparisons are constant time. */
#ifndef STAGE_FE_CRED_H
#define STAGE_FE_CRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRED_PBKDF2_ITER 100000
#define CRED_SALT_BYTES  16
#define CRED_HASH_BYTES  32
#define CRED_HEX_MAX     (2 * CRED_HASH_BYTES + 1) /* hex digest or salt + NUL */
#define CRED_USER_MAX    72
#define CRED_PASS_MAX    256
#define CRED_TOKEN_MAX   512

/* Base64url without padding. Returns the length written (NUL-terminated), or
 * -1 if `out` is too small. */
/* HKDF-SHA256 (RFC 5869) of `ikm` with `salt` and `info` into `out`
 * (`outlen` <= 255 * 32). 0, or ST_EINTERNAL if OpenSSL fails. */
int cred_hkdf(const unsigned char *ikm, size_t ikmlen, const unsigned char *salt, size_t saltlen,
              const unsigned char *info, size_t infolen, unsigned char *out, size_t outlen);

int cred_b64url_encode(const unsigned char *in, size_t len, char *out, size_t outlen);

/* Decode base64url (no padding) or, with `std`, standard base64 (padding
 * optional). Returns the decoded length, or -1 on bad input or no room. */
int cred_b64_decode(const char *in, size_t len, bool std, unsigned char *out, size_t outlen);

/* Lower-case hex of `len` bytes; `out` needs 2*len+1. */
void cred_hex(const unsigned char *in, size_t len, char *out);

/* Hex to bytes; returns the byte count or -1. */
int cred_unhex(const char *hex, unsigned char *out, size_t outlen);

/* Fresh random salt as hex (CRED_SALT_BYTES bytes). 0 or ST_EINTERNAL. */
int cred_salt_new(char out[CRED_HEX_MAX]);

/* PBKDF2 digest of `password` with hex `salt` and `iter` rounds, as hex.
 * 0, ST_EINVAL (bad salt/iter) or ST_EINTERNAL. */
int cred_pw_hash(const char *password, const char *salt, long iter, char out[CRED_HEX_MAX]);

/* True if `password` matches the stored hex digest (constant-time compare). */
bool cred_pw_check(const char *password, const char *salt, long iter, const char *stored);

/* Sign a token. Returns 0 or ST_EINVAL (user has '|' or is too long). */
int cred_token_make(const unsigned char *secret, size_t secret_len, const char *user, long long gen,
                    int64_t expires_ms, char *out, size_t outlen);

struct cred_token {
    char user[CRED_USER_MAX];
    long long gen;
    int64_t expires_ms;
};

/* Check a token's form, signature and expiry against `now_ms`.
 * 0 and `out` filled, or ST_EAUTH. The user's existence and `gen` are the
 * caller's business (they need Redis). */
int cred_token_verify(const unsigned char *secret, size_t secret_len, const char *token,
                      int64_t now_ms, struct cred_token *out);

enum cred_scheme { CRED_NONE = 0, CRED_BEARER, CRED_BASIC };

struct cred_header {
    enum cred_scheme scheme;
    char token[CRED_TOKEN_MAX];   /* CRED_BEARER */
    char user[CRED_USER_MAX];     /* CRED_BASIC */
    char password[CRED_PASS_MAX]; /* CRED_BASIC */
};

/* Parse an `authorization` value: "Bearer <token>" or "Basic <b64 user:pw>"
 * (scheme case-insensitive). 0, or ST_EAUTH if malformed or unknown. */
int cred_parse_header(const char *value, size_t len, struct cred_header *out);

/* Wipe a header (it may hold a password). */
void cred_header_wipe(struct cred_header *h);

#endif
