/* cmd_ls.c - stagectl ls @loc [--pattern RE]: ListFiles, printed page by page
 * as it streams in (a table, or one JSON document per file). */
#include "cli.h"
#include "listing.h"
#include "filter.h"
#include "out.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: stagectl ls @LOCATION [--pattern RE | --include GLOB... --exclude GLOB...]\n"
    "\n"
    "List files. The location is a key prefix, as in Databend: @~/2023 lists\n"
    "2023/x.csv and 2023.csv; @~/2023/ only what is under 2023/.\n"
    "Prints NAME, SIZE, LAST_MODIFIED and MD5 ('-' when unknown; --json: one\n"
    "document per file, with sha256 and creator too).\n"
    "\n" FILTER_HELP;

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
    struct ls l = {.cli = cli};
    const char *loc = NULL;
    int rc = listing_run(cli, argc, argv, on_page, &l, &loc);
    if (rc >= 0) /* --help, or an error already reported */
        return rc;
    if (!cli->json && l.width == 0)
        printf("%-4s  %10s  %-24s  %s\n", "NAME", "SIZE", "LAST_MODIFIED", "MD5");
    return CLI_EXIT_OK;
}

const struct cli_cmd cmd_ls = {"ls", run, "list files (prefix, optional pattern)", usage};
