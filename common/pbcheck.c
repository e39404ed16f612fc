/* pbcheck.c - request unpacking with the NUL check (see pbcheck.h).
 *
 * The check reads the wire bytes, not the unpacked message: protobuf-c
 * keeps no string lengths, and comparing the re-packed size with the
 * received one (the check this replaces) can be fooled. A message may pack
 * longer than it came: a negative int32 or enum sent as a 5-byte varint,
 * which protobuf-c reads and packs back in the 10 bytes the format
 * prescribes. Those 5 bytes hid the 5 bytes after a NUL, so ListFiles with
 * location "@~/a\0/../" and page_size -1 was accepted as "@~/a" (found by
 * tests/fuzz/fuzz_unpack.c's oracle). */
#include "pbcheck.h"

#include "err.h"

#include <stdbool.h>
#include <string.h>

/* Read a varint (at most 10 bytes) at *p, before `end`. */
static bool varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; *p < end && shift < 70; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << (shift < 64 ? shift : 63);
        if (!(b & 0x80))
            return true;
    }
    return false;
}

/* 0 if no string field of `desc` in [p, end) holds a NUL, at any depth.
 * Depth is bounded by the schema: only known message fields are entered. */
static int scan(const ProtobufCMessageDescriptor *desc, const uint8_t *p, const uint8_t *end)
{
    while (p < end) {
        uint64_t tag, len;
        if (!varint(&p, end, &tag) || tag >> 3 > UINT32_MAX)
            return ST_EINVAL;
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(desc, (unsigned)(tag >> 3));
        switch (tag & 7) {
        case PROTOBUF_C_WIRE_TYPE_VARINT:
            if (!varint(&p, end, &len))
                return ST_EINVAL;
            break;
        case PROTOBUF_C_WIRE_TYPE_64BIT:
        case PROTOBUF_C_WIRE_TYPE_32BIT:
            len = (tag & 7) == PROTOBUF_C_WIRE_TYPE_64BIT ? 8 : 4;
            if (len > (uint64_t)(end - p))
                return ST_EINVAL;
            p += len;
            break;
        case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED:
            if (!varint(&p, end, &len) || len > (uint64_t)(end - p))
                return ST_EINVAL;
            if (f && f->type == PROTOBUF_C_TYPE_STRING && memchr(p, '\0', len))
                return ST_EINVAL;
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE && scan(f->descriptor, p, p + len))
                return ST_EINVAL;
            p += len;
            break;
        default: /* groups: protobuf-c refuses them already */
            return ST_EINVAL;
        }
    }
    return 0;
}

int pbcheck_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                   ProtobufCMessage **out)
{
    *out = protobuf_c_message_unpack(desc, NULL, len, data);
    if (!*out)
        return ST_EINVAL;
    /* protobuf-c ends a string at its first NUL, so "@~/a\0/../x" would be
     * seen as "@~/a": refuse it rather than act on a different string than
     * the client sent. */
    if (scan(desc, data, data + len)) {
        protobuf_c_message_free_unpacked(*out, NULL);
        *out = NULL;
        return ST_EINVAL;
    }
    return 0;
}
