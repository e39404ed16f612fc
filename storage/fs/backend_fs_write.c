/* backend_fs_write.c - the fs backend's writers: a temp file under
 * <root>/.tmp, fsync'ed and renamed into place on commit, and its resume
 * (see backend_fs.h). Apart from backend_fs.c (construction, read, stat,
 * delete) to keep each file to one job. */
#include "backend.h"
#include "backend_fs_impl.h"
#include "err.h"
#include "fsmeta.h"
#include "fsopen.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------ writers */

struct fs_writer {
    struct backend_writer base;
    int fd;
    long next_part;
    int64_t written; /* bytes in the temp file */
    bool no_overwrite;
    char creator[72]; /* stored with the file (fsmeta.h), "" none */
    char *key;
    char tmp[NAME_MAX + 1]; /* the temp file's name in <root>/.tmp, "" = none */
};

int fs_tmp_dir(const struct fs *fs, bool create)
{
    int fd = fsopen_beneath(fs->rootfd, TMP_DIR, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0 && errno == ENOENT && create &&
        (mkdirat(fs->rootfd, TMP_DIR, 0755) == 0 || errno == EEXIST))
        fd = fsopen_beneath(fs->rootfd, TMP_DIR, O_RDONLY | O_DIRECTORY, 0);
    return fd;
}

static void tmp_unlink(const struct fs *fs, const char *name)
{
    int dfd = fs_tmp_dir(fs, false);
    if (dfd >= 0) {
        unlinkat(dfd, name, 0);
        close(dfd);
    }
}

static void writer_free(struct fs_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    if (w->tmp[0])
        tmp_unlink(w->base.b->priv, w->tmp);
    free(w->key);
    free(w);
}

/* The temp file is made by the first part (or an empty commit), not at open:
 * callers record write_state() in their job before writing, so a process
 * killed at any point leaves either no temp file or one its job names. */
static int writer_create(struct fs *fs, const char *key, const struct backend_write_opts *o,
                         struct fs_writer **out)
{
    struct fs_writer *w = calloc(1, sizeof(*w));
    if (!w || !(w->key = strdup(key))) {
        free(w);
        return ST_ENOMEM;
    }
    w->base.b = &fs->b;
    w->fd = -1;
    w->no_overwrite = o && o->no_overwrite;
    if (o && o->creator)
        snprintf(w->creator, sizeof(w->creator), "%s", o->creator);
    snprintf(w->tmp, sizeof(w->tmp), "w-%ld-%lu-%08lx", (long)getpid(), ++fs->seq,
             (unsigned long)random());
    *out = w;
    return 0;
}

/* Create the temp file a new writer named. */
static int writer_materialize(struct fs *fs, struct fs_writer *w, struct fs_call *c)
{
    if (w->fd >= 0)
        return 0;
    int dfd = fs_tmp_dir(fs, true), e = errno;
    if (dfd >= 0) {
        /* one component, O_EXCL: never follows a link */
        w->fd = openat(dfd, w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        e = errno;
        close(dfd);
    }
    if (w->fd < 0)
        return fs_call_fail(c, fs_errno_rc(e) == ST_ENOTFOUND ? ST_EIO : fs_errno_rc(e),
                            "cannot create a temp file for '%s': %s", w->key, strerror(e));
    return 0;
}

int fs_write_open(struct backend *b, const char *key, const struct backend_write_opts *o,
                  backend_open_fn *cb, void *ud)
{
    struct fs *fs = fs_of(b);
    struct fs_writer *w = NULL;
    if (fs_key_check(key, false))
        return ST_EINVAL;
    struct fs_call *c = fs_call_new(FS_CALL_OPEN, ud);
    if (!c)
        return ST_ENOMEM;
    c->cb.open = cb;
    int rc = writer_create(fs, key, o, &w);
    if (rc) {
        free(c);
        return rc;
    }
    c->w = &w->base;
    rc = fs_call_defer(fs, c);
    if (rc)
        writer_free(w);
    return rc;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int fs_write_part(struct backend_writer *bw, long part_no, const void *data, size_t len,
                  backend_done_fn *cb, void *ud)
{
    struct fs_writer *w = (struct fs_writer *)bw;
    if (part_no != w->next_part)
        return ST_EINVAL; /* parts must come in order */
    struct fs_call *c = fs_call_new(FS_CALL_DONE, ud);
    if (!c)
        return ST_ENOMEM;
    c->cb.done = cb;
    int rc = writer_materialize(w->base.b->priv, w, c);
    if (rc == 0 && write_all(w->fd, data, len) != 0)
        rc = fs_call_fail(c, fs_errno_rc(errno) == ST_ENOTFOUND ? ST_EIO : fs_errno_rc(errno),
                          "cannot write part %ld of '%s': %s", part_no, w->key, strerror(errno));
    if (rc == 0) {
        w->next_part++;
        w->written += (int64_t)len;
    }
    return fs_call_defer(w->base.b->priv, c);
}

/* mkdir -p the directories of `key` beneath the root, never through a link. */
static int make_parents(const struct fs *fs, const char *key)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(key, '/');
    if (!slash)
        return 0;
    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - key), key);
    return fsopen_mkdirs(fs->rootfd, dir, 0755);
}

