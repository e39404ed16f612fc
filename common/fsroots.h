/* fsroots.h - where fs:// external stages may point (issue 14, finding 1).
 *
 * An fs:// stage reads and writes a directory of the workers' filesystem,
 * so it must never reach the service's own files or the rest of the host:
 *   - fs:// stages need storage.allow_fs_urls (the switch) and a non-empty
 *     storage.fs_url_roots (where): a stage's directory must be one of
 *     those base directories or lie below one;
 *   - it must not overlap storage.fs.root (every user's @~ and every
 *     internal stage), neither inside it nor containing it.
 * Who may create fs:// stages (admins only) is the frontend's rule
 * (frontend/h_stages.c), not this module's.
 *
 * Paths are compared in normal form: absolute, no empty, "." or ".."
 * segment, no trailing '/' ("/" alone for the root). A relative
 * storage.fs.root is taken against the working directory (`cwd`, or
 * getcwd() when `cwd` is NULL). The comparison is lexical: the worker
 * checks again with real paths (worker/backends.c), and the fs backend
 * opens the stage's directory beneath its base without following links
 * (backend_fs_new_beneath()).
 *
 * Pure apart from getcwd(); any thread. */
#ifndef STAGE_FSROOTS_H
#define STAGE_FSROOTS_H

#include <stdbool.h>
#include <stddef.h>

struct config;

#define FSROOTS_PATH_MAX 1024

/* `path` in normal form into `out`; a relative path is taken against `cwd`
 * (NULL: getcwd()) and ".." pops a segment. 0, or ST_EINVAL (too long, or
 * relative with no working directory). */
int fsroots_normalize(const char *path, const char *cwd, char *out, size_t n);

/* True if `path` is `dir` or lies below it (both in normal form). */
bool fsroots_within(const char *path, const char *dir);

/* True if either of `a` and `b` (normal form) is or contains the other. */
bool fsroots_overlap(const char *a, const char *b);

/* storage.fs_url_roots at startup (config_validate()): each entry absolute,
 * without a ".." segment, not "/", and neither storage.fs.root nor inside
 * it. 0, or ST_EINVAL with a message naming the entry. An entry that
 * contains storage.fs.root is allowed: fs:// stages beside it are fine,
 * fsroots_check() refuses those over it. */
int fsroots_config_check(const struct config *cfg, const char *cwd, char *err, size_t errlen);

/* Where an allowed stage directory lies: the base (one of
 * storage.fs_url_roots, normal form) and the rest below it ("" when the
 * stage is the base itself). */
struct fsroots_match {
    char root[FSROOTS_PATH_MAX];
    char sub[FSROOTS_PATH_MAX];
};

/* May an fs:// stage use the directory `dir` (absolute, as storspec_parse()
 * gives it: "/srv/ext/a/")? 0 (and `*m`, if not NULL, filled with the
 * longest matching root); ST_EPRECOND if fs:// stages are off on this
 * server (storage.allow_fs_urls false, or storage.fs_url_roots empty: the
 * message names the key); ST_EINVAL if `dir` overlaps storage.fs.root or
 * lies under none of the roots (the message says which and what to do). */
int fsroots_check(const struct config *cfg, const char *dir, const char *cwd,
                  struct fsroots_match *m, char *err, size_t errlen);

#endif
