/* h_upload.c - UploadFile (client stream): header, then chunks appended to
 * the job's parts in Redis (docs/redis.md "the part pipe", producer side).
 *
 * Memory: one gRPC message at a time; a chunk is APPENDed to the current
 * part, split where it crosses a part boundary. Before part n starts, the
 * handler waits until n - parts_done < window, and notices a job the worker
 * already ended (e.g. ALREADY_EXISTS). A client that goes away fails the
 * job (abort 1; the state script deletes parts done..ready, which includes
 * the part being written: index parts_ready), unless the upload is resumable
 * (resume.h): then the job waits upload.resume_window_s for the client to
 * come back. An explicit `cancel` message (Ctrl-C) always cancels. */
#include "alive.h"
#include "authz.h"
#include "call.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "handlers.h"
#include "httphdr.h"
#include "inflight.h"
#include "job.h"
#include "jobs.h"
#include "keys.h"
#include "pipe.h"
#include "resume.h"
#include "squota.h"
#include "stage.h"
#include "xfer.h"

#include "stage/v1/stage.pb-c.h"

#include <hiredis/hiredis.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#define ANSWERED 1 /* the call was already answered */

struct upload {
    struct call *c;
    struct job j;
    long part;         /* index of the part being written */
    long long in_part; /* bytes already in it */
    long long total;   /* bytes received (a resume starts at its offset) */
    long long start;   /* a resume's offset: bytes an earlier call received */
    bool has_size, wait;
    bool existing;  /* the idempotency key named an earlier job: answer with it */
    bool resumable; /* a broken stream pauses the job (resume.h) */
    char idem[200]; /* the header's idempotency key, dropped on a pause */
    long long size;
    long long charged;  /* this upload's bytes in inflight.h's total */
    bool quota;         /* the stage has a quota: the upload holds a reservation */
    long long reserved; /* bytes reserved so far (squota.h) */
};

static bool sha256_ok(const char *s)
{
    return !*s || (strlen(s) == 64 && strspn(s, "0123456789abcdefABCDEF") == 64);
}

/* Build the job from the header. Answers the call on error. */
static int job_from_header(struct upload *u, const Stage__V1__UploadHeader *h)
{
    struct call *c = u->c;
    char err[400];
    job_init(&u->j);
    u->j.kind = JOB_UPLOAD;
    snprintf(u->j.user, sizeof(u->j.user), "%s", c->user);
    snprintf(c->location, sizeof(c->location), "%s", h->location);
    int rc = stage_locate(c, h->location, true, AUTHZ_WRITE, &u->j, err, sizeof(err));
    if (!rc && (h->has_size && h->size < 0))
        rc = ST_EINVAL, snprintf(err, sizeof(err), "size %lld is negative", (long long)h->size);
    if (!rc && !sha256_ok(h->sha256))
        rc = ST_EINVAL, snprintf(err, sizeof(err), "sha256 must be 64 hex digits");
    if (!rc) /* it becomes the object's Content-Type header on S3 (httphdr.h) */
        rc = httphdr_content_type_check(h->content_type, "content_type", err, sizeof(err));
    if (rc)
        return call_fail(c, rc, "%s", err), rc;
    snprintf(u->j.frontend, sizeof(u->j.frontend), "%s", alive_id());
    u->j.part_size = c->cfg->upload.part_size;
    u->j.window = c->cfg->upload.window;
    u->j.overwrite = h->overwrite;
    u->j.bytes_total = h->has_size ? h->size : 0;
    snprintf(u->j.content_type, sizeof(u->j.content_type), "%s", h->content_type);
    snprintf(u->j.sha256, sizeof(u->j.sha256), "%s", h->sha256);
    u->has_size = h->has_size;
    u->size = h->size;
    u->wait = h->wait;
    long long need = u->has_size && u->size < u->j.part_size ? u->size : u->j.part_size;
    u->resumable = h->resumable && h->has_size && c->cfg->upload.resume_window_s > 0;
    snprintf(u->idem, sizeof(u->idem), "%s", h->idempotency_key);
    if (!inflight_admit(c->cfg->upload.max_inflight_bytes, need))
        return call_fail(c, ST_ELIMIT,
                         "frontend busy: %lld bytes of uploads wait in Redis for workers "
                         "(upload.max_inflight_bytes %d); retry later",
                         inflight_total(), c->cfg->upload.max_inflight_bytes),
               ST_ELIMIT;
    if (*h->resume_job_id) {
        rc = resume_take(c->db, c->user, h, &u->j, err, sizeof(err));
        u->part = (long)u->j.parts_ready; /* the first part not complete in Redis */
        u->total = u->start = h->resume_offset;
    } else {
        rc = jobs_create_idem(c->db, c->cfg, &u->j, h->idempotency_key, &u->existing, err,
                              sizeof(err));
    }
    if (rc)
        return call_fail(c, rc, "%s", err), rc;
    snprintf(c->job, sizeof(c->job), "%s", u->j.id);
    return 0;
}

