/* cmd_ls.c - stagectl ls @loc [--pattern RE]: ListFiles, printed page by page
 * as it streams in (a table, or one JSON document per file). */
#include "cli.h"
#include "out.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <string.h>

enum { O_PATTERN = CLI_OPT_FIRST_CMD };

static const char usage[] =
    "usage: stagectl ls @LOCATION [--pattern RE]\n"
    "\n"
    "List files. The location is a key prefix, as in Databend: @~/2023 lists\n"
    "2023/x.csv and 2023.csv; @~/2023/ only what is under 2023/.\n"
    "Prints NAME, SIZE, LAST_MODIFIED and MD5 ('-' when unknown; --json: one\n"
    "document per file, with sha256 and creator too).\n"
    "\n"
    "  --pattern RE  only names matching the PCRE2 pattern RE (anchored; matched\n"
    "                against the whole path after the location prefix)\n";

struct ls {
    struct cli *cli;
    int width; /* name column, fixed by the first page */
    long count;
};

static void print_row(struct ls *l, const Stage__V1__FileInfo *f)
{
    char a[16], t[32];
    if (l->cli->json) {
        out_print_json(out_msg_json(&f->base));
        return;
    }
    printf("%-*s  %10s  %-24s  %s\n", l->width, f->name, out_size(a, f->size),
           out_time(t, f->last_modified), f->md5[0] ? f->md5 : "-");
}

static int on_page(const ProtobufCMessage *msg, void *ud, struct rpc_status *st)
{
    struct ls *l = ud;
    const Stage__V1__ListFilesResponse *page = (const Stage__V1__ListFilesResponse *)msg;
    (void)st;
    if (!l->cli->json && l->width == 0) {
        l->width = 4;
        for (size_t i = 0; i < page->n_files; i++) {
            int n = (int)strlen(page->files[i]->name);
            l->width = n > l->width ? (n < 80 ? n : 80) : l->width;
        }
        printf("%-*s  %10s  %-24s  %s\n", l->width, "NAME", "SIZE", "LAST_MODIFIED", "MD5");
    }
    for (size_t i = 0; i < page->n_files; i++)
        print_row(l, page->files[i]);
    l->count += (long)page->n_files;
    fflush(stdout);
    return 0;
}

static int run(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_GLOBAL_OPTIONS, {"pattern", required_argument, NULL, O_PATTERN}, {NULL, 0, NULL, 0}};
    Stage__V1__ListFilesRequest req = STAGE__V1__LIST_FILES_REQUEST__INIT;
    struct rpc_status st;
    struct ls l = {.cli = cli};
    int c, rc;
    while ((c = cli_getopt(cli, argc, argv, opts)) >= 0)
        if (c == O_PATTERN)
            req.pattern = optarg;
    if (c != -1)
        return CLI_OPT_EXIT(c);
    if ((rc = cli_location_arg(cli, argc, argv, &req.location)) != 0)
        return rc;
    rc = cli_connect(cli, true);
    if (rc)
        return rc;
    rc = rpc_server_stream(&cli->conn, RPC_SERVICE "ListFiles", &req.base,
                           &stage__v1__list_files_response__descriptor, on_page, &l, &st);
    if (rc)
        return cli_fail_rpc(cli, req.location, rc, &st);
    if (!cli->json && l.width == 0)
        printf("%-4s  %10s  %-24s  %s\n", "NAME", "SIZE", "LAST_MODIFIED", "MD5");
    return CLI_EXIT_OK;
}

const struct cli_cmd cmd_ls = {"ls", run, "list files (prefix, optional pattern)", usage};
