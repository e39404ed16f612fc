/* pemfile.c - read a PEM file whole (pemfile.h). */
#include "pemfile.h"

#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pemfile_read(const char *path, char **out, char *err, size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
        return ST_ENOTFOUND;
    }
    char *buf = malloc(PEMFILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, PEMFILE_MAX + 1, f) : 0;
    fclose(f);
    if (!buf) {
        snprintf(err, errlen, "out of memory reading '%s'", path);
        return ST_ENOMEM;
    }
    buf[n <= PEMFILE_MAX ? n : PEMFILE_MAX] = '\0';
    if (n > PEMFILE_MAX || !strstr(buf, "-----BEGIN ")) {
        free(buf);
        snprintf(err, errlen, "'%s' is %s", path, n > PEMFILE_MAX ? "over 1 MiB" : "not PEM");
        return ST_EINVAL;
    }
    *out = buf;
    return 0;
}
