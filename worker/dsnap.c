/* dsnap.c - part boundaries not yet durable (dsnap.h). */
#include "dsnap.h"

#include "err.h"

#include <stdlib.h>
#include <string.h>

int dsnap_push(struct dsnaps *s, int64_t bytes, const struct digest *dg)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        struct dsnap *v = realloc(s->v, cap * sizeof(*v));
        if (!v)
            return ST_ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n].bytes = bytes;
    s->v[s->n].dg = *dg;
    s->n++;
    return 0;
}

long dsnap_advance(struct dsnaps *s, int64_t durable, int64_t *bytes, char *shactx)
{
    size_t i = 0;
    while (i < s->n && s->v[i].bytes <= durable)
        i++;
    if (i == 0)
        return 0;
    *bytes = s->v[i - 1].bytes;
    digest_save(&s->v[i - 1].dg, shactx);
    memmove(s->v, s->v + i, (s->n - i) * sizeof(*s->v));
    s->n -= i;
    return (long)i;
}

void dsnap_clear(struct dsnaps *s)
{
    s->n = 0;
}

void dsnap_free(struct dsnaps *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}
