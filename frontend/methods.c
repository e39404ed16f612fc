/* methods.c - every method the frontend registers: path, shape, whether it
 * needs authentication, and its handler: a unary method names its request
 * type and its service function (svc.h), which svc_call runs; a stream has
 * a handler of its own. The shapes come from proto/stage/v1/stage.proto
 * (protobuf-c records no streaming flags). */
#include "call.h"
#include "handlers.h"
#include "server.h"
#include "svc.h"

#include "grpc/health/v1/health.pb-c.h"
#include "stage/v1/stage.pb-c.h"

#define SVC "/stage.v1.StageService/"

/* A unary method: authenticated or not, its request type, its function. */
#define UNARY_AS(name, auth, fn, req)                                                              \
    {                                                                                              \
        SVC #name, #name, SHAPE_UNARY, auth, svc_call, &stage__v1__##req##__descriptor, fn         \
    }
#define UNARY(name, fn, req) UNARY_AS(name, true, fn, req)

/* A streaming method and its handler. */
#define STREAM(path, rpc, shape, fn)                                                               \
    {                                                                                              \
        path, rpc, shape, true, fn, NULL, NULL                                                     \
    }

static const struct method table[] = {
    UNARY_AS(Login, false, svc_login, login_request),
    STREAM(SVC "CreateUser", "CreateUser", SHAPE_UNARY, h_create_user),
    STREAM(SVC "DropUser", "DropUser", SHAPE_UNARY, h_drop_user),
    STREAM(SVC "AlterUser", "AlterUser", SHAPE_UNARY, h_alter_user),
    STREAM(SVC "ListUsers", "ListUsers", SHAPE_UNARY, h_list_users),
    STREAM(SVC "CreateStage", "CreateStage", SHAPE_UNARY, h_create_stage),
    STREAM(SVC "DropStage", "DropStage", SHAPE_UNARY, h_drop_stage),
    STREAM(SVC "AlterStage", "AlterStage", SHAPE_UNARY, h_alter_stage),
    STREAM(SVC "DescribeStage", "DescribeStage", SHAPE_UNARY, h_describe_stage),
    STREAM(SVC "ListStages", "ListStages", SHAPE_UNARY, h_list_stages),
    UNARY(Grant, svc_grant, grant_request),
    UNARY(Revoke, svc_revoke, revoke_request),
    UNARY(ShowGrants, svc_show_grants, show_grants_request),
    STREAM(SVC "UploadFile", "UploadFile", SHAPE_CLIENT_STREAM, h_upload),
    STREAM(SVC "DownloadFile", "DownloadFile", SHAPE_SERVER_STREAM, h_download),
    STREAM(SVC "ListFiles", "ListFiles", SHAPE_SERVER_STREAM, h_list),
    STREAM(SVC "RemoveFiles", "RemoveFiles", SHAPE_UNARY, h_remove),
    STREAM(SVC "CopyFiles", "CopyFiles", SHAPE_UNARY, h_copy),
    STREAM(SVC "StatFile", "StatFile", SHAPE_UNARY, h_stat),
    STREAM(SVC "PresignFile", "PresignFile", SHAPE_UNARY, h_presign),
    /* authenticates itself (svc_auth_with), in the same Redis round trip as the job */
    UNARY_AS(GetJob, false, svc_get_job, get_job_request),
    STREAM(SVC "WatchJob", "WatchJob", SHAPE_SERVER_STREAM, h_watch_job),
    STREAM(SVC "ListJobs", "ListJobs", SHAPE_UNARY, h_list_jobs),
    STREAM(SVC "CancelJob", "CancelJob", SHAPE_UNARY, h_cancel_job),
    STREAM(SVC "GetJobResults", "GetJobResults", SHAPE_UNARY, h_get_job_results),
    {"/grpc.health.v1.Health/Check", "Health/Check", SHAPE_UNARY, false, svc_call,
     &grpc__health__v1__health_check_request__descriptor, svc_health_check},
    {"/grpc.health.v1.Health/Watch", "Health/Watch", SHAPE_SERVER_STREAM, false, h_health_watch,
     NULL, NULL},
};

const struct method *methods_table(int *n)
{
    *n = (int)(sizeof(table) / sizeof(table[0]));
    return table;
}
