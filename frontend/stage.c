/* stage.c - location -> stage root (see stage.h). */
#include "stage.h"

#include "err.h"
#include "job.h"
#include "location.h"

#include <stdio.h>
#include <string.h>

int stage_resolve(const char *user, const char *stage, char *root, size_t n, char *err,
                  size_t errlen)
{
    if (strcmp(stage, "~") == 0) {
        if (location_user_root(root, n, user) < 0) {
            snprintf(err, errlen, "user name '%s' is too long", user);
            return ST_EINVAL;
        }
        return 0;
    }
    snprintf(err, errlen, "stage '%s' does not exist", stage);
    return ST_ENOTFOUND;
}

int stage_locate(const char *user, const char *location, bool need_file, struct job *j, char *err,
                 size_t errlen)
{
    struct location loc;
    int rc = location_parse(location, &loc, err, errlen);
    if (rc)
        return rc;
    if (need_file && (loc.is_dir || !loc.path[0])) {
        snprintf(err, errlen, "location '%s' names a directory, not a file", location);
        return ST_EINVAL;
    }
    rc = stage_resolve(user, loc.stage, j->root, sizeof(j->root), err, errlen);
    if (rc)
        return rc;
    snprintf(j->stage, sizeof(j->stage), "%s", loc.stage);
    snprintf(j->location, sizeof(j->location), "%s", location);
    snprintf(j->path, sizeof(j->path), "%s", loc.path);
    return 0;
}
