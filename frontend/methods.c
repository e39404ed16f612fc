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
    UNARY(CreateUser, svc_create_user, create_user_request),
    UNARY(DropUser, svc_drop_user, drop_user_request),
    UNARY(AlterUser, svc_alter_user, alter_user_request),
    UNARY(ListUsers, svc_list_users, list_users_request),
    UNARY(CreateStage, svc_create_stage, create_stage_request),
    UNARY(DropStage, svc_drop_stage, drop_stage_request),
    UNARY(AlterStage, svc_alter_stage, alter_stage_request),
    UNARY(DescribeStage, svc_describe_stage, describe_stage_request),
    UNARY(ListStages, svc_list_stages, list_stages_request),
    UNARY(Grant, svc_grant, grant_request),
    UNARY(Revoke, svc_revoke, revoke_request),
    UNARY(ShowGrants, svc_show_grants, show_grants_request),
    STREAM(SVC "UploadFile", "UploadFile", SHAPE_CLIENT_STREAM, h_upload),
    STREAM(SVC "DownloadFile", "DownloadFile", SHAPE_SERVER_STREAM, h_download),
    STREAM(SVC "ListFiles", "ListFiles", SHAPE_SERVER_STREAM, h_list),
    UNARY(RemoveFiles, svc_remove, remove_files_request),
    UNARY(CopyFiles, svc_copy, copy_files_request),
    UNARY(StatFile, svc_stat, stat_file_request),
    UNARY(PresignFile, svc_presign, presign_file_request),
    /* authenticates itself (svc_auth_with), in the same Redis round trip as the job */
    UNARY_AS(GetJob, false, svc_get_job, get_job_request),
    STREAM(SVC "WatchJob", "WatchJob", SHAPE_SERVER_STREAM, h_watch_job),
    UNARY(ListJobs, svc_list_jobs, list_jobs_request),
    UNARY(CancelJob, svc_cancel_job, cancel_job_request),
    UNARY(GetJobResults, svc_get_job_results, get_job_results_request),
    {"/grpc.health.v1.Health/Check", "Health/Check", SHAPE_UNARY, false, svc_call,
     &grpc__health__v1__health_check_request__descriptor, svc_health_check},
    {"/grpc.health.v1.Health/Watch", "Health/Watch", SHAPE_SERVER_STREAM, false, h_health_watch,
     NULL, NULL},
    /* server reflection: the API's schema, no authentication (h_reflect.c) */
    {"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", "Reflection/Info",
     SHAPE_BIDI_STREAM, false, h_reflect, NULL, NULL},
    {"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", "Reflection/v1alpha",
     SHAPE_BIDI_STREAM, false, h_reflect, NULL, NULL},
};

const struct method *methods_table(int *n)
{
    *n = (int)(sizeof(table) / sizeof(table[0]));
    return table;
}
