/* rmloc.h - how `stagectl rm @loc` names exactly one file through
 * RemoveFiles, whose location is a key prefix (Databend's semantics:
 * @~/2024 also matches 2024.csv and 2024/x).
 *
 * The file's directory becomes the location and its base name, every
 * character that is not a letter or a digit escaped, the pattern (PCRE2,
 * matched against the whole rest of the key): the server then matches that
 * one key or none, in the same job that removes it. No stat before the
 * remove: nothing can change between a check and the removal (a file
 * created as @~/2024.csv meanwhile is never taken for @~/2024).
 *
 * Pure; any thread. */
#ifndef STAGECTL_RMLOC_H
#define STAGECTL_RMLOC_H

#include <stddef.h>

/* Split `loc` ("@~/dir/a.csv", "@st/a.csv") into `dir` ("@~/dir/") and
 * `pattern` ("a\.csv"). 0; ST_EINVAL if `loc` names no file (no path after
 * the stage, or a trailing '/'); ST_ELIMIT if an output does not fit. */
int rmloc_split(const char *loc, char *dir, size_t dirlen, char *pattern, size_t patlen);

#endif
