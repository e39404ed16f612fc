/* fsroots.c - the directories fs:// stages may use (see fsroots.h). */
#include "fsroots.h"

#include "config.h"
#include "err.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Append segment `seg` (`len` bytes) to the normal path in `out`. */
static int push_seg(char *out, size_t n, size_t *used, const char *seg, size_t len)
{
    if (len == 2 && seg[0] == '.' && seg[1] == '.') {
        char *slash = strrchr(out, '/');
        *used = slash ? (size_t)(slash - out) : 0;
        out[*used] = '\0';
        return 0;
    }
    if (*used + 1 + len >= n)
        return ST_EINVAL;
    out[(*used)++] = '/';
    memcpy(out + *used, seg, len);
    *used += len;
    out[*used] = '\0';
    return 0;
}

/* Add the segments of `p` to `out`, dropping empty and "." ones. */
static int push_path(char *out, size_t n, size_t *used, const char *p)
{
    while (*p) {
        size_t len = strcspn(p, "/");
        bool skip = len == 0 || (len == 1 && p[0] == '.');
        if (!skip && push_seg(out, n, used, p, len))
            return ST_EINVAL;
        p += len;
        while (*p == '/')
            p++;
    }
    return 0;
}

int fsroots_normalize(const char *path, const char *cwd, char *out, size_t n)
{
    char wd[PATH_MAX];
    size_t used = 0;
    if (n < 2)
        return ST_EINVAL;
    out[0] = '\0';
    if (path[0] != '/') {
        if (!cwd && !(cwd = getcwd(wd, sizeof(wd))))
            return ST_EINVAL;
        if (cwd[0] != '/' || push_path(out, n, &used, cwd))
            return ST_EINVAL;
    }
    if (push_path(out, n, &used, path))
        return ST_EINVAL;
    if (!used)
        snprintf(out, n, "/");
    return 0;
}

bool fsroots_within(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (strcmp(dir, "/") == 0)
        return path[0] == '/';
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

bool fsroots_overlap(const char *a, const char *b)
{
    return fsroots_within(a, b) || fsroots_within(b, a);
}

static bool has_dotdot(const char *p)
{
    for (; *p; p += strspn(p, "/")) {
        size_t len = strcspn(p, "/");
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return true;
        p += len;
    }
    return false;
}

/* storage.fs.root in normal form. */
static int fs_root_of(const struct config *cfg, const char *cwd, char *out, size_t n, char *err,
                      size_t errlen)
{
    if (fsroots_normalize(cfg->storage.fs_root, cwd, out, n))
        return st_fail(ST_EINVAL, err, errlen,
                       "storage.fs.root '%.200s' cannot be made absolute (too long, or the working "
                       "directory is unknown)",
                       cfg->storage.fs_root);
    return 0;
}

int fsroots_config_check(const struct config *cfg, const char *cwd, char *err, size_t errlen)
{
    char fs_root[FSROOTS_PATH_MAX], r[FSROOTS_PATH_MAX];
    const struct config_list *l = &cfg->storage.fs_url_roots;
    if (l->n == 0)
        return 0;
    int rc = fs_root_of(cfg, cwd, fs_root, sizeof(fs_root), err, errlen);
    for (int i = 0; !rc && i < l->n; i++) {
        const char *e = l->item[i];
        if (e[0] != '/')
            return st_fail(ST_EINVAL, err, errlen,
                           "storage.fs_url_roots: '%.200s' is not an absolute path", e);
        if (has_dotdot(e))
            return st_fail(ST_EINVAL, err, errlen,
                           "storage.fs_url_roots: '%.200s' has a '..' segment; name the directory "
                           "itself",
                           e);
        if (fsroots_normalize(e, NULL, r, sizeof(r)))
            return st_fail(ST_EINVAL, err, errlen, "storage.fs_url_roots: '%.200s' is too long", e);
        if (strcmp(r, "/") == 0)
            return st_fail(ST_EINVAL, err, errlen,
                           "storage.fs_url_roots: '/' would let fs:// stages reach every file of "
                           "the workers; list the directories meant for them");
        if (fsroots_within(r, fs_root))
            return st_fail(ST_EINVAL, err, errlen,
                           "storage.fs_url_roots: '%.200s' is storage.fs.root '%.200s' or inside "
                           "it (every user's @~ and internal stage lives there); list a directory "
                           "beside it",
                           e, fs_root);
    }
    return rc;
}

/* The roots, joined by ", ", for a message. */
static void roots_text(const struct config_list *l, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < l->n && used < n; i++) {
        int w = snprintf(buf + used, n - used, "%s%s", i ? ", " : "", l->item[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

int fsroots_check(const struct config *cfg, const char *dir, const char *cwd,
                  struct fsroots_match *m, char *err, size_t errlen)
{
    char d[FSROOTS_PATH_MAX], fs_root[FSROOTS_PATH_MAX], r[FSROOTS_PATH_MAX],
        best[FSROOTS_PATH_MAX];
    const struct config_list *l = &cfg->storage.fs_url_roots;
    if (!cfg->storage.allow_fs_urls)
        return st_fail(ST_EPRECOND, err, errlen,
                       "fs:// stages are disabled on this server (storage.allow_fs_urls)");
    if (l->n == 0)
        return st_fail(ST_EPRECOND, err, errlen,
                       "fs:// stages need storage.fs_url_roots: this server lists no directory "
                       "they may use");
    if (dir[0] != '/' || has_dotdot(dir) || fsroots_normalize(dir, NULL, d, sizeof(d)))
        return st_fail(ST_EINVAL, err, errlen,
                       "fs:// directory '%.200s' must be absolute, without '..' segments", dir);
    int rc = fs_root_of(cfg, cwd, fs_root, sizeof(fs_root), err, errlen);
    if (rc)
        return rc;
    if (fsroots_overlap(d, fs_root))
        return st_fail(ST_EINVAL, err, errlen,
                       "fs:// directory '%.200s' overlaps storage.fs.root '%.200s' (the service's "
                       "own files: every user's @~ and internal stage); choose a directory beside "
                       "it, under storage.fs_url_roots",
                       d, fs_root);
    best[0] = '\0';
    for (int i = 0; i < l->n; i++) /* entries config_validate() refuses never match */
        if (l->item[i][0] == '/' && !has_dotdot(l->item[i]) &&
            !fsroots_normalize(l->item[i], NULL, r, sizeof(r)) && fsroots_within(d, r) &&
            strlen(r) > strlen(best))
            snprintf(best, sizeof(best), "%s", r);
    if (!best[0]) {
        char roots[600];
        roots_text(l, roots, sizeof(roots));
        return st_fail(ST_EINVAL, err, errlen,
                       "fs:// directory '%.200s' is not under any of storage.fs_url_roots (%s)", d,
                       roots);
    }
    if (m) {
        size_t bl = strcmp(best, "/") == 0 ? 0 : strlen(best);
        snprintf(m->root, sizeof(m->root), "%s", best);
        snprintf(m->sub, sizeof(m->sub), "%s", d[bl] == '/' ? d + bl + 1 : d + bl);
    }
    return 0;
}
