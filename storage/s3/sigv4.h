/* sigv4.h - AWS Signature Version 4 for S3 and its compatibles, computed
 * here rather than by curl (curl 7.88's CURLOPT_AWS_SIGV4 neither adds
 * x-amz-content-sha256 nor canonicalises the query; see docs/signing.md).
 *
 * Everything here is pure (no I/O, no clock: the caller passes the time) and
 * thread-safe. Strings returned through `char **out` are malloc'd and belong
 * to the caller; functions return 0, ST_EINVAL (bad argument) or ST_ENOMEM. */
#ifndef STAGE_SIGV4_H
#define STAGE_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SIGV4_UNSIGNED     "UNSIGNED-PAYLOAD"
#define SIGV4_PRESIGN_MAX  604800 /* seconds: 7 days, S3's limit */

struct sigv4_creds {
    const char *access_key_id;
    const char *secret_access_key; /* secret: never logged */
    const char *session_token;     /* NULL or "" for none; secret */
    const char *region;            /* "us-east-1" ... */
    const char *service;           /* NULL means "s3" */
};

/* A query parameter or a header. A NULL parameter value is written "name=". */
struct sigv4_kv {
    const char *name;
    const char *value;
};

/* One request to sign. `path` is the URI-encoded path as sent ("/bkt/a%20b");
 * `query` the canonical query (sigv4_query()) or NULL/""; `headers` the
 * headers to sign besides the ones sigv4_sign_headers() adds, "host"
 * included (any case; values are trimmed). */
struct sigv4_req {
    const char *method;
    const char *path;
    const char *query;
    const struct sigv4_kv *headers;
    size_t nheaders;
    const char *payload_hash; /* hex SHA-256 of the body, or SIGV4_UNSIGNED */
    const char *amz_date;     /* "20130524T000000Z" */
};

/* S3's URI encoding: every byte outside A-Za-z0-9-_.~ as %XX (upper case);
 * '/' kept as is when `keep_slash` (object key paths), else %2F. */
int sigv4_uri_encode(const char *in, bool keep_slash, char **out);

/* The canonical query string of `n` parameters: names and values encoded,
 * sorted by encoded name (then value), joined with '&'. "" when n == 0. */
int sigv4_query(const struct sigv4_kv *p, size_t n, char **out);

/* "20130524T000000Z" of `t` (UTC); `out` has room for 17 bytes. */
void sigv4_amz_date(time_t t, char out[17]);

/* Lower-case hex SHA-256 of `data`; `hex` has room for 65 bytes. */
void sigv4_sha256_hex(const void *data, size_t len, char hex[65]);

/* The canonical request text (for tests and debugging) and the sorted
 * ';'-joined SignedHeaders of `r` as given (no headers added). */
int sigv4_canonical_request(const struct sigv4_req *r, char **canon, char **signed_headers);

/* Hex signature of `r` with `c` (no headers added). `sig` has room for 65. */
int sigv4_signature(const struct sigv4_req *r, const struct sigv4_creds *c, char sig[65]);

/* Header signing. Signs r->headers plus x-amz-content-sha256 (r->payload_hash),
 * x-amz-date (r->amz_date) and, if c->session_token is set,
 * x-amz-security-token, and returns the Authorization header value
 * ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...").
 * The caller must send exactly those headers. */
int sigv4_sign_headers(const struct sigv4_req *r, const struct sigv4_creds *c, char **auth);

/* Query-string signing (presigned URL). `params` are the request's own
 * parameters (may be empty); `r->query` and `r->payload_hash` are ignored
 * (UNSIGNED-PAYLOAD is used). Returns the full canonical query including
 * X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders,
 * -Security-Token (if any) and -Signature, to append after '?'.
 * `expires_s` must be 1..SIGV4_PRESIGN_MAX. */
int sigv4_presign(const struct sigv4_req *r, const struct sigv4_kv *params, size_t nparams,
                  const struct sigv4_creds *c, long expires_s, char **query);

#endif
