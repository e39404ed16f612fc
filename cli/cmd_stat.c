/* cmd_stat.c - stagectl stat @loc: StatFile. */
#include "admin.h"
#include "cli.h"
#include "out.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>

static const char usage[] = "usage: stagectl stat @LOCATION\n"
                            "\n"
                            "Show one file: name, size, last modified time (and md5/etag when\n"
                            "the backend has them).\n";

static int run(struct cli *cli, int argc, char **argv)
{
    Stage__V1__StatFileRequest req = STAGE__V1__STAT_FILE_REQUEST__INIT;
    Stage__V1__StatFileResponse *resp = NULL;
    int rc = cli_getopt_global(cli, argc, argv);
    if (rc >= 0)
        return rc;
    if ((rc = cli_location_arg(cli, argc, argv, &req.location)) != 0)
        return rc;
    rc = admin_call(cli, "StatFile", &req.base, &stage__v1__stat_file_response__descriptor,
                    req.location, (ProtobufCMessage **)&resp);
    if (rc)
        return rc;
    if (resp->info)
        out_print_file(cli->json, resp->info);
    else
        rc = cli_fail(cli, req.location, "INTERNAL", "the server returned no FileInfo");
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return rc;
}

const struct cli_cmd cmd_stat = {"stat", run, "show one file's size and time", usage};
