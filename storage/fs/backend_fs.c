/* backend_fs.c - the filesystem backend: writers, read, stat, delete and the
 * deferred completions (see backend_fs.h). The sorted walk lives in
 * backend_fs_list.c; both share backend_fs_impl.h. */
#include "backend_fs.h"

#include "backend.h"
#include "backend_fs_impl.h"
#include "err.h"
#include "fsmeta.h"
#include "fsopen.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TMP_MAX_AGE_S (24 * 3600)

/* ------------------------------------------------------------ completions */

static void call_fire(evutil_socket_t fd, short what, void *arg)
{
    struct fs_call *c = arg;
    switch (c->type) {
    case FS_CALL_DONE:
        c->cb.done(c->rc, c->msg, c->ud);
        break;
    case FS_CALL_OPEN:
        c->cb.open(c->rc, c->msg, c->w, c->ud);
        break;
    case FS_CALL_READ:
        c->cb.read(c->rc, c->msg, c->n, c->ud);
        break;
    case FS_CALL_STAT:
        c->cb.stat(c->rc, c->msg, c->rc ? NULL : &c->e, c->ud);
        break;
    case FS_CALL_PAGE:
        c->cb.page(c->rc, c->msg, c->entries, c->n, c->last, c->ud);
        break;
    case FS_CALL_DELETE:
        c->cb.del(c->rc, c->msg, c->rc ? NULL : c->errs, c->n, c->ud);
        break;
    }
    free(c->errs);
    free(c->key);
    free(c);
}

struct fs_call *fs_call_new(enum fs_call_type type, void *ud)
{
    struct fs_call *c = calloc(1, sizeof(*c));
    if (c) {
        c->type = type;
        c->ud = ud;
    }
    return c;
}

int fs_call_defer(struct fs *fs, struct fs_call *c)
{
    static const struct timeval zero = {0, 0};
    if (event_base_once(fs->b.base, -1, EV_TIMEOUT, call_fire, c, &zero) != 0) {
        free(c->errs);
        free(c->key);
        free(c);
        return ST_ENOMEM;
    }
    return 0;
}

int fs_call_fail(struct fs_call *c, int rc, const char *fmt, ...)
{
    va_list ap;
    c->rc = rc;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
    va_end(ap);
    return rc;
}

int fs_errno_rc(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR:
    case EISDIR:
    case ELOOP: /* a symlink on the way: never an object (fsopen.h) */
        return ST_ENOTFOUND;
    case EEXIST:
    case ENOTEMPTY:
        return ST_EEXIST;
    case EACCES:
    case EPERM:
    case EROFS:
        return ST_EPRECOND;
    case ENOSPC:
    case EDQUOT:
        return ST_ELIMIT;
    case ENOMEM:
        return ST_ENOMEM;
    case ENAMETOOLONG:
    case EXDEV: /* a path that would leave the root */
        return ST_EINVAL;
    default:
        return ST_EIO;
    }
}

void fs_fill_entry(struct backend_entry *e, const struct stat *st)
{
    int64_t ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    e->size = (int64_t)st->st_size;
    e->mtime_ms = ns / 1000000;
    snprintf(e->etag, sizeof(e->etag), "%" PRIx64 "-%" PRIx64, (uint64_t)ns, (uint64_t)e->size);
    /* the digests and creator come from fsmeta_stat_at() */
}

/* A key the fs refuses beyond backend_key_check(): the temp area. */
int fs_key_check(const char *key, bool prefix)
{
    if (backend_key_check(key, prefix))
        return ST_EINVAL;
    size_t t = strlen(TMP_DIR);
    if (strncmp(key, TMP_DIR, t) == 0 && (key[t] == '/' || key[t] == '\0'))
        return ST_EINVAL;
    return 0;
}

/* ------------------------------------------------------------ read, stat */

