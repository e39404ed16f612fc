/* backend_az_copy.c - server-side copies (backend.h copy, copy_from): the
 * bytes never leave Azure. The target reads the source through a URL with
 * a short-lived read-only service SAS of the source's account (azsign.h),
 * sent in x-ms-copy-source, so two stages of one service (the same
 * endpoint) copy between each other as one stage does inside itself.
 *
 * Up to AZ_COPY_MAX (256 MiB, Copy Blob From URL's limit) one synchronous
 * Copy Blob From URL (x-ms-requires-sync): the source's metadata (md5,
 * sha256, creator) and properties come with it. Above it, the source's
 * properties first (Get Blob Properties on the source backend, for the
 * metadata a block list must name), then Put Block From URL of ranges of
 * the writers' block size (x-ms-source-range), `parallel_parts` at once,
 * then Put Block List with the metadata. Uncommitted blocks of a failed
 * copy are left to expire (Azure drops them after 7 days) as a writer's
 * abort does. A service without Put Block From URL (501: azurite 3.35.0)
 * or Copy Blob From URL gets one asynchronous Copy Blob instead, whose x-ms-copy-status is
 * polled (Get Blob Properties, once a second, at most AZ_COPY_POLLS times)
 * until it is no longer "pending"; it carries the source's metadata too.
 * With no_overwrite the write is conditional (If-None-Match). */
#include "azblock.h"
#include "backend_az_impl.h"
#include "err.h"

#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AZ_COPY_MAX   (256LL * 1024 * 1024)
#define AZ_COPY_SAS_S 3600 /* the source URL's life: covers a copy's retries and polls */
#define AZ_COPY_POLLS 3000 /* seconds an asynchronous Copy Blob may stay pending */

struct azc {
    struct azb *a;
    char *dst;    /* full key */
    char *source; /* the source's SAS URL */
    int64_t size;
    size_t block;
    long nblocks, next;
    int running;
    char tag[AZBLOCK_TAG_LEN + 1];
    struct backend_entry meta; /* the source's digests and creator */
    bool no_overwrite, failed;
    bool no_block_url; /* Put Block From URL answered 501 */
    int polls;
    struct event *timer;
    int rc;
    char msg[BACKEND_MSG_MAX];
    backend_done_fn *cb;
    void *ud;
};

struct azcblk {
    struct azc *c;
    long idx;
};

static void c_free(struct azc *c)
{
    if (c->timer)
        event_free(c->timer);
    c->a->ob.live--; /* a copy waiting between polls keeps the backend busy */
    free(c->dst);
    free(c->source);
    free(c);
}

/* The one exit: the caller's callback, then the copy is gone. */
static void c_end(struct azc *c)
{
    c->cb(c->rc, c->rc ? c->msg : "", c->ud);
    c_free(c);
}

static void c_fail(struct azc *c, int rc, const char *msg)
{
    if (c->failed)
        return;
    c->failed = true;
    c->rc = rc;
    snprintf(c->msg, sizeof(c->msg), "%s", msg);
}

static void on_final(struct azop *op)
{
    struct azc *c = op->ud;
    if (op->rc == ST_EEXIST)
        c_fail(c, op->rc, "the target already exists");
    else if (op->rc)
        c_fail(c, op->rc, op->msg);
    free((void *)op->body); /* a Put Block List's; NULL for a copy */
    azop_free(op);
    c_end(c);
}

static void step(struct azc *c);
static int copy_async(struct azc *c);

static void on_block(struct azop *op)
{
    struct azcblk *bk = op->ud;
    struct azc *c = bk->c;
    c->running--;
    if (op->rc && op->http.curl_code == 0 && op->http.status == 501)
        c->no_block_url = true;
    else if (op->rc)
        c_fail(c, op->rc, op->msg);
    free(bk);
    azop_free(op);
    step(c);
}

