/* s3xml.h - the XML of the S3 API (libxml2): request bodies built and reply
 * bodies parsed, plus the retry classification of a finished request.
 *
 * Pure (no I/O) and thread-safe once libxml2 is initialised (xmlInitParser()
 * in the main thread; s3xml_init() does it). Element names are matched by
 * local name, so replies with or without the S3 namespace parse alike.
 * Parsers return 0, ST_EIO (not the expected XML) or ST_ENOMEM; what they
 * fill belongs to the caller and is released by the matching _free. */
#ifndef STAGE_S3XML_H
#define STAGE_S3XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Initialise libxml2 once per process (idempotent). */
void s3xml_init(void);

/* An <Error> body: Code and Message ("" if absent). */
struct s3xml_error {
    char code[64];
    char message[256];
};

/* 0 and `e` filled if `body` is an <Error> document, else ST_EIO. */
int s3xml_parse_error(const char *body, size_t len, struct s3xml_error *e);

/* One <Contents> of a ListObjectsV2 page. */
struct s3xml_object {
    char *key;
    int64_t size;
    int64_t mtime_ms; /* LastModified, Unix ms (0 if absent or unparsable) */
    char etag[72];    /* as sent, quotes included */
};

struct s3xml_list {
    struct s3xml_object *obj;
    size_t n;
    bool truncated;
    char *next_token; /* NextContinuationToken, NULL if none */
};

int s3xml_parse_list(const char *body, size_t len, struct s3xml_list *out);
void s3xml_list_free(struct s3xml_list *l);

/* The UploadId of an InitiateMultipartUploadResult; `id` has room for `idlen`. */
int s3xml_parse_initiate(const char *body, size_t len, char *id, size_t idlen);

/* The CompleteMultipartUpload body for parts 1..n with ETags `etags[0..n)`
 * (as received, quoted). malloc'd; NULL on allocation failure. */
char *s3xml_complete_body(const char *const *etags, size_t n);

/* A 200 reply that may still be an <Error> (CompleteMultipartUpload,
 * CopyObject, UploadPartCopy): 0 if its root is `root_name` (its <ETag>
 * copied into `etag` when not NULL), ST_EPRECOND with `e` filled for an
 * <Error>, ST_EIO for anything else. */
int s3xml_parse_result(const char *body, size_t len, const char *root_name, struct s3xml_error *e,
                       char *etag, size_t etaglen);

/* A CompleteMultipartUpload reply, which S3 may send with status 200 and an
 * <Error> body: 0 for a CompleteMultipartUploadResult, ST_EPRECOND with `e`
 * filled for an <Error>, ST_EIO for anything else. */
int s3xml_parse_complete(const char *body, size_t len, struct s3xml_error *e);

/* The DeleteObjects body for `keys[0..n)` (Quiet mode: only failures are
 * reported). malloc'd; NULL on allocation failure. */
char *s3xml_delete_body(const char *const *keys, size_t n);

/* A DeleteResult: for each <Error> whose Key is one of `keys`, errs[i] is set
 * to ST_EPERM (AccessDenied), ST_ENOTFOUND (NoSuchKey) or ST_EIO, and the first
 * failure's "key: Code: Message" goes to `msg`. Keys not named keep errs[i].
 * Returns 0 or ST_EIO. */
int s3xml_parse_delete(const char *body, size_t len, const char *const *keys, size_t n, int *errs,
                       char *msg, size_t msglen);

/* "2013-09-17T18:07:53.000Z" -> Unix ms; -1 if unparsable. */
int64_t s3xml_time_ms(const char *iso);

/* What to do after a request ended. */
enum s3_retry {
    S3_OK = 0,    /* 2xx (206 and 204 included) */
    S3_TRANSIENT, /* retry with backoff */
    S3_PERMANENT, /* fail now */
};

/* Classify by curl result `curl_code` (a CURLcode; 0 = a reply arrived),
 * HTTP `status` and the S3 error code of the body (NULL or "" if none).
 * Transient: connection/timeouts/send-receive errors, 408, 429, 500, 502,
 * 503, 504, and codes SlowDown, InternalError, RequestTimeout,
 * RequestTimeTooSkewed... Permanent: everything else (4xx, TLS and
 * configuration errors). A 200 carrying an error code is a failure. */
enum s3_retry s3_retry_class(int curl_code, long status, const char *s3code);

#endif
