/* pattern.h - the `pattern` of ListFiles/RemoveFiles: a PCRE2 regex matched
 * against the whole path after the location prefix (anchored at both ends,
 * as Databend does: ".*[.]csv" matches "a/b.csv", "csv" does not).
 *
 * A compiled pattern is immutable; pattern_match() allocates its own match
 * data, so one pattern may be shared by threads. */
#ifndef STAGE_PATTERN_H
#define STAGE_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

struct pattern;

/* Compile `re` (UTF-8). Returns 0 and sets *out, or ST_EINVAL with PCRE2's
 * message and offset in `err` ("pattern: missing ) at offset 3"), or ST_ENOMEM.
 * An empty `re` is valid and matches everything. */
int pattern_compile(struct pattern **out, const char *re, char *err, size_t errlen);

/* True if the whole of `subject[0..len)` matches. */
bool pattern_match(const struct pattern *p, const char *subject, size_t len);

/* NULL-safe; returns NULL. */
struct pattern *pattern_free(struct pattern *p);

#endif
