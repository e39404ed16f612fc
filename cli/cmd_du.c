/* cmd_du.c - stagectl du @prefix [--pattern RE]: how many files and bytes
 * are under a prefix (`aws s3 ls --summarize`, `gsutil du -s`, `rclone
 * size`). ListFiles streams in pages; each page is added to two counters
 * and dropped, so memory stays one page whatever the prefix holds. */
#include "cli.h"
#include "listing.h"
#include "filter.h"
#include "out.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>

static const char usage[] =
    "usage: stagectl du @LOCATION [--pattern RE | --include GLOB... --exclude GLOB...]\n"
    "\n"
    "The number of files and their total size under the key prefix LOCATION\n"
    "(as for ls: @~/2024 counts 2024/... and 2024.csv). With --json:\n"
    "  {\"files\": N, \"bytes\": B, \"location\": \"@~/2024\"}\n"
    "\n" FILTER_HELP;

struct du {
    int64_t files, bytes;
};

static int on_page(const ProtobufCMessage *msg, void *ud, struct rpc_status *st)
{
    struct du *d = ud;
    const Stage__V1__ListFilesResponse *page = (const Stage__V1__ListFilesResponse *)msg;
    (void)st;
    d->files += (int64_t)page->n_files;
    for (size_t i = 0; i < page->n_files; i++)
        d->bytes += page->files[i]->size;
    return 0;
}

static void print(struct cli *cli, const char *loc, const struct du *d)
{
    char a[16];
    if (cli->json)
        out_print_json(json_pack("{s:I,s:I,s:s}", "files", (json_int_t)d->files, "bytes",
                                 (json_int_t)d->bytes, "location", loc));
    else
        printf("%lld file%s, %s (%lld bytes) under %s\n", (long long)d->files,
               d->files == 1 ? "" : "s", out_size(a, d->bytes), (long long)d->bytes, loc);
}

static int run(struct cli *cli, int argc, char **argv)
{
    struct du d = {0, 0};
    const char *loc = NULL;
    int rc = listing_run(cli, argc, argv, on_page, &d, &loc);
    if (rc >= 0) /* --help, or an error already reported */
        return rc;
    print(cli, loc, &d);
    return CLI_EXIT_OK;
}

const struct cli_cmd cmd_du = {"du", run, "count the files and bytes under a prefix", usage};
