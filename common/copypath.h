/* copypath.h - where CopyFiles puts each file: the pure naming rules shared
 * by the frontend (validation) and the worker (docs/jobs.md "COPY").
 *
 * `from` is a key prefix P relative to the source stage root (as in
 * ListFiles), `to` a path T relative to the target stage root:
 *   - T is a directory when it is "" or ends in '/'. A source file R (which
 *     starts with P) goes to T + R minus P's directory part (P up to and
 *     including its last '/'), as `cp -r` does: "data/" -> "out/" copies
 *     "data/x/y.csv" to "out/x/y.csv"; "data" -> "out/" gives
 *     "out/data/x/y.csv" and "out/data.csv"; "d/a.csv" -> "out/" gives
 *     "out/a.csv".
 *   - otherwise T names one file: only R == P is copied, to T.
 * Pure and thread-safe. */
#ifndef STAGE_COPYPATH_H
#define STAGE_COPYPATH_H

#include <stdbool.h>
#include <stddef.h>

/* True if `to` names a directory ("" or a trailing '/'). */
bool copypath_to_dir(const char *to);

/* The target path of source file `rel` (relative to the source root, starting
 * with `from`) into `out`. 0; ST_ENOTFOUND if `rel` is not copied (a file
 * target and rel != from); ST_ELIMIT if `out` (n bytes) is too small. */
int copypath_target(const char *from, const char *to, const char *rel, char *out, size_t n);

/* True if, on one backend place, a target path under `to` may lie inside the
 * source prefix `from`: such a copy could read its own output (or copy a
 * file onto itself), so the frontend refuses it. */
bool copypath_overlaps(const char *from, const char *to);

#endif
