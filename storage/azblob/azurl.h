/* azurl.h - where an Azure Blob request goes, and presigned (SAS) blob URLs.
 *
 * The service URL is spec->endpoint_url, or https://<account>.blob.core.
 * windows.net when it is empty. An endpoint may carry a path: the emulator
 * and other path-style services name the account there
 * ("http://127.0.0.1:10000/devstoreaccount1"), and every request path then
 * starts with it: <endpoint path>/<container>/<blob>. Blob names are
 * percent-encoded byte by byte ('/' kept), as azsign.h signs them.
 *
 * Pure (the caller passes the time) and thread-safe. */
#ifndef STAGE_AZURL_H
#define STAGE_AZURL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct storspec;

#define AZURL_PRESIGN_DEFAULT 3600 /* seconds */

struct azurl {
    char scheme_host[800]; /* "http://127.0.0.1:10000", "https://acct.blob.core.windows.net" */
    char prefix[300]; /* the endpoint's path without a trailing '/': "/devstoreaccount1" or "" */
    char container[256];
    char account[256];
};

/* From spec->endpoint_url, account_name and bucket (the container). 0 or
 * ST_EINVAL with the reason in `err` (no container or account, an endpoint
 * that is not http[s]://host[:port][/path], a query or fragment in it). */
int azurl_parse(const struct storspec *sp, struct azurl *u, char *err, size_t errlen);

/* The request path of blob `key` (the full key, root included; NULL or ""
 * for the container itself): "<prefix>/<container>[/<encoded key>]".
 * `*path` is malloc'd. 0, ST_EINVAL, ST_ENOMEM. */
int azurl_path(const struct azurl *u, const char *key, char **path);

/* A SAS URL for blob `key`, valid for `expires_s` seconds from `now`
 * (1..604800; 0 = 3600). `put`: an upload URL (permissions create+write;
 * the uploader must send "x-ms-blob-type: BlockBlob", see
 * AZURL_PUT_HEADER), else a download URL (read; a non-empty `content_type`
 * is what the download answers with). `*url` is malloc'd. 0, ST_EINVAL
 * (expiry out of range, no account key) with `err`, ST_ENOMEM. */
#define AZURL_PUT_HEADER_NAME  "x-ms-blob-type"
#define AZURL_PUT_HEADER_VALUE "BlockBlob"
int azurl_presign(const struct storspec *sp, const char *key, bool put, const char *content_type,
                  long expires_s, time_t now, char **url, char *err, size_t errlen);

#endif
