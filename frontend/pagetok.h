/* pagetok.h - the page tokens of GetJobResults: the offset of the next
 * result in the job's result list, in decimal ("1000"). A token comes back
 * from the client, so it is parsed with bounds: digits only, at most
 * PAGETOK_OFFSET_MAX, so `offset + page` never overflows. Pure; any thread. */
#ifndef STAGE_FE_PAGETOK_H
#define STAGE_FE_PAGETOK_H

/* Far beyond any result list (one entry per file of a job), far below
 * LLONG_MAX: offset + any page size fits in a long long. */
#define PAGETOK_OFFSET_MAX 1000000000000LL /* 10^12 */

/* "" -> 0; "0".."1000000000000" (decimal digits, no sign, space or leading
 * zero) -> that value. 0, or ST_EINVAL for anything else (*out is 0). */
int pagetok_offset_parse(const char *tok, long long *out);

#endif
