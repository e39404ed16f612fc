/* partring.c - see partring.h. Part n always lands in slot n % depth: the
 * parts between the head and the next read are fewer than depth apart, so
 * they never share a slot, and a slot is busy only with one of them or with
 * a read of an older range still out. */
#include "partring.h"

#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int partring_init(struct partring *p, int depth, size_t part_size)
{
    memset(p, 0, sizeof(*p));
    if (depth < 1 || part_size < 1)
        return ST_EINVAL;
    p->s = calloc((size_t)depth, sizeof(*p->s));
    if (!p->s)
        return ST_ENOMEM;
    p->depth = depth;
    p->part_size = part_size;
    return 0;
}

void partring_cleanup(struct partring *p)
{
    for (int i = 0; p->s && i < p->depth; i++)
        free(p->s[i].buf);
    free(p->s);
    memset(p, 0, sizeof(*p));
}

void partring_reset(struct partring *p, int64_t off, int64_t end)
{
    int64_t ps = (int64_t)p->part_size;
    p->gen++;
    p->off = off;
    p->end = end > off ? end : off;
    p->total = (long)((p->end - p->off + ps - 1) / ps);
    p->next = p->head = 0;
    for (int i = 0; i < p->depth; i++)
        if (p->s[i].state == PARTRING_READ) /* landed, never handed on: dropped */
            p->s[i].state = PARTRING_FREE;
}

int partring_next(struct partring *p, int *idx)
{
    if (!p->s || p->next >= p->total || p->next - p->head >= p->depth)
        return 0;
    int i = (int)(p->next % p->depth);
    struct partring_slot *s = &p->s[i];
    if (s->state != PARTRING_FREE)
        return 0; /* a read of an older range is still out */
    int64_t at = p->off + (int64_t)p->next * (int64_t)p->part_size;
    size_t len =
        (size_t)(p->end - at < (int64_t)p->part_size ? p->end - at : (int64_t)p->part_size);
    s->state = PARTRING_READING;
    s->gen = p->gen;
    s->n = p->next++;
    s->at = at;
    s->len = len;
    s->got = 0;
    s->rc = 0;
    s->msg[0] = '\0';
    *idx = i;
    if (s->cap < len) { /* grows at most to part_size */
        char *b = realloc(s->buf, len);
        if (!b) { /* the part fails, in its turn */
            partring_done(p, i, p->gen, ST_ENOMEM, "out of memory for a read buffer", 0);
            return ST_ENOMEM;
        }
        s->buf = b;
        s->cap = len;
    }
    return 1;
}

void partring_done(struct partring *p, int idx, unsigned gen, int rc, const char *msg, size_t got)
{
    struct partring_slot *s = &p->s[idx];
    if (gen != p->gen) {
        s->state = PARTRING_FREE;
        return;
    }
    s->state = PARTRING_READ;
    s->rc = rc;
    s->got = got;
    snprintf(s->msg, sizeof(s->msg), "%s", msg ? msg : "");
}

const struct partring_slot *partring_head(const struct partring *p)
{
    if (!p->s || p->head >= p->total || p->head >= p->next)
        return NULL;
    const struct partring_slot *s = &p->s[p->head % p->depth];
    return s->state == PARTRING_READ && s->gen == p->gen && s->n == p->head ? s : NULL;
}

void partring_pop(struct partring *p)
{
    if (!partring_head(p))
        return;
    p->s[p->head % p->depth].state = PARTRING_FREE;
    p->head++;
}

bool partring_finished(const struct partring *p)
{
    return p->head >= p->total;
}

int partring_reading(const struct partring *p)
{
    int n = 0;
    for (int i = 0; p->s && i < p->depth; i++)
        n += p->s[i].state == PARTRING_READING;
    return n;
}