static int block_start(struct azc *c)
{
    struct azcblk *bk = calloc(1, sizeof(*bk));
    char id[AZBLOCK_ID_LEN + 1], range[64];
    int64_t first = (int64_t)c->next * (int64_t)c->block;
    int64_t last =
        first + (int64_t)c->block > c->size ? c->size - 1 : first + (int64_t)c->block - 1;
    if (!bk)
        return ST_ENOMEM;
    *bk = (struct azcblk){c, c->next};
    int rc = azblock_id(c->tag, c->next, id);
    struct azop *op = rc ? NULL : azop_new(c->a, "PUT", "Put Block From URL", c->dst, on_block, bk);
    if (!rc && !op)
        rc = ST_ENOMEM;
    snprintf(range, sizeof(range), "bytes=%" PRId64 "-%" PRId64, first, last);
    if (!rc)
        rc = azop_query(op, "comp", "block");
    if (!rc)
        rc = azop_query(op, "blockid", id);
    if (!rc)
        rc = azop_header(op, "x-ms-copy-source", c->source);
    if (!rc)
        rc = azop_header(op, "x-ms-source-range", range);
    if (!rc)
        rc = azop_send(op);
    if (rc) {
        azop_free(op);
        free(bk);
        return rc;
    }
    c->next++;
    c->running++;
    return 0;
}

static void commit(struct azc *c)
{
    struct az_meta m = {NULL, c->meta.md5, c->meta.sha256, c->meta.creator, c->no_overwrite};
    struct azop *op = az_block_list_new(c->a, c->dst, c->tag, c->nblocks, on_final, c);
    int rc = op ? az_commit_headers(op, &m) : ST_ENOMEM;
    if (!rc)
        rc = azop_send(op);
    if (!rc)
        return;
    if (op)
        free((void *)op->body);
    azop_free(op);
    c_fail(c, rc, "cannot send Put Block List");
    c_end(c);
}

/* Keep parallel_parts blocks in flight; commit after the last. */
static void step(struct azc *c)
{
    while (!c->failed && !c->no_block_url && c->next < c->nblocks && c->running < c->a->parallel) {
        int rc = block_start(c);
        if (rc)
            c_fail(c, rc, "cannot send Put Block From URL");
    }
    if (c->running)
        return;
    int rc = c->failed || !c->no_block_url ? 0 : copy_async(c);
    if (rc)
        c_fail(c, rc, "cannot send Copy Blob");
    if (c->failed)
        c_end(c);
    else if (!c->no_block_url)
        commit(c);
}

/* ---- asynchronous Copy Blob, polled ---- */

static void on_poll_timer(evutil_socket_t fd, short what, void *arg);

/* After Copy Blob or a poll: done, failed, or poll again in a second. */
static void copy_status(struct azc *c, struct azop *op)
{
    char status[sizeof(op->http.copy_status)];
    snprintf(status, sizeof(status), "%s", op->http.copy_status);
    if (op->rc == ST_EEXIST)
        c_fail(c, op->rc, "the target already exists");
    else if (op->rc)
        c_fail(c, op->rc, op->msg);
    azop_free(op);
    if (!c->failed && strcmp(status, "pending") == 0) {
        struct timeval tv = {1, 0};
        if (++c->polls > AZ_COPY_POLLS)
            c_fail(c, ST_EAGAIN, "Azure Copy Blob: still pending after the polls allowed");
        else if (!c->timer && !(c->timer = evtimer_new(c->a->ob.b.base, on_poll_timer, c)))
            c_fail(c, ST_ENOMEM, "out of memory");
        else if (evtimer_add(c->timer, &tv) == 0)
            return;
        else
            c_fail(c, ST_ENOMEM, "cannot arm a timer");
    } else if (!c->failed && strcmp(status, "success") != 0) {
        char msg[64];
        snprintf(msg, sizeof(msg), "Azure Copy Blob: copy status '%s'", status);
        c_fail(c, ST_EAGAIN, msg);
    }
    c_end(c);
}

static void on_copy_reply(struct azop *op)
{
    copy_status(op->ud, op);
}

static void on_poll_timer(evutil_socket_t fd, short what, void *arg)
{
    struct azc *c = arg;
    (void)fd;
    (void)what;
    struct azop *op = azop_new(c->a, "HEAD", "Get Blob Properties", c->dst, on_copy_reply, c);
    int rc = op ? azop_send(op) : ST_ENOMEM;
    if (!rc)
        return;
    azop_free(op);
    c_fail(c, rc, "cannot send Get Blob Properties");
    c_end(c);
}

static int copy_async(struct azc *c)
{
    struct azop *op = azop_new(c->a, "PUT", "Copy Blob", c->dst, on_copy_reply, c);
    int rc = op ? azop_header(op, "x-ms-copy-source", c->source) : ST_ENOMEM;
    if (!rc && c->no_overwrite)
        rc = azop_header(op, "If-None-Match", "*");
    if (!rc)
        rc = azop_send(op);
    if (rc)
        azop_free(op);
    return rc;
}

