/* h_files.c - StatFile (a STAT job, waited for) and RemoveFiles (a REMOVE
 * job, answered at once: the client polls GetJob). */
#include "authz.h"
#include "call.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "handlers.h"
#include "job.h"
#include "jobs.h"
#include "pattern.h"
#include "stage.h"
#include "xfer.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <string.h>

/* Validate, build and queue a job; answers the call on error. */
static int submit(struct call *c, struct job *j, const char *location, bool need_file,
                  unsigned need, const char *pattern, const char *idem)
{
    bool existing = false;
    char err[400];
    snprintf(j->user, sizeof(j->user), "%s", c->user);
    snprintf(c->location, sizeof(c->location), "%s", location);
    int rc = stage_locate(c, location, need_file, need, j, err, sizeof(err));
    if (!rc && pattern)
        rc = pattern_check(pattern, err, sizeof(err));
    if (!rc) {
        if (pattern)
            snprintf(j->pattern, sizeof(j->pattern), "%s", pattern);
        rc = jobs_create_idem(c->db, c->cfg, j, idem, &existing, err, sizeof(err));
    }
    if (rc)
        call_fail(c, rc, "%s", err);
    else
        snprintf(c->job, sizeof(c->job), "%s", j->id);
    return rc;
}

void h_stat(struct call *c)
{
    Stage__V1__StatFileRequest *req;
    Stage__V1__StatFileResponse resp = STAGE__V1__STAT_FILE_RESPONSE__INIT;
    Stage__V1__FileInfo fi = STAGE__V1__FILE_INFO__INIT;
    struct job j;
    if (call_read_request(c, &stage__v1__stat_file_request__descriptor, &req))
        return;
    job_init(&j);
    j.kind = JOB_STAT;
    int rc = submit(c, &j, req->location, true, AUTHZ_READ, NULL, NULL);
    protobuf_c_message_free_unpacked(&req->base, NULL);
    if (rc)
        return;
    rc = xfer_wait(c, &j, xfer_ended, 0);
    if (rc == ST_EPRECOND) {
        xfer_answer_job(c, &j);
    } else if (rc) {
        xfer_wait_fail(c, &j, rc);
    } else {
        jobs_file_info(&j, &fi);
        resp.info = &fi;
        call_reply(c, &resp.base);
    }
}

void h_remove(struct call *c)
{
    Stage__V1__RemoveFilesRequest *req;
    Stage__V1__RemoveFilesResponse resp = STAGE__V1__REMOVE_FILES_RESPONSE__INIT;
    Stage__V1__Job pj = STAGE__V1__JOB__INIT;
    struct job j;
    if (call_read_request(c, &stage__v1__remove_files_request__descriptor, &req))
        return;
    job_init(&j);
    j.kind = JOB_REMOVE;
    j.dry_run = req->dry_run;
    int rc = submit(c, &j, req->location, false, AUTHZ_WRITE, req->pattern, req->idempotency_key);
    protobuf_c_message_free_unpacked(&req->base, NULL);
    if (rc)
        return;
    jobs_to_proto(&j, &pj);
    resp.job = &pj;
    call_reply(c, &resp.base);
}
