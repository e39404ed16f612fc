/* fsopen.h - open paths beneath a directory without following any symlink.
 *
 * Every path the fs backend touches lies beneath a root directory (the
 * configured storage.fs.root or an fs:// stage's directory). Whoever can
 * write below that root (another tenant of the host, a backup restore, a
 * process sharing the volume) can plant a symlink; plain open()/stat() would
 * follow it out of the root ("<root>/stage/user/alice/etc" -> "/etc"). So
 * paths are resolved with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS): no
 * symlink in any component, the last one included (ELOOP), and nothing that
 * leaves the directory (EXDEV). On a kernel without openat2 (before 5.6:
 * ENOSYS) the same is done by a walk, one component at a time with
 * O_NOFOLLOW, O_DIRECTORY for all but the last.
 *
 * These mirror openat(2) and mkdirat(2) rather than returning an st_err:
 * callers turn errno into their own status and message (fs_errno_rc()).
 * O_CLOEXEC is always added. `path` is relative ("a/b/c", a trailing '/'
 * allowed; "" is the directory itself); an absolute path or a ".." component
 * fails with EXDEV whatever the kernel.
 *
 * No state besides a flag caching whether openat2 exists; any thread. */
#ifndef STAGE_FSOPEN_H
#define STAGE_FSOPEN_H

#include <stdbool.h>
#include <sys/types.h>

/* Open `path` beneath `dirfd` with open(2) `flags` (and `mode` for O_CREAT).
 * An fd, or -1 with errno (ELOOP: a symlink on the way; EXDEV: the path
 * would leave `dirfd`). */
int fsopen_beneath(int dirfd, const char *path, int flags, mode_t mode);

/* The directory that holds the last component of `path`, opened beneath
 * `dirfd` (O_RDONLY | O_DIRECTORY), and in `*name` that last component (a
 * pointer into `path`), for the *at() calls that act on a name: fstatat,
 * unlinkat, renameat, mkdirat. An fd, or -1 with errno. */
int fsopen_parent(int dirfd, const char *path, const char **name);

/* mkdir -p of `path` beneath `dirfd` with `mode`; a component that exists
 * must be a directory, not a symlink to one (ELOOP). 0, or -1 with errno. */
int fsopen_mkdirs(int dirfd, const char *path, mode_t mode);

/* For tests: always use the component walk, as on a kernel without
 * openat2, so that both ways are exercised on any kernel. */
void fsopen_force_walk(bool on);

#endif
