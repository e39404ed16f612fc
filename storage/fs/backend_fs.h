/* backend_fs.h - the embedded filesystem backend (docs/design.md §6).
 *
 * Keys map to <root>/<key>. A write goes to a temp file under <root>/.tmp/
 * (same filesystem, never listed), is fsync'ed and then renamed into place
 * (parents created with mode 0755), so an object is visible only when
 * complete; an abort unlinks the temp file. Listing walks the tree in global
 * key order holding one directory's sorted names per depth. The etag is the
 * hex mtime in ns and size ("17a2b...-400"); md5 is empty. Symlinks and
 * special files are never listed. Deleting a key also removes the parent
 * directories it emptied, up to (not including) the `keep_prefix`.
 *
 * Nothing beneath the root is reached through a symlink: every path below
 * it (keys, their directories, .tmp, listed directories) is opened relative
 * to the root's fd with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) or an
 * equivalent walk (fsopen.h). A key with a symlink anywhere on its path is
 * NOT_FOUND for reads and stats (as it is never listed), and a write through
 * one fails ALREADY_EXISTS ("... in the way"); deleting a key that is
 * itself a link removes the link, never its target.
 *
 * The I/O itself is synchronous POSIX (local disk); callbacks are deferred
 * to the next turn of the event_base (event_base_once with a zero timeout),
 * so the async contract of backend.h holds. One event_base thread only. */
#ifndef STAGE_BACKEND_FS_H
#define STAGE_BACKEND_FS_H

#include <stddef.h>

struct backend;
struct event_base;

/* Create the backend on `root` (the operator's storage.fs.root, created
 * with mode 0755 if missing, links in it followed; <root>/.tmp is made
 * beneath it). Returns 0 and *out, or ST_EIO/ST_EINVAL with a message in
 * `err`, or ST_ENOMEM. Free with backend_free(). */
int backend_fs_new(struct backend **out, struct event_base *base, const char *root, char *err,
                   size_t errlen);

/* Create the backend on `dir`/`sub`: `dir` (an fs:// stage's base directory,
 * storage.fs_url_roots) must exist and is never created; `sub` (relative,
 * "" = `dir` itself) is created with mode 0755 if missing and opened
 * beneath `dir` without following any link. Returns 0 and *out, or
 * ST_EPRECOND (missing, not a directory, a link on the way, no access),
 * ST_EIO or ST_EINVAL with a message in `err`, or ST_ENOMEM. */
int backend_fs_new_beneath(struct backend **out, struct event_base *base, const char *dir,
                           const char *sub, char *err, size_t errlen);

#endif
