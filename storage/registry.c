/* registry.c - the table of storage schemes (see registry.h). */
#include "registry.h"

#include <stdio.h>
#include <string.h>

static const struct registry_scheme schemes[] = {
    {STORSPEC_FS, "fs", true},
    {STORSPEC_S3, "s3", true},
    {STORSPEC_GCS, "gcs", true},
    {STORSPEC_AZBLOB, "azblob", true},
};
#define NSCHEMES (sizeof(schemes) / sizeof(schemes[0]))

const struct registry_scheme *registry_find_n(const char *name, size_t len)
{
    for (size_t i = 0; name && i < NSCHEMES; i++)
        if (strlen(schemes[i].name) == len && memcmp(schemes[i].name, name, len) == 0)
            return &schemes[i];
    return NULL;
}

const struct registry_scheme *registry_find(const char *name)
{
    return name ? registry_find_n(name, strlen(name)) : NULL;
}

const struct registry_scheme *registry_get(enum storspec_type t)
{
    for (size_t i = 0; i < NSCHEMES; i++)
        if (schemes[i].type == t)
            return &schemes[i];
    return NULL;
}

bool registry_available(const char *name)
{
    const struct registry_scheme *s = registry_find(name);
    return s && s->available;
}

const char *registry_names(char *buf, size_t n, bool available_only)
{
    size_t off = 0;
    if (n)
        buf[0] = '\0';
    for (size_t i = 0; i < NSCHEMES && off < n; i++) {
        if (available_only && !schemes[i].available)
            continue;
        int w = snprintf(buf + off, n - off, "%s%s", off ? ", " : "", schemes[i].name);
        if (w < 0)
            break;
        off += (size_t)w;
    }
    return buf;
}
