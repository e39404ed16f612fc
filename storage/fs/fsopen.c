/* fsopen.c - openat2 beneath a directory, or a walk that does the same
 * (see fsopen.h). */
#include "fsopen.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* -1: not tried yet; 0: the kernel said ENOSYS; 1: it works. A race between
 * threads only makes one of them try openat2 once more. */
static int have_openat2 = -1;
static bool force_walk;

void fsopen_force_walk(bool on)
{
    force_walk = on;
}

/* Neither way resolves an absolute path or "..": openat2 would accept a ".."
 * that stays beneath, the walk would not; refusing both keeps them equal. */
static bool path_ok(const char *path)
{
    if (path[0] == '/')
        return false;
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return false;
        p += n;
        while (*p == '/')
            p++;
    }
    return true;
}

static int sys_openat2(int dirfd, const char *path, int flags, mode_t mode)
{
    struct open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = (unsigned long long)(unsigned)(flags | O_CLOEXEC);
    /* the kernel refuses a mode without O_CREAT or O_TMPFILE */
    if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
        how.mode = mode;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
    return (int)syscall(SYS_openat2, dirfd, *path ? path : ".", &how, sizeof(how));
}

/* Copy the component at `p` (up to '/') into `comp`; "" and "." become ".".
 * Returns its length in `path`, or -1 (ENAMETOOLONG). */
static long component(const char *p, char comp[NAME_MAX + 1])
{
    size_t n = strcspn(p, "/");
    if (n > NAME_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(comp, p, n);
    comp[n] = '\0';
    if (n == 0)
        strcpy(comp, ".");
    return (long)n;
}

/* O_DIRECTORY | O_NOFOLLOW on a link fails ENOTDIR; after such a failure,
 * say ELOOP as openat2 does, so that callers see one errno either way. */
static void enotdir_to_eloop(int at, const char *comp)
{
    struct stat st;
    int e = ENOTDIR;
    if (errno != ENOTDIR)
        return;
    if (fstatat(at, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
        e = ELOOP;
    errno = e;
}

/* Open the directory `comp` of `at` without following it. */
static int open_dir(int at, const char *comp)
{
    int fd = openat(at, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        enotdir_to_eloop(at, comp);
    return fd;
}

/* The walk: every directory on the way opened with O_NOFOLLOW | O_DIRECTORY
 * relative to the previous one, the last component with O_NOFOLLOW. */
static int walk(int dirfd, const char *path, int flags, mode_t mode)
{
    char comp[NAME_MAX + 1];
    int cur = -1, fd = -1;
    for (const char *p = path;;) {
        long n = component(p, comp);
        if (n < 0)
            break;
        const char *rest = p + n;
        while (*rest == '/')
            rest++;
        int at = cur >= 0 ? cur : dirfd;
        if (!*rest) {
            fd = openat(at, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
            if (fd < 0)
                enotdir_to_eloop(at, comp);
            break;
        }
        fd = open_dir(at, comp);
        if (fd < 0)
            break;
        if (cur >= 0)
            close(cur);
        cur = fd;
        fd = -1;
        p = rest;
    }
    int e = errno;
    struct stat st;
    /* O_PATH | O_NOFOLLOW opens a symlink itself; openat2 refuses it */
    if (fd >= 0 && (flags & O_PATH) && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
        close(fd);
        fd = -1;
        e = ELOOP;
    }
    if (cur >= 0)
        close(cur);
    errno = e;
    return fd;
}

int fsopen_beneath(int dirfd, const char *path, int flags, mode_t mode)
{
    if (!path_ok(path)) {
        errno = EXDEV;
        return -1;
    }
    if (!force_walk && have_openat2 != 0) {
        int fd = sys_openat2(dirfd, path, flags, mode);
        if (fd >= 0 || errno != ENOSYS) {
            have_openat2 = 1;
            return fd;
        }
        have_openat2 = 0;
    }
    return walk(dirfd, path, flags, mode);
}

int fsopen_parent(int dirfd, const char *path, const char **name)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    *name = slash ? slash + 1 : path;
    if (!path_ok(path)) {
        errno = EXDEV;
        return -1;
    }
    if (!**name || strcmp(*name, ".") == 0) {
        errno = EINVAL; /* no name to act on */
        return -1;
    }
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (n >= sizeof(dir)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(dir, path, n);
    dir[n] = '\0';
    return fsopen_beneath(dirfd, dir, O_RDONLY | O_DIRECTORY, 0);
}

int fsopen_mkdirs(int dirfd, const char *path, mode_t mode)
{
    char comp[NAME_MAX + 1];
    if (!path_ok(path)) {
        errno = EXDEV;
        return -1;
    }
    int cur = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    for (const char *p = path; cur >= 0 && *p;) {
        long n = component(p, comp);
        int next = -1;
        if (n >= 0 && (mkdirat(cur, comp, mode) == 0 || errno == EEXIST))
            next = open_dir(cur, comp);
        int e = errno;
        close(cur);
        errno = e;
        cur = next;
        p += n > 0 ? n : 0;
        while (*p == '/')
            p++;
    }
    if (cur < 0)
        return -1;
    close(cur);
    return 0;
}