static int pread_all(int fd, char *buf, size_t len, off_t off, size_t *got)
{
    *got = 0;
    while (*got < len) {
        ssize_t n = pread(fd, buf + *got, len - *got, off + (off_t)*got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        *got += (size_t)n;
    }
    return 0;
}

/* Why `key` could not be opened or stat'ed, for a message. */
static const char *open_why(int e)
{
    return e == ELOOP ? "a symbolic link is on its path (never followed)" : strerror(e);
}

static void do_read(struct fs *fs, const char *key, int64_t offset, size_t len, void *buf,
                    struct fs_call *c)
{
    struct stat st;
    /* O_NONBLOCK: a FIFO planted under the root must not block the loop */
    int fd = fsopen_beneath(fs->rootfd, key, O_RDONLY | O_NONBLOCK, 0);
    if (fd < 0) {
        int e = errno;
        fs_call_fail(c, fs_errno_rc(e), "cannot open '%s': %s", key, open_why(e));
        return;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        fs_call_fail(c, ST_ENOTFOUND, "'%s' is not a file", key);
    else if (pread_all(fd, buf, len, (off_t)offset, &c->n) != 0)
        fs_call_fail(c, ST_EIO, "cannot read '%s': %s", key, strerror(errno));
    close(fd);
}

static int fs_read(struct backend *b, const char *key, int64_t offset, size_t len, void *buf,
                   backend_read_fn *cb, void *ud)
{
    if (fs_key_check(key, false))
        return ST_EINVAL;
    struct fs_call *c = fs_call_new(FS_CALL_READ, ud);
    if (!c)
        return ST_ENOMEM;
    c->cb.read = cb;
    do_read(fs_of(b), key, offset, len, buf, c);
    return fs_call_defer(fs_of(b), c);
}

/* lstat of `key` beneath the root, no link followed on the way or at the
 * end, and the file's metadata into `e`. */
static int stat_beneath(const struct fs *fs, const char *key, struct stat *st,
                        struct backend_entry *e)
{
    const char *name;
    int pfd = fsopen_parent(fs->rootfd, key, &name);
    if (pfd < 0)
        return -1;
    int rc = fsmeta_stat_at(pfd, name, st, e), e2 = errno;
    close(pfd);
    errno = e2;
    return rc;
}

static int fs_stat(struct backend *b, const char *key, backend_stat_fn *cb, void *ud)
{
    struct stat st;
    if (fs_key_check(key, false))
        return ST_EINVAL;
    struct fs_call *c = fs_call_new(FS_CALL_STAT, ud);
    if (!c)
        return ST_ENOMEM;
    c->cb.stat = cb;
    if (!(c->key = strdup(key))) {
        free(c);
        return ST_ENOMEM;
    }
    c->e.key = c->key;
    if (stat_beneath(fs_of(b), key, &st, &c->e) != 0)
        fs_call_fail(c, fs_errno_rc(errno), "'%s': %s", key, open_why(errno));
    else if (!S_ISREG(st.st_mode))
        fs_call_fail(c, ST_ENOTFOUND, "'%s' is not a file", key);
    else
        fs_fill_entry(&c->e, &st);
    return fs_call_defer(fs_of(b), c);
}

/* ------------------------------------------------------------ delete */

/* True if the directory `dir` (a key prefix without the trailing '/') lies
 * strictly below `keep`, so it may be removed once empty. */
static bool removable(const char *dir, const char *keep)
{
    size_t k = keep ? strlen(keep) : 0;
    if (k == 0)
        return true;
    if (strncmp(dir, keep, k) != 0 || strlen(dir) <= k)
        return false;
    return keep[k - 1] == '/' || dir[k] == '/';
}

/* unlinkat(flags) of `path` beneath the root (the name itself is never
 * followed: unlinking a link removes the link). */
static int unlink_beneath(const struct fs *fs, const char *path, int flags)
{
    const char *name;
    int pfd = fsopen_parent(fs->rootfd, path, &name);
    if (pfd < 0)
        return -1;
    int rc = unlinkat(pfd, name, flags), e = errno;
    close(pfd);
    errno = e;
    return rc;
}

/* Remove the directories `key` emptied, deepest first. */
static void prune_parents(struct fs *fs, const char *key, const char *keep)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", key);
    char *slash;
    while ((slash = strrchr(dir, '/')) != NULL) {
        *slash = '\0';
        if (!removable(dir, keep))
            return;
        if (unlink_beneath(fs, dir, AT_REMOVEDIR) != 0)
            return; /* not empty (or gone): its parents are not empty either */
    }
}

static int delete_one(struct fs *fs, const char *key, const char *keep)
{
    struct stat st;
    const char *name;
    if (fs_key_check(key, false))
        return ST_EINVAL;
    int pfd = fsopen_parent(fs->rootfd, key, &name);
    if (pfd < 0)
        return fs_errno_rc(errno);
    int rc = 0;
    if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
        rc = ST_ENOTFOUND; /* a directory is not an object */
    else if (unlinkat(pfd, name, 0) != 0)
        rc = fs_errno_rc(errno);
    close(pfd);
    if (!rc)
        prune_parents(fs, key, keep);
    return rc;
}

static int fs_delete_batch(struct backend *b, const char *const *keys, size_t n,
                           const char *keep_prefix, backend_delete_fn *cb, void *ud)
{
    struct fs_call *c = fs_call_new(FS_CALL_DELETE, ud);
    if (!c)
        return ST_ENOMEM;
    c->cb.del = cb;
    c->n = n;
    if (!(c->errs = calloc(n, sizeof(int)))) {
        free(c);
        return ST_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        c->errs[i] = delete_one(fs_of(b), keys[i], keep_prefix);
    return fs_call_defer(fs_of(b), c);
}

/* ------------------------------------------------------------ construction */

static void fs_destroy(struct backend *b)
{
    struct fs *fs = fs_of(b);
    if (fs->rootfd >= 0)
        close(fs->rootfd);
    free(fs->root);
    free(fs);
}

static const struct backend_ops fs_ops = {
    .name = "fs",
    .write_open = fs_write_open,
    .write_part = fs_write_part,
    .write_commit = fs_write_commit,
    .write_abort = fs_write_abort,
    .read = fs_read,
    .stat = fs_stat,
    .list_open = fs_list_open,
    .list_next = fs_list_next,
    .list_close = fs_list_close,
    .delete_batch = fs_delete_batch,
    .destroy = fs_destroy,
    .write_state = fs_write_state,
    .write_resume = fs_write_resume,
    .write_detach = fs_write_detach,
};

/* Remove temp files nobody wrote to for TMP_MAX_AGE_S (left by a worker
 * that died): every live writer touches its file at least once per stall
 * timeout, so they are garbage. Other workers may share the root. */
static void sweep_tmp(const struct fs *fs)
{
    struct stat st;
    struct dirent *de;
    int dfd = fs_tmp_dir(fs, false);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    time_t now = time(NULL);
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, "w-", 2) != 0)
            continue;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            now - st.st_mtime > TMP_MAX_AGE_S)
            unlinkat(dirfd(d), de->d_name, 0);
    }
    closedir(d);
}

