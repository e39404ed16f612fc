/* descset.h - an index over a serialized google.protobuf.FileDescriptorSet
 * (protoc --include_imports --descriptor_set_out), for server reflection
 * (h_reflect.c): file name -> file, fully qualified symbol -> file, a file's
 * transitive imports, and the services the set defines.
 *
 * Pure: no gRPC, no I/O. The set is walked at the wire level (only the
 * fields that carry names and imports are read; everything else is
 * skipped), so no descriptor.proto code is needed. The bytes are checked
 * as they are walked: a malformed or truncated set, nesting deeper than
 * DESCSET_MAX_DEPTH, a name longer than DESCSET_MAX_NAME, a name with a dot
 * in it, a package with an empty part ("", ".p", "p..q", "p.") or an
 * import that is not in the set gives ST_EINVAL.
 *
 * Symbols are what protoc resolves by full name: packages' messages, enums
 * and services at any nesting, plus fields, oneofs, extensions, enum values
 * (in the enum's parent scope, as in C++) and methods. Names have no leading
 * dot ("stage.v1.StageService.Login"); a lookup ignores one.
 *
 * Ownership: the index points into `data`, which must outlive it (the
 * frontend's set is a static array). Once built it is read-only, so any
 * thread may query it. */
#ifndef STAGE_FE_DESCSET_H
#define STAGE_FE_DESCSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DESCSET_MAX_DEPTH 32   /* nested messages and the walk's recursion */
#define DESCSET_MAX_NAME  1024 /* bytes of a fully qualified name */

struct descset;

enum descset_kind {
    DESCSET_MESSAGE,
    DESCSET_ENUM,
    DESCSET_SERVICE,
    DESCSET_METHOD,
    DESCSET_FIELD, /* fields, oneofs and extensions */
    DESCSET_ENUM_VALUE,
};

/* Index `data[0..len)`. 0 and *out, ST_EINVAL (malformed, see above) or
 * ST_ENOMEM; *out is NULL on failure. */
int descset_new(const uint8_t *data, size_t len, struct descset **out);

/* NULL-safe. Returns NULL. */
struct descset *descset_free(struct descset *d);

/* Files in the set. */
int descset_files(const struct descset *d);

/* The file named `name` ("stage/v1/stage.proto"), or -1. */
int descset_find_file(const struct descset *d, const char *name);

/* The file defining the fully qualified `symbol`, or -1; *kind is set
 * unless NULL. */
int descset_find_symbol(const struct descset *d, const char *symbol, enum descset_kind *kind);

/* File i's name and its serialized FileDescriptorProto (a slice of `data`). */
const char *descset_file_name(const struct descset *d, int i);
const uint8_t *descset_file_bytes(const struct descset *d, int i, size_t *len);

/* File i and every file it imports, transitively, each once: i first, then
 * the imports breadth first. Writes up to `max` indexes to out; returns how
 * many there are (may be more than max), or ST_ENOMEM. */
int descset_closure(const struct descset *d, int i, int *out, int max);

/* Services, sorted by full name ("grpc.health.v1.Health", ...). */
int descset_services(const struct descset *d);
const char *descset_service(const struct descset *d, int i);

#endif
