/* globre.h - --include/--exclude GLOB, as rclone and gsutil read globs,
 * translated to the one PCRE2 `pattern` that ListFiles, RemoveFiles and
 * CopyFiles take (matched by the server against the whole path after the
 * location prefix, anchored at both ends).
 *
 * Glob syntax: `*` any characters but '/', `**` any characters, `?` one
 * character but '/', `[abc]` `[a-z]` `[!abc]` a class, `\x` the character
 * x; everything else is itself. A name is selected when it matches one of
 * the includes (or there are none) and none of the excludes: a set, not
 * aws s3's order-dependent filter chain, because one regex can say that
 * plainly and a chain cannot.
 *
 * Pure; any thread. */
#ifndef STAGECTL_GLOBRE_H
#define STAGECTL_GLOBRE_H

#include <stddef.h>

/* The longest pattern the server accepts (PATTERN_MAX in common/pattern.c). */
#define GLOBRE_MAX 1024

/* The pattern of includes `inc[0..ni)` and excludes `exc[0..ne)` (not both
 * empty) into `out` (n bytes). 0; ST_EINVAL for a glob that is empty or has
 * an unclosed '[' (or a trailing '\'), with the reason in `err`; ST_ELIMIT
 * if the pattern is longer than GLOBRE_MAX or `n`. */
int globre_build(const char *const *inc, size_t ni, const char *const *exc, size_t ne, char *out,
                 size_t n, char *err, size_t errlen);

#endif
