/* backend_az_write.c - azblob writers (see backend_az.h).
 *
 * Incoming data is cut into blocks of the writer's block size (azblock.h:
 * upload.object_part_size, grown to stay within 50,000 blocks) whatever the
 * caller's part sizes are; each full block goes up with Put Block, up to
 * `parallel_parts` at once: write_part's callback fires as soon as the data
 * is copied while fewer blocks are in flight, so the caller streams on
 * while earlier blocks upload. A block's failure is reported by the next
 * write_part/commit. Commit sends the rest as the last block, waits for
 * every block, then commits them in order with Put Block List. Abort waits
 * for the blocks in flight and leaves them uncommitted (Azure drops them
 * after 7 days). Memory: at most (parallel_parts + 1) blocks.
 *
 * Resume (backend.h write_state): the state is the block size, the
 * upload's tag and k, the blocks 0..k-1 Azure confirmed without a gap
 * (azblock.h); they are durable (k * block size bytes) and a resumed writer
 * commits them with what follows. The block size is a multiple of the
 * caller's part size (part_align), so what is durable ends on its part. */
#include "azblock.h"
#include "azxml.h"
#include "backend_az_impl.h"
#include "err.h"
#include "fsmeta.h"

#include <event2/event.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct azw {
    struct backend_writer base;
    struct azb *a;
    char *key; /* full */
    char *content_type;
    char creator[72];
    bool no_overwrite;
    char tag[AZBLOCK_TAG_LEN + 1];
    size_t block_size;
    struct objstore_wbuf wb;  /* the block being filled */
    long nblocks;             /* blocks dispatched: ids 0..nblocks-1 */
    long k;                   /* blocks 0..k-1 confirmed: the durable ones */
    unsigned char *done;      /* confirmed blocks at and after k, a bit per block */
    int running;              /* Put Blocks in flight */
    bool busy;                /* the Put Block List in flight */
    struct objstore_wcall wc; /* phase, the caller's pending callback, the first failure */
};

static void writer_free(struct azw *w)
{
    w->a->ob.live--;
    free(w->done);
    free(w->wb.buf);
    free(w->key);
    free(w->content_type);
    free(w);
}

static void progress(struct azw *w);

/* ---- blocks ---- */

struct azblk {
    struct azw *w;
    long idx;
};

static void on_block(struct azop *op)
{
    struct azblk *bk = op->ud;
    struct azw *w = bk->w;
    if (op->rc) {
        objstore_wcall_fail(&w->wc, op->rc, op->msg);
    } else {
        w->done[bk->idx / 8] |= (unsigned char)(1u << (bk->idx % 8));
        while (w->k < w->nblocks && (w->done[w->k / 8] & (1u << (w->k % 8))))
            w->k++;
    }
    free(bk);
    free((void *)op->body);
    azop_free(op);
    w->running--;
    progress(w);
}

/* Send the filled buffer as block w->nblocks; the buffer goes with it. */
static int dispatch(struct azw *w)
{
    char id[AZBLOCK_ID_LEN + 1];
    if (w->nblocks >= AZBLOCK_MAX)
        return ST_ELIMIT;
    if (!w->done && !(w->done = calloc(AZBLOCK_MAX / 8 + 1, 1)))
        return ST_ENOMEM;
    struct azblk *bk = malloc(sizeof(*bk));
    int rc = bk ? azblock_id(w->tag, w->nblocks, id) : ST_ENOMEM;
    struct azop *op = rc ? NULL : azop_new(w->a, "PUT", "Put Block", w->key, on_block, bk);
    if (!rc && !op)
        rc = ST_ENOMEM;
    if (!rc)
        rc = azop_query(op, "comp", "block");
    if (!rc)
        rc = azop_query(op, "blockid", id);
    if (!rc) {
        op->body = w->wb.buf;
        op->body_len = w->wb.len;
        rc = azop_send(op);
    }
    if (rc) {
        azop_free(op);
        free(bk);
        return rc;
    }
    *bk = (struct azblk){w, w->nblocks};
    w->wb.buf = NULL;
    w->wb.len = 0;
    w->nblocks++;
    w->running++;
    return 0;
}

/* ---- commit ---- */

/* The blob's MD5 as Azure takes it (base64 of the 16 bytes) from hex. */
static void md5_b64(const char *hex, char out[32])
{
    unsigned char raw[16];
    out[0] = '\0';
    if (strlen(hex) != 32)
        return;
    for (int i = 0; i < 16; i++) {
        unsigned int v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return;
        raw[i] = (unsigned char)v;
    }
    EVP_EncodeBlock((unsigned char *)out, raw, 16);
}

