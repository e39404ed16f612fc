/* pbcheck.h - unpacking a request message with the checks protobuf-c does
 * not make.
 *
 * protobuf-c gives a string field as a C string, so one holding a NUL byte
 * ("@~/a\0/../x") would be seen shorter than the client sent it, and the
 * service would act on a different string than a proxy, a log or the
 * client saw. Such a message is refused here.
 *
 * Pure; any thread. The message returned belongs to the caller
 * (protobuf_c_message_free_unpacked(msg, NULL)). */
#ifndef STAGE_PBCHECK_H
#define STAGE_PBCHECK_H

#include <protobuf-c/protobuf-c.h>

#include <stddef.h>
#include <stdint.h>

/* Unpack `len` bytes as a `desc` message into `*out`. 0, or ST_EINVAL
 * (malformed, or a string field at any depth holds a NUL byte) with `*out`
 * NULL. */
int pbcheck_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                   ProtobufCMessage **out);

#endif
