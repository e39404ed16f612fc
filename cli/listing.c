/* listing.c - see listing.h. */
#include "listing.h"

#include "filter.h"

#include "stage/v1/stage.pb-c.h"

int listing_run(struct cli *cli, int argc, char **argv, rpc_msg_fn *on_page, void *ud,
                const char **loc)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS, FILTER_OPTIONS, {NULL, 0, NULL, 0}};
    Stage__V1__ListFilesRequest req = STAGE__V1__LIST_FILES_REQUEST__INIT;
    struct rpc_status st;
    struct filter f = {0};
    const char *pattern = NULL;
    int c, rc;
    while ((c = cli_getopt(cli, argc, argv, opts)) >= 0)
        filter_opt(&f, c, optarg);
    if (c != -1)
        return CLI_OPT_EXIT(c);
    if ((rc = filter_pattern(cli, &f, &pattern)) != 0)
        return rc;
    if (pattern)
        req.pattern = (char *)pattern;
    if ((rc = cli_location_arg(cli, argc, argv, &req.location)) != 0)
        return rc;
    if ((rc = cli_connect(cli, true)) != 0)
        return rc;
    rc = rpc_server_stream(&cli->conn, RPC_SERVICE "ListFiles", &req.base,
                           &stage__v1__list_files_response__descriptor, on_page, ud, &st);
    if (rc)
        return cli_fail_rpc(cli, req.location, rc, &st);
    *loc = req.location;
    return -1;
}
