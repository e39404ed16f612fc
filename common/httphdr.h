/* httphdr.h - checks of HTTP header values that come from outside.
 *
 * A CR or LF in a value ends its header line and starts another: a client
 * that chooses a file's Content-Type (UploadHeader.content_type) would add
 * headers of its own to the requests a backend signs and sends to the
 * object store (header injection). The API refuses such values
 * (httphdr_content_type_check); the backends refuse any control character
 * in any header line they build (httphdr_line_ok), whatever its source:
 * content types, session tokens, hosts from stage URLs. Pure; any thread. */
#ifndef STAGE_HTTPHDR_H
#define STAGE_HTTPHDR_H

#include <stdbool.h>
#include <stddef.h>

#define HTTPHDR_CONTENT_TYPE_MAX 127 /* bytes, as job.content_type holds */

/* True if `s` (NULL: true) has no control character (0x00-0x1f, 0x7f), so
 * it stays one header line. Bytes >= 0x80 pass (RFC 9110 obs-text). */
bool httphdr_line_ok(const char *s);

/* A Content-Type a client gives: "" (none), or printable ASCII (0x20-0x7e)
 * of at most HTTPHDR_CONTENT_TYPE_MAX bytes. 0, or ST_EINVAL with a message
 * naming `field` in `err` ("content_type must be printable ASCII ..."). */
int httphdr_content_type_check(const char *v, const char *field, char *err, size_t errlen);

#endif
