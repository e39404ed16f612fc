/* presign_fs.h - presigned URLs of fs-backed stages (docs/design.md §6): a frontend
 * URL, http://<server.public_http_url>/v1/presign/<token>, served by the
 * HTTP listener (presign_http.h), which relays the bytes through the same
 * jobs as DownloadFile/UploadFile.
 *
 * token = b64url(claims) "." b64url(HMAC-SHA256(key, b64url(claims))), the
 * claims being "v1\n<GET|PUT>\n<user>\n<gen>\n<expires>\n<content type>\n
 * <location>". The key comes from auth_presign_key(). The user's token
 * generation is signed in, so that dropping the user or changing the
 * password revokes the URLs too; the serving side checks the user's
 * privileges again at use, as S3 does with the signer's.
 *
 * Pure and thread-safe. */
#ifndef STAGE_FE_PRESIGN_FS_H
#define STAGE_FE_PRESIGN_FS_H

#include <stdbool.h>
#include <stddef.h>

#define PRESIGN_FS_PATH "/v1/presign/"

struct presign_claims {
    bool put;               /* PUT (upload) or GET (download) */
    char user[72];          /* who signed it */
    long long gen;          /* the user's token generation then */
    long long expires;      /* Unix seconds */
    char content_type[128]; /* PUT: the type the file gets; GET: the reply's ("" = default) */
    char location[1100];    /* "@stage/path" */
};

/* The token of `c` into `out` (n bytes). 0, ST_EINVAL (a field holds a
 * control character) or ST_ELIMIT (`out` too small). */
int presign_fs_sign(const unsigned char *key, size_t keylen, const struct presign_claims *c,
                    char *out, size_t n);

/* Check `token` (the path after PRESIGN_FS_PATH) at `now` (Unix seconds)
 * and fill `c`. 0; ST_EPERM if it is malformed or its signature does not
 * match (compared in constant time); ST_ETIMEOUT if it expired. */
int presign_fs_verify(const unsigned char *key, size_t keylen, const char *token, long long now,
                      struct presign_claims *c);

/* The URL of `token` on `base` ("http://host:port", no trailing '/'). 0 or
 * ST_ELIMIT. */
int presign_fs_url(const char *base, const char *token, char *out, size_t n);

/* The advertised base URL: `public_url` if set (a trailing '/' dropped),
 * else "http(s)://<host>:<port>" of `http_listen` (https when the listener
 * has `tls`), with 0.0.0.0 and [::] as 127.0.0.1. 0, ST_EINVAL (bad listen
 * address) or ST_ELIMIT. */
int presign_fs_base(const char *public_url, const char *http_listen, bool tls, char *out, size_t n);

#endif
