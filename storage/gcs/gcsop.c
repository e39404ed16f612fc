/* gcsop.c - GCS requests: the bearer token (fetched once, shared, renewed)
 * and retries with backoff (see backend_gcs_impl.h). */
#include "backend_gcs_impl.h"
#include "err.h"
#include "gcscred.h"
#include "gcsjson.h"
#include "gcsjwt.h"

#include <event2/event.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *gcs_full_key(const struct gcsb *g, const char *key)
{
    size_t n = strlen(g->root) + strlen(key) + 1;
    char *k = malloc(n);
    if (k)
        snprintf(k, n, "%s%s", g->root, key);
    return k;
}

struct gcsop *gcsop_new(struct gcsb *g, const char *method, char *url, gcsop_fn *done, void *ud)
{
    struct gcsop *op = url ? calloc(1, sizeof(*op)) : NULL;
    if (!op) {
        free(url);
        return NULL;
    }
    op->g = g;
    op->method = method;
    op->url = url;
    op->done = done;
    op->ud = ud;
    g->ob.live++;
    return op;
}

void gcsop_free(struct gcsop *op)
{
    if (!op)
        return;
    s3http_req_reset(&op->http);
    if (op->timer)
        event_free(op->timer);
    for (size_t i = 0; i < sizeof(op->hdr) / sizeof(op->hdr[0]); i++)
        free(op->hdr[i]);
    free(op->url);
    if (op->body_owned)
        OPENSSL_cleanse(op->body_owned, strlen(op->body_owned));
    free(op->body_owned);
    op->g->ob.live--;
    free(op);
}

int gcsop_header(struct gcsop *op, const char *fmt, ...)
{
    size_t i = 0, n = sizeof(op->hdr) / sizeof(op->hdr[0]) - 1; /* one kept for Authorization */
    while (i < n && op->hdr[i])
        i++;
    if (i == n)
        return ST_ELIMIT;
    va_list ap;
    va_start(ap, fmt);
    int len = vasprintf(&op->hdr[i], fmt, ap);
    va_end(ap);
    if (len < 0) {
        op->hdr[i] = NULL;
        return ST_ENOMEM;
    }
    return 0;
}

static void on_http(struct s3http_req *r);
static int fetch_token(struct gcsb *g);

/* Start (or restart) the HTTP request of `op` with the current token. */
static int start(struct gcsop *op)
{
    struct gcsb *g = op->g;
    const size_t nh = sizeof(op->hdr) / sizeof(op->hdr[0]);
    const char *lines[sizeof(op->hdr) / sizeof(op->hdr[0])];
    size_t n = 0;
    for (size_t i = 0; i < nh - 1 && op->hdr[i]; i++)
        lines[n++] = op->hdr[i];
    char *auth = NULL;
    if (!op->no_auth) {
        if (asprintf(&auth, "Authorization: Bearer %s", g->token) < 0)
            return ST_ENOMEM;
        lines[n++] = auth;
    }
    s3http_req_reset(&op->http);
    struct s3http_req *h = &op->http;
    h->method = op->method;
    h->url = op->url;
    h->headers = lines;
    h->nheaders = n;
    h->body = op->body;
    h->body_len = op->body_len;
    h->rbuf = op->rbuf;
    h->rcap = op->rcap;
    h->timeout_s = 0;
    h->done = on_http;
    h->ud = op;
    int rc = s3http_start(g->http, h); /* curl copies the header lines */
    if (auth) {
        OPENSSL_cleanse(auth, strlen(auth));
        free(auth);
    }
    return rc;
}

static bool token_fresh(const struct gcsb *g)
{
    return g->token && time(NULL) + GCS_TOKEN_MARGIN < g->token_exp;
}

int gcsop_send(struct gcsop *op)
{
    struct gcsb *g = op->g;
    op->rc = 0;
    op->msg[0] = '\0';
    if (op->no_auth || token_fresh(g))
        return start(op);
    if (!g->token_op) {
        int rc = fetch_token(g);
        if (rc)
            return rc;
    }
    op->next = g->waiting;
    g->waiting = op;
    return 0;
}

int gcsop_start(struct gcsop *op)
{
    if (!op)
        return ST_ENOMEM;
    int rc = gcsop_send(op);
    if (rc)
        gcsop_free(op);
    return rc;
}

static void finish(struct gcsop *op)
{
    op->done(op);
}

static void on_retry(int fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct gcsop *op = arg;
    int rc = start(op);
    if (rc) {
        op->rc = rc;
        snprintf(op->msg, sizeof(op->msg), "GCS request: %s", st_strerror(rc));
        finish(op);
    }
}

