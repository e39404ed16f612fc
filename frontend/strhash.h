/* strhash.h - the one string hash of the frontend's in-process tables
 * (per-user stream counts, hub channels, watch groups): FNV-1a. */
#ifndef STAGE_FE_STRHASH_H
#define STAGE_FE_STRHASH_H

static inline unsigned strhash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

#endif
