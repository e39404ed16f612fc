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
    size_t d = (size_t)(last - loc) + 1;
    if (d >= dirlen)
        return ST_ELIMIT;
    memcpy(dir, loc, d);
    dir[d] = '\0';
    return rmloc_escape(last + 1, pattern, patlen);
}

int rmloc_escape(const char *name, char *out, size_t n)
{
    size_t o = 0;
    for (const char *p = name; *p; p++) {
        /* A backslash before a non-alphanumeric is always a literal in
         * PCRE2; bytes >= 0x80 (UTF-8) match themselves. */
        bool esc = (unsigned char)*p < 0x80 && !isalnum((unsigned char)*p);
        if (o + 2 >= n)
            return ST_ELIMIT;
        if (esc)
            out[o++] = '\\';
        out[o++] = *p;
    }
    out[o] = '\0';
    return 0;
}

int rmloc_alt_add(char *pat, size_t n, const char *name)
{
    char esc[RMLOC_PATTERN_MAX + 1];
    size_t len = strlen(pat);
    if (rmloc_escape(name, esc, sizeof(esc)) != 0)
        return ST_ELIMIT;
    /* "(?:" esc ")" for the first name; then the ")" becomes "|" esc ")" */
    size_t need = len ? len + 1 + strlen(esc) : 4 + strlen(esc);
    if (need > RMLOC_PATTERN_MAX || need >= n)
        return ST_ELIMIT;
    if (len)
        snprintf(pat + len - 1, n - len + 1, "|%s)", esc);
    else
        snprintf(pat, n, "(?:%s)", esc);
    return 0;
}
