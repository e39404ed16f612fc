/* get.h - the download path of `stagectl get` (cmd_get.c), shared with
 * `stagectl cat` and `stagectl sync` so that they verify what they receive
 * the same way: one DownloadFile, the bytes written as they arrive, then
 * checked against the SHA-256 (else MD5) the server recorded. Single-threaded
 * per struct cli. */
#ifndef STAGECTL_GET_H
#define STAGECTL_GET_H

#include "cli.h"

/* The whole file at `loc` ("@~/a.csv") to stdout. Returns an exit code:
 * a failed call or a digest mismatch is reported about `loc` (on a
 * mismatch the bytes are already out; the message says so). */
int get_to_stdout(struct cli *cli, const char *loc);

/* The file at `loc` into `path` (its directories created), as one file of
 * several: through a temp file renamed into place once verified, a line
 * "LOC -> PATH (SIZE)" unless --quiet. Returns an exit code. */
int get_into(struct cli *cli, const char *loc, const char *path);

/* A name from the server stays inside the target directory: not empty, no
 * "..", ".", empty component, absolute path or backslash. */
bool get_name_safe(const char *name);

#endif
