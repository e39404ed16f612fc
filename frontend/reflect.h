/* reflect.h - the answer to one server reflection request
 * (grpc.reflection.v1, and v1alpha, whose messages are the same) from the
 * descriptor set's index (descset.h). h_reflect.c runs the stream; this is
 * the pure part, so unit tests call it with no gRPC.
 *
 * Answers, one response per request, echoing host and the request:
 *   list_services                  every service of the set, by full name
 *   file_by_filename               the file and its transitive imports, as
 *   file_containing_symbol         serialized FileDescriptorProtos, the
 *                                  file itself first; NOT_FOUND if unknown
 *   file_containing_extension      NOT_FOUND: the API declares no extensions
 *   all_extension_numbers_of_type  an empty list for a known message type,
 *                                  NOT_FOUND otherwise
 *   none set, or a name over DESCSET_MAX_NAME   INVALID_ARGUMENT
 * Errors are error_response messages (gRPC status codes); the stream goes on.
 * A request over REFLECT_MAX_REQUEST_BYTES is answered INVALID_ARGUMENT and
 * not echoed, so no response is much bigger than the largest closure.
 *
 * Pure; any thread. */
#ifndef STAGE_FE_REFLECT_H
#define STAGE_FE_REFLECT_H

#include "grpc/reflection/v1/reflection.pb-c.h"

#include <stddef.h>
#include <stdint.h>

struct descset;

#define REFLECT_MAX_REQUEST_BYTES 4096

/* The packed ServerReflectionResponse to `req` in *out (malloc'ed, the
 * caller frees it) and *len. 0 or ST_ENOMEM. */
int reflect_answer(const struct descset *d,
                   const Grpc__Reflection__V1__ServerReflectionRequest *req, uint8_t **out,
                   size_t *len);

#endif
