/* s3url.h - where an S3 request goes: endpoint parsing, path-style or
 * virtual-host addressing, and presigned object URLs (query-string SigV4).
 * Pure (the caller passes the time) and thread-safe. */
#ifndef STAGE_S3URL_H
#define STAGE_S3URL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct storspec;

#define S3URL_PRESIGN_DEFAULT 3600 /* seconds */

struct s3url {
    char scheme_host[800]; /* "http://127.0.0.1:9000", "https://bkt.s3.eu-west-1.amazonaws.com" */
    char host[700];        /* the Host header */
    char bucket_path[300]; /* "/bkt" for path-style, "" for virtual host */
    char region[64];
};

/* From spec->endpoint_url ("" = https://s3.<region>.amazonaws.com), bucket,
 * region and virtual_host. 0 or ST_EINVAL with the reason in `err`. */
int s3url_parse(const struct storspec *sp, struct s3url *u, char *err, size_t errlen);

/* A presigned URL for `key` (the full object key, root included) valid for
 * `expires_s` seconds from `now` (1..604800; 0 = 3600). `put`: an upload URL,
 * else a download URL. A non-empty `content_type` is signed for PUT, so the
 * uploader must send exactly that Content-Type. `*url` is malloc'd.
 * 0, ST_EINVAL (expiry out of range, no credentials) with `err`, ST_ENOMEM. */
int s3url_presign(const struct storspec *sp, const char *key, bool put, const char *content_type,
                  long expires_s, time_t now, char **url, char *err, size_t errlen);

#endif
