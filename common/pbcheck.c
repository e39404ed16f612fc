/* pbcheck.c - request unpacking with the NUL check (see pbcheck.h). */
#include "pbcheck.h"

#include "err.h"

int pbcheck_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                   ProtobufCMessage **out)
{
    *out = protobuf_c_message_unpack(desc, NULL, len, data);
    if (!*out)
        return ST_EINVAL;
    /* protobuf-c ends a string at its first NUL, so "@~/a\0/../x" would be
     * seen as "@~/a". Such a message packs shorter than it came: refuse it
     * rather than act on a different string than the client sent. */
    if (protobuf_c_message_get_packed_size(*out) < len) {
        protobuf_c_message_free_unpacked(*out, NULL);
        *out = NULL;
        return ST_EINVAL;
    }
    return 0;
}
