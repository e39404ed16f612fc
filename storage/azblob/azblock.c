/* azblock.c - block sizes, ids and writer state of azblob uploads (see
 * azblock.h). */
#include "azblock.h"

#include "err.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

size_t azblock_size(size_t part_size, int64_t size)
{
    uint64_t bs = part_size < AZBLOCK_SIZE_MIN ? AZBLOCK_SIZE_MIN : part_size;
    if (size > 0 && (uint64_t)size > bs * AZBLOCK_MAX) {
        uint64_t need = ((uint64_t)size + AZBLOCK_MAX - 1) / AZBLOCK_MAX;
        bs = (need + AZBLOCK_SIZE_MIN - 1) / AZBLOCK_SIZE_MIN * AZBLOCK_SIZE_MIN;
    }
    return bs > (uint64_t)AZBLOCK_SIZE_MAX ? (size_t)AZBLOCK_SIZE_MAX : (size_t)bs;
}

static bool tag_ok(const char *tag)
{
    if (!tag || strlen(tag) != AZBLOCK_TAG_LEN)
        return false;
    for (const char *p = tag; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

int azblock_id(const char *tag, long index, char *out)
{
    char raw[32];
    if (!tag_ok(tag) || index < 0 || index >= AZBLOCK_MAX)
        return ST_EINVAL;
    int n = snprintf(raw, sizeof(raw), "%s-blk-%010ld", tag, index); /* 8 + 5 + 10 = 23 */
    if (n != 23)
        return ST_EINVAL;
    raw[23] = '.'; /* 24 bytes: base64 without padding */
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)raw, 24);
    return 0;
}

int azblock_tag_new(char *tag)
{
    unsigned char r[AZBLOCK_TAG_LEN / 2];
    if (RAND_bytes(r, sizeof(r)) != 1)
        return ST_EINTERNAL;
    for (size_t i = 0; i < sizeof(r); i++)
        snprintf(tag + 2 * i, 3, "%02x", r[i]);
    return 0;
}

int azblock_state_format(char *buf, size_t n, const struct azblock_state *st)
{
    if (!st || !tag_ok(st->tag) || st->k < 0 || st->k > AZBLOCK_MAX ||
        st->block_size < AZBLOCK_SIZE_MIN || (long long)st->block_size > AZBLOCK_SIZE_MAX)
        return ST_EINVAL;
    int len = snprintf(buf, n, "azw1 %zu %s %ld\n", st->block_size, st->tag, st->k);
    return len < 0 || (size_t)len >= n ? ST_ELIMIT : 0;
}

int azblock_state_parse(const char *state, struct azblock_state *st)
{
    char tag[AZBLOCK_TAG_LEN + 2];
    int used = 0;
    memset(st, 0, sizeof(*st));
    if (!state || sscanf(state, "azw1 %zu %9s %ld\n%n", &st->block_size, tag, &st->k, &used) != 3 ||
        used == 0 || state[used - 1] != '\n' || state[used] != '\0' || !tag_ok(tag) || st->k < 0 ||
        st->k > AZBLOCK_MAX || st->block_size < AZBLOCK_SIZE_MIN ||
        (long long)st->block_size > AZBLOCK_SIZE_MAX) {
        memset(st, 0, sizeof(*st));
        return ST_EINVAL;
    }
    memcpy(st->tag, tag, sizeof(st->tag));
    return 0;
}
