/* sbuf.h - a growable string for the request builders (sigv4.c, azsign.c),
 * with the percent-encoding object stores share (RFC 3986 unreserved bytes
 * kept, everything else %XX in upper case).
 *
 * Out of memory sticks (`oom`): callers add without checking and check once
 * in sbuf_take(). Start with `struct sbuf s = {0};`. Not thread-safe per
 * buffer; no other state. */
#ifndef STAGE_SBUF_H
#define STAGE_SBUF_H

#include <stdbool.h>
#include <stddef.h>

struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
};

void sbuf_addn(struct sbuf *s, const char *t, size_t n);
void sbuf_add(struct sbuf *s, const char *t);

/* Append `in` percent-encoded: every byte outside A-Za-z0-9-_.~ as %XX,
 * '/' kept as is when `keep_slash`. */
void sbuf_encode(struct sbuf *s, const char *in, bool keep_slash);

/* Hand the string over in `*out` (malloc'd, "" if nothing was added): 0,
 * or ST_ENOMEM (the buffer is freed, `*out` NULL). */
int sbuf_take(struct sbuf *s, char **out);

#endif
