/* cmd_stat.c - stagectl stat @loc: StatFile. */
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
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS, {NULL, 0, NULL, 0}};
    Stage__V1__StatFileRequest req = STAGE__V1__STAT_FILE_REQUEST__INIT;
    Stage__V1__StatFileResponse *resp = NULL;
    struct rpc_status st;
    int c;
    while ((c = cli_getopt(cli, argc, argv, opts)) >= 0)
        ;
    if (c != -1)
        return CLI_OPT_EXIT(c);
    if (argc - optind != 1)
        return cli_usage(cli, "expected one @LOCATION");
    req.location = argv[optind];
    if (req.location[0] != '@')
        return cli_usage(cli, "'%s' is not a stage location (they start with '@')", req.location);
    int rc = cli_connect(cli, true);
    if (rc)
        return rc;
    rc = rpc_unary(&cli->conn, RPC_SERVICE "StatFile", &req.base,
                   &stage__v1__stat_file_response__descriptor, (ProtobufCMessage **)&resp, &st);
    if (rc)
        return cli_fail_rpc(cli, req.location, rc, &st);
    if (resp->info)
        out_print_file(cli->json, resp->info);
    else
        rc = cli_fail(cli, req.location, "INTERNAL", "the server returned no FileInfo");
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return rc;
}

const struct cli_cmd cmd_stat = {"stat", run, "show one file's size and time", usage};
