/* fsmeta.c - see fsmeta.h. */
#include "fsmeta.h"

#include "backend.h"
#include "digest.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

bool fsmeta_creator_ok(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e)
            return false;
    return n > 0 && n < 72;
}

static int set_one(int fd, const char *name, const char *v)
{
    if (!v || !*v)
        return 0;
    if (fsetxattr(fd, name, v, strlen(v), 0) == 0)
        return 0;
    return errno == ENOTSUP || errno == EOPNOTSUPP ? ST_EUNIMPL : ST_EIO;
}

int fsmeta_set(int fd, const char *md5, const char *sha256, const char *creator)
{
    int rc = set_one(fd, FSMETA_MD5, md5);
    if (!rc)
        rc = set_one(fd, FSMETA_SHA256, sha256);
    if (!rc && creator && fsmeta_creator_ok(creator))
        rc = set_one(fd, FSMETA_CREATOR, creator);
    return rc;
}

/* The attribute as a string into out[n], "" if missing or too long. */
static void get_one(int fd, const char *name, char *out, size_t n)
{
    ssize_t len = fgetxattr(fd, name, out, n - 1);
    out[len > 0 ? len : 0] = '\0';
}

void fsmeta_get(int fd, struct backend_entry *e)
{
    get_one(fd, FSMETA_MD5, e->md5, sizeof(e->md5));
    if (!digest_hex_ok(e->md5, 32))
        e->md5[0] = '\0';
    get_one(fd, FSMETA_SHA256, e->sha256, sizeof(e->sha256));
    if (!digest_hex_ok(e->sha256, 64))
        e->sha256[0] = '\0';
    get_one(fd, FSMETA_CREATOR, e->creator, sizeof(e->creator));
    if (!fsmeta_creator_ok(e->creator))
        e->creator[0] = '\0';
}

int fsmeta_stat_at(int dfd, const char *name, struct stat *st, struct backend_entry *e)
{
    e->md5[0] = e->sha256[0] = e->creator[0] = '\0';
    if (fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) != 0)
        return -1;
    if (!S_ISREG(st->st_mode))
        return 0;
    /* one component, O_NOFOLLOW: never a link; O_NONBLOCK: a FIFO put there
     * since the lstat does not block (and is no regular file below) */
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ELOOP ? -1 : 0;
    struct stat fst;
    if (fstat(fd, &fst) == 0) {
        *st = fst;
        if (S_ISREG(fst.st_mode))
            fsmeta_get(fd, e);
    }
    close(fd);
    return 0;
}
