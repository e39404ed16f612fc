/* backend_fs_list.c - the fs lister: a depth-first walk in global key order.
 *
 * Each depth holds the sorted names of one directory; a directory's name
 * carries a trailing '/' so that plain byte order of the names is the byte
 * order of the full keys below them ("a.csv" < "a/" < "a0"), which makes the
 * walk's output globally key-sorted. Subtrees that lie entirely at or before
 * `start_after`, or outside the prefix, are never opened. Directories are
 * opened beneath the root with no link followed (fsopen.h): a symlinked
 * directory is skipped when read and empty when named by the prefix. */
#include "backend.h"
#include "backend_fs_impl.h"
#include "fsmeta.h"
#include "err.h"
#include "fsopen.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct level {
    char *dir;    /* key prefix of the directory: "" or "a/c/" */
    char **names; /* sorted; directories end with '/' */
    size_t n, i;
};

struct fs_lister {
    struct backend_lister base;
    struct fs *fs;
    char *start_after;
    char *top_dir, *top_name; /* the prefix split at its last '/' */
    size_t limit;
    struct level *stack;
    size_t depth, cap;
    bool started;
    struct backend_entry *page; /* `limit` slots; keys owned */
    size_t npage;
    /* the directory of the last file added to a page, kept open so that a
     * page's files are stat'ed without resolving their path each time */
    int dir_fd;
    char *dir_key; /* its key prefix ("" or "a/c/"); NULL = none open */
};

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void level_free(struct level *lv)
{
    for (size_t i = 0; i < lv->n; i++)
        free(lv->names[i]);
    free(lv->names);
    free(lv->dir);
    memset(lv, 0, sizeof(*lv));
}

/* Keep a child (full key `full`, a directory if it ends with '/')? */
static bool wanted(const struct fs_lister *l, const char *full)
{
    const char *sa = l->start_after;
    if (!*sa)
        return true;
    size_t n = strlen(full);
    if (full[n - 1] == '/' && strncmp(sa, full, n) == 0)
        return true; /* start_after is inside this directory */
    return strcmp(full, sa) > 0;
}

/* 1 = directory, 0 = regular file, -1 = skip (symlink, special, gone). */
static int child_type(DIR *d, const struct dirent *de)
{
    struct stat st;
    if (de->d_type == DT_DIR)
        return 1;
    if (de->d_type == DT_REG)
        return 0;
    if (de->d_type != DT_UNKNOWN || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return -1;
    return S_ISDIR(st.st_mode) ? 1 : S_ISREG(st.st_mode) ? 0 : -1;
}

static int add_name(struct level *lv, size_t *cap, const char *full, size_t dirlen)
{
    if (lv->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        char **p = realloc(lv->names, nc * sizeof(*p));
        if (!p)
            return ST_ENOMEM;
        lv->names = p;
        *cap = nc;
    }
    if (!(lv->names[lv->n] = strdup(full + dirlen)))
        return ST_ENOMEM;
    lv->n++;
    return 0;
}

/* Read directory `lv->dir` (children filtered by `name_prefix` at the top). */
static int level_read(struct fs_lister *l, struct level *lv, DIR *d, const char *name_prefix)
{
    char full[PATH_MAX];
    size_t cap = 0, dirlen = strlen(lv->dir), plen = strlen(name_prefix);
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        if (!strcmp(nm, ".") || !strcmp(nm, "..") || (!dirlen && !strcmp(nm, ".tmp")))
            continue;
        if (strncmp(nm, name_prefix, plen) != 0)
            continue;
        int t = child_type(d, de);
        if (t < 0)
            continue;
        int w = snprintf(full, sizeof(full), "%s%s%s", lv->dir, nm, t ? "/" : "");
        if (w < 0 || (size_t)w >= sizeof(full) || !wanted(l, full))
            continue;
        int rc = add_name(lv, &cap, full, dirlen);
        if (rc)
            return rc;
    }
    return errno ? fs_errno_rc(errno) : 0;
}

/* Push directory `dir` (a key prefix ending in '/' or ""). A directory that
 * vanished is empty. */
static int push(struct fs_lister *l, const char *dir, const char *name_prefix)
{
    if (l->depth == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 8;
        struct level *p = realloc(l->stack, nc * sizeof(*p));
        if (!p)
            return ST_ENOMEM;
        l->stack = p;
        l->cap = nc;
    }
    struct level *lv = &l->stack[l->depth];
    memset(lv, 0, sizeof(*lv));
    if (!(lv->dir = strdup(dir)))
        return ST_ENOMEM;
    l->depth++;
    int fd = fsopen_beneath(l->fs->rootfd, dir, O_RDONLY | O_DIRECTORY, 0);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        /* gone, a file, or reached through a link: nothing to list there */
        return e == ENOENT || e == ENOTDIR || e == ELOOP ? 0 : fs_errno_rc(e);
    }
    int rc = level_read(l, lv, d, name_prefix);
    closedir(d);
    if (!rc && lv->n > 1)
        qsort(lv->names, lv->n, sizeof(char *), cmp_names);
    return rc;
}

