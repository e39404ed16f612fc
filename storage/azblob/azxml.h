/* azxml.h - the XML of the Azure Blob API (libxml2, through xmlq.h): List
 * Blobs pages and error bodies parsed, Put Block List bodies built, and
 * Azure's formats of times and digests read.
 *
 * Pure (no I/O) and thread-safe once libxml2 is initialised (s3xml_init()).
 * Parsers return 0, ST_EIO (not the expected XML) or ST_ENOMEM; what they
 * fill is the caller's, released by the matching _free. */
#ifndef STAGE_AZXML_H
#define STAGE_AZXML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An <Error> body: Code and Message ("" if absent). */
struct azxml_error {
    char code[64];
    char message[256];
};
int azxml_parse_error(const char *body, size_t len, struct azxml_error *e);

/* One <Blob> of a List Blobs page (include=metadata for the metadata). */
struct azxml_blob {
    char *name;
    int64_t size;
    int64_t mtime_ms; /* Last-Modified, Unix ms (0 if absent or unparsable) */
    char etag[72];    /* as sent */
    char md5[40];     /* Content-MD5 as hex, "" if absent or not 16 bytes */
    /* metadata md5, sha256, creator as stored ("" if absent) */
    char meta_md5[40];
    char meta_sha256[72];
    char meta_creator[72];
};

struct azxml_list {
    struct azxml_blob *blob;
    size_t n;
    char *next_marker; /* NextMarker, NULL if empty or absent (the last page) */
};

int azxml_parse_list(const char *body, size_t len, struct azxml_list *out);
void azxml_list_free(struct azxml_list *l);

/* The Put Block List body committing `ids[0..n)` (base64 block ids) in that
 * order as <Latest>. malloc'd; NULL on allocation failure or an id that is
 * not base64. */
char *azxml_block_list_body(const char *const *ids, size_t n);

/* "Sat, 05 Dec 2026 01:02:03 GMT" -> Unix ms; -1 if unparsable. */
int64_t azxml_time_ms(const char *rfc1123);

/* A base64 Content-MD5 ("1B2M2Y8AsgTpgAmY7PhCfg==") as 32 hex digits into
 * `hex` (room for 33); "" if it is not the base64 of 16 bytes. */
void azxml_md5_hex(const char *b64, char hex[33]);

#endif
