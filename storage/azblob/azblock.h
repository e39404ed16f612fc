/* azblock.h - the block layout of an Azure block blob as the azblob writer
 * uploads it: block sizes, block ids, and the writer state a resumed job
 * goes on from (backend.h write_state). Pure; thread-safe.
 *
 * Blocks: a blob is Put Block of blocks 0, 1, 2 ... then one Put Block
 * List naming them in order. Azure takes at most 50,000 blocks of at most
 * 4000 MiB, and requires every block id of a blob to have the same length:
 * ids are base64("<tag>-<index, 8 digits>"), 24 bytes before encoding,
 * where the tag (8 hex digits, random per upload) keeps two uploads of the
 * same blob from committing each other's uncommitted blocks, as S3's
 * upload id does.
 *
 * State: "azw1 <block size> <tag> <k>\n": blocks 0..k-1 were stored
 * (their Put Block answered 201) with that size and tag. A resumed writer
 * keeps them and goes on at block k; uncommitted blocks live 7 days. */
#ifndef STAGE_AZBLOCK_H
#define STAGE_AZBLOCK_H

#include <stddef.h>
#include <stdint.h>

#define AZBLOCK_MAX      50000
#define AZBLOCK_SIZE_MIN (1024 * 1024)
#define AZBLOCK_SIZE_MAX (4000LL * 1024 * 1024)
#define AZBLOCK_TAG_LEN  8
#define AZBLOCK_ID_LEN   32 /* base64 of 24 bytes */

/* The block size for a blob of `size` bytes (-1: unknown): `part_size`
 * (at least 1 MiB), grown to need at most 50,000 blocks, rounded up to
 * 1 MiB, at most 4000 MiB. */
size_t azblock_size(size_t part_size, int64_t size);

/* The id of block `index` of an upload tagged `tag` into `out` (room for
 * AZBLOCK_ID_LEN + 1). 0, or ST_EINVAL (a tag that is not 8 hex digits, an
 * index outside 0..AZBLOCK_MAX-1). */
int azblock_id(const char *tag, long index, char *out);

/* A fresh random tag into `tag` (room for AZBLOCK_TAG_LEN + 1). 0 or
 * ST_EINTERNAL. */
int azblock_tag_new(char *tag);

struct azblock_state {
    size_t block_size;
    char tag[AZBLOCK_TAG_LEN + 1];
    long k; /* blocks 0..k-1 stored */
};

/* 0, ST_ELIMIT (`n` too small) or ST_EINVAL. */
int azblock_state_format(char *buf, size_t n, const struct azblock_state *st);
/* 0 or ST_EINVAL (not a state this writer made). */
int azblock_state_parse(const char *state, struct azblock_state *st);

#endif
