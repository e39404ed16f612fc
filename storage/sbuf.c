/* sbuf.c - growable strings and percent-encoding (see sbuf.h). */
#include "sbuf.h"

#include "err.h"

#include <stdlib.h>
#include <string.h>

void sbuf_addn(struct sbuf *s, const char *t, size_t n)
{
    if (s->oom)
        return;
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 256;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *p = realloc(s->p, cap);
        if (!p) {
            s->oom = true;
            return;
        }
        s->p = p;
        s->cap = cap;
    }
    memcpy(s->p + s->len, t, n);
    s->len += n;
    s->p[s->len] = '\0';
}

void sbuf_add(struct sbuf *s, const char *t)
{
    sbuf_addn(s, t, strlen(t));
}

int sbuf_take(struct sbuf *s, char **out)
{
    if (!s->oom && !s->p)
        sbuf_add(s, "");
    if (s->oom) {
        free(s->p);
        s->p = NULL;
        *out = NULL;
        return ST_ENOMEM;
    }
    *out = s->p;
    s->p = NULL;
    return 0;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

void sbuf_encode(struct sbuf *s, const char *in, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        if (unreserved(*p) || (keep_slash && *p == '/')) {
            sbuf_addn(s, (const char *)p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            sbuf_addn(s, e, 3);
        }
    }
}
