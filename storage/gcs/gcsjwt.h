/* gcsjwt.h - the OAuth2 JWT-bearer grant of a service account (RFC 7523):
 * an RS256-signed JWT assertion, posted to the key's token_uri as
 *   grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<jwt>
 * which answers {"access_token": ..., "expires_in": <s>, "token_type":
 * "Bearer"}.
 *
 * The assertion: header {"alg":"RS256","typ":"JWT"[,"kid":private_key_id]},
 * claims {"iss": client_email, "scope": GCSJWT_SCOPE, "aud": token_uri,
 * "iat": now, "exp": now + lifetime}, base64url without padding, joined by
 * '.', signed with RSASSA-PKCS1-v1_5 SHA-256.
 *
 * Pure (the caller passes the time), thread-safe. Strings returned through
 * `char **` are malloc'd and the caller's. 0, ST_EINVAL, ST_ENOMEM. */
#ifndef STAGE_GCSJWT_H
#define STAGE_GCSJWT_H

#include <stddef.h>
#include <time.h>

struct gcscred;

/* Objects read, written, listed, rewritten and deleted. */
#define GCSJWT_SCOPE    "https://www.googleapis.com/auth/devstorage.read_write"
#define GCSJWT_LIFETIME 3600 /* seconds: Google's longest */

/* base64url of `len` bytes, no padding. */
int gcsjwt_b64url(const void *in, size_t len, char **out);

/* The signed assertion for `c` at `now`, valid `lifetime` s (1..3600). */
int gcsjwt_assertion(const struct gcscred *c, time_t now, long lifetime, char **jwt);

/* The form body of the token request for `c` at `now`. */
int gcsjwt_token_body(const struct gcscred *c, time_t now, char **body);

/* Parse a token endpoint reply: the access token (malloc'd, printable ASCII
 * only: it goes into a header) and its lifetime in seconds. ST_EINVAL with
 * the reason in `err` (an OAuth error reply names its "error" and
 * "error_description"). */
int gcsjwt_token_parse(const char *body, size_t len, char **token, long *expires_in, char *err,
                       size_t errlen);

#endif