static void pop(struct fs_lister *l)
{
    level_free(&l->stack[--l->depth]);
}

static void page_clear(struct fs_lister *l)
{
    for (size_t i = 0; i < l->npage; i++)
        free((char *)l->page[i].key);
    l->npage = 0;
}

static void dir_close(struct fs_lister *l)
{
    if (l->dir_fd >= 0)
        close(l->dir_fd);
    l->dir_fd = -1;
    free(l->dir_key);
    l->dir_key = NULL;
}

/* The directory `dir` (a key prefix), opened beneath the root; -1 if it
 * cannot be (then its files count as vanished). */
static int dir_open(struct fs_lister *l, const char *dir)
{
    if (l->dir_key && strcmp(l->dir_key, dir) == 0)
        return l->dir_fd;
    dir_close(l);
    l->dir_fd = fsopen_beneath(l->fs->rootfd, dir, O_RDONLY | O_DIRECTORY, 0);
    if (l->dir_fd >= 0 && !(l->dir_key = strdup(dir)))
        dir_close(l);
    return l->dir_fd;
}

/* Add file `name` of directory `dir` to the page unless it vanished. */
static int page_add(struct fs_lister *l, const char *dir, const char *name, const char *full)
{
    struct stat st;
    struct backend_entry *e = &l->page[l->npage];
    int dfd = dir_open(l, dir);
    memset(e, 0, sizeof(*e));
    if (dfd < 0 || fsmeta_stat_at(dfd, name, &st, e) != 0 || !S_ISREG(st.st_mode))
        return 0;
    if (!(e->key = strdup(full)))
        return ST_ENOMEM;
    fs_fill_entry(e, &st);
    l->npage++;
    return 0;
}

/* Walk until the page is full or the tree is done. */
static int fill_page(struct fs_lister *l)
{
    char full[PATH_MAX];
    int rc = 0;
    if (!l->started) {
        l->started = true;
        rc = push(l, l->top_dir, l->top_name);
    }
    while (!rc && l->npage < l->limit && l->depth > 0) {
        struct level *top = &l->stack[l->depth - 1];
        if (top->i == top->n) {
            pop(l);
            continue;
        }
        const char *nm = top->names[top->i++];
        int w = snprintf(full, sizeof(full), "%s%s", top->dir, nm);
        if (w < 0 || (size_t)w >= sizeof(full))
            continue;
        if (full[w - 1] == '/')
            rc = push(l, full, "");
        else
            rc = page_add(l, top->dir, nm, full);
    }
    return rc;
}

int fs_list_next(struct backend_lister *bl, backend_page_fn *cb, void *ud)
{
    struct fs_lister *l = (struct fs_lister *)bl;
    struct fs_call *c = fs_call_new(FS_CALL_PAGE, ud);
    if (!c)
        return ST_ENOMEM;
    c->cb.page = cb;
    page_clear(l);
    int rc = fill_page(l);
    dir_close(l); /* a later page must not stat through a directory removed meanwhile */
    if (rc)
        fs_call_fail(c, rc, "cannot list '%s%s': %s", l->top_dir, l->top_name, st_strerror(rc));
    c->entries = l->page;
    c->n = rc ? 0 : l->npage;
    c->last = rc || l->depth == 0;
    return fs_call_defer(l->fs, c);
}

void fs_list_close(struct backend_lister *bl)
{
    struct fs_lister *l = (struct fs_lister *)bl;
    if (!l)
        return;
    page_clear(l);
    dir_close(l);
    while (l->depth > 0)
        pop(l);
    free(l->stack);
    free(l->page);
    free(l->start_after);
    free(l->top_dir);
    free(l->top_name);
    free(l);
}

int fs_list_open(struct backend *b, const char *prefix, const char *start_after, size_t page_limit,
                 struct backend_lister **out)
{
    if (backend_key_check(prefix, true) || strncmp(prefix, ".tmp/", 5) == 0)
        return ST_EINVAL;
    struct fs_lister *l = calloc(1, sizeof(*l));
    if (!l)
        return ST_ENOMEM;
    const char *slash = strrchr(prefix, '/');
    size_t dl = slash ? (size_t)(slash - prefix) + 1 : 0;
    l->base.b = b;
    l->fs = b->priv;
    l->limit = page_limit;
    l->dir_fd = -1;
    l->start_after = strdup(start_after);
    l->top_dir = strndup(prefix, dl);
    l->top_name = strdup(prefix + dl);
    l->page = calloc(page_limit, sizeof(*l->page));
    if (!l->start_after || !l->top_dir || !l->top_name || !l->page) {
        fs_list_close(&l->base);
        return ST_ENOMEM;
    }
    *out = &l->base;
    return 0;
}
