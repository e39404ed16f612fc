/* partring.h - the bookkeeping of a bounded read-ahead over one byte range
 * [off, end) cut into parts of `part_size` bytes: which part to read next,
 * which slot (buffer) it lands in, and which part is next to hand on. Parts
 * may land in any order; they are handed on strictly in order (part 0, 1,
 * 2, ...). At most `depth` parts are being read or waiting to be handed on
 * at once, so the memory is depth x part_size bytes at most, whatever the
 * range (the buffers are allocated on first use and kept until
 * partring_cleanup()).
 *
 * partring_reset() moves to another range (the next file of a copy) while
 * reads of the old one may still be out: their slots stay busy until they
 * land (partring_done() with the old generation frees them, the bytes are
 * dropped) and only then carry parts of the new range.
 *
 * Pure, no I/O (worker/readahead.h does the reads). One thread; caller
 * storage (init/cleanup). */
#ifndef STAGE_PARTRING_H
#define STAGE_PARTRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum partring_state {
    PARTRING_FREE,    /* no part */
    PARTRING_READING, /* a read is out (maybe of an older range: gen) */
    PARTRING_READ,    /* the read landed: rc, got, msg */
};

struct partring_slot {
    enum partring_state state;
    unsigned gen;  /* the range generation the read belongs to */
    long n;        /* the part */
    int64_t at;    /* its first byte */
    size_t len;    /* bytes asked for */
    size_t got;    /* bytes read */
    int rc;        /* 0 or the read's negative st_err */
    char msg[256]; /* the backend's message when rc != 0 */
    char *buf;     /* part_size bytes (or less for a range shorter than a part) */
    size_t cap;
};

struct partring {
    struct partring_slot *s;
    int depth;
    size_t part_size;
    unsigned gen;
    int64_t off, end;
    long total; /* parts of the range */
    long next;  /* the next part to read */
    long head;  /* the next part to hand on */
};

/* depth >= 1, part_size >= 1. 0 or ST_ENOMEM / ST_EINVAL. The range is
 * empty until partring_reset(). */
int partring_init(struct partring *p, int depth, size_t part_size);
void partring_cleanup(struct partring *p);

/* Read [off, end) from its first part on. Reads still out stay busy. */
void partring_reset(struct partring *p, int64_t off, int64_t end);

/* The next read to start: 1 and its slot index in *idx (now READING, with
 * n, at, len and buf set), 0 if none may start now (all parts asked for, or
 * `depth` parts ahead of the head, or the part's slot still busy), or
 * ST_ENOMEM: no buffer for it, and the part has landed failed with
 * ST_ENOMEM (the consumer meets it in order). */
int partring_next(struct partring *p, int *idx);

/* The read of slot idx, started in generation gen, landed. Reads of an
 * older generation free their slot. */
void partring_done(struct partring *p, int idx, unsigned gen, int rc, const char *msg, size_t got);

/* The head part if its read landed (check rc and got == len), else NULL. */
const struct partring_slot *partring_head(const struct partring *p);

/* The head part was handed on (its buffer is no longer needed). */
void partring_pop(struct partring *p);

/* Every part of the range handed on. */
bool partring_finished(const struct partring *p);

/* Reads out (of any generation). */
int partring_reading(const struct partring *p);

#endif
