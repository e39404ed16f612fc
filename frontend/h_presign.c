/* h_presign.c - PresignFile: a presigned S3 URL (query-string SigV4), a
 * GCS V4 signed URL (gcspresign.h) or an Azure service SAS URL (azurl.h)
 * for downloading or uploading one file of a stage on S3, GCS or Azure Blob
 * (an external stage, or the configured storage: confspec.h), computed
 * here without any request to the store. fs-backed stages get a frontend
 * URL (h_presign_fs.c). */
#include "authz.h"
#include "azurl.h"
#include "config.h"
#include "confspec.h"
#include "err.h"
#include "gcspresign.h"
#include "handlers.h"
#include "httphdr.h"
#include "job.h"
#include "s3url.h"
#include "secret.h"
#include "stage.h"
#include "svc.h"
#include "storspec.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The storage spec of the stage `j` lives on; the key of the file in it. */
static int storage_of(struct svc *s, const struct job *j, struct storspec *sp, char *err,
                      size_t errlen)
{
    if (!j->storage[0]) { /* the configured storage */
        int rc = confspec_from_config(s->cfg, sp, err, errlen);
        if (!rc && sp->type == STORSPEC_FS) {
            snprintf(err, errlen, "presign is not available on %s stages", s->cfg->storage.type);
            rc = ST_EPRECOND;
        }
        return rc;
    }
    if (strncmp(j->storage, "s3://", 5) != 0 && strncmp(j->storage, "gcs://", 6) != 0 &&
        strncmp(j->storage, "azblob://", 9) != 0) {
        snprintf(err, errlen, "presign is not available on %.*s stages",
                 (int)strcspn(j->storage, ":"), j->storage);
        return ST_EPRECOND;
    }
    struct secret_key key;
    int rc = 0;
    if (j->storage_conn[0])
        rc = secret_key_from_env(&key, err, errlen);
    if (!rc)
        rc = storspec_unseal(j->storage, j->storage_conn, j->storage_conn[0] ? &key : NULL, sp, err,
                             errlen);
    secret_wipe(&key, sizeof(key));
    sp->root[0] = '\0'; /* an external stage's path is already the job's root */
    return rc ? ST_EPRECOND : 0;
}

/* `azure`: an Azure upload must also say which kind of blob it makes. */
static int reply(struct svc *s, bool put, const char *url, const char *content_type, bool azure)
{
    Stage__V1__PresignFileResponse resp = STAGE__V1__PRESIGN_FILE_RESPONSE__INIT;
    Stage__V1__PresignFileResponse__HeadersEntry h[2] = {
        STAGE__V1__PRESIGN_FILE_RESPONSE__HEADERS_ENTRY__INIT,
        STAGE__V1__PRESIGN_FILE_RESPONSE__HEADERS_ENTRY__INIT};
    Stage__V1__PresignFileResponse__HeadersEntry *hdrs[2] = {&h[0], &h[1]};
    size_t n = 0;
    resp.method =
        put ? STAGE__V1__PRESIGN_METHOD__UPLOAD_METHOD : STAGE__V1__PRESIGN_METHOD__DOWNLOAD_METHOD;
    resp.url = (char *)url;
    if (put && content_type && *content_type) {
        h[n].key = "Content-Type";
        h[n++].value = (char *)content_type;
    }
    if (put && azure) {
        h[n].key = AZURL_PUT_HEADER_NAME;
        h[n++].value = AZURL_PUT_HEADER_VALUE;
    }
    resp.headers = n ? hdrs : NULL;
    resp.n_headers = n;
    return svc_reply(s, &resp.base);
}

/* The request's own fields, before the stage is looked at. */
static int check_request(const Stage__V1__PresignFileRequest *req, char *err, size_t errlen)
{
    bool put = req->method == STAGE__V1__PRESIGN_METHOD__UPLOAD_METHOD;
    if (!put && req->method != STAGE__V1__PRESIGN_METHOD__DOWNLOAD_METHOD) {
        snprintf(err, errlen, "method must be UPLOAD_METHOD or DOWNLOAD_METHOD");
        return ST_EINVAL;
    }
    if (req->expire_seconds < 0 || req->expire_seconds > 604800) {
        snprintf(err, errlen, "expire_seconds must be between 1 and %d (0: %d), not %lld", 604800,
                 S3URL_PRESIGN_DEFAULT, (long long)req->expire_seconds);
        return ST_EINVAL;
    }
    /* signed into the URL and echoed in the reply's headers (httphdr.h) */
    return httphdr_content_type_check(req->content_type, "content_type", err, errlen);
}

int svc_presign(struct svc *s, ProtobufCMessage *msg)
{
    const Stage__V1__PresignFileRequest *req = (const Stage__V1__PresignFileRequest *)msg;
    struct job j; /* 46 KiB: the fiber stack has room (loop.c) */
    struct storspec sp;
    char err[600] = "", *url = NULL;
    memset(&sp, 0, sizeof(sp)); /* wiped at the end whatever path filled it */
    job_init(&j);
    snprintf(j.user, sizeof(j.user), "%s", s->user);
    snprintf(s->location, sizeof(s->location), "%s", req->location);
    bool put = req->method == STAGE__V1__PRESIGN_METHOD__UPLOAD_METHOD;
    int rc = check_request(req, err, sizeof(err));
    if (!rc)
        rc = svc_locate(s, req->location, true, put ? AUTHZ_WRITE : AUTHZ_READ, &j, err,
                        sizeof(err));
    /* A presigned PUT goes around the service's byte count (straight to S3,
     * or through the HTTP relay, which does not reserve): a stage with a
     * quota takes uploads through UploadFile only. */
    if (!rc && put && (j.quota_bytes > 0 || j.quota_files > 0))
        rc = st_fail(ST_EPRECOND, err, sizeof(err),
                     "stage @%s has a quota: presigned uploads are off for it (a presigned URL "
                     "would go around the quota); upload through the service (UploadFile, "
                     "stagectl put) instead",
                     j.stage);
    bool fs = !rc && presign_fs_applies(s, &j);
    if (fs)
        rc = presign_fs_make(s, &j, put, req->location, (long)req->expire_seconds,
                             req->content_type, &url, err, sizeof(err));
    if (!rc && !fs)
        rc = storage_of(s, &j, &sp, err, sizeof(err));
    if (!rc && !fs) {
        char key[3400];
        snprintf(key, sizeof(key), "%s%s%s", sp.root, j.root, j.path);
        if (sp.type == STORSPEC_GCS)
            rc = gcspresign_url(&sp, !j.storage[0], key, put, (long)req->expire_seconds, time(NULL),
                                &url, err, sizeof(err));
        else if (sp.type == STORSPEC_AZBLOB)
            rc = azurl_presign(&sp, key, put, req->content_type, (long)req->expire_seconds,
                               time(NULL), &url, err, sizeof(err));
        else
            rc = s3url_presign(&sp, key, put, req->content_type, (long)req->expire_seconds,
                               time(NULL), &url, err, sizeof(err));
    }
    bool azure = !fs && sp.type == STORSPEC_AZBLOB;
    storspec_wipe(&sp);
    rc = rc ? svc_fail(s, rc, "%s", err) : reply(s, put, url, req->content_type, azure);
    free(url);
    return rc;
}