/* Receive the header and queue the job. Answers the call on error. */
static int upload_start(struct upload *u)
{
    Stage__V1__UploadFileRequest *m = NULL;
    int rc = call_recv(u->c, &stage__v1__upload_file_request__descriptor, (ProtobufCMessage **)&m);
    if (rc == ST_ECANCELLED && u->c->idle)
        return call_fail(u->c, ST_ETIMEOUT, "no header within %d s (server.stream_idle_timeout_s)",
                         u->c->cfg->server.stream_idle_timeout_s),
               rc;
    if (rc == ST_ECANCELLED)
        return call_fail(u->c, rc, "upload cancelled by the client before the header"), rc;
    if (!rc && (!m || m->msg_case != STAGE__V1__UPLOAD_FILE_REQUEST__MSG_HEADER))
        rc = ST_EINVAL;
    if (rc)
        call_fail(u->c, rc, "UploadFile: the first message must be a header");
    else
        rc = job_from_header(u, m->header);
    if (m)
        protobuf_c_message_free_unpacked(&m->base, NULL);
    return rc;
}

/* Over upload.max_inflight_bytes: wait until our own parts were stored. */
static int inflight_wait(struct upload *u)
{
    inflight_sync(&u->charged, u->total - u->j.bytes_done);
    if (u->charged == 0 || inflight_admit(u->c->cfg->upload.max_inflight_bytes, u->j.part_size))
        return 0;
    int rc = xfer_wait(u->c, &u->j, xfer_drained, u->part);
    if (!rc)
        inflight_sync(&u->charged, u->total - u->j.bytes_done);
    return rc;
}

/* Before part n: the job must still run and the window must have room. */
static int part_begin(struct upload *u)
{
    int rc = jobs_get(u->c->db, u->j.id, &u->j);
    if (!rc && job_state_terminal(u->j.state))
        return ST_EPRECOND;
    if (!rc)
        rc = inflight_wait(u);
    if (!rc)
        rc = xfer_wait(u->c, &u->j, xfer_window_open, u->part);
    if (!rc && job_state_terminal(u->j.state))
        rc = ST_EPRECOND;
    return rc;
}

static int part_append(struct upload *u, const uint8_t *data, size_t len)
{
    struct pipe_cmds p;
    int rc = pipe_append(&p, u->j.id, u->part, data, len, u->in_part == 0);
    return rc ? rc : db_send_pipe(u->c->db, &p);
}

/* Publish parts_ready (and, at the end, parts_total and bytes_total). */
static int parts_publish(struct upload *u, bool end)
{
    struct pipe_cmds p;
    int rc = pipe_ready(&p, u->j.id, u->part, end, u->total);
    return rc ? rc : db_send_pipe(u->c->db, &p);
}

static void upload_refuse(struct upload *u, int err, const char *msg);