int az_commit_headers(struct azop *op, const struct az_meta *m)
{
    char md5[32];
    int rc = 0;
    md5_b64(m->md5 ? m->md5 : "", md5);
    if (!rc && m->content_type)
        rc = azop_header(op, "x-ms-blob-content-type", m->content_type);
    if (!rc && md5[0])
        rc = azop_header(op, "x-ms-blob-content-md5", md5);
    if (!rc && md5[0])
        rc = azop_header(op, "x-ms-meta-md5", m->md5);
    if (!rc && m->sha256 && m->sha256[0])
        rc = azop_header(op, "x-ms-meta-sha256", m->sha256);
    if (!rc && m->creator && m->creator[0])
        rc = azop_header(op, "x-ms-meta-creator", m->creator);
    if (!rc && m->no_overwrite)
        rc = azop_header(op, "If-None-Match", "*");
    return rc;
}

struct azop *az_block_list_new(struct azb *a, const char *key, const char *tag, long n,
                               azop_fn *done, void *ud)
{
    char(*ids)[AZBLOCK_ID_LEN + 1] = calloc(n > 0 ? (size_t)n : 1, sizeof(*ids));
    const char **idp = calloc(n > 0 ? (size_t)n : 1, sizeof(*idp));
    int rc = ids && idp ? 0 : ST_ENOMEM;
    for (long i = 0; !rc && i < n; i++) {
        rc = azblock_id(tag, i, ids[i]);
        idp[i] = ids[i];
    }
    char *body = rc ? NULL : azxml_block_list_body(idp, (size_t)(n > 0 ? n : 0));
    free(ids);
    free(idp);
    struct azop *op = body ? azop_new(a, "PUT", "Put Block List", key, done, ud) : NULL;
    if (!op || azop_query(op, "comp", "blocklist")) {
        azop_free(op);
        free(body);
        return NULL;
    }
    op->body = body; /* freed by the caller's `done` */
    op->body_len = strlen(body);
    op->content_type = "application/xml";
    return op;
}

static void on_commit(struct azop *op)
{
    struct azw *w = op->ud;
    int rc = op->rc;
    char msg[BACKEND_MSG_MAX];
    if (rc == ST_EEXIST)
        snprintf(msg, sizeof(msg), "%s already exists", w->key + strlen(w->a->root));
    else
        snprintf(msg, sizeof(msg), "%s", op->msg);
    free((void *)op->body);
    azop_free(op);
    w->busy = false;
    objstore_wcall_fire(&w->wc, rc, msg);
    writer_free(w);
}

/* The Put Block List of blocks 0..nblocks-1, in order. */
static int send_block_list(struct azw *w)
{
    struct az_meta m = {w->content_type, w->base.md5, w->base.sha256, w->creator, w->no_overwrite};
    struct azop *op = az_block_list_new(w->a, w->key, w->tag, w->nblocks, on_commit, w);
    int rc = op ? az_commit_headers(op, &m) : ST_ENOMEM;
    if (!rc)
        rc = azop_send(op);
    if (rc) {
        if (op)
            free((void *)op->body);
        azop_free(op);
        return rc;
    }
    w->busy = true;
    return 0;
}

/* Move the writer on after any event; the one place that fires callbacks. */
static void progress(struct azw *w)
{
    if (w->busy)
        return;
    switch (w->wc.phase) {
    case OBJSTORE_W_OPEN:
        if (w->wc.cb && (w->wc.err || w->running < w->a->parallel))
            objstore_wcall_fire(&w->wc, w->wc.err, w->wc.msg);
        return;
    case OBJSTORE_W_COMMIT:
        if (w->running)
            return;
        if (!w->wc.err) {
            int rc = send_block_list(w);
            if (!rc)
                return;
            objstore_wcall_fail(&w->wc, rc, "cannot send Put Block List");
        }
        objstore_wcall_fire(&w->wc, w->wc.err, w->wc.msg);
        writer_free(w);
        return;
    case OBJSTORE_W_ABORT:
        if (w->running)
            return;
        objstore_wcall_fire(&w->wc, 0, "");
        writer_free(w);
        return;
    case OBJSTORE_W_DETACH: /* nobody waits: free once the blocks in flight are back */
        if (!w->running)
            writer_free(w);
        return;
    }
}

/* ---- ops ---- */

