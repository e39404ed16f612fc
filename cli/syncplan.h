/* syncplan.h - what `stagectl sync` does, decided from two listings: the
 * source's files and the target's (names relative to the synced directory
 * or prefix). A file is copied when the target lacks it or it differs: by
 * size, else by SHA-256 (else MD5) when both sides know one. Sizes alike and
 * no digest comparable counts as different (copying again is safe; skipping
 * a changed file is not). With `del`, target files the source lacks are
 * deleted. Digests of local files are computed only for the files whose
 * sizes match, through a callback, so a sync of unchanged big files reads
 * them once and one that changes sizes reads nothing.
 *
 * Both listings are held in memory (a sync needs both sides at once):
 * a few hundred bytes per file. Pure apart from the callback; one thread. */
#ifndef STAGECTL_SYNCPLAN_H
#define STAGECTL_SYNCPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sync_entry {
    char *name; /* relative path; owned by the list */
    int64_t size;
    char sha256[65]; /* lower-case hex, "" when unknown */
    char md5[33];
    bool local; /* a local file: the digest callback can hash it */
};

struct sync_list {
    struct sync_entry *v;
    size_t n, cap;
};

/* Append an entry (digests may be NULL or ""). 0 or ST_ENOMEM. */
int sync_list_add(struct sync_list *l, const char *name, int64_t size, const char *sha256,
                  const char *md5, bool local);
/* Sort by name (bytewise), as the plan needs. */
void sync_list_sort(struct sync_list *l);
void sync_list_cleanup(struct sync_list *l);

enum sync_action {
    SYNC_NEW,     /* the target lacks it: copy */
    SYNC_CHANGED, /* it differs: copy over the target's */
    SYNC_DELETE,  /* only in the target, and `del`: delete */
    SYNC_SAME,    /* same size and digest: nothing */
    SYNC_ACTIONS
};

struct sync_step {
    enum sync_action action;
    const struct sync_entry *src; /* NULL for SYNC_DELETE */
    const struct sync_entry *dst; /* NULL for SYNC_NEW */
};

struct sync_plan {
    struct sync_step *v;
    size_t n;
    size_t count[SYNC_ACTIONS];
};

/* Fill in the digests of `e` (a local file whose size matches the other
 * side's); 0, or an st_err (the file then counts as different). */
typedef int(sync_digest_fn)(struct sync_entry *e, void *ud);

/* The plan from sorted `src` and `dst` into `out` (steps in name order,
 * one per file of either side; SYNC_SAME included). `digest` may be NULL.
 * 0 or ST_ENOMEM. The plan points into the lists: keep them. */
int sync_plan_make(struct sync_list *src, struct sync_list *dst, bool del, sync_digest_fn *digest,
                   void *ud, struct sync_plan *out);
void sync_plan_cleanup(struct sync_plan *p);

/* "new", "changed", "delete", "same". */
const char *sync_action_name(enum sync_action a);

#endif
