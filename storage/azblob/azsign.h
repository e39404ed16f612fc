/* azsign.h - Azure Storage request signing, computed here like SigV4
 * (sigv4.h): SharedKey for the Blob service's REST calls, and the service
 * SAS (shared access signature) of one blob for presigned URLs.
 *
 * SharedKey (Authorization: SharedKey <account>:<base64 HMAC-SHA256>), the
 * string to sign, one field per line:
 *   VERB, Content-Encoding, Content-Language, Content-Length ("" for 0),
 *   Content-MD5, Content-Type, Date, If-Modified-Since, If-Match,
 *   If-None-Match, If-Unmodified-Since, Range,
 *   then each x-ms-* header as "name:value\n" (name lower-cased, sorted,
 *   value with leading blanks dropped),
 *   then "/<account><path as sent>" and "\n<name>:<decoded value>" for each
 *   query parameter (name lower-cased, sorted; values of one name joined
 *   with ',').
 * Headers are sorted by byte order; Azure's own order ignores '-' at first,
 * which differs only for names that differ by a '-' alone, and the headers
 * this project sends have none such.
 *
 * Service SAS of a blob (version 2020-12-06 and later):
 *   sp, st, se, "/blob/<account>/<container>/<blob>", si, sip, spr, sv, sr
 *   ("b"), snapshot time, ses, rscc, rscd, rsce, rscl, rsct, joined by '\n'.
 *
 * The account key is the base64 the portal shows; it is decoded for the
 * HMAC and never appears in an output. Pure (the caller passes the time)
 * and thread-safe. Strings returned through `char **` are malloc'd and the
 * caller's. Functions return 0, ST_EINVAL (bad argument, a key that is not
 * base64, a control character) or ST_ENOMEM. */
#ifndef STAGE_AZSIGN_H
#define STAGE_AZSIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define AZSIGN_VERSION     "2021-12-02" /* x-ms-version and SAS sv the project sends */
#define AZSIGN_PRESIGN_MAX 604800       /* seconds a SAS URL may live (as S3's) */

/* A header or a query parameter (value decoded; NULL is ""). */
struct azsign_kv {
    const char *name;
    const char *value;
};

/* One request. `path` is the URL path as sent, percent-encoded
 * ("/devstoreaccount1/ctr/a%20b"); `query` the parameters, decoded;
 * `headers` every header sent besides Authorization (x-ms-date and
 * x-ms-version included; standard headers found by name in any case). */
struct azsign_req {
    const char *method;
    const char *path;
    const struct azsign_kv *query;
    size_t nquery;
    const struct azsign_kv *headers;
    size_t nheaders;
};

/* The string to sign of `r` for `account` (for tests and debugging). */
int azsign_string_to_sign(const char *account, const struct azsign_req *r, char **out);

/* The Authorization header value of `r`: "SharedKey <account>:<signature>". */
int azsign_shared_key(const char *account, const char *key_b64, const struct azsign_req *r,
                      char **auth);

/* The encoded query of `n` parameters in the order given ("comp=block&
 * blockid=AAA%3D"), every byte outside A-Za-z0-9-_.~ as %XX. "" if n == 0. */
int azsign_query(const struct azsign_kv *p, size_t n, char **out);

/* Percent-encode `in` as azsign_query() does; '/' kept when `keep_slash`
 * (blob names in a path). */
int azsign_uri_encode(const char *in, bool keep_slash, char **out);

/* "Sat, 05 Dec 2026 01:02:03 GMT" (x-ms-date) of `t`; 30 bytes of room. */
void azsign_http_date(time_t t, char out[30]);

/* "2026-12-05T01:02:03Z" (SAS times) of `t`; 21 bytes of room. */
void azsign_iso_date(time_t t, char out[21]);

/* A service SAS for one blob. `perms` in Azure's order ("r", "cw", "racwd"
 * ...); `start` 0 for none; `content_type` NULL or "" for none (rsct: the
 * Content-Type a download answers with). Returns the query to append after
 * '?' (sv, st, se, sr, sp, rsct, sig), values encoded. */
struct azsign_sas {
    const char *account;
    const char *key_b64;
    const char *container;
    const char *blob; /* the blob name, not encoded */
    const char *perms;
    time_t start;
    time_t expiry;
    const char *content_type;
};
int azsign_sas_string_to_sign(const struct azsign_sas *s, char **out);
int azsign_sas_query(const struct azsign_sas *s, char **query);

#endif
