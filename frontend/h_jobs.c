/* h_jobs.c - GetJob, the polling call: authentication and the job's HGETALL
 * go to Redis in one round trip (GetJob runs unauthenticated in the method
 * table and authenticates itself). A job that is not the caller's (unless
 * admin) is reported as missing, so ids of others leak nothing. */
#include "auth.h"
#include "call.h"
#include "db.h"
#include "err.h"
#include "handlers.h"
#include "job.h"
#include "jobs.h"
#include "keys.h"

#include <hiredis/hiredis.h>

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <string.h>

static bool id_valid(const char *id)
{
    return strlen(id) == JOB_ID_LEN && strspn(id, "0123456789abcdef") == JOB_ID_LEN;
}

void h_get_job(struct call *c)
{
    Stage__V1__GetJobRequest *req;
    Stage__V1__GetJobResponse resp = STAGE__V1__GET_JOB_RESPONSE__INIT;
    Stage__V1__Job pj = STAGE__V1__JOB__INIT;
    struct job j;
    if (call_read_request(c, &stage__v1__get_job_request__descriptor, &req))
        return;
    snprintf(c->job, sizeof(c->job), "%.32s", req->job_id);
    char key[KEY_MAX] = "st:job:-";
    if (id_valid(req->job_id))
        keys_job(key, sizeof(key), req->job_id);
    const char *argv[2] = {"HGETALL", key};
    size_t lens[2] = {7, strlen(key)};
    struct auth_extra x = {2, argv, lens};
    struct redisReply *r = NULL;
    if (auth_call_with(c, &x, &r)) {
        protobuf_c_message_free_unpacked(&req->base, NULL);
        return;
    }
    int rc = id_valid(req->job_id) ? jobs_from_reply(c->db, req->job_id, r, &j) : ST_ENOTFOUND;
    if (r)
        freeReplyObject(r);
    if (!rc && !c->admin && strcmp(j.user, c->user) != 0)
        rc = ST_ENOTFOUND;
    if (rc == ST_ENOTFOUND) {
        call_fail(c, rc, "job '%.64s' not found", req->job_id);
    } else if (rc) {
        call_fail(c, rc, "%s", c->db->err);
    } else {
        jobs_to_proto(&j, &pj);
        resp.job = &pj;
        call_reply(c, &resp.base);
    }
    protobuf_c_message_free_unpacked(&req->base, NULL);
}