static bool retry_later(struct gcsop *op)
{
    if (op->no_retry || op->attempt >= GCS_RETRIES)
        return false;
    if (!op->timer && !(op->timer = evtimer_new(op->g->ob.b.base, on_retry, op)))
        return false;
    struct timeval tv = {0, 100000L << op->attempt}; /* 0.1 s, 0.2 s ... 1.6 s */
    tv.tv_sec = tv.tv_usec / 1000000;
    tv.tv_usec %= 1000000;
    op->attempt++;
    return evtimer_add(op->timer, &tv) == 0;
}

/* The outcome of a finished HTTP exchange into op->rc/msg. */
static void classify(struct gcsop *op)
{
    struct s3http_req *h = &op->http;
    char gmsg[200];
    long st = h->status;
    if (h->refused) {
        op->rc = ST_EPERM;
        snprintf(op->msg, sizeof(op->msg), "%s", h->error);
        return;
    }
    if (h->curl_code || st == 0) {
        op->rc = ST_EAGAIN;
        snprintf(op->msg, sizeof(op->msg), "GCS unreachable: %s", h->error);
        return;
    }
    if ((st >= 200 && st < 300) || (st == 308 && op->ok_308) || (st == 404 && op->ok_404))
        return;
    gcsjson_error_message(h->resp, h->resp_len, gmsg, sizeof(gmsg));
    op->rc = st == 404                ? ST_ENOTFOUND
             : st == 412              ? ST_EEXIST
             : st == 429 || st >= 500 ? ST_EAGAIN
                                      : ST_EPRECOND;
    snprintf(op->msg, sizeof(op->msg), "GCS %s: HTTP %ld%s%s", op->method, st, *gmsg ? ": " : "",
             gmsg);
}

static void on_http(struct s3http_req *r)
{
    struct gcsop *op = r->ud;
    struct gcsb *g = op->g;
    if (r->status == 401 && !op->no_auth && !op->reauthed) {
        /* the token was revoked or expired early: one new one, then again */
        op->reauthed = true;
        free(g->token);
        g->token = NULL;
        int rc = gcsop_send(op);
        if (!rc)
            return;
    }
    classify(op);
    if (op->rc == ST_EAGAIN && retry_later(op))
        return;
    finish(op);
}

/* The token fetch finished: hand the result to every waiting request. */
static void on_token(struct gcsop *t)
{
    struct gcsb *g = t->g;
    char err[BACKEND_MSG_MAX - 64] = "";
    int rc = t->rc;
    snprintf(err, sizeof(err), "%.400s", t->msg);
    if (!rc) {
        char *tok = NULL;
        long exp = 0;
        rc = gcsjwt_token_parse(t->http.resp, t->http.resp_len, &tok, &exp, err, sizeof(err));
        if (!rc) {
            free(g->token);
            g->token = tok;
            g->token_exp = time(NULL) + exp;
        }
    } else if (rc == ST_EPRECOND && t->http.resp) {
        /* the grant was refused: an OAuth reply {"error", "error_description"}
         * says why (a key the endpoint does not know, a bad audience ...) */
        char why[300] = "";
        char *tok = NULL;
        long exp = 0;
        if (gcsjwt_token_parse(t->http.resp, t->http.resp_len, &tok, &exp, why, sizeof(why)) == 0)
            why[0] = '\0';
        free(tok);
        snprintf(err, sizeof(err), "HTTP %ld from the token endpoint%s%s", t->http.status,
                 strstr(why, "not a JSON object") ? "" : ": ",
                 strstr(why, "not a JSON") ? "" : why);
    }
    g->token_op = NULL;
    gcsop_free(t);
    struct gcsop *w = g->waiting;
    g->waiting = NULL;
    while (w) {
        struct gcsop *next = w->next;
        w->next = NULL;
        int src = rc ? rc : start(w);
        if (src) {
            w->rc = src == ST_EPERM || src == ST_EAGAIN ? src : ST_EPRECOND;
            snprintf(w->msg, sizeof(w->msg), "GCS access token: %s",
                     err[0] ? err : st_strerror(src));
            finish(w);
        }
        w = next;
    }
}

static int fetch_token(struct gcsb *g)
{
    char *body = NULL;
    int rc = gcsjwt_token_body(g->cred, time(NULL), &body);
    if (rc)
        return rc;
    struct gcsop *t = gcsop_new(g, "POST", strdup(g->cred->token_uri), on_token, NULL);
    if (!t) {
        free(body);
        return ST_ENOMEM;
    }
    t->no_auth = true;
    t->body = body;
    t->body_len = strlen(body);
    rc = gcsop_header(t, "Content-Type: application/x-www-form-urlencoded");
    if (!rc)
        rc = start(t);
    if (rc) {
        free(body);
        gcsop_free(t);
        return rc;
    }
    g->token_op = t;
    t->body_owned = body; /* the assertion lives as long as the request and its retries */
    return 0;
}
