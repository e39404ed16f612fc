/* dsnap.h - where a resumable write stood at each part boundary that the
 * backend has not confirmed yet: the bytes handed to the writer up to that
 * boundary and the digest state there. A writer's write_state() reports how
 * many bytes are durable (backend.h); dsnap_advance() moves to the last
 * boundary inside them and saves the digest state at it (digest_save()), the
 * `shactx` a later run loads to go on hashing from that boundary. Used by
 * UPLOAD (xfer_upload.c) and COPY (xfer_copy_resume.c). Memory: one entry
 * per part in flight. Pure, no I/O. */
#ifndef STAGE_DSNAP_H
#define STAGE_DSNAP_H

#include "digest.h"

#include <stddef.h>
#include <stdint.h>

struct dsnap {
    int64_t bytes; /* bytes of the parts up to this boundary */
    struct digest dg;
};

struct dsnaps {
    struct dsnap *v;
    size_t n, cap;
};

/* Record the boundary after `bytes` with digest `dg`. 0 or ST_ENOMEM. */
int dsnap_push(struct dsnaps *s, int64_t bytes, const struct digest *dg);
/* `durable` bytes are stored for sure: drop the boundaries inside them and
 * return how many there were; if any, the last one's bytes go to `*bytes`
 * and its digest state to `shactx` (DIGEST_STATE_MAX). */
long dsnap_advance(struct dsnaps *s, int64_t durable, int64_t *bytes, char *shactx);
/* Forget every boundary (a new file); keeps the memory. */
void dsnap_clear(struct dsnaps *s);
void dsnap_free(struct dsnaps *s);

#endif
