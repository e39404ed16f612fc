/* pagetok.c - page tokens of GetJobResults (see pagetok.h). */
#include "pagetok.h"

#include "err.h"

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
