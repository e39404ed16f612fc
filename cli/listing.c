/* listing.c - see listing.h. */
#include "listing.h"

#include "stage/v1/stage.pb-c.h"

enum { O_PATTERN = CLI_OPT_FIRST_CMD };

int listing_run(struct cli *cli, int argc, char **argv, rpc_msg_fn *on_page, void *ud,
                const char **loc)
{
    static const struct option opts[] = {
        CLI_GLOBAL_OPTIONS, {"pattern", required_argument, NULL, O_PATTERN}, {NULL, 0, NULL, 0}};
    Stage__V1__ListFilesRequest req = STAGE__V1__LIST_FILES_REQUEST__INIT;
    struct rpc_status st;
    int c, rc;
    while ((c = cli_getopt(cli, argc, argv, opts)) >= 0)
        if (c == O_PATTERN)
            req.pattern = optarg;
    if (c != -1)
        return CLI_OPT_EXIT(c);
    if ((rc = cli_location_arg(cli, argc, argv, &req.location)) != 0)
        return rc;
    if ((rc = cli_connect(cli, true)) != 0)
        return rc;
    rc = rpc_server_stream(&cli->conn, RPC_SERVICE "ListFiles", &req.base,
                           &stage__v1__list_files_response__descriptor, on_page, ud, &st);
    if (rc)
        return cli_fail_rpc(cli, req.location, rc, &st);
    *loc = req.location;
    return 0;
}
