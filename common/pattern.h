/* pattern.h - the `pattern` of ListFiles/RemoveFiles/CopyFiles: a PCRE2 regex
 * matched against the whole path after the location prefix (anchored at both
 * ends, as Databend does: ".*[.]csv" matches "a/b.csv", "csv" does not).
 *
 * A regex is attacker-chosen and some cost exponential time on the right
 * subject ("(a|a)+$" over "aaaa...b"). Every match runs under PCRE2 match,
 * depth and heap limits (PATTERN_MATCH_LIMIT ...), and a limit hit is an
 * error, ST_EINVAL "pattern too expensive: ...", never a silent "no match"
 * (a REMOVE would skip files, a LIST would shrink). With the limits one match
 * costs at most a few milliseconds.
 *
 * A compiled pattern is immutable; pattern_match() allocates its own match
 * data, so one pattern may be shared by threads. */
#ifndef STAGE_PATTERN_H
#define STAGE_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

/* Limits of one match (see pcre2_set_match_limit(3) and friends). The match
 * limit counts backtracking steps (also with the JIT); the depth limit bounds
 * nested backtracking, the heap limit (KiB) the memory for it (interpreter). */
#define PATTERN_MATCH_LIMIT 200000
#define PATTERN_DEPTH_LIMIT 10000
#define PATTERN_HEAP_LIMIT  4096 /* KiB */

struct pattern;

/* Compile `re` (UTF-8) for matching, with the JIT where PCRE2 has one.
 * Returns 0 and sets *out, or ST_EINVAL with PCRE2's message and offset in
 * `err` ("pattern: missing ) at offset 3"), or ST_ENOMEM. An empty `re` is
 * valid and matches everything. */
int pattern_compile(struct pattern **out, const char *re, char *err, size_t errlen);

/* Only check that `re` compiles (no JIT, nothing kept): what the frontend
 * does before it queues a job. Same results as pattern_compile(). */
int pattern_check(const char *re, char *err, size_t errlen);

/* Does the whole of `subject[0..len)` match? 1: yes; 0: no (also for a
 * subject that is not valid UTF-8); ST_EINVAL: a limit was hit, `err` holds
 * "pattern too expensive: <PCRE2's reason>"; ST_ENOMEM. `err` may be NULL. */
int pattern_match(const struct pattern *p, const char *subject, size_t len, char *err,
                  size_t errlen);

/* NULL-safe; returns NULL. */
struct pattern *pattern_free(struct pattern *p);

#endif
