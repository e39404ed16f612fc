/* backend_az_write.c - azblob writers: a block blob put as Put Block per
 * part and one Put Block List on commit (see backend_az.h). */
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
    long next_part; /* the part write_part takes next */
    long nblocks;   /* blocks stored: ids 0..nblocks-1 */
    bool in_flight; /* one op at a time (backend.h) */
    backend_done_fn *cb;
    void *ud;
};

static void writer_free(struct azw *w)
{
    w->a->live--;
    free(w->key);
    free(w->content_type);
    free(w);
}

static struct azw *writer_new(struct backend *b, const char *key,
                              const struct backend_write_opts *o)
{
    struct azb *a = b->priv;
    struct azw *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->a = a;
    a->live++;
    w->base.b = b;
    if (!(w->key = az_full_key(a, key)) ||
        (o && o->content_type && *o->content_type &&
         !(w->content_type = strdup(o->content_type))) ||
        azblock_tag_new(w->tag)) {
        writer_free(w);
        return NULL;
    }
    w->no_overwrite = o && o->no_overwrite;
    if (o && o->creator && fsmeta_creator_ok(o->creator))
        snprintf(w->creator, sizeof(w->creator), "%s", o->creator);
    return w;
}

/* ---- open: no I/O, the callback on the next loop turn ---- */

struct az_open {
    struct azw *w;
    backend_open_fn *cb;
    void *ud;
};

static void open_fire(int fd, short what, void *arg)
{
    struct az_open *o = arg;
    o->cb(0, "", &o->w->base, o->ud);
    free(o);
}

int az_write_open(struct backend *b, const char *key, const struct backend_write_opts *o,
                  backend_open_fn *cb, void *ud)
{
    struct azw *w = writer_new(b, key, o);
    struct az_open *op = w ? calloc(1, sizeof(*op)) : NULL;
    if (!op) {
        if (w)
            writer_free(w);
        return ST_ENOMEM;
    }
    *op = (struct az_open){w, cb, ud};
    int rc = az_defer(w->a, open_fire, op);
    if (rc) {
        free(op);
        writer_free(w);
    }
    return rc;
}

/* ---- parts ---- */

static void part_fire(int fd, short what, void *arg)
{
    struct azw *w = arg;
    w->in_flight = false;
    w->next_part++;
    w->cb(0, "", w->ud);
}

static void on_block(struct azop *op)
{
    struct azw *w = op->ud;
    int rc = op->rc;
    char msg[BACKEND_MSG_MAX];
    snprintf(msg, sizeof(msg), "%s", op->msg);
    azop_free(op);
    w->in_flight = false;
    if (!rc) {
        w->nblocks++;
        w->next_part++;
    }
    w->cb(rc, rc ? msg : "", w->ud);
}

int az_write_part(struct backend_writer *bw, long part_no, const void *data, size_t len,
                  backend_done_fn *cb, void *ud)
{
    struct azw *w = (struct azw *)bw;
    char id[AZBLOCK_ID_LEN + 1];
    if (w->in_flight || part_no != w->next_part)
        return ST_EINVAL;
    w->cb = cb;
    w->ud = ud;
    if (len == 0) { /* Azure refuses empty blocks: an empty part adds none */
        w->in_flight = true;
        int rc = az_defer(w->a, part_fire, w);
        if (rc)
            w->in_flight = false;
        return rc;
    }
    if (w->nblocks >= AZBLOCK_MAX || (long long)len > AZBLOCK_SIZE_MAX)
        return ST_ELIMIT;
    int rc = azblock_id(w->tag, w->nblocks, id);
    struct azop *op = rc ? NULL : azop_new(w->a, "PUT", "Put Block", w->key, on_block, w);
    if (!rc && !op)
        rc = ST_ENOMEM;
    if (!rc)
        rc = azop_query(op, "comp", "block");
    if (!rc)
        rc = azop_query(op, "blockid", id);
    if (!rc) {
        op->body = data;
        op->body_len = len;
        rc = azop_send(op);
    }
    if (rc) {
        azop_free(op);
        return rc;
    }
    w->in_flight = true;
    return 0;
}

/* ---- commit, abort ---- */

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
    backend_done_fn *cb = w->cb;
    void *ud = w->ud;
    writer_free(w);
    cb(rc, rc ? msg : "", ud);
}

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

static int commit_headers(struct azw *w, struct azop *op)
{
    char md5[32];
    int rc = 0;
    md5_b64(w->base.md5, md5);
    if (!rc && w->content_type)
        rc = azop_header(op, "x-ms-blob-content-type", w->content_type);
    if (!rc && md5[0])
        rc = azop_header(op, "x-ms-blob-content-md5", md5);
    if (!rc && w->base.md5[0])
        rc = azop_header(op, "x-ms-meta-md5", w->base.md5);
    if (!rc && w->base.sha256[0])
        rc = azop_header(op, "x-ms-meta-sha256", w->base.sha256);
    if (!rc && w->creator[0])
        rc = azop_header(op, "x-ms-meta-creator", w->creator);
    if (!rc && w->no_overwrite)
        rc = azop_header(op, "If-None-Match", "*");
    return rc;
}

int az_write_commit(struct backend_writer *bw, backend_done_fn *cb, void *ud)
{
    struct azw *w = (struct azw *)bw;
    if (w->in_flight)
        return ST_EINVAL;
    char(*ids)[AZBLOCK_ID_LEN + 1] = calloc(w->nblocks ? (size_t)w->nblocks : 1, sizeof(*ids));
    const char **idp = calloc(w->nblocks ? (size_t)w->nblocks : 1, sizeof(*idp));
    int rc = ids && idp ? 0 : ST_ENOMEM;
    for (long i = 0; !rc && i < w->nblocks; i++) {
        rc = azblock_id(w->tag, i, ids[i]);
        idp[i] = ids[i];
    }
    char *body = rc ? NULL : azxml_block_list_body(idp, (size_t)w->nblocks);
    free(ids);
    free(idp);
    struct azop *op = body ? azop_new(w->a, "PUT", "Put Block List", w->key, on_commit, w) : NULL;
    if (!rc && !op)
        rc = ST_ENOMEM;
    if (!rc)
        rc = azop_query(op, "comp", "blocklist");
    if (!rc)
        rc = commit_headers(w, op);
    if (!rc) {
        op->body = body;
        op->body_len = strlen(body);
        op->content_type = "application/xml";
        w->cb = cb;
        w->ud = ud;
        rc = azop_send(op);
    }
    if (rc) {
        azop_free(op);
        free(body);
        return rc;
    }
    w->in_flight = true;
    return 0;
}

struct az_abort {
    struct azw *w;
    backend_done_fn *cb;
    void *ud;
};

static void abort_fire(int fd, short what, void *arg)
{
    struct az_abort *x = arg;
    writer_free(x->w);
    if (x->cb)
        x->cb(0, "", x->ud);
    free(x);
}

/* Nothing to undo: blocks never committed are not visible, and Azure drops
 * them after 7 days. */
int az_write_abort(struct backend_writer *bw, backend_done_fn *cb, void *ud)
{
    struct azw *w = (struct azw *)bw;
    if (w->in_flight)
        return ST_EINVAL;
    struct az_abort *x = calloc(1, sizeof(*x));
    if (!x)
        return ST_ENOMEM;
    *x = (struct az_abort){w, cb, ud};
    int rc = az_defer(w->a, abort_fire, x);
    if (rc)
        free(x);
    return rc;
}
