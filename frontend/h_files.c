/* h_files.c - StatFile (a STAT job, waited for) and RemoveFiles (a REMOVE
 * job, answered at once: the client polls GetJob). */
#include "authz.h"
#include "config.h"
#include "db.h"
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

/* Validate, build and queue a job. */
static int submit(struct svc *s, struct job *j, const char *location, bool need_file, unsigned need,
                  const char *pattern, const char *idem)
{
    bool existing = false;
    char err[400];
    snprintf(j->user, sizeof(j->user), "%s", s->user);
    snprintf(s->location, sizeof(s->location), "%s", location);
    int rc = svc_locate(s, location, need_file, need, j, err, sizeof(err));
    if (!rc && pattern)
        rc = pattern_check(pattern, err, sizeof(err));
    if (!rc) {
        if (pattern)
            snprintf(j->pattern, sizeof(j->pattern), "%s", pattern);
        rc = jobs_create_idem(s->db, s->cfg, j, idem, &existing, err, sizeof(err));
    }
    if (rc)
        return svc_fail(s, rc, "%s", err);
    snprintf(s->job, sizeof(s->job), "%s", j->id);
    return 0;
}

int svc_stat(struct svc *s, ProtobufCMessage *msg)
{
    const Stage__V1__StatFileRequest *req = (const Stage__V1__StatFileRequest *)msg;
    Stage__V1__StatFileResponse resp = STAGE__V1__STAT_FILE_RESPONSE__INIT;
    Stage__V1__FileInfo fi = STAGE__V1__FILE_INFO__INIT;
    struct job j;
    job_init(&j);
    j.kind = JOB_STAT;
    int rc = submit(s, &j, req->location, true, AUTHZ_READ, NULL, NULL);
    if (rc)
        return rc;
    rc = svc_wait_job(s, &j, xfer_ended, 0);
    if (rc == ST_EPRECOND)
        return svc_job_outcome(s, &j);
    if (rc)
        return svc_wait_fail(s, &j, rc);
    jobs_file_info(&j, &fi);
    resp.info = &fi;
    return svc_reply(s, &resp.base);
}

int svc_remove(struct svc *s, ProtobufCMessage *msg)
{
    const Stage__V1__RemoveFilesRequest *req = (const Stage__V1__RemoveFilesRequest *)msg;
    Stage__V1__RemoveFilesResponse resp = STAGE__V1__REMOVE_FILES_RESPONSE__INIT;
    Stage__V1__Job pj = STAGE__V1__JOB__INIT;
    struct job j;
    job_init(&j);
    j.kind = JOB_REMOVE;
    j.dry_run = req->dry_run;
    int rc = submit(s, &j, req->location, false, AUTHZ_WRITE, req->pattern, req->idempotency_key);
    if (rc)
        return rc;
    jobs_to_proto(&j, &pj);
    resp.job = &pj;
    return svc_reply(s, &resp.base);
}
