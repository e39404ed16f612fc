/* stage.h - from a location string to the backend place it names.
 *
 * The single place where a stage name becomes a backend root, so named
 * stages (internal, external) plug in here. Today only the user stage "~"
 * exists: root "stage/user/<user>/". Pure for now; any thread. */
#ifndef STAGE_FE_STAGE_H
#define STAGE_FE_STAGE_H

#include <stdbool.h>
#include <stddef.h>

struct job;

/* Backend root of `stage` as seen by `user`. 0, or ST_ENOTFOUND
 * ("stage 'x' does not exist") with the message in `err`. */
int stage_resolve(const char *user, const char *stage, char *root, size_t n, char *err,
                  size_t errlen);

/* Parse `location`, resolve its stage and fill j->stage, location, root and
 * path. `need_file`: the location must name a file (not "@~" nor "dir/").
 * 0, ST_EINVAL (bad location) or ST_ENOTFOUND, with the message in `err`. */
int stage_locate(const char *user, const char *location, bool need_file, struct job *j, char *err,
                 size_t errlen);

#endif
