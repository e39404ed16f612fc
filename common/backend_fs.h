/* backend_fs.h - the embedded filesystem backend (DESIGN §6).
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
 * The I/O itself is synchronous POSIX (local disk); callbacks are deferred
 * to the next turn of the event_base (event_base_once with a zero timeout),
 * so the async contract of backend.h holds. One event_base thread only. */
#ifndef STAGE_BACKEND_FS_H
#define STAGE_BACKEND_FS_H

#include <stddef.h>

struct backend;
struct event_base;

/* Create the backend on `root` (created with mode 0755 if missing, as is
 * <root>/.tmp). Returns 0 and *out, or ST_EIO/ST_EINVAL with a message in
 * `err`, or ST_ENOMEM. Free with backend_free(). */
int backend_fs_new(struct backend **out, struct event_base *base, const char *root, char *err,
                   size_t errlen);

#endif