/* Move the temp file to `name` in the directory `pfd`. */
static int place(struct fs_writer *w, int tfd, int pfd, const char *name)
{
    if (!w->no_overwrite)
        return renameat(tfd, w->tmp, pfd, name);
    int rc = renameat2(tfd, w->tmp, pfd, name, RENAME_NOREPLACE);
    if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) { /* fs without NOREPLACE */
        rc = linkat(tfd, w->tmp, pfd, name, 0);
        if (rc == 0)
            unlinkat(tfd, w->tmp, 0);
    }
    return rc;
}

/* Rename the temp file into place through directory fds opened beneath the
 * root (a symlinked parent is refused, not followed), creating parents. A
 * concurrent delete may remove an emptied parent between mkdir and rename:
 * retry a few times. Returns 0 or -1 with the reason's errno in `*e`; on
 * success fsyncs the parent. */
static int rename_in(struct fs *fs, struct fs_writer *w, int *e)
{
    const char *name;
    int rc = -1, tfd = fs_tmp_dir(fs, false);
    *e = errno;
    for (int attempt = 0; tfd >= 0 && attempt < 4 && rc != 0; attempt++) {
        int pfd = fsopen_parent(fs->rootfd, w->key, &name);
        rc = pfd >= 0 ? place(w, tfd, pfd, name) : -1;
        *e = rc ? errno : 0;
        if (rc == 0)
            fsync(pfd); /* the rename itself is durable */
        if (pfd >= 0)
            close(pfd);
        if (rc != 0 && *e != ENOENT)
            break;
        if (rc != 0 && make_parents(fs, w->key) != 0) {
            *e = errno; /* say why the parents could not be made */
            break;
        }
    }
    if (tfd >= 0)
        close(tfd);
    return rc;
}

/* Metadata, fsync, then rename into place: the file appears with its
 * metadata or not at all. */
static int commit(struct fs *fs, struct fs_writer *w, struct fs_call *c)
{
    int e = 0;
    if (writer_materialize(fs, w, c) != 0)
        return c->rc;
    /* ST_EUNIMPL: no user xattrs here, the file is stored without (fsmeta.h) */
    if (fsmeta_set(w->fd, w->base.md5, w->base.sha256, w->creator) == ST_EIO)
        return fs_call_fail(c, ST_EIO, "cannot store the metadata of '%s': %s", w->key,
                            strerror(errno));
    if (fsync(w->fd) != 0 || close(w->fd) != 0) {
        w->fd = -1;
        return fs_call_fail(c, ST_EIO, "cannot flush '%s': %s", w->key, strerror(errno));
    }
    w->fd = -1;
    if (rename_in(fs, w, &e) != 0) {
        if (e == EEXIST && w->no_overwrite)
            return fs_call_fail(c, ST_EEXIST, "'%s' already exists", w->key);
        if (e == EEXIST || e == ENOTDIR || e == EISDIR || e == ENOTEMPTY || e == ELOOP)
            return fs_call_fail(c, ST_EEXIST,
                                "cannot create '%s': a file, directory or symbolic link is in "
                                "the way",
                                w->key);
        return fs_call_fail(c, fs_errno_rc(e) == ST_ENOTFOUND ? ST_EIO : fs_errno_rc(e),
                            "cannot create '%s': %s", w->key, strerror(e));
    }
    w->tmp[0] = '\0'; /* renamed: nothing to unlink */
    return 0;
}

