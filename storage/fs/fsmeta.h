/* fsmeta.h - a file's metadata on the fs backend: its MD5, SHA-256 and
 * creator as extended attributes of the file itself:
 *
 *   user.stage.md5     32 hex digits
 *   user.stage.sha256  64 hex digits
 *   user.stage.creator the user name (printable ASCII, under 72 bytes)
 *
 * Why xattrs and not a sidecar file: they are set on the temp file before
 * the rename that publishes it, so the file and its metadata appear (and
 * are replaced, and removed) together, atomically, with no second object
 * for listings, deletes and copies to hide or keep in step; reading them is
 * three fgetxattr calls on the fd the lister opens anyway to stat safely.
 * A filesystem that refuses user xattrs (ENOTSUP: some tmpfs, NFS without
 * xattr support) still stores the file: its metadata is then reported as
 * unknown ("") rather than failing every upload.
 *
 * Values read back are checked (anyone with write access below the root
 * can set xattrs): a value that does not have the expected form reads as
 * unknown. Every call takes an fd (the fs backend opens every path beneath
 * its root, fsopen.h). No state; any thread. */
#ifndef STAGE_FSMETA_H
#define STAGE_FSMETA_H

#include <stdbool.h>

struct backend_entry;
struct stat;

#define FSMETA_MD5     "user.stage.md5"
#define FSMETA_SHA256  "user.stage.sha256"
#define FSMETA_CREATOR "user.stage.creator"

/* Set the attributes that are non-empty on the open file `fd`. 0;
 * ST_EUNIMPL if the filesystem has no user xattrs (nothing set); ST_EIO
 * with errno otherwise. */
int fsmeta_set(int fd, const char *md5, const char *sha256, const char *creator);

/* Fill e->md5, e->sha256 and e->creator from `fd` ("" for each one missing
 * or malformed). */
void fsmeta_get(int fd, struct backend_entry *e);

/* lstat of `name` in the directory `dfd`, and for a regular file its
 * metadata into `e` (opened O_NOFOLLOW|O_NONBLOCK, and stat'ed again
 * through that fd, so the metadata is that of the file described). 0, or
 * -1 with errno; a file that cannot be opened (EACCES) is described
 * without metadata. */
int fsmeta_stat_at(int dfd, const char *name, struct stat *st, struct backend_entry *e);

/* True if `s` can be stored and reported as a creator: 1..71 printable
 * ASCII characters. Pure. */
bool fsmeta_creator_ok(const char *s);

#endif
