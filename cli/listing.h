/* listing.h - the shape shared by the commands that read a listing (ls, du):
 * the options `@LOCATION [--pattern RE | --include/--exclude GLOB]` (filter.h), then ListFiles
 * streamed page by page into a callback, so no command buffers more than one page. */
#ifndef STAGECTL_LISTING_H
#define STAGECTL_LISTING_H

#include "cli.h"

/* Parse argv (global options, the filter, one location), connect, and call
 * ListFiles, `on_page` seeing each ListFilesResponse with `ud`. Returns -1
 * when the listing ran to its end (`*loc` is the location); otherwise the
 * exit code the command returns: 0 after --help, 2 for a usage error, 1
 * for the call's error (reported about the location). */
int listing_run(struct cli *cli, int argc, char **argv, rpc_msg_fn *on_page, void *ud,
                const char **loc);

#endif
