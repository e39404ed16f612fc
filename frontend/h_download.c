/* h_download.c - DownloadFile (server stream): a DOWNLOAD job whose worker
 * produces parts; this handler is the consumer (docs/redis.md). It sends the
 * FileInfo first, then each part re-chunked to upload.chunk_size bytes per
 * message, read with GETRANGE so only one message is held at a time. */
#include "alive.h"
#include "authz.h"
#include "call.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "handlers.h"
#include "job.h"
#include "jobs.h"
#include "keys.h"
#include "stage.h"
#include "xfer.h"

#include "stage/v1/stage.pb-c.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>

#define ANSWERED 1

static int download_create(struct call *c, const Stage__V1__DownloadFileRequest *req, struct job *j)
{
    char err[400];
    job_init(j);
    j->kind = JOB_DOWNLOAD;
    snprintf(j->user, sizeof(j->user), "%s", c->user);
    snprintf(c->location, sizeof(c->location), "%s", req->location);
    int rc = stage_locate(c, req->location, true, AUTHZ_READ, j, err, sizeof(err));
    if (!rc && (req->offset < 0 || req->length < 0)) {
        rc = ST_EINVAL;
        snprintf(err, sizeof(err), "offset and length must not be negative");
    }
    if (rc)
        return call_fail(c, rc, "%s", err), ANSWERED;
    j->offset = req->offset;
    j->length = req->length;
    j->part_size = c->cfg->upload.part_size;
    j->window = c->cfg->upload.window;
    snprintf(j->frontend, sizeof(j->frontend), "%s", alive_id()); /* relays the parts */
    rc = jobs_create(c->db, c->cfg, j, err, sizeof(err));
    if (rc)
        return call_fail(c, rc, "%s", err), ANSWERED;
    snprintf(c->job, sizeof(c->job), "%s", j->id);
    return 0;
}

/* Send part n in messages of at most chunk_size bytes. */
static int send_part(struct call *c, const struct job *j, long n)
{
    char key[KEY_MAX], from[24], to[24];
    long long chunk = c->cfg->upload.chunk_size > 0 ? c->cfg->upload.chunk_size : 1 << 20;
    keys_job_part(key, sizeof(key), j->id, n);
    for (long long off = 0;; off += chunk) {
        redisReply *r = NULL;
        snprintf(from, sizeof(from), "%lld", off);
        snprintf(to, sizeof(to), "%lld", off + chunk - 1);
        int rc = db_cmd(c->db, &r, "GETRANGE", key, from, to, NULL);
        if (rc)
            return rc;
        size_t len = r->type == REDIS_REPLY_STRING ? r->len : 0;
        Stage__V1__DownloadFileResponse m = STAGE__V1__DOWNLOAD_FILE_RESPONSE__INIT;
        m.msg_case = STAGE__V1__DOWNLOAD_FILE_RESPONSE__MSG_CHUNK;
        m.chunk.data = (uint8_t *)r->str;
        m.chunk.len = len;
        rc = len ? call_send(c, &m.base) : 0;
        freeReplyObject(r);
        c->bytes += (int64_t)len;
        if (rc || (long long)len < chunk)
            return rc;
    }
}

static int send_info(struct call *c, const struct job *j)
{
    Stage__V1__FileInfo fi = STAGE__V1__FILE_INFO__INIT;
    Stage__V1__DownloadFileResponse m = STAGE__V1__DOWNLOAD_FILE_RESPONSE__INIT;
    jobs_file_info(j, &fi);
    m.msg_case = STAGE__V1__DOWNLOAD_FILE_RESPONSE__MSG_INFO;
    m.info = &fi;
    return call_send(c, &m.base);
}

/* Relay every part. 0, or an st_err (ST_EPRECOND: the job ended first). */
static int download_relay(struct call *c, struct job *j)
{
    int rc = xfer_wait(c, j, xfer_has_total, 0);
    if (!rc)
        rc = send_info(c, j);
    for (long n = 0; !rc && n < j->parts_total; n++) {
        rc = xfer_wait(c, j, xfer_part_ready, n);
        if (!rc)
            rc = send_part(c, j, n);
        if (!rc)
            rc = jobs_part_done(c->db, j->id, n);
    }
    return rc;
}

void h_download(struct call *c)
{
    Stage__V1__DownloadFileRequest *req;
    struct job j;
    if (call_read_request(c, &stage__v1__download_file_request__descriptor, &req))
        return;
    int rc = download_create(c, req, &j);
    protobuf_c_message_free_unpacked(&req->base, NULL);
    if (rc)
        return;
    rc = download_relay(c, &j);
    xfer_finish(c, &j, rc);
}
