/* httphdr.c - checks of HTTP header values (see httphdr.h). */
#include "httphdr.h"

#include "err.h"

#include <stdio.h>
#include <string.h>

bool httphdr_line_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

int httphdr_content_type_check(const char *v, const char *field, char *err, size_t errlen)
{
    size_t n = v ? strlen(v) : 0;
    size_t i = 0;
    while (i < n && v[i] >= 0x20 && v[i] <= 0x7e)
        i++;
    if (i == n && n <= HTTPHDR_CONTENT_TYPE_MAX)
        return 0;
    if (err && errlen && i < n)
        snprintf(err, errlen, "%s must be printable ASCII (0x20-0x7e): byte 0x%02x at offset %zu",
                 field, (unsigned)(unsigned char)v[i], i);
    else if (err && errlen)
        snprintf(err, errlen, "%s is too long (%zu bytes, max %d)", field, n,
                 HTTPHDR_CONTENT_TYPE_MAX);
    return ST_EINVAL;
}
