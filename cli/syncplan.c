/* syncplan.c - see syncplan.h. */
#include "syncplan.h"

#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy_hex(char *out, size_t n, const char *hex)
{
    snprintf(out, n, "%s", hex ? hex : "");
    for (char *p = out; *p; p++) /* servers differ in case; compare lower */
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
}

int sync_list_add(struct sync_list *l, const char *name, int64_t size, const char *sha256,
                  const char *md5, bool local)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        struct sync_entry *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return ST_ENOMEM;
        l->v = v, l->cap = cap;
    }
    struct sync_entry *e = &l->v[l->n];
    memset(e, 0, sizeof(*e));
    if (!(e->name = strdup(name)))
        return ST_ENOMEM;
    e->size = size;
    e->local = local;
    copy_hex(e->sha256, sizeof(e->sha256), sha256);
    copy_hex(e->md5, sizeof(e->md5), md5);
    l->n++;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct sync_entry *)a)->name, ((const struct sync_entry *)b)->name);
}

void sync_list_sort(struct sync_list *l)
{
    if (l->n > 1)
        qsort(l->v, l->n, sizeof(*l->v), by_name);
}

void sync_list_cleanup(struct sync_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].name);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* 1 same, 0 differ, -1 no digest both sides know. */
static int digests_agree(const struct sync_entry *a, const struct sync_entry *b)
{
    if (a->sha256[0] && b->sha256[0])
        return strcmp(a->sha256, b->sha256) == 0;
    if (a->md5[0] && b->md5[0])
        return strcmp(a->md5, b->md5) == 0;
    return -1;
}

static bool same(struct sync_entry *a, struct sync_entry *b, sync_digest_fn *digest, void *ud)
{
    if (a->size != b->size)
        return false;
    int r = digests_agree(a, b);
    if (r < 0 && digest) {
        struct sync_entry *need = !a->sha256[0] && a->local ? a : b;
        if (need->local && !need->sha256[0] && digest(need, ud) == 0)
            r = digests_agree(a, b);
    }
    return r == 1;
}

static void add_step(struct sync_plan *p, enum sync_action a, const struct sync_entry *src,
                     const struct sync_entry *dst)
{
    p->v[p->n++] = (struct sync_step){a, src, dst};
    p->count[a]++;
}

int sync_plan_make(struct sync_list *src, struct sync_list *dst, bool del, sync_digest_fn *digest,
                   void *ud, struct sync_plan *out)
{
    memset(out, 0, sizeof(*out));
    out->v = malloc((src->n + dst->n + 1) * sizeof(*out->v));
    if (!out->v)
        return ST_ENOMEM;
    size_t i = 0, j = 0;
    while (i < src->n || j < dst->n) {
        int c = i == src->n ? 1 : j == dst->n ? -1 : strcmp(src->v[i].name, dst->v[j].name);
        if (c < 0) {
            add_step(out, SYNC_NEW, &src->v[i++], NULL);
        } else if (c > 0) {
            if (del)
                add_step(out, SYNC_DELETE, NULL, &dst->v[j]);
            j++;
        } else {
            bool s = same(&src->v[i], &dst->v[j], digest, ud);
            add_step(out, s ? SYNC_SAME : SYNC_CHANGED, &src->v[i], &dst->v[j]);
            i++, j++;
        }
    }
    return 0;
}

void sync_plan_cleanup(struct sync_plan *p)
{
    free(p->v);
    memset(p, 0, sizeof(*p));
}

const char *sync_action_name(enum sync_action a)
{
    static const char *const names[SYNC_ACTIONS] = {"new", "changed", "delete", "same"};
    return a < SYNC_ACTIONS ? names[a] : "?";
}
