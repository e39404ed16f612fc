/* pagetok.h - page tokens. GetJobResults: the offset of the next result in
 * the job's result list, in decimal ("1000"). ListJobs: "<job id>.<score>",
 * the last job of the page and its score (created_at, Unix ms). A token
 * comes back from the client, so it is parsed with bounds: an offset is
 * digits only, at most PAGETOK_OFFSET_MAX, so `offset + page` never
 * overflows; a score is digits only, so Redis never sees a bad range.
 * Pure; any thread. */
#ifndef STAGE_FE_PAGETOK_H
#define STAGE_FE_PAGETOK_H

#include <stddef.h>

/* Far beyond any result list (one entry per file of a job), far below
 * LLONG_MAX: offset + any page size fits in a long long. */
#define PAGETOK_OFFSET_MAX 1000000000000LL /* 10^12 */

/* "" -> 0; "0".."1000000000000" (decimal digits, no sign, space or leading
 * zero) -> that value. 0, or ST_EINVAL for anything else (*out is 0). */
int pagetok_offset_parse(const char *tok, long long *out);

/* A ListJobs token: `idlen` lowercase hex digits, '.', 1-19 decimal digits.
 * 0 with the id copied to `id` (idlen + 1 bytes) and the score's digits to
 * `score` (20 bytes), or ST_EINVAL. */
int pagetok_jobs_parse(const char *tok, size_t idlen, char *id, char score[20]);

#endif
