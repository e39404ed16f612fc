/* location.c - strict parsing of stage locations and names.
 *
 * The rules (location.h) exist so that "<root>/<path>" can never name a key
 * outside the stage's root, whatever backend joins them: an fs backend would
 * resolve "..", and a proxy or a backend may percent-decode, so "%2e" is
 * refused wherever it appears (even "a%2Eb", which is harmless but not worth
 * a decoder to tell apart). Invalid UTF-8 is refused too: object stores and
 * protobuf strings both require it. Messages quote the input with control
 * bytes shown as '?', so they are safe to log and to return to the client. */
#include "location.h"

#include "err.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SHOW_MAX 80 /* bytes of the input quoted in a message */

/* A printable, bounded copy of `s` for messages. */
static const char *show(const char *s, char buf[SHOW_MAX + 4])
{
    size_t i = 0;
    for (; s[i] && i < SHOW_MAX; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    buf[i] = '\0';
    if (s[i])
        memcpy(buf + i, "...", 4);
    return buf;
}

/* The reason `path` is bad, or NULL. Checks bytes first, then segments. */
static const char *path_problem(const char *path, char *why, size_t whylen)
{
    size_t len = strlen(path);
    if (len > LOCATION_PATH_MAX) {
        snprintf(why, whylen, "the path is too long (%zu bytes, max %d)", len, LOCATION_PATH_MAX);
        return why;
    }
    if (path[0] == '/')
        return "the path inside the stage must not start with '/'";
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)path[i];
        if (c < 0x20 || c == 0x7f) {
            snprintf(why, whylen, "control character 0x%02x at offset %zu is not allowed", c, i);
            return why;
        }
        if (c == '\\')
            return "backslashes are not allowed; use '/' between directories";
        if (c == '%' && path[i + 1] == '2' && (path[i + 2] == 'e' || path[i + 2] == 'E'))
            return "percent-encoded dots ('%2e') are not allowed";
        size_t n = utf8_seq_len((const unsigned char *)path + i);
        if (n == 0) {
            snprintf(why, whylen, "invalid UTF-8 at offset %zu", i);
            return why;
        }
        i += n;
    }
    for (const char *seg = path; *seg;) {
        size_t n = strcspn(seg, "/");
        if (n == 0)
            return "empty segments ('//') are not allowed";
        if (n == 1 && seg[0] == '.')
            return "'.' segments are not allowed";
        if (n == 2 && seg[0] == '.' && seg[1] == '.')
            return "'..' segments are not allowed";
        seg += n;
        if (*seg == '/')
            seg++;
    }
    return NULL;
}

int location_path_check(const char *path, bool allow_empty, char *err, size_t errlen)
{
    char why[96], buf[SHOW_MAX + 4];
    if (!path || !*path)
        return allow_empty ? 0 : st_fail(ST_EINVAL, err, errlen, "path is empty");
    const char *p = path_problem(path, why, sizeof(why));
    return p ? st_fail(ST_EINVAL, err, errlen, "path '%s': %s", show(path, buf), p) : 0;
}

/* The reason `name` is not a valid name, or NULL. */
static const char *name_problem(const char *name, char *why, size_t whylen)
{
    size_t len = strlen(name);
    if (len == 0)
        return "the name is empty";
    if (name[0] == '@')
        return "drop the leading '@' (it marks a location, not a name)";
    if (strcmp(name, "~") == 0)
        return "'~' is reserved for the user stage";
    if (len > LOCATION_NAME_MAX) {
        snprintf(why, whylen, "the name is too long (%zu bytes, max %d)", len, LOCATION_NAME_MAX);
        return why;
    }
    if (name[0] >= '0' && name[0] <= '9')
        return "a name must start with a letter or '_'";
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_')) {
            snprintf(why, whylen,
                     "character '%c' at offset %zu is not allowed; use letters, digits and '_'",
                     (c < 0x20 || c == 0x7f) ? '?' : c, i);
            return why;
        }
    }
    return NULL;
}

int location_name_check(const char *name, const char *what, char *err, size_t errlen)
{
    char why[128], buf[SHOW_MAX + 4];
    if (!what)
        what = "name";
    if (!name)
        name = "";
    const char *p = name_problem(name, why, sizeof(why));
    return p ? st_fail(ST_EINVAL, err, errlen, "%s name '%s' is invalid: %s", what, show(name, buf),
                       p)
             : 0;
}

int location_parse(const char *s, struct location *out, char *err, size_t errlen)
{
    char why[160], buf[SHOW_MAX + 4];
    memset(out, 0, sizeof(*out));
    if (!s || s[0] != '@')
        return st_fail(ST_EINVAL, err, errlen,
                       "location '%s': must start with '@' (e.g. @~/dir/ or @stage/f.csv)",
                       show(s ? s : "", buf));
    size_t n = strcspn(s + 1, "/");
    if (n == 0)
        return st_fail(ST_EINVAL, err, errlen,
                       "location '%s': the stage name is missing after '@' (use @~ for your "
                       "user stage)",
                       show(s, buf));
    if (n > LOCATION_NAME_MAX)
        return st_fail(ST_EINVAL, err, errlen,
                       "location '%s': the stage name is too long (max %d bytes)", show(s, buf),
                       LOCATION_NAME_MAX);
    memcpy(out->stage, s + 1, n);
    out->stage[n] = '\0';
    const char *p = strcmp(out->stage, "~") ? name_problem(out->stage, why, sizeof(why)) : NULL;
    if (p) {
        memset(out, 0, sizeof(*out));
        return st_fail(ST_EINVAL, err, errlen, "location '%s': invalid stage name: %s",
                       show(s, buf), p);
    }
    const char *path = s + 1 + n;
    if (*path == '/')
        path++;
    p = path_problem(path, why, sizeof(why));
    if (p) {
        memset(out, 0, sizeof(*out));
        return st_fail(ST_EINVAL, err, errlen, "location '%s': %s", show(s, buf), p);
    }
    size_t plen = strlen(path);
    memcpy(out->path, path, plen + 1);
    out->is_dir = plen == 0 || path[plen - 1] == '/';
    return 0;
}

static int root(char *buf, size_t n, const char *kind, const char *name)
{
    char why[128];
    /* a name with '/' or ".." would escape "stage/<kind>/" */
    if (!name || name_problem(name, why, sizeof(why)))
        return -1;
    int len = snprintf(buf, n, "stage/%s/%s/", kind, name);
    return (len < 0 || (size_t)len >= n) ? -1 : len;
}

int location_user_root(char *buf, size_t n, const char *user)
{
    return root(buf, n, "user", user);
}

int location_internal_root(char *buf, size_t n, const char *name)
{
    return root(buf, n, "internal", name);
}