/* Reserve room in the stage's quota for `total` bytes (and a part more, so
 * that a reservation is one Redis round trip per part, not per chunk).
 * ANSWERED when refused: the job failed (nothing is stored, its parts are
 * deleted) and the client got RESOURCE_EXHAUSTED. */
static int quota_grow(struct upload *u, long long total)
{
    char msg[400];
    long long ask = u->has_size ? u->size : total + u->j.part_size;
    int rc = squota_reserve(u->c->db, &u->j, total, ask, &u->reserved, msg, sizeof(msg));
    if (rc == ST_ELIMIT) {
        upload_refuse(u, rc, msg);
        return ANSWERED;
    }
    if (!rc && u->j.quota_bytes <= 0)
        u->reserved = LLONG_MAX; /* a file limit only: the one file is reserved, bytes are free */
    return rc;
}

static int upload_chunk(struct upload *u, const uint8_t *data, size_t len)
{
    int rc = 0;
    while (len > 0 && !rc) {
        if (u->in_part == 0)
            rc = part_begin(u);
        if (rc)
            break;
        size_t room = (size_t)(u->j.part_size - u->in_part);
        size_t take = len < room ? len : room;
        if (u->quota && u->total + (long long)take > u->reserved &&
            (rc = quota_grow(u, u->total + (long long)take)) != 0)
            break;
        rc = part_append(u, data, take);
        if (!rc)
            inflight_add(&u->charged, (long long)take);
        u->in_part += (long long)take;
        u->total += (long long)take;
        data += take;
        len -= take;
        if (!rc && u->in_part == u->j.part_size) {
            u->part++;
            u->in_part = 0;
            rc = parts_publish(u, false);
        }
    }
    return rc;
}

/* Fail the job from the frontend with `err` and answer with the same. */
static void upload_refuse(struct upload *u, int err, const char *msg)
{
    int rc = jobs_fail(u->c->db, u->c->cfg, u->j.id, err, msg, true);
    if (rc == ST_EUNAVAIL)
        alive_defer_fail(u->j.id, err, msg);
    if (rc == ST_EPRECOND && jobs_get(u->c->db, u->j.id, &u->j) == 0) {
        xfer_answer_job(u->c, &u->j); /* the worker ended it first */
        return;
    }
    call_fail(u->c, err, "%s", msg);
}

/* A wait, a Redis command or the stream broke. */
static void upload_broke(struct upload *u, int rc)
{
    if ((rc == ST_ECANCELLED || rc == ST_ETIMEOUT) && u->resumable &&
        resume_pause(u->c->db, &u->j, u->part, u->total, u->c->cfg->upload.resume_window_s,
                     u->idem) == 0) {
        call_fail(u->c, rc, "the client went away after %lld bytes; job '%s' waits for a resume",
                  u->total, u->j.id);
        return;
    }
    if (rc == ST_EPRECOND && u->j.state != JOB_SUCCEEDED) /* parts the state script missed */
        jobs_drop_parts(u->c->db, u->j.id, u->j.parts_done, u->part);
    if (rc != ST_EPRECOND) {
        xfer_abort(u->c, &u->j, rc, u->total);
    } else if (u->j.state == JOB_SUCCEEDED) {
        Stage__V1__Job pj = STAGE__V1__JOB__INIT;
        Stage__V1__UploadFileResponse resp = STAGE__V1__UPLOAD_FILE_RESPONSE__INIT;
        jobs_to_proto(&u->j, &pj);
        resp.job = &pj;
        call_reply(u->c, &resp.base);
    } else {
        xfer_answer_job(u->c, &u->j);
    }
}

/* Read chunks until the client half-closes. 0, ANSWERED, or an st_err for
 * upload_broke(). */
