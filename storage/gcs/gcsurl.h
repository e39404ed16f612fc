/* gcsurl.h - URLs of the GCS JSON API and V4 signed URLs
 * (GOOG4-RSA-SHA256), built by pure functions.
 *
 * A V4 signed URL, as @google-cloud/storage 7.x makes it (path style):
 *   <endpoint>/<bucket>/<key, each byte outside A-Za-z0-9-_.~ and '/' as %XX>
 *   ?X-Goog-Algorithm=GOOG4-RSA-SHA256
 *   &X-Goog-Credential=<client_email>/<YYYYMMDD>/auto/storage/goog4_request
 *   &X-Goog-Date=<YYYYMMDDTHHMMSSZ>&X-Goog-Expires=<s>&X-Goog-SignedHeaders=host
 *   &X-Goog-Signature=<hex RSA-SHA256 of the string to sign>
 * canonical request: method, the path, the sorted canonical query (values
 * encoded as above with '/' as %2F), "host:<endpoint's host name, no
 * port>\n", "host", "UNSIGNED-PAYLOAD", joined by '\n';
 * string to sign: "GOOG4-RSA-SHA256", the date, the scope, hex SHA-256 of
 * the canonical request, joined by '\n'. The library signs the host name
 * without the port, so a checker behind a non-default port (the tests'
 * fake) must drop the port of the Host header too.
 *
 * Pure (the caller passes the time), thread-safe. Strings returned through
 * `char **` are malloc'd and the caller's. 0, ST_EINVAL (bad argument,
 * endpoint not http(s)://host[:port]), ST_ENOMEM. */
#ifndef STAGE_GCSURL_H
#define STAGE_GCSURL_H

#include <stddef.h>
#include <time.h>

struct gcscred;

#define GCSURL_ENDPOINT    "https://storage.googleapis.com"
#define GCSURL_PRESIGN_MAX 604800 /* seconds: 7 days, V4's limit */

struct gcsurl_presign {
    const char *endpoint; /* NULL or "": GCSURL_ENDPOINT */
    const char *method;   /* "GET", "PUT", ... */
    const char *bucket;
    const char *key; /* the object name */
    time_t now;
    long expires_s; /* 1..GCSURL_PRESIGN_MAX */
};

/* The canonical request and the string to sign of `p` (for tests). */
int gcsurl_presign_texts(const struct gcscred *c, const struct gcsurl_presign *p, char **canon,
                         char **to_sign);

/* The signed URL. */
int gcsurl_presign(const struct gcscred *c, const struct gcsurl_presign *p, char **url);

/* "scheme://host[:port]" of `endpoint` (NULL or "": GCSURL_ENDPOINT), any
 * path dropped, and the host name alone in `host` (may be NULL). */
int gcsurl_origin(const char *endpoint, char **origin, char **host);

/* JSON API URLs (endpoint as gcsurl_origin()). `query` is appended after
 * '?' as given (already encoded; NULL or "" for none).
 *   object: <origin>/storage/v1/b/<bucket>/o/<key with '/' as %2F>[/<suffix>]
 *   bucket: <origin>[/upload]/storage/v1/b/<bucket>/o   (listing, uploads) */
int gcsurl_object(const char *endpoint, const char *bucket, const char *key, const char *suffix,
                  const char *query, char **url);
int gcsurl_bucket(const char *endpoint, const char *bucket, int upload, const char *query,
                  char **url);

#endif
