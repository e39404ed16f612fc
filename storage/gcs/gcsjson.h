/* gcsjson.h - the GCS JSON API replies the backend reads (jansson), and
 * the resumable-upload chunk arithmetic.
 *
 * Object resource fields used: name, size (a decimal string), updated
 * (RFC 3339), etag, md5Hash (base64 of 16 bytes), metadata.sha256 and
 * metadata.creator (what this project stores). Every parser takes bytes
 * from the network: lengths are checked, strings copied into fixed fields
 * or malloc'd, nothing trusted.
 *
 * Pure and thread-safe. 0, ST_EINVAL (the reply is not what it should be,
 * reason in `err`) or ST_ENOMEM. */
#ifndef STAGE_GCSJSON_H
#define STAGE_GCSJSON_H

#include "backend.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GCS_CHUNK_UNIT    (256 * 1024) /* every non-final chunk is a multiple of it */
#define GCS_CHUNK_DEFAULT (8 * 1024 * 1024)

/* An object resource. `key` malloc'd (the full object name). */
struct gcsjson_object {
    char *name;
    struct backend_entry e; /* e.key points at `name` */
};

int gcsjson_object_parse(const char *body, size_t len, struct gcsjson_object *o, char *err,
                         size_t errlen);
void gcsjson_object_clear(struct gcsjson_object *o);

/* A listing page: `items` (n, malloc'd, each cleared by gcsjson_list_clear)
 * and the next page token (malloc'd; NULL on the last page). */
struct gcsjson_list {
    struct gcsjson_object *items;
    size_t n;
    char *next_token;
};
int gcsjson_list_parse(const char *body, size_t len, struct gcsjson_list *l, char *err,
                       size_t errlen);
void gcsjson_list_clear(struct gcsjson_list *l);

/* A rewrite reply: done (the resource follows) or a token to go on with
 * (malloc'd), and the bytes rewritten so far. */
struct gcsjson_rewrite {
    bool done;
    char *token;
    int64_t rewritten;
};
int gcsjson_rewrite_parse(const char *body, size_t len, struct gcsjson_rewrite *r, char *err,
                          size_t errlen);
void gcsjson_rewrite_clear(struct gcsjson_rewrite *r);

/* The message of an error reply {"error": {"code": n, "message": "..."}}
 * into `msg` (control characters replaced); "" if there is none. */
void gcsjson_error_message(const char *body, size_t len, char *msg, size_t n);

/* The chunk size for `part_size` (0: GCS_CHUNK_DEFAULT) made a multiple of
 * `align` (0: none) and of GCS_CHUNK_UNIT: the least common multiple
 * rounded from part_size up. 0 if that passes `max`. */
size_t gcsjson_chunk_size(size_t part_size, size_t align, size_t max);

/* The committed byte count of a 308 reply's "Range: bytes=0-<last>" (NULL
 * or "": nothing committed, 0). -1 if malformed. */
int64_t gcsjson_range_committed(const char *range);

/* md5Hash (base64 of 16 bytes) as lower-case hex into `hex` (33 bytes);
 * "" if it is not that. */
void gcsjson_md5_hex(const char *b64, char hex[33]);

#endif