static int upload_body(struct upload *u)
{
    char msg[200];
    for (;;) {
        Stage__V1__UploadFileRequest *m = NULL;
        u->c->end_expected = u->has_size && u->total == u->size;
        int rc =
            call_recv(u->c, &stage__v1__upload_file_request__descriptor, (ProtobufCMessage **)&m);
        if (m && m->msg_case == STAGE__V1__UPLOAD_FILE_REQUEST__MSG_CANCEL) {
            protobuf_c_message_free_unpacked(&m->base, NULL);
            snprintf(msg, sizeof(msg), "upload cancelled by the client after %lld bytes", u->total);
            upload_refuse(u, ST_ECANCELLED, msg);
            return ANSWERED;
        }
        if (rc == ST_EINVAL || (m && m->msg_case != STAGE__V1__UPLOAD_FILE_REQUEST__MSG_CHUNK)) {
            if (m)
                protobuf_c_message_free_unpacked(&m->base, NULL);
            upload_refuse(u, ST_EINVAL, "UploadFile: expected a chunk message after the header");
            return ANSWERED;
        }
        if (rc || !m)
            return rc;
        size_t len = m->chunk.len;
        if (u->has_size && u->total + (long long)len > u->size) {
            protobuf_c_message_free_unpacked(&m->base, NULL);
            snprintf(msg, sizeof(msg), "size mismatch: header said %lld, received more", u->size);
            upload_refuse(u, ST_EINVAL, msg);
            return ANSWERED;
        }
        rc = upload_chunk(u, m->chunk.data, len);
        protobuf_c_message_free_unpacked(&m->base, NULL);
        if (rc)
            return rc;
    }
}

/* All bytes are in: seal the last part, publish the totals. Answers the
 * call itself on a size mismatch (returns ANSWERED then). */
static int upload_end(struct upload *u)
{
    char msg[200];
    if (u->has_size && u->total != u->size) {
        snprintf(msg, sizeof(msg), "size mismatch: header said %lld, received %lld", u->size,
                 u->total);
        upload_refuse(u, ST_EINVAL, msg);
        return ANSWERED;
    }
    if (u->in_part > 0) {
        u->part++;
        u->in_part = 0;
    }
    return parts_publish(u, true);
}

static void upload_answer(struct upload *u)
{
    Stage__V1__Job pj = STAGE__V1__JOB__INIT;
    Stage__V1__UploadFileResponse resp = STAGE__V1__UPLOAD_FILE_RESPONSE__INIT;
    int rc = jobs_get(u->c->db, u->j.id, &u->j);
    if (!rc && u->wait)
        rc = xfer_wait(u->c, &u->j, xfer_ended, 0);
    if (!rc && job_state_terminal(u->j.state) && u->j.state != JOB_SUCCEEDED)
        rc = ST_EPRECOND;
    if (rc == ST_EPRECOND) {
        xfer_answer_job(u->c, &u->j);
        return;
    }
    if (rc) {
        xfer_wait_fail(u->c, &u->j, rc); /* the job keeps running */
        return;
    }
    jobs_to_proto(&u->j, &pj);
    resp.job = &pj;
    call_reply(u->c, &resp.base);
}

static void upload_run(struct upload *u)
{
    if (upload_start(u))
        return;
    if (u->existing) { /* the same request again: its job, without taking the data twice */
        upload_answer(u);
        return;
    }
    /* A declared size is checked before any byte moves; otherwise the
     * reservation grows with the bytes (quota_grow). */
    u->quota = !quota_unlimited(&(struct quota_lim){u->j.quota_bytes, u->j.quota_files});
    int rc = u->quota ? quota_grow(u, u->has_size ? u->size : 0) : 0;
    if (!rc)
        rc = upload_body(u);
    if (!rc)
        rc = upload_end(u);
    u->c->bytes = u->total - u->start; /* what this call moved (log, metrics) */
    if (rc == ANSWERED)
        return;
    if (rc) {
        upload_broke(u, rc);
        return;
    }
    upload_answer(u);
}

void h_upload(struct call *c)
{
    struct upload u;
    memset(&u, 0, sizeof(u));
    u.c = c;
    upload_run(&u);
    /* Parts still in Redis after the call (wait=false) are no longer
     * counted: the bound holds for live calls (inflight.h). */
    inflight_release(&u.charged);
}
