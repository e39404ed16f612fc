/* creds.h - stagectl credentials: profiles, the token file, the
 * environment, the password prompt.
 *
 * A profile is one saved session: a server and a token (of one user). The
 * default profile is the files stagectl always used, <dir>/server and
 * <dir>/token; a named profile keeps the same two files in
 * <dir>/profiles/<NAME>/. <dir> is $XDG_CONFIG_HOME/stagectl, else
 * $HOME/.config/stagectl. Directories are created with mode 0700, files
 * with 0600 (written to a temp file, then renamed). `stagectl login USER`
 * saves profile USER@SERVER (so logging in as another user keeps the first
 * session) and, without --profile, the default profile too.
 * `profile` arguments: a profile name; NULL or "default" is the default.
 *
 * The server is chosen in this order: --server, STAGE_SERVER, the server of
 * the profile, 127.0.0.1:7070.
 * The `authorization` value is chosen in this order (flags, then the
 * environment, then the config directory):
 *   1. --token TOKEN                 -> "Bearer <token>"
 *   2. STAGE_TOKEN                   -> "Bearer <token>"
 *   3. STAGE_USER + STAGE_PASSWORD   -> "Basic base64(user:password)"
 *   4. the profile's token file      -> "Bearer <token>" (a warning on stderr
 *                                       when others may read it)
 *   5. none: "" (the server answers UNAUTHENTICATED).
 * Functions return 0 or a negative st_err with a message in `err`. */
#ifndef STAGECTL_CREDS_H
#define STAGECTL_CREDS_H

#include <stdbool.h>
#include <stddef.h>

#define CREDS_DEFAULT_PROFILE "default"
#define CREDS_PROFILE_MAX     120 /* bytes of a profile name */

/* A usable profile name: 1..CREDS_PROFILE_MAX of [A-Za-z0-9._-@:], not
 * starting with '.' (one directory, never a path). */
bool creds_profile_valid(const char *name);

/* The profile `login USER` saves by default: "USER@SERVER" (characters a
 * name cannot hold become '_'). */
void creds_profile_default_name(const char *user, const char *server, char *buf, size_t n);

/* The profile `want` (--profile, STAGECTL_PROFILE) names, into `buf`: the
 * profile of that name; else, for a user name, that user's one profile, or
 * the one on `server` (the --server or STAGE_SERVER in effect, may be NULL).
 * NULL or "default": the default profile. ST_ENOTFOUND if there is none,
 * ST_EINVAL if the name is bad or ambiguous. */
int creds_profile_find(const char *want, const char *server, char *buf, size_t n, char *err,
                       size_t errlen);

/* Path of the token file of `profile`. ST_ENOTFOUND if neither
 * XDG_CONFIG_HOME nor HOME is set. */
int creds_token_path(const char *profile, char *buf, size_t n, char *err, size_t errlen);

/* Store `token` in the token file of `profile` (mode 0600); its path into `path`. */
int creds_save_token(const char *profile, const char *token, char *path, size_t pathlen, char *err,
                     size_t errlen);

/* Remember the server `stagectl login` talked to (config file "server",
 * mode 0600), the default of later commands using `profile`. */
int creds_save_server(const char *profile, const char *server, char *err, size_t errlen);

/* The remembered server of `profile`; ST_ENOTFOUND if none. */
int creds_read_server(const char *profile, char *buf, size_t n);

/* The `authorization` header value (see above); "" when there is none.
 * `flag_token`: the --token value or NULL; `profile`: whose token file. */
int creds_authorization(const char *flag_token, const char *profile, char *buf, size_t n, char *err,
                        size_t errlen);

/* Read a password from the controlling terminal with echo off, after
 * printing `prompt` on it. ST_ENOTFOUND if there is no terminal. */
int creds_prompt_password(const char *prompt, char *buf, size_t n, char *err, size_t errlen);

#endif
