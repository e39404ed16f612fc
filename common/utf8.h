/* utf8.h - UTF-8 validation for strings that go back out in protobuf
 * strings, JSON or object keys, all of which require valid UTF-8 (a
 * protobuf-c server does not check what it receives, but other clients'
 * decoders and jansson refuse it). Pure; any thread. */
#ifndef STAGE_UTF8_H
#define STAGE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the valid UTF-8 sequence at `s` (1-4), or 0 if invalid:
 * overlongs, surrogates, code points above U+10FFFF and truncated
 * sequences (a NUL ends the string) are invalid. */
size_t utf8_seq_len(const unsigned char *s);

/* True if the NUL-terminated `s` is valid UTF-8; else false with the
 * offset of the first bad byte in `*bad` (if not NULL). */
bool utf8_valid(const char *s, size_t *bad);

#endif
