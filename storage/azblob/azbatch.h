/* azbatch.h - Blob Batch (POST <container>?restype=container&comp=batch)
 * of Delete Blob sub-requests: the multipart/mixed body, each sub-request
 * signed with SharedKey of its own, and the per-blob results read from the
 * multipart/mixed answer. Pure (the caller passes the time through the
 * date) and thread-safe.
 *
 * Request body, for each blob i (CRLF line ends):
 *   --<boundary>
 *   Content-Type: application/http
 *   Content-Transfer-Encoding: binary
 *   Content-ID: <i>
 *   (blank)
 *   DELETE <path> HTTP/1.1
 *   x-ms-date: <date>
 *   Authorization: SharedKey <account>:<signature>
 *   Content-Length: 0
 *   (blank)
 * then "--<boundary>--". The request's Content-Type is
 * "multipart/mixed; boundary=<boundary>".
 *
 * Answer: parts delimited by the first line that starts with "--" (the
 * service picks its own boundary); each part's headers name Content-ID,
 * then comes "HTTP/1.1 <status> <reason>", the sub-response's headers
 * (x-ms-error-code on failure) and maybe a body. */
#ifndef STAGE_AZBATCH_H
#define STAGE_AZBATCH_H

#include <stddef.h>

#define AZBATCH_MAX          256 /* sub-requests the service takes in one batch */
#define AZBATCH_BOUNDARY_MAX 64

struct azbatch_req {
    const char *account;
    const char *key_b64;
    const char *boundary;     /* [A-Za-z0-9_-], 1..AZBATCH_BOUNDARY_MAX */
    const char *date;         /* x-ms-date of every sub-request */
    const char *const *paths; /* request paths as sent, encoded (azurl_path) */
    size_t n;                 /* 1..AZBATCH_MAX */
};

/* The body of `r` into `*out` (malloc'd, `*len` bytes). 0, ST_EINVAL (a
 * count or boundary out of range, a control character, a key that is not
 * base64) or ST_ENOMEM. */
int azbatch_body(const struct azbatch_req *r, char **out, size_t *len);

/* The st_err of a sub-response's HTTP status: 0 for 2xx, ST_ENOTFOUND,
 * ST_EPERM, ST_EAGAIN (408, 429, 5xx), ST_EPRECOND. */
int azbatch_status_err(long status);

/* Read an answer to a batch of `n` sub-requests: errs[i] becomes the
 * result of Content-ID i (azbatch_status_err); a sub-request the answer
 * does not name gets ST_EIO. `msg` (room `msglen`, may be NULL): the first
 * failure "HTTP <status> <x-ms-error-code>", or "". 0, or ST_EIO when
 * `resp` is not a multipart answer at all (every errs[i] then ST_EIO). */
int azbatch_parse(const char *resp, size_t len, int *errs, size_t n, char *msg, size_t msglen);

#endif
