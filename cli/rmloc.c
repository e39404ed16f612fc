/* rmloc.c - see rmloc.h. */
#include "rmloc.h"

#include "err.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int rmloc_split(const char *loc, char *dir, size_t dirlen, char *pattern, size_t patlen)
{
    const char *first = strchr(loc, '/'); /* ends the stage part */
    const char *last = strrchr(loc, '/');
    if (loc[0] != '@' || !first || !last[1])
        return ST_EINVAL;
    size_t d = (size_t)(last - loc) + 1, o = 0;
    if (d >= dirlen)
        return ST_ELIMIT;
    memcpy(dir, loc, d);
    dir[d] = '\0';
    for (const char *p = last + 1; *p; p++) {
        /* A backslash before a non-alphanumeric is always a literal in
         * PCRE2; bytes >= 0x80 (UTF-8) match themselves. */
        bool esc = (unsigned char)*p < 0x80 && !isalnum((unsigned char)*p);
        if (o + 2 >= patlen)
            return ST_ELIMIT;
        if (esc)
            pattern[o++] = '\\';
        pattern[o++] = *p;
    }
    pattern[o] = '\0';
    return 0;
}
