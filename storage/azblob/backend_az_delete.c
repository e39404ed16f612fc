/* backend_az_delete.c - the azblob delete op (backend.h delete_batch).
 *
 * Keys go in Blob Batch requests of up to 256 Delete Blob sub-requests
 * (azbatch.h), one batch after another, each key's result read from the
 * multipart answer. A service that answers the batch itself with 400, 404,
 * 405 or 501 (an emulator or a gateway without Blob Batch) gets one Delete
 * Blob per key instead; 405 and 501 are remembered for the backend's life,
 * so later deletes go straight to single requests. A batch that fails as a
 * whole otherwise (403, retries exhausted) fails its keys and the ones
 * after it with that error. */
#include "azbatch.h"
#include "azblock.h"
#include "backend_az_impl.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct az_del {
    struct azb *a;
    const char *const *keys;
    size_t n, i;  /* keys before i have their result */
    size_t chunk; /* keys in the batch in flight */
    bool singles; /* one Delete Blob each from i on */
    int *errs;
    char ctype[48 + AZBATCH_BOUNDARY_MAX];
    char msg[BACKEND_MSG_MAX];
    backend_delete_fn *cb;
    void *ud;
};

static int del_next(struct az_del *d);

static void del_finish(struct az_del *d, const char *msg)
{
    d->cb(0, msg, d->errs, d->n, d->ud);
    free(d->errs);
    free(d);
}

static void first_msg(struct az_del *d, const char *msg)
{
    if (!d->msg[0])
        snprintf(d->msg, sizeof(d->msg), "%s", msg);
}

/* After a result: the next request, or the end; keys that cannot be sent
 * fail with why. */
static void del_go_on(struct az_del *d)
{
    int rc = d->i < d->n ? del_next(d) : 0;
    if (d->i >= d->n) {
        del_finish(d, d->msg);
    } else if (rc) {
        for (size_t i = d->i; i < d->n; i++)
            d->errs[i] = rc;
        first_msg(d, "cannot send a delete");
        del_finish(d, d->msg);
    }
}

static void on_single(struct azop *op)
{
    struct az_del *d = op->ud;
    int rc = op->rc;
    if (rc == 0 && op->http.status == 404)
        rc = ST_ENOTFOUND;
    d->errs[d->i] = rc;
    if (rc && rc != ST_ENOTFOUND)
        first_msg(d, op->msg);
    azop_free(op);
    d->i++;
    del_go_on(d);
}

static int send_single(struct az_del *d)
{
    char *full = az_full_key(d->a, d->keys[d->i]);
    struct azop *op = full ? azop_new(d->a, "DELETE", "Delete Blob", full, on_single, d) : NULL;
    free(full);
    if (!op)
        return ST_ENOMEM;
    op->ok_404 = true;
    int rc = azop_send(op);
    if (rc)
        azop_free(op);
    return rc;
}

static void on_batch(struct azop *op)
{
    struct az_del *d = op->ud;
    long st = op->http.status;
    char msg[BACKEND_MSG_MAX];
    free((void *)op->body);
    if (op->rc == 0) {
        if (azbatch_parse(op->http.resp, op->http.resp_len, d->errs + d->i, d->chunk, msg,
                          sizeof(msg)))
            snprintf(msg, sizeof(msg), "Azure Blob Batch: not a multipart answer");
        if (msg[0])
            first_msg(d, msg);
        d->i += d->chunk;
    } else if (op->http.curl_code == 0 && (st == 400 || st == 404 || st == 405 || st == 501)) {
        if (st == 405 || st == 501)
            d->a->no_batch = true;
        d->singles = true; /* these keys again, one by one */
    } else {
        first_msg(d, op->msg);
        for (size_t i = d->i; i < d->n; i++)
            d->errs[i] = op->rc;
        d->i = d->n;
    }
    azop_free(op);
    del_go_on(d);
}

/* The next up to 256 keys as one Blob Batch. */
static int send_batch(struct az_del *d)
{
    struct azb *a = d->a;
    char tag[AZBLOCK_TAG_LEN + 1], tag2[AZBLOCK_TAG_LEN + 1], boundary[AZBATCH_BOUNDARY_MAX],
        date[30];
    size_t n = d->n - d->i < AZBATCH_MAX ? d->n - d->i : AZBATCH_MAX;
    char **paths = calloc(n, sizeof(*paths));
    char *body = NULL;
    size_t len = 0;
    int rc = paths ? azblock_tag_new(tag) : ST_ENOMEM;
    if (!rc)
        rc = azblock_tag_new(tag2);
    snprintf(boundary, sizeof(boundary), "batch_%s%s", tag, tag2);
    for (size_t i = 0; !rc && i < n; i++) {
        char *full = az_full_key(a, d->keys[d->i + i]);
        rc = full ? azurl_path(&a->url, full, &paths[i]) : ST_ENOMEM;
        free(full);
    }
    azsign_http_date(time(NULL), date);
    struct azbatch_req r = {a->url.account, a->key, boundary, date, (const char *const *)paths, n};
    if (!rc)
        rc = azbatch_body(&r, &body, &len);
    for (size_t i = 0; paths && i < n; i++)
        free(paths[i]);
    free(paths);
    struct azop *op = rc ? NULL : azop_new(a, "POST", "Blob Batch", NULL, on_batch, d);
    if (!rc && !op)
        rc = ST_ENOMEM;
    if (!rc)
        rc = azop_query(op, "restype", "container");
    if (!rc)
        rc = azop_query(op, "comp", "batch");
    if (!rc) {
        snprintf(d->ctype, sizeof(d->ctype), "multipart/mixed; boundary=%s", boundary);
        op->content_type = d->ctype;
        op->body = body;
        op->body_len = len;
        rc = azop_send(op);
    }
    if (rc) {
        azop_free(op);
        free(body);
        return rc;
    }
    d->chunk = n;
    return 0;
}

static int del_next(struct az_del *d)
{
    return d->singles || d->a->no_batch || d->n - d->i == 1 ? send_single(d) : send_batch(d);
}

int az_delete_batch(struct backend *b, const char *const *keys, size_t n, const char *keep_prefix,
                    backend_delete_fn *cb, void *ud)
{
    (void)keep_prefix; /* no directories in a container */
    struct azb *a = b->priv;
    if (n == 0 || n > BACKEND_DELETE_MAX)
        return ST_EINVAL;
    struct az_del *d = calloc(1, sizeof(*d));
    if (!d || !(d->errs = calloc(n, sizeof(int)))) {
        free(d);
        return ST_ENOMEM;
    }
    d->a = a;
    d->keys = keys;
    d->n = n;
    d->cb = cb;
    d->ud = ud;
    int rc = del_next(d);
    if (rc) {
        free(d->errs);
        free(d);
    }
    return rc;
}
