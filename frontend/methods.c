/* methods.c - every method the frontend registers: path, shape, whether it
 * needs authentication, and its handler. The shapes come from
 * proto/stage/v1/stage.proto (protobuf-c records no streaming flags). */
#include "call.h"
#include "handlers.h"
#include "server.h"

#include <grpc/status.h>

#define SVC "/stage.v1.StageService/"

/* An authenticated unary method. */
#define UNARY(name, fn)                                                                            \
    {                                                                                              \
        SVC #name, #name, SHAPE_UNARY, true, fn                                                    \
    }

static const struct method table[] = {
    {SVC "Login", "Login", SHAPE_UNARY, false, h_login},
    UNARY(CreateUser, h_create_user),
    UNARY(DropUser, h_drop_user),
    UNARY(AlterUser, h_alter_user),
    UNARY(ListUsers, h_list_users),
    UNARY(CreateStage, h_create_stage),
    UNARY(DropStage, h_drop_stage),
    UNARY(AlterStage, h_alter_stage),
    UNARY(DescribeStage, h_describe_stage),
    UNARY(ListStages, h_list_stages),
    UNARY(Grant, h_grant),
    UNARY(Revoke, h_revoke),
    UNARY(ShowGrants, h_show_grants),
    {SVC "UploadFile", "UploadFile", SHAPE_CLIENT_STREAM, true, h_upload},
    {SVC "DownloadFile", "DownloadFile", SHAPE_SERVER_STREAM, true, h_download},
    {SVC "ListFiles", "ListFiles", SHAPE_SERVER_STREAM, true, h_list},
    UNARY(RemoveFiles, h_remove),
    UNARY(CopyFiles, h_copy),
    UNARY(StatFile, h_stat),
    UNARY(PresignFile, h_presign),
    /* authenticates itself, in the same Redis round trip as the job */
    {SVC "GetJob", "GetJob", SHAPE_UNARY, false, h_get_job},
    {SVC "WatchJob", "WatchJob", SHAPE_SERVER_STREAM, true, h_watch_job},
    UNARY(ListJobs, h_list_jobs),
    UNARY(CancelJob, h_cancel_job),
    UNARY(GetJobResults, h_get_job_results),
    {"/grpc.health.v1.Health/Check", "Health/Check", SHAPE_UNARY, false, h_health_check},
    {"/grpc.health.v1.Health/Watch", "Health/Watch", SHAPE_SERVER_STREAM, false, h_health_watch},
};

const struct method *methods_table(int *n)
{
    *n = (int)(sizeof(table) / sizeof(table[0]));
    return table;
}