static void on_source(int rc, const char *msg, const struct backend_entry *e, void *ud)
{
    struct azc *c = ud;
    if (rc) {
        c_fail(c, rc, msg);
        c_end(c);
        return;
    }
    if (e->size != c->size) { /* changed since it was listed */
        c_fail(c, ST_EAGAIN, "the source changed while it was being copied");
        c_end(c);
        return;
    }
    snprintf(c->meta.md5, sizeof(c->meta.md5), "%s", e->md5);
    snprintf(c->meta.sha256, sizeof(c->meta.sha256), "%s", e->sha256);
    snprintf(c->meta.creator, sizeof(c->meta.creator), "%s", e->creator);
    step(c);
}

/* A service without the synchronous copy (501) copies asynchronously. */
static void on_whole(struct azop *op)
{
    struct azc *c = op->ud;
    if (!op->rc || op->http.curl_code || op->http.status != 501) {
        on_final(op);
        return;
    }
    azop_free(op);
    int rc = copy_async(c);
    if (rc) {
        c_fail(c, rc, "cannot send Copy Blob");
        c_end(c);
    }
}

/* One synchronous Copy Blob From URL. */
static int copy_whole(struct azc *c)
{
    struct azop *op = azop_new(c->a, "PUT", "Copy Blob From URL", c->dst, on_whole, c);
    int rc = op ? azop_header(op, "x-ms-copy-source", c->source) : ST_ENOMEM;
    if (!rc)
        rc = azop_header(op, "x-ms-requires-sync", "true");
    if (!rc && c->no_overwrite)
        rc = azop_header(op, "If-None-Match", "*");
    if (!rc)
        rc = azop_send(op);
    if (rc)
        azop_free(op);
    return rc;
}

/* The URL of `key` in `from` with a read-only SAS valid for an hour. */
static int source_url(const struct azb *from, const char *key, char **out)
{
    char *full = az_full_key(from, key), *path = NULL, *q = NULL;
    time_t now = time(NULL);
    /* a start a little back: the service's clock may be behind ours */
    struct azsign_sas s = {
        from->url.account,   from->key, from->url.container, full, "r", now - 300,
        now + AZ_COPY_SAS_S, NULL};
    int rc = full ? azurl_path(&from->url, full, &path) : ST_ENOMEM;
    if (!rc)
        rc = azsign_sas_query(&s, &q);
    if (!rc && asprintf(out, "%s%s?%s", from->url.scheme_host, path, q) < 0)
        rc = ST_ENOMEM;
    free(full);
    free(path);
    free(q);
    return rc;
}

int az_copy_from(struct backend *b, struct backend *from, const char *src, const char *dst,
                 int64_t size, const struct backend_write_opts *o, backend_done_fn *cb, void *ud)
{
    struct azb *a = b->priv, *fa = from->priv;
    /* another service cannot be told to read this one */
    if (strcmp(a->url.scheme_host, fa->url.scheme_host) != 0 ||
        strcmp(a->url.prefix, fa->url.prefix) != 0)
        return ST_EUNIMPL;
    struct azc *c = calloc(1, sizeof(*c));
    if (!c)
        return ST_ENOMEM;
    c->a = a;
    a->ob.live++;
    c->size = size;
    c->no_overwrite = o && o->no_overwrite;
    c->cb = cb;
    c->ud = ud;
    int rc = source_url(fa, src, &c->source);
    if (!rc && !(c->dst = az_full_key(a, dst)))
        rc = ST_ENOMEM;
    if (!rc && size <= AZ_COPY_MAX) {
        rc = copy_whole(c);
    } else if (!rc) {
        c->block = azblock_size(a->part_size, size);
        c->nblocks = (long)((size + (int64_t)c->block - 1) / (int64_t)c->block);
        rc = c->nblocks > AZBLOCK_MAX ? ST_ELIMIT : azblock_tag_new(c->tag);
        if (!rc)
            rc = backend_stat(from, src, on_source, c);
    }
    if (rc)
        c_free(c);
    return rc;
}

int az_copy(struct backend *b, const char *src, const char *dst, int64_t size,
            const struct backend_write_opts *o, backend_done_fn *cb, void *ud)
{
    return az_copy_from(b, b, src, dst, size, o, cb, ud);
}
