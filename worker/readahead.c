/* readahead.c - see readahead.h. */
#include "readahead.h"

#include "backend.h"
#include "config.h"
#include "err.h"
#include "log.h"
#include "runner.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>

/* One per slot: what a landing read needs to find its slot again. Stable
 * while the read is out (a busy slot never starts another). */
struct ra_read {
    struct readahead *ra;
    int idx;
    unsigned gen;
};

struct readahead {
    struct run *r;
    struct backend *b;
    char *key;
    readahead_ready_fn *on_ready;
    struct partring ring;
    struct ra_read *rd; /* depth entries */
};

struct readahead *readahead_new(struct run *r, int depth, size_t part_size,
                                readahead_ready_fn *on_ready)
{
    struct readahead *ra = calloc(1, sizeof(*ra));
    if (!ra)
        return NULL;
    if (depth < 1)
        depth = 1;
    ra->r = r;
    ra->on_ready = on_ready;
    if (partring_init(&ra->ring, depth, part_size) != 0 ||
        !(ra->rd = calloc((size_t)depth, sizeof(*ra->rd)))) {
        partring_cleanup(&ra->ring);
        free(ra);
        return NULL;
    }
    return ra;
}

struct readahead *readahead_free(struct readahead *ra)
{
    if (!ra)
        return NULL;
    if (partring_reading(&ra->ring) > 0) /* a bug: a read would land in freed memory */
        log_error("job=%s readahead freed with %d reads in flight", ra->r->j.id,
                  partring_reading(&ra->ring));
    partring_cleanup(&ra->ring);
    free(ra->rd);
    free(ra->key);
    free(ra);
    return NULL;
}

static void fill(struct readahead *ra);

static void on_read(int rc, const char *msg, size_t nread, void *ud)
{
    struct ra_read *x = ud;
    struct readahead *ra = x->ra;
    struct run *r = ra->r;
    partring_done(&ra->ring, x->idx, x->gen, rc, msg, nread);
    if (!runner_resume(r))
        return;
    fill(ra);
    ra->on_ready(r);
}

/* Start every read that fits. One that cannot start lands in its slot at
 * once with its error, for the consumer to meet in order. */
static void fill(struct readahead *ra)
{
    struct partring_slot *s;
    int idx, rc;
    while (!ra->r->finishing && !ra->r->cancel_err && (rc = partring_next(&ra->ring, &idx)) != 0) {
        if (rc < 0)
            continue; /* it landed failed (no buffer) */
        s = &ra->ring.s[idx];
        ra->rd[idx] = (struct ra_read){ra, idx, s->gen};
        rc = backend_read(ra->b, ra->key, s->at, s->len, s->buf, on_read, &ra->rd[idx]);
        if (rc)
            partring_done(&ra->ring, idx, s->gen, rc, NULL, 0);
        else
            runner_begin(ra->r);
    }
}

int readahead_start(struct readahead *ra, struct backend *b, const char *key, int64_t off,
                    int64_t end)
{
    char *k = strdup(key);
    if (!k)
        return ST_ENOMEM;
    free(ra->key);
    ra->key = k;
    ra->b = b;
    partring_reset(&ra->ring, off, end);
    fill(ra);
    return 0;
}

const struct partring_slot *readahead_head(const struct readahead *ra)
{
    return partring_head(&ra->ring);
}

void readahead_pop(struct readahead *ra)
{
    partring_pop(&ra->ring);
    fill(ra);
}

bool readahead_finished(const struct readahead *ra)
{
    return partring_finished(&ra->ring);
}

int readahead_depth(const struct run *r)
{
    int d = r->w->cfg->worker.parallel_reads;
    return d > 0 ? d : READAHEAD_DEPTH_DEF;
}
