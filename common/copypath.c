/* copypath.c - CopyFiles target names (see copypath.h). */
#include "copypath.h"

#include "err.h"

#include <stdio.h>
#include <string.h>

bool copypath_to_dir(const char *to)
{
    size_t n = strlen(to);
    return n == 0 || to[n - 1] == '/';
}

int copypath_target(const char *from, const char *to, const char *rel, char *out, size_t n)
{
    size_t flen = strlen(from);
    if (strncmp(rel, from, flen) != 0)
        return ST_ENOTFOUND;
    if (!copypath_to_dir(to)) {
        if (strcmp(rel, from) != 0)
            return ST_ENOTFOUND;
        return snprintf(out, n, "%s", to) >= (int)n ? ST_ELIMIT : 0;
    }
    const char *slash = strrchr(from, '/');
    size_t base = slash ? (size_t)(slash - from) + 1 : 0;
    return snprintf(out, n, "%s%s", to, rel + base) >= (int)n ? ST_ELIMIT : 0;
}

bool copypath_overlaps(const char *from, const char *to)
{
    /* every target starts with `to`; a source is anything starting with `from` */
    return strncmp(to, from, strlen(from)) == 0;
}
