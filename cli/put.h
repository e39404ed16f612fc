/* put.h - the upload path of `stagectl put` (cmd_put.c), shared with
 * `stagectl sync`: the file hashed, then streamed in 1 MiB chunks with its
 * SHA-256 in the header, which the worker checks before it stores it. */
#ifndef STAGECTL_PUT_H
#define STAGECTL_PUT_H

#include "cli.h"

/* Upload the regular file `file` to `loc`, replacing what is there, and
 * wait until it is stored; as one file of several (a line per file, or a
 * JSON object, unless --quiet). One call at a time per `cli`; pool threads
 * may call it with their own. Returns an exit code. */
int put_replace(struct cli *cli, const char *file, const char *loc);

#endif