int fs_write_commit(struct backend_writer *bw, backend_done_fn *cb, void *ud)
{
    struct fs_writer *w = (struct fs_writer *)bw;
    struct fs *fs = bw->b->priv;
    struct fs_call *c = fs_call_new(FS_CALL_DONE, ud);
    if (!c)
        return ST_ENOMEM;
    c->cb.done = cb;
    commit(fs, w, c);
    writer_free(w);
    return fs_call_defer(fs, c);
}

int fs_write_abort(struct backend_writer *bw, backend_done_fn *cb, void *ud)
{
    struct fs_writer *w = (struct fs_writer *)bw;
    struct fs *fs = bw->b->priv;
    struct fs_call *c = NULL;
    if (cb && !(c = fs_call_new(FS_CALL_DONE, ud)))
        return ST_ENOMEM;
    writer_free(w);
    if (!c)
        return 0;
    c->cb.done = cb;
    return fs_call_defer(fs, c);
}

/* ------------------------------------------------------------ resume */

int fs_write_state(struct backend_writer *bw, char *buf, size_t n, int64_t *durable)
{
    struct fs_writer *w = (struct fs_writer *)bw;
    if (!w->tmp[0])
        return ST_EINVAL;
    *durable = w->written; /* a later process reads what write() put in the page cache */
    int len = snprintf(buf, n, "%s", w->tmp);
    return len < 0 || (size_t)len >= n ? ST_ELIMIT : 0;
}

/* Reopen the temp file `state` names: cut it to the `offset` bytes the job
 * confirmed (a dead writer may have written more), append from there. */
static int writer_reopen(struct fs *fs, struct fs_writer *w, const char *state, int64_t offset,
                         struct fs_call *c)
{
    struct stat st;
    if (strncmp(state, "w-", 2) != 0 || strchr(state, '/') || strlen(state) > 200)
        return fs_call_fail(c, ST_EINVAL, "bad writer state '%.64s' for '%s'", state, w->key);
    snprintf(w->tmp, sizeof(w->tmp), "%s", state);
    int dfd = fs_tmp_dir(fs, false), e = errno;
    if (dfd >= 0) {
        w->fd = openat(dfd, w->tmp, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        e = errno;
        close(dfd);
    }
    if (w->fd < 0) {
        w->tmp[0] = '\0';
        return fs_call_fail(c, e == ENOENT ? ST_ENOTFOUND : ST_EIO,
                            "cannot resume the upload of '%s': temp file %s: %s", w->key, state,
                            strerror(e));
    }
    if (fstat(w->fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < offset)
        return fs_call_fail(c, ST_EIO,
                            "cannot resume the upload of '%s': temp file %s holds %lld of %lld "
                            "confirmed bytes",
                            w->key, state, (long long)st.st_size, (long long)offset);
    if (ftruncate(w->fd, (off_t)offset) != 0 || lseek(w->fd, (off_t)offset, SEEK_SET) < 0)
        return fs_call_fail(c, ST_EIO, "cannot resume the upload of '%s': %s", w->key,
                            strerror(errno));
    return 0;
}

int fs_write_resume(struct backend *b, const char *key, const struct backend_write_opts *o,
                    const char *state, long next_part, int64_t offset, backend_open_fn *cb,
                    void *ud)
{
    struct fs *fs = fs_of(b);
    if (fs_key_check(key, false))
        return ST_EINVAL;
    struct fs_writer *w = calloc(1, sizeof(*w));
    struct fs_call *c = fs_call_new(FS_CALL_OPEN, ud);
    if (!w || !c || !(w->key = strdup(key))) {
        free(w);
        free(c);
        return ST_ENOMEM;
    }
    c->cb.open = cb;
    w->fd = -1;
    w->base.b = b;
    w->no_overwrite = o && o->no_overwrite;
    if (o && o->creator)
        snprintf(w->creator, sizeof(w->creator), "%s", o->creator);
    w->next_part = next_part;
    w->written = offset;
    if (writer_reopen(fs, w, state, offset, c) == 0) {
        c->w = &w->base;
    } else {
        if (w->fd >= 0)
            close(w->fd);
        free(w->key);
        free(w);
        w = NULL;
    }
    int rc = fs_call_defer(fs, c);
    if (rc && w)
        writer_free(w);
    return rc;
}

void fs_write_detach(struct backend_writer *bw)
{
    struct fs_writer *w = (struct fs_writer *)bw;
    w->tmp[0] = '\0'; /* keep the temp file for write_resume */
    writer_free(w);
}
