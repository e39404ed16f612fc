/* gcspresign.h - PresignFile for a gcs:// stage or the configured gcs
 * storage: the credential parsed (a key file path only for the configured
 * storage: a stage is a user's) and a V4 signed URL made (gcsurl.h). Pure apart from the time the
 * caller passes and reading an allowed key file; thread-safe. */
#ifndef STAGE_GCSPRESIGN_H
#define STAGE_GCSPRESIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct config;
struct storspec;

#define GCSPRESIGN_DEFAULT 3600 /* seconds, when the caller gives 0 */

/* A signed GET (or PUT when `put`) URL of `key` (the full object name)
 * valid `expires_s` seconds (0: the default) from `now`. `*url` malloc'd.
 * `allow_key_file`: sp->credential may be a path (the configured storage).
 * 0, ST_EINVAL with the reason in `err` (a bad credential names the part),
 * ST_ENOMEM. The upload's Content-Type is not signed (the uploader may send
 * any). */
int gcspresign_url(const struct storspec *sp, bool allow_key_file, const char *key, bool put,
                   long expires_s, time_t now, char **url, char *err, size_t errlen);

#endif
