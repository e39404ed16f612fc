/* get.h - the download path of `stagectl get` (cmd_get.c), shared with
 * `stagectl cat` so that both verify what they receive the same way: one
 * DownloadFile, the bytes written as they arrive, then checked against the
 * SHA-256 (else MD5) the server recorded. Single-threaded per struct cli. */
#ifndef STAGECTL_GET_H
#define STAGECTL_GET_H

#include "cli.h"

/* The whole file at `loc` ("@~/a.csv") to stdout. Returns an exit code:
 * a failed call or a digest mismatch is reported about `loc` (on a
 * mismatch the bytes are already out; the message says so). */
int get_to_stdout(struct cli *cli, const char *loc);

#endif