/* mkdir -p of the configured root: the operator's own path, links and all. */
static int mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Take `rootfd` (consumed) as the root of a new backend named `name`: make
 * <root>/.tmp beneath it, check it is writable, sweep it. */
static int fs_make(struct backend **out, struct event_base *base, const char *name, int rootfd,
                   char *err, size_t errlen)
{
    struct fs *fs = calloc(1, sizeof(*fs));
    if (!fs || !(fs->root = strdup(name))) {
        free(fs);
        close(rootfd);
        return ST_ENOMEM;
    }
    fs->rootfd = rootfd;
    int tfd = fs_tmp_dir(fs, true);
    if (tfd < 0 || faccessat(tfd, ".", W_OK, AT_EACCESS) != 0) {
        snprintf(err, errlen, "'%.300s/%s': %s", name, TMP_DIR, open_why(errno));
        if (tfd >= 0)
            close(tfd);
        fs_destroy(&fs->b);
        return ST_EIO;
    }
    close(tfd);
    sweep_tmp(fs);
    fs->b.ops = &fs_ops;
    fs->b.base = base;
    fs->b.priv = fs;
    *out = &fs->b;
    return 0;
}

/* `p` without trailing slashes (but "/" stays "/"), its length. */
static size_t trimmed_len(const char *p)
{
    size_t len = p ? strlen(p) : 0;
    while (len > 1 && p[len - 1] == '/')
        len--;
    return len;
}

int backend_fs_new(struct backend **out, struct event_base *base, const char *root, char *err,
                   size_t errlen)
{
    char path[PATH_MAX];
    *out = NULL;
    size_t len = trimmed_len(root);
    if (!base || len == 0 || len > PATH_MAX - 300) {
        snprintf(err, errlen, "storage.fs.root: missing or too long");
        return ST_EINVAL;
    }
    snprintf(path, sizeof(path), "%.*s", (int)len, root);
    int fd = mkdir_p(path) == 0 ? open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (fd < 0) {
        snprintf(err, errlen, "storage.fs.root '%.300s': %s", path, strerror(errno));
        return ST_EIO;
    }
    int rc = fs_make(out, base, path, fd, err, errlen);
    if (rc == ST_EIO) {
        char why[300];
        snprintf(why, sizeof(why), "%s", err);
        snprintf(err, errlen, "storage.fs.root %s", why);
    }
    return rc;
}

int backend_fs_new_beneath(struct backend **out, struct event_base *base, const char *dir,
                           const char *sub, char *err, size_t errlen)
{
    char name[PATH_MAX];
    *out = NULL;
    size_t len = trimmed_len(dir);
    if (!base || len == 0 || !sub || len + strlen(sub) > PATH_MAX - 300) {
        snprintf(err, errlen, "fs backend: directory missing or too long");
        return ST_EINVAL;
    }
    snprintf(name, sizeof(name), "%.*s%s%s", (int)len, dir, *sub ? "/" : "", sub);
    while (strlen(name) > 1 && name[strlen(name) - 1] == '/')
        name[strlen(name) - 1] = '\0';
    /* the base is the operator's, never created here; `sub` is made and
     * opened beneath it with no link followed */
    int bfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int fd = -1;
    if (bfd >= 0 && (!*sub || fsopen_mkdirs(bfd, sub, 0755) == 0))
        fd = fsopen_beneath(bfd, sub, O_RDONLY | O_DIRECTORY, 0);
    int e = errno;
    if (bfd >= 0)
        close(bfd);
    if (fd < 0) {
        snprintf(err, errlen, "'%.300s': %s", bfd < 0 ? dir : name, open_why(e));
        return e == ENOENT || e == ENOTDIR || e == ELOOP || e == EACCES ? ST_EPRECOND : ST_EIO;
    }
    return fs_make(out, base, name, fd, err, errlen);
}
