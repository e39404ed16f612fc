/* creds.h - stagectl credentials: the token file, the environment, the
 * password prompt.
 *
 * The server is chosen in this order: --server, STAGE_SERVER, the server of
 * the last `stagectl login` (config file "server"), 127.0.0.1:7070.
 * The token file is $XDG_CONFIG_HOME/stagectl/token, else
 * $HOME/.config/stagectl/token; the directory is created with mode 0700 and
 * the file with 0600 (written to a temp file, then renamed).
 * The `authorization` value is chosen in this order (flags, then the
 * environment, then the config directory):
 *   1. --token TOKEN                 -> "Bearer <token>"
 *   2. STAGE_TOKEN                   -> "Bearer <token>"
 *   3. STAGE_USER + STAGE_PASSWORD   -> "Basic base64(user:password)"
 *   4. the token file                -> "Bearer <token>" (a warning on stderr
 *                                       when others may read it)
 *   5. none: "" (the server answers UNAUTHENTICATED).
 * Functions return 0 or a negative st_err with a message in `err`. */
#ifndef STAGECTL_CREDS_H
#define STAGECTL_CREDS_H

#include <stddef.h>

/* Path of the token file. ST_ENOTFOUND if neither XDG_CONFIG_HOME nor HOME is set. */
int creds_token_path(char *buf, size_t n, char *err, size_t errlen);

/* Store `token` in the token file (mode 0600). */
int creds_save_token(const char *token, char *path, size_t pathlen, char *err, size_t errlen);

/* Remember the server `stagectl login` talked to (config file "server",
 * mode 0600), the default of later commands. */
int creds_save_server(const char *server, char *err, size_t errlen);

/* The remembered server; ST_ENOTFOUND if none. */
int creds_read_server(char *buf, size_t n);

/* The `authorization` header value (see above); "" when there is none.
 * `flag_token`: the --token value or NULL. */
int creds_authorization(const char *flag_token, char *buf, size_t n, char *err, size_t errlen);

/* Read a password from the controlling terminal with echo off, after
 * printing `prompt` on it. ST_ENOTFOUND if there is no terminal. */
int creds_prompt_password(const char *prompt, char *buf, size_t n, char *err, size_t errlen);

#endif