static struct azw *writer_new(struct backend *b, const char *key,
                              const struct backend_write_opts *o)
{
    struct azb *a = b->priv;
    struct azw *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->a = a;
    w->wc.base = a->ob.b.base;
    a->ob.live++;
    w->base.b = b;
    if (!(w->key = az_full_key(a, key)) ||
        (o && o->content_type && *o->content_type &&
         !(w->content_type = strdup(o->content_type))) ||
        azblock_tag_new(w->tag)) {
        writer_free(w);
        return NULL;
    }
    w->no_overwrite = o && o->no_overwrite;
    w->block_size = azblock_size(a->part_size, o ? o->size_hint : -1);
    /* a multiple of the caller's part, so that durable blocks end on one */
    if (o && o->part_align && w->block_size % o->part_align) {
        size_t up = (w->block_size / o->part_align + 1) * o->part_align;
        if ((long long)up <= AZBLOCK_SIZE_MAX)
            w->block_size = up;
    }
    if (o && o->creator && fsmeta_creator_ok(o->creator))
        snprintf(w->creator, sizeof(w->creator), "%s", o->creator);
    return w;
}

static int open_defer(struct azw *w, backend_open_fn *cb, void *ud)
{
    int rc = w ? objstore_open_defer(w->a->ob.b.base, &w->base, cb, ud) : ST_ENOMEM;
    if (rc && w)
        writer_free(w);
    return rc;
}

int az_write_open(struct backend *b, const char *key, const struct backend_write_opts *o,
                  backend_open_fn *cb, void *ud)
{
    return open_defer(writer_new(b, key, o), cb, ud);
}

/* objstore_wbuf_feed's hand-off of a full part. */
static int dispatch_part(void *w)
{
    return dispatch(w);
}

static const struct objstore_wwhy why = {"more than 50000 blocks", "cannot send Put Block"};

int az_write_part(struct backend_writer *bw, long part_no, const void *data, size_t len,
                  backend_done_fn *cb, void *ud)
{
    struct azw *w = (struct azw *)bw;
    int rc = objstore_wcall_part(&w->wc, &w->wb, w->block_size, data, len, dispatch_part, w, &why,
                                 cb, ud);
    if (!rc)
        progress(w);
    return rc;
}

/* The rest is the last block. */
int az_write_commit(struct backend_writer *bw, backend_done_fn *cb, void *ud)
{
    struct azw *w = (struct azw *)bw;
    bool flush = w->wb.len > 0;
    int rc = objstore_wcall_end(&w->wc, OBJSTORE_W_COMMIT, flush, dispatch_part, w, &why, cb, ud);
    if (!rc)
        progress(w);
    return rc;
}

int az_write_abort(struct backend_writer *bw, backend_done_fn *cb, void *ud)
{
    struct azw *w = (struct azw *)bw;
    int rc = objstore_wcall_end(&w->wc, OBJSTORE_W_ABORT, false, dispatch_part, w, &why, cb, ud);
    if (!rc)
        progress(w);
    return rc;
}

/* ---- resume ---- */

int az_write_state(struct backend_writer *bw, char *buf, size_t n, int64_t *durable)
{
    struct azw *w = (struct azw *)bw;
    struct azblock_state st = {w->block_size, "", w->k};
    memcpy(st.tag, w->tag, sizeof(st.tag));
    int rc = azblock_state_format(buf, n, &st);
    if (!rc)
        *durable = (int64_t)w->k * (int64_t)w->block_size;
    return rc;
}

int az_write_resume(struct backend *b, const char *key, const struct backend_write_opts *o,
                    const char *state, long next_part, int64_t offset, backend_open_fn *cb,
                    void *ud)
{
    struct azblock_state st;
    if (azblock_state_parse(state, &st) || offset < 0 || offset % (int64_t)st.block_size ||
        offset / (int64_t)st.block_size > st.k)
        return ST_EINVAL;
    struct azw *w = writer_new(b, key, o);
    if (!w)
        return ST_ENOMEM;
    /* the stored blocks before `offset` are kept; any after it are sent
     * again under the same ids, which replaces them */
    w->block_size = st.block_size;
    memcpy(w->tag, st.tag, sizeof(w->tag));
    w->nblocks = w->k = (long)(offset / (int64_t)st.block_size);
    return open_defer(w, cb, ud);
}

/* The Put Blocks in flight confirm the blocks the state lists. */
bool az_write_idle(const struct backend_writer *bw)
{
    const struct azw *w = (const struct azw *)bw;
    return !w->busy && w->running == 0;
}

void az_write_detach(struct backend_writer *bw)
{
    struct azw *w = (struct azw *)bw;
    objstore_wcall_detach(&w->wc);
    progress(w);
}
