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

/* Escape `name` into `out` (n bytes) so that PCRE2 matches it literally
 * (every byte < 0x80 that is not a letter or digit gets a backslash).
 * 0, or ST_ELIMIT if it does not fit. */
int rmloc_escape(const char *name, char *out, size_t n);

/* The longest pattern the server accepts (PATTERN_MAX in common/pattern.c). */
#define RMLOC_PATTERN_MAX 1024

/* Add `name` to `pat` (n bytes; "" to start), an alternation "(?:a|b)"
 * that the server, which anchors patterns, matches against those exact
 * names only: how `mv -r` removes exactly the files its copy copied.
 * 0; ST_ELIMIT, `pat` unchanged, if the result would be longer than
 * RMLOC_PATTERN_MAX or `n` (start a new pattern then). */
int rmloc_alt_add(char *pat, size_t n, const char *name);

#endif
