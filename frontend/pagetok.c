/* pagetok.c - page tokens of GetJobResults (see pagetok.h). */
#include "pagetok.h"

#include "err.h"

#include <stdio.h>
#include <string.h>

int pagetok_offset_parse(const char *tok, long long *out)
{
    long long v = 0;
    size_t n = tok ? strlen(tok) : 0;
    *out = 0;
    if (n == 0)
        return 0;
    if (n > 13 || (n > 1 && tok[0] == '0')) /* 13 digits: 10^12 */
        return ST_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (tok[i] < '0' || tok[i] > '9')
            return ST_EINVAL;
        v = v * 10 + (tok[i] - '0'); /* < 10^13: no overflow */
    }
    if (v > PAGETOK_OFFSET_MAX)
        return ST_EINVAL;
    *out = v;
    return 0;
}

int pagetok_jobs_parse(const char *tok, size_t idlen, char *id, char score[20])
{
    const char *dot = tok ? strchr(tok, '.') : NULL;
    size_t sl = dot ? strlen(dot + 1) : 0;
    if (!dot || (size_t)(dot - tok) != idlen || strspn(tok, "0123456789abcdef") != idlen ||
        sl == 0 || sl > 19 || strspn(dot + 1, "0123456789") != sl)
        return ST_EINVAL;
    snprintf(id, idlen + 1, "%.*s", (int)idlen, tok);
    snprintf(score, 20, "%s", dot + 1);
    return 0;
}
