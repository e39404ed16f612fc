/* fuzz_location.c - differential target over the key checks: location
 * parsing (common/location.c), the path check, CopyFiles' target naming
 * (common/copypath.c) and the backends' own check (backend_key_check()).
 *
 * The property that matters: nothing any of them accepts names a key
 * outside its stage's root. An independent, deliberately simple oracle
 * (key_inside() below) says what that means for a joined key
 * "<root><path>": no leading '/', no empty, '.' or '..' segment (a
 * trailing '/' aside for a prefix), no control byte, and the root as a
 * prefix. The layers must also agree: what location_parse() gives passes
 * location_path_check(), and every accepted path joined to a root passes
 * backend_key_check().
 *
 * Input: up to four '\n'-separated strings: a location (or path), a second
 * path, a third path, and a stage name. */
#include "fuzz.h"

#include "backend.h"
#include "copypath.h"
#include "err.h"
#include "location.h"

#include <stdbool.h>

/* The oracle: `key` stays below `root` (which ends in '/' or is ""). */
static bool key_inside(const char *root, const char *key, bool prefix)
{
    size_t rl = strlen(root);
    if (strncmp(key, root, rl) != 0 || key[0] == '/')
        return false;
    for (const char *p = key; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    const char *seg = key;
    for (;;) {
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        if (len == 0 && !(prefix && !end))
            return false;
        if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
        if (!end)
            return true;
        seg = end + 1;
    }
}

/* `path` accepted under a stage: joined to a user and an internal root it
 * must stay inside both, and the backends must take the key. */
static void check_joined(const char *path, bool prefix)
{
    char root[128], key[2300];
    static const char *const who[] = {"alice", "_x9"};
    for (int i = 0; i < 2; i++) {
        int n = i ? location_internal_root(root, sizeof(root), who[i])
                  : location_user_root(root, sizeof(root), who[i]);
        FUZZ_CHECK(n > 0);
        snprintf(key, sizeof(key), "%s%s", root, path);
        FUZZ_CHECK(key_inside(root, key, prefix));
        FUZZ_CHECK(backend_key_check(key, prefix) == 0);
    }
}

static void check_location(const char *s)
{
    struct location loc;
    char err[256];
    if (location_parse(s, &loc, err, sizeof(err)))
        return;
    FUZZ_CHECK(strcmp(loc.stage, "~") == 0 ||
               location_name_check(loc.stage, "stage", err, sizeof(err)) == 0);
    FUZZ_CHECK(location_path_check(loc.path, true, err, sizeof(err)) == 0);
    FUZZ_CHECK(loc.is_dir == (!loc.path[0] || loc.path[strlen(loc.path) - 1] == '/'));
    check_joined(loc.path, loc.is_dir);
    /* a file is a key of its own: it must pass as a key, not just a prefix */
    if (!loc.is_dir)
        check_joined(loc.path, false);
}

static void check_path(const char *p)
{
    char err[256];
    if (location_path_check(p, true, err, sizeof(err)))
        return;
    bool dir = !*p || p[strlen(p) - 1] == '/';
    check_joined(p, dir);
    if (!dir)
        check_joined(p, false);
}

/* CopyFiles: `from` and `to` were checked by the frontend, `rel` is a name
 * a listing returned under `from`. The target must stay in the target
 * stage whatever the listing said. */
static void check_copy(const char *from, const char *to, const char *rel)
{
    char err[256], out[2300];
    if (location_path_check(from, true, err, sizeof(err)) ||
        location_path_check(to, true, err, sizeof(err)) || backend_key_check(rel, false) ||
        strncmp(rel, from, strlen(from)) != 0)
        return;
    if (copypath_target(from, to, rel, out, sizeof(out)))
        return;
    FUZZ_CHECK(key_inside("", out, false));
    FUZZ_CHECK(backend_key_check(out, false) == 0);
}

static void check_names(const char *name)
{
    char err[256], root[200];
    if (location_name_check(name, "stage", err, sizeof(err)) == 0) {
        FUZZ_CHECK(location_internal_root(root, sizeof(root), name) > 0);
        FUZZ_CHECK(!strchr(name, '/') && strcmp(name, "..") && strcmp(name, "."));
    } else {
        FUZZ_CHECK(location_internal_root(root, sizeof(root), name) < 0);
        FUZZ_CHECK(location_user_root(root, sizeof(root), name) < 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_split f;
    fuzz_split(&f, data, size, 4);
    check_location(f.s[0]);
    check_path(f.s[0]);
    check_path(f.s[1]);
    for (int prefix = 0; prefix < 2; prefix++)
        if (backend_key_check(f.s[0], prefix) == 0)
            FUZZ_CHECK(key_inside("", f.s[0], prefix));
    check_copy(f.s[0], f.s[1], f.s[2]);
    check_copy(f.s[1], f.s[0], f.s[2]);
    check_names(f.s[3]);
    fuzz_split_free(&f);
    return 0;
}
