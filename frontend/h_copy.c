/* h_copy.c - CopyFiles: READ on `from`, WRITE on `to`, then a COPY job
 * (worker/xfer_copy.c) whose source is the job's usual location fields and
 * whose target is its dst_* fields. Target naming: copypath.h.
 *
 * The call answers with the Job once the worker has listed the first page
 * (or after COPY_WAIT_MS if no worker took it yet), so that a source that
 * matches nothing is NOT_FOUND at once, like DownloadFile of a missing
 * file; every other outcome is told by the job (GetJob, GetJobResults). */
#include "authz.h"
#include "config.h"
#include "copypath.h"
#include "err.h"
#include "handlers.h"
#include "job.h"
#include "jobs.h"
#include "pattern.h"
#include "svc.h"
#include "xfer.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <string.h>

#define COPY_WAIT_MS 5000

/* The job has listed its first page, ended, or the wait is over. */
static bool copy_started(const struct job *j, long deadline_ms)
{
    return j->files_total > 0 || job_state_terminal(j->state) || job_now_ms() >= deadline_ms;
}

/* Same backend place: the same storage URL (or the configured one) and root. */
static bool same_place(const struct job *a, const struct job *b)
{
    return strcmp(a->storage, b->storage) == 0 && strcmp(a->root, b->root) == 0;
}

/* The request's shape, once both locations are resolved. */
static int check_shape(const struct job *j, const struct job *d, const char *from, const char *to,
                       const char *pattern, char *err, size_t errlen)
{
    int rc = pattern_check(pattern, err, errlen);
    if (rc)
        return rc;
    bool from_dir = copypath_to_dir(j->path);
    if (!copypath_to_dir(d->path) && (from_dir || pattern[0])) {
        snprintf(err, errlen,
                 "'to' %s names one file but %s may match many; end 'to' with '/' to copy "
                 "into a directory",
                 to, pattern[0] ? "a pattern" : "'from' (a directory)");
        return ST_EINVAL;
    }
    if (same_place(j, d) && copypath_overlaps(j->path, d->path)) {
        snprintf(err, errlen, "cannot copy '%s' to '%s': the target lies inside the source", from,
                 to);
        return ST_EINVAL;
    }
    return 0;
}

static void set_target(struct job *j, const struct job *d)
{
    snprintf(j->dst_stage, sizeof(j->dst_stage), "%s", d->stage);
    snprintf(j->dst_location, sizeof(j->dst_location), "%s", d->location);
    snprintf(j->dst_storage, sizeof(j->dst_storage), "%s", d->storage);
    snprintf(j->dst_storage_conn, sizeof(j->dst_storage_conn), "%s", d->storage_conn);
    snprintf(j->dst_root, sizeof(j->dst_root), "%s", d->root);
    snprintf(j->dst_path, sizeof(j->dst_path), "%s", d->path);
    j->quota_bytes = d->quota_bytes; /* a COPY's quota is its target's */
    j->quota_files = d->quota_files;
}

/* Resolve, check and queue. */
static int submit(struct svc *s, const Stage__V1__CopyFilesRequest *req, struct job *j,
                  struct job *d)
{
    bool existing = false;
    char err[600] = "";
    snprintf(s->location, sizeof(s->location), "%s", req->from);
    snprintf(j->user, sizeof(j->user), "%s", s->user);
    snprintf(d->user, sizeof(d->user), "%s", s->user);
    int rc = svc_locate(s, req->from, false, AUTHZ_READ, j, err, sizeof(err));
    if (!rc)
        rc = svc_locate(s, req->to, false, AUTHZ_WRITE, d, err, sizeof(err));
    if (!rc)
        rc = check_shape(j, d, req->from, req->to, req->pattern, err, sizeof(err));
    if (!rc) {
        set_target(j, d);
        snprintf(j->pattern, sizeof(j->pattern), "%s", req->pattern);
        j->overwrite = req->overwrite;
        j->part_size = s->cfg->upload.part_size;
        rc = jobs_create_idem(s->db, s->cfg, j, req->idempotency_key, &existing, err, sizeof(err));
    }
    if (rc)
        return svc_fail(s, rc, "%s", err);
    snprintf(s->job, sizeof(s->job), "%s", j->id);
    return 0;
}

int svc_copy(struct svc *s, ProtobufCMessage *msg)
{
    const Stage__V1__CopyFilesRequest *req = (const Stage__V1__CopyFilesRequest *)msg;
    Stage__V1__CopyFilesResponse resp = STAGE__V1__COPY_FILES_RESPONSE__INIT;
    Stage__V1__Job pj = STAGE__V1__JOB__INIT;
    struct job j, d; /* 2 x 46 KiB: the fiber stack has room (loop.c) */
    job_init(&j);
    job_init(&d);
    j.kind = JOB_COPY;
    int rc = submit(s, req, &j, &d);
    if (rc)
        return rc;
    rc = svc_wait_job(s, &j, copy_started, (long)(job_now_ms() + COPY_WAIT_MS));
    if (rc == ST_EPRECOND && strcmp(j.error_code, "NOT_FOUND") == 0)
        return svc_job_outcome(s, &j);
    if (rc && rc != ST_EPRECOND)
        return svc_wait_fail(s, &j, rc);
    jobs_to_proto(&j, &pj);
    resp.job = &pj;
    return svc_reply(s, &resp.base);
}
