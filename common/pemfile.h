/* pemfile.h - read a PEM file (a certificate, a key, a CA bundle) whole, for
 * the TLS of the frontend (frontend/tls.c) and of stagectl (cli/rpc.c). */
#ifndef STAGE_PEMFILE_H
#define STAGE_PEMFILE_H

#include <stddef.h>

#define PEMFILE_MAX (1 << 20) /* no certificate chain is bigger */

/* The file at `path` as a NUL-terminated malloc'd string in *out (the
 * caller frees it; a key should be wiped first). 0, or ST_ENOTFOUND (cannot
 * read), ST_EINVAL (not PEM, or over PEMFILE_MAX), ST_ENOMEM, with the
 * reason in `err`. */
int pemfile_read(const char *path, char **out, char *err, size_t errlen);

#endif
