/* listing.h - the shape shared by the commands that read a listing (ls, du):
 * the options `@LOCATION [--pattern RE]`, then ListFiles streamed page by
 * page into a callback, so no command buffers more than one page. */
#ifndef STAGECTL_LISTING_H
#define STAGECTL_LISTING_H

#include "cli.h"

/* Parse argv (global options, --pattern, one location), connect, and call
 * ListFiles, `on_page` seeing each ListFilesResponse with `ud`. On 0,
 * `*loc` is the location. Otherwise the exit code the command returns
 * (--help printed, a usage error, or the call's error reported about the
 * location). */
int listing_run(struct cli *cli, int argc, char **argv, rpc_msg_fn *on_page, void *ud,
                const char **loc);

#endif
