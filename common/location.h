/* location.h - stage locations ("@~/dir/file.csv", "@name/dir/") and names.
 *
 * A location names a stage and a key prefix inside it. Parsing is strict so
 * that a location can never reach outside its stage's root: "..", ".",
 * empty segments ("a//b"), a leading "/", backslashes, NUL and control
 * characters, percent-encoded dots ("%2e%2e"), and keys longer than
 * LOCATION_PATH_MAX are refused with ST_EINVAL and a message in `err`.
 * Pure; any thread. */
#ifndef STAGE_LOCATION_H
#define STAGE_LOCATION_H

#include <stdbool.h>
#include <stddef.h>

#define LOCATION_NAME_MAX 64
#define LOCATION_PATH_MAX 1024

struct location {
    char stage[LOCATION_NAME_MAX + 1]; /* "~" for the user stage, else the stage name */
    char path[LOCATION_PATH_MAX + 1];  /* key or key prefix; "" = the whole stage */
    bool is_dir;                       /* path is "" or ends with '/' */
};

/* Parse "@~", "@~/a/b", "@name", "@name/a/". ST_EINVAL with a message in `err`. */
int location_parse(const char *s, struct location *out, char *err, size_t errlen);

/* A path inside a stage (no leading '@'): the same checks as location_parse().
 * `allow_empty`: "" is accepted (the stage root). */
int location_path_check(const char *path, bool allow_empty, char *err, size_t errlen);

/* Stage and user names: [A-Za-z_][A-Za-z0-9_]{0,63}. A leading '@' is an error
 * whose message says to drop it. */
int location_name_check(const char *name, const char *what, char *err, size_t errlen);

/* Backend key prefix of a user stage: "stage/user/<user>/". Returns length or -1. */
int location_user_root(char *buf, size_t n, const char *user);

/* Backend key prefix of an internal stage: "stage/internal/<name>/". */
int location_internal_root(char *buf, size_t n, const char *name);

#endif
