/* bcache.c - the cache of external-stage backends (see bcache.h).
 *
 * A flat array searched linearly: a few hundred entries at most, looked up
 * once per job start, so a scan of short strings costs less than keeping a
 * hash table and an LRU list in step. Recency is a counter stamped on each
 * use; eviction takes the smallest stamp among idle entries. */
#include "bcache.h"

#include "err.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    char *stage;
    unsigned char hash[BCACHE_HASH_LEN];
    void *value;
    long refs;
    uint64_t used;
    bool retired; /* a newer definition of its stage was inserted */
};

struct bcache {
    struct entry *e;
    size_t n, cap, max;
    uint64_t tick;
    bcache_free_fn *free_fn;
    void *ud;
};

struct bcache *bcache_new(size_t max, bcache_free_fn *free_fn, void *ud)
{
    struct bcache *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->max = max ? max : 1;
    c->free_fn = free_fn;
    c->ud = ud;
    return c;
}

/* Hand entry i's value to the callback and close the gap with the last. */
static void drop(struct bcache *c, size_t i)
{
    struct entry e = c->e[i];
    c->e[i] = c->e[--c->n];
    free(e.stage);
    c->free_fn(e.value, c->ud);
}

struct bcache *bcache_free(struct bcache *c)
{
    if (!c)
        return NULL;
    while (c->n)
        drop(c, c->n - 1);
    free(c->e);
    free(c);
    return NULL;
}

void *bcache_get(struct bcache *c, const char *stage, const unsigned char hash[BCACHE_HASH_LEN])
{
    for (size_t i = 0; i < c->n; i++) {
        struct entry *e = &c->e[i];
        if (!e->retired && strcmp(e->stage, stage) == 0 &&
            memcmp(e->hash, hash, BCACHE_HASH_LEN) == 0) {
            e->refs++;
            e->used = ++c->tick;
            return e->value;
        }
    }
    return NULL;
}

/* Evict idle entries, least recently used first, while more than max. */
static void evict(struct bcache *c)
{
    while (c->n > c->max) {
        size_t victim = c->n;
        for (size_t i = 0; i < c->n; i++)
            if (c->e[i].refs == 0 && (victim == c->n || c->e[i].used < c->e[victim].used))
                victim = i;
        if (victim == c->n)
            return; /* all in use: hold more than max until released */
        drop(c, victim);
    }
}

int bcache_put(struct bcache *c, const char *stage, const unsigned char hash[BCACHE_HASH_LEN],
               void *value)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        struct entry *e = realloc(c->e, cap * sizeof(*e));
        if (!e)
            return ST_ENOMEM;
        c->e = e;
        c->cap = cap;
    }
    char *name = strdup(stage);
    if (!name)
        return ST_ENOMEM;
    /* The stage's older definitions: gone now if idle, at their last
     * release otherwise (a job started before the AlterStage keeps its
     * backend until it ends). */
    for (size_t i = c->n; i-- > 0;) {
        if (strcmp(c->e[i].stage, stage) != 0)
            continue;
        if (c->e[i].refs == 0)
            drop(c, i);
        else
            c->e[i].retired = true;
    }
    struct entry *e = &c->e[c->n++];
    memset(e, 0, sizeof(*e));
    e->stage = name;
    memcpy(e->hash, hash, BCACHE_HASH_LEN);
    e->value = value;
    e->refs = 1;
    e->used = ++c->tick;
    evict(c);
    return 0;
}

int bcache_release(struct bcache *c, void *value)
{
    for (size_t i = 0; i < c->n; i++) {
        struct entry *e = &c->e[i];
        if (e->value != value || e->refs == 0)
            continue;
        if (--e->refs == 0 && e->retired)
            drop(c, i);
        else
            evict(c);
        return 0;
    }
    return ST_ENOTFOUND;
}

size_t bcache_count(const struct bcache *c)
{
    return c->n;
}

size_t bcache_in_use(const struct bcache *c)
{
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++)
        k += c->e[i].refs > 0;
    return k;
}
