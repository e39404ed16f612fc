/* xfer_copy.h - the COPY job's state, shared by xfer_copy.c (listing and
 * streaming) and xfer_copy_resume.c (the file in flight's writer state in
 * the job hash, and going on from it after a worker died). Internal to the
 * worker. */
#ifndef STAGE_XFER_COPY_H
#define STAGE_XFER_COPY_H

#include "backend.h"
#include "digest.h"
#include "dsnap.h"
#include "readahead.h"
#include "runner.h"

#include <stdbool.h>
#include <stdint.h>

/* What the job hash says about the file a previous run was writing. */
struct cp_saved {
    bool have;                     /* a writer to resume or abort */
    char wkey[2300];               /* cp_wkey: the target key */
    char *wstate;                  /* cp_wstate (malloc'd) */
    char src[2300];                /* cp_src: the source key; "" before a part was durable */
    char etag[72];                 /* cp_etag: the source's, as listed then */
    int64_t size;                  /* cp_size */
    int64_t off;                   /* cp_off: source bytes stored durably in the target */
    long part;                     /* cp_part: the chunks they make */
    char shactx[DIGEST_STATE_MAX]; /* cp_shactx: the digest state at cp_off */
};

struct cp {
    struct scan *s;
    struct backend *dst;
    const struct backend_entry *const *m; /* matches of the current page */
    size_t n, i;
    bool last;
    int64_t base_done, base_bytes;        /* the checkpoint this run started from */
    int64_t matched, done, bytes;         /* this run: matches, files ended, bytes of ended files */
    int64_t matched_bytes, unmoved_bytes; /* sizes of the matches; of those skipped or failed */
    int64_t failed;
    int first_err;
    char first[1300];
    /* the file in flight */
    const struct backend_entry *e;
    char drel[1100]; /* target name relative to the target stage root */
    char dkey[2300]; /* dst_root + drel */
    struct backend_writer *w;
    struct readahead *ra; /* the source's chunks, read ahead (readahead.h) */
    bool wait_read;       /* the next chunk's read is out: its landing goes on */
    size_t cap;           /* the chunk */
    int64_t off;
    int64_t old_size; /* the target file an overwrite replaces (quota usage); -1: none */
    long part;
    char *wstate;                       /* BACKEND_STATE_MAX: the writer's state, as last taken */
    struct digest dg;                   /* of the bytes streamed so far (digest.h) */
    struct dsnaps snaps;                /* chunk boundaries the target has not confirmed */
    char shactx[DIGEST_STATE_MAX];      /* the digest state at the last durable one */
    bool resuming;                      /* the writer is being reopened from rs */
    bool durable_saved;                 /* the job hash names stored parts of w */
    int64_t read_from, src_read;        /* this run read src_read bytes from read_from on */
    struct cp_saved rs;                 /* from the job hash at start (attempts > 1) */
    void (*after_stale)(struct run *r); /* what follows aborting rs's writer */
};

/* xfer_copy.c */
void cp_open_fresh(struct run *r);
void cp_on_open(int rc, const char *msg, struct backend_writer *w, void *ud);
struct backend_write_opts cp_write_opts(const struct run *r);

/* xfer_copy_resume.c */
/* Attempt > 1: read rs from the job hash; a writer a previous run left with
 * nothing durable is aborted now; then `then`. */
void cpres_load(struct run *r, void (*then)(struct run *r));
/* Opening the target of c->e: true if rs took it over (the writer resumes at
 * rs.off, or rs's writer is aborted first and a fresh one follows). */
bool cpres_open(struct run *r);
/* After a chunk's write_part: when more parts became durable, store the
 * writer state, the offset and the digest state in the job hash. */
void cpres_written(struct run *r);
/* cp_on_open failed for a resumed writer: abort it, then a fresh one. */
void cpres_reopen_failed(struct run *r, const char *msg);
/* The listing ended and rs was never opened (skipped, or gone): abort its
 * writer, then `then`; false (nothing started) if there is none. */
bool cpres_drop(struct run *r, void (*then)(struct run *r));
/* Free rs's memory. */
void cpres_free(struct cp *c);

#endif
