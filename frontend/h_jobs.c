/* h_jobs.c - GetJob, the polling call: authentication and the job's HGETALL
 * go to Redis in one round trip (GetJob runs unauthenticated in the method
 * table and authenticates itself through svc_auth_with()). A job that is
 * not the caller's (unless admin) is reported as missing, so ids of others
 * leak nothing. */
#include "auth.h"
#include "authz.h"
#include "db.h"
#include "err.h"
#include "handlers.h"
#include "job.h"
#include "jobs.h"
#include "keys.h"
#include "svc.h"

#include <hiredis/hiredis.h>

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <string.h>

static bool id_valid(const char *id)
{
    return strlen(id) == JOB_ID_LEN && strspn(id, "0123456789abcdef") == JOB_ID_LEN;
}

int svc_get_job(struct svc *s, ProtobufCMessage *msg)
{
    const Stage__V1__GetJobRequest *req = (const Stage__V1__GetJobRequest *)msg;
    Stage__V1__GetJobResponse resp = STAGE__V1__GET_JOB_RESPONSE__INIT;
    Stage__V1__Job pj = STAGE__V1__JOB__INIT;
    struct job j;
    snprintf(s->job, sizeof(s->job), "%.32s", req->job_id);
    char key[KEY_MAX] = "st:job:-";
    if (id_valid(req->job_id))
        keys_job(key, sizeof(key), req->job_id);
    const char *argv[2] = {"HGETALL", key};
    size_t lens[2] = {7, strlen(key)};
    struct auth_extra x = {2, argv, lens};
    struct redisReply *r = NULL;
    int rc = svc_auth_with(s, &x, &r);
    if (rc)
        return rc;
    rc = id_valid(req->job_id) ? jobs_from_reply(s->db, req->job_id, r, &j) : ST_ENOTFOUND;
    if (r)
        freeReplyObject(r);
    if (!rc && !s->admin && !authz_owns(s->user, s->user_since, j.user, j.created_at))
        rc = ST_ENOTFOUND;
    if (rc == ST_ENOTFOUND)
        return svc_fail(s, rc, "job '%.64s' not found", req->job_id);
    if (rc)
        return svc_fail(s, rc, "%s", s->db->err);
    jobs_to_proto(&j, &pj);
    resp.job = &pj;
    return svc_reply(s, &resp.base);
}
