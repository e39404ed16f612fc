/* globre.c - see globre.h. */
#include "globre.h"

#include "err.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Output with a capacity: `ok` turns false once something did not fit. */
struct buf {
    char *p;
    size_t n, len;
    bool ok;
};

static void put(struct buf *b, const char *s, size_t len)
{
    if (!b->ok || b->len + len >= b->n || b->len + len > GLOBRE_MAX) {
        b->ok = false;
        return;
    }
    memcpy(b->p + b->len, s, len);
    b->len += len;
    b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* One character as a literal: a backslash before any ASCII non-alphanumeric
 * is always a literal in PCRE2, in a class or not; UTF-8 bytes are themselves. */
static void literal(struct buf *b, char c)
{
    if ((unsigned char)c < 0x80 && !isalnum((unsigned char)c))
        put(b, "\\", 1);
    put(b, &c, 1);
}

/* The class starting after '[' at `g`; returns the position after ']', or
 * NULL if it is not closed. */
static const char *klass(struct buf *b, const char *g)
{
    const char *p = g;
    put(b, "[", 1);
    if (*p == '!' || *p == '^')
        put(b, "^", 1), p++;
    if (*p == ']') /* first: a literal ']', as in fnmatch(3) */
        literal(b, *p++);
    for (; *p && *p != ']'; p++) {
        if (*p == '-' && p[1] != ']' && p > g)
            put(b, "-", 1); /* a range */
        else if (*p == '\\' && p[1])
            literal(b, *++p);
        else
            literal(b, *p);
    }
    if (!*p)
        return NULL;
    put(b, "]", 1);
    return p + 1;
}

static int one(struct buf *b, const char *g, char *err, size_t errlen)
{
    if (!*g) {
        snprintf(err, errlen, "an empty glob matches no file name");
        return ST_EINVAL;
    }
    for (const char *p = g; *p;) {
        if (p[0] == '*' && p[1] == '*') {
            puts_(b, ".*");
            while (*p == '*')
                p++;
        } else if (*p == '*') {
            puts_(b, "[^/]*"), p++;
        } else if (*p == '?') {
            puts_(b, "[^/]"), p++;
        } else if (*p == '[') {
            if (!(p = klass(b, p + 1))) {
                snprintf(err, errlen, "glob '%s': '[' without its ']'", g);
                return ST_EINVAL;
            }
        } else if (*p == '\\') {
            if (!p[1]) {
                snprintf(err, errlen, "glob '%s' ends with '\\'", g);
                return ST_EINVAL;
            }
            literal(b, p[1]), p += 2;
        } else {
            literal(b, *p++);
        }
    }
    return 0;
}

/* "(?:g1|g2)" */
static int alternation(struct buf *b, const char *const *g, size_t n, char *err, size_t errlen)
{
    puts_(b, "(?:");
    for (size_t i = 0; i < n; i++) {
        if (i)
            puts_(b, "|");
        int rc = one(b, g[i], err, errlen);
        if (rc)
            return rc;
    }
    puts_(b, ")");
    return 0;
}

int globre_build(const char *const *inc, size_t ni, const char *const *exc, size_t ne, char *out,
                 size_t n, char *err, size_t errlen)
{
    struct buf b = {out, n, 0, n > 0};
    int rc = 0;
    if (n)
        out[0] = '\0';
    /* (?s): a name may hold any character; '.' of ** must match them all */
    puts_(&b, "(?s)");
    if (ne) { /* the whole name matches no exclude: \z, as a lookahead is not end-anchored */
        puts_(&b, "(?!");
        rc = alternation(&b, exc, ne, err, errlen);
        puts_(&b, "\\z)");
    }
    if (!rc && ni)
        rc = alternation(&b, inc, ni, err, errlen);
    else if (!rc)
        puts_(&b, ".*");
    if (!rc && !b.ok) {
        snprintf(err, errlen, "the globs make a pattern longer than %d bytes", GLOBRE_MAX);
        rc = ST_ELIMIT;
    }
    if (rc && n)
        out[0] = '\0';
    return rc;
}
