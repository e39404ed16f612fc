/* objstore.h - the machinery the object-store backends (s3/, azblob/ and,
 * where its behaviour is the same, gcs/) share, so that each keeps only
 * what its store says differently:
 *
 *   - the backend's base (objstore_be, which s3b, azb and gcsb begin with):
 *     its count of live requests and writers (backend_ops.busy), a
 *     deferred call on its loop;
 *   - a request's attempts (s3, azblob; gcs backs off without jitter and
 *     keeps its own): send an attempt (sign afresh, keep the caller's read
 *     buffer), schedule the next one after a backoff (backoff.h), and the
 *     common tail of a reply: the endpoint guard's refusal, no reply at
 *     all, the request counters (bstats.h), the retry decision, the
 *     failure message;
 *   - read and stat (s3, azblob): the caller's callback and what a ranged
 *     GET's and a HEAD's reply mean (404, 416, the entry's digests);
 *   - a paging lister (all three): backend_list_next() over one request
 *     per page, with the end of the listing delivered on the next loop turn;
 *   - a writer (s3, azblob): its part buffer, the bytes of write_part() cut
 *     into the store's part (block) size, each full part handed to the
 *     writer; and its calls (objstore_wcall): one write_part, commit or
 *     abort at a time, the first failure kept, the callback deferred.
 *
 * Threading: the backend's event_base thread only, like the backends.
 * Callbacks run exactly once, never inside the call that started them
 * (backend.h); a call that returns an error never runs its callback. */
#ifndef STAGE_OBJSTORE_H
#define STAGE_OBJSTORE_H

#include "backend.h"
#include "bstats.h"
#include "s3http.h"

#include <stdbool.h>
#include <stddef.h>

struct event;
struct event_base;

/* ---- the backend */

/* What an object-store backend's state (s3b, azb, gcsb) begins with. */
struct objstore_be {
    struct backend b;
    /* requests, writers and copies not yet freed: a writer left to finish
     * alone (detached, or aborted without a callback) or a request still
     * retrying references the backend after its caller let go */
    long live;
};

/* Make `ob` the backend of `ops` on `base`, its state `priv` (which begins
 * with ob). */
void objstore_be_init(struct objstore_be *ob, const struct backend_ops *ops,
                      struct event_base *base, void *priv);

/* backend_ops.busy: live > 0. The cache of external backends waits for
 * this before freeing one. */
bool objstore_busy(const struct backend *b);

/* Run fn(arg) on b's loop, on its next turn. 0 or ST_ENOMEM (never run). */
int objstore_defer(const struct objstore_be *ob, void (*fn)(int, short, void *), void *arg);

/* ---- one request's attempts */

struct objstore_try {
    struct event_base *base;
    struct event *timer; /* made by the first retry; objstore_try_cleanup() */
    int attempt;         /* 0 for the first */
    int max_attempts;
    enum bstats_backend bk;
    /* send attempt `attempt` again (the timer fired); an error ends the
     * request with `send_failed` */
    int (*resend)(void *op);
    void (*send_failed)(void *op, int rc);
    void *op;
};

/* Start an attempt of `http` on `h`: `build(op)` signs and fills it (it may
 * clear it); the caller's read buffer (rbuf, rcap) is kept across it. */
int objstore_attempt(struct s3http *h, struct s3http_req *http, int (*build)(void *op), void *op);

/* After a reply of bstats op `bop`: count it, and if it failed for now
 * (`transient`) with attempts left, schedule the next attempt: true then
 * (the request goes on; the reply is dropped). A refused connection (the
 * guard) is counted as such and never retried. */
bool objstore_retry(struct objstore_try *t, enum bstats_op bop, const struct s3http_req *r, bool ok,
                    bool transient);

/* Free the retry timer. */
void objstore_try_cleanup(struct objstore_try *t);

/* The message of a failed reply: "<label> <what>: HTTP 503 SlowDown: msg
 * (retries exhausted)", or with no reply "<label> <what>: <curl's error>
 * (curl error 7)", or refused "<label> <what>: <the guard's reason>". */
void objstore_reply_msg(char *msg, size_t n, const char *label, const char *what,
                        const struct s3http_req *r, const char *code, const char *message,
                        bool exhausted);

/* The reply's outcome once objstore_retry() declined it, settled by what
 * all object stores mean alike: true with *rc 0 and msg "" if `ok`; with
 * *rc ST_EPERM if the endpoint guard refused it, or with no reply at all
 * ST_EAGAIN (`transient`) or ST_EPRECOND, each with its message
 * (objstore_reply_msg(), `label`, `what`). false: an HTTP failure whose
 * status (and error body) the backend maps itself. */
bool objstore_reply_settled(const struct s3http_req *r, bool ok, bool transient, int *rc, char *msg,
                            size_t n, const char *label, const char *what);

/* Free a built request's URL and header lines (n of them), NULL after. */
void objstore_request_clear(char **url, char **hdr, size_t n);

/* The request ended with `rc`: count a failure (not found and already
 * exists are answers, not failures). */
void objstore_ended(enum bstats_backend bk, enum bstats_op bop, int rc);

/* ---- read and stat: the caller's callback, and the common reply */

/* The callback of one read or one stat, kept with its request. */
struct objstore_cb {
    backend_read_fn *read;
    backend_stat_fn *stat;
    void *ud;
    char *rel; /* stat: the key as the caller named it */
};

/* A read's (read != NULL) or a stat's callback, `rel` copied for a stat.
 * NULL on OOM. Freed by objstore_read_done()/objstore_stat_done(), or by
 * objstore_cb_free() when the request was never started. */
struct objstore_cb *objstore_cb_new(backend_read_fn *read, backend_stat_fn *stat, const char *rel,
                                    void *ud);
void objstore_cb_free(struct objstore_cb *c);

/* A ranged read of [offset, offset + len) into buf: the Range value into
 * `range` (left "" for len 0, a HEAD), the read buffer into `http`. */
void objstore_read_prep(struct s3http_req *http, char *range, size_t n, int64_t offset, size_t len,
                        void *buf);

/* A read ended (`rc`, `msg` of the request, 404 and 416 let through as
 * answers): 404 becomes ST_ENOTFOUND "no such object", 416 reads
 * nothing; runs c's read callback once and frees c. */
void objstore_read_done(struct objstore_cb *c, int rc, char *msg, size_t n,
                        const struct s3http_req *http);

/* A stat's HEAD ended (as objstore_read_done): the entry from the reply's
 * headers (size, time, ETag, objstore_entry_meta() with `md5`, the hex MD5
 * the store's own header gave, "" none); runs c's stat callback once (the
 * entry lives only during it) and frees c. */
void objstore_stat_done(struct objstore_cb *c, int rc, char *msg, size_t n,
                        const struct s3http_req *http, const char *md5);

/* The digests and creator of an entry: `md5` (hex, "" none) or else the
 * md5 metadata, the sha256 and creator metadata, each kept only if
 * well-formed. */
void objstore_entry_meta(struct backend_entry *e, const char *md5, const char *meta_md5,
                         const char *meta_sha256, const char *meta_creator);

/* ---- a paging lister */

struct objstore_lister;

struct objstore_lister_ops {
    /* Send the request for the page after l->token (or from l->start_after
     * when l->token is NULL); its reply ends in objstore_list_page(). */
    int (*fetch)(struct objstore_lister *l);
    /* Forget the page parsed last. */
    void (*drop_page)(struct objstore_lister *l);
    /* The entries of the page parsed last: how many there are at most, and
     * filling `ents` (keys without the root); returns how many it filled. */
    size_t (*page_size)(const struct objstore_lister *l);
    size_t (*entries)(struct objstore_lister *l, struct backend_entry *ents);
    /* Free the backend's own part of l (its page). */
    void (*close)(struct objstore_lister *l);
};

/* The backend's lister begins with this. */
struct objstore_lister {
    struct backend_lister base;
    const struct objstore_lister_ops *ops;
    char *prefix;      /* full (root included) */
    char *start_after; /* full, NULL for none */
    char *token;       /* where the next page starts, NULL before the first */
    size_t limit;      /* entries per page asked for */
    bool done;         /* the last page was delivered */
    bool busy;         /* a page is on its way: list_next is refused (ST_EINVAL) */
    struct backend_entry *ents;
    backend_page_fn *cb;
    void *ud;
};

/* backend_list_open(): a zeroed lister of `size` bytes (the backend's
 * struct, which begins with a struct objstore_lister) in *out; the full
 * prefix and start_after are `root` + the caller's. 0, ST_EINVAL
 * (page_limit) or ST_ENOMEM. */
int objstore_list_open(struct backend *b, size_t size, const char *root, const char *prefix,
                       const char *start_after, size_t page_limit,
                       const struct objstore_lister_ops *ops, struct backend_lister **out);

/* backend_list_next(): the next page, or the end on the next loop turn.
 * ST_EINVAL while the page asked for before has not arrived. */
int objstore_list_next(struct backend_lister *bl, backend_page_fn *cb, void *ud);

/* A page arrived (rc 0: parsed, l->token and l->done set) or the request
 * failed: deliver it to the caller. */
void objstore_list_page(struct objstore_lister *l, int rc, const char *msg);

/* backend_list_close(). */
void objstore_list_close(struct backend_lister *bl);

/* ---- a writer's part buffer */

struct objstore_wbuf {
    char *buf;  /* the part being filled, NULL before its first byte */
    size_t len; /* its bytes */
};

/* Take `len` bytes into `b`, in parts of `part` bytes; each time one is
 * full, `dispatch(w)` sends it (and takes b->buf, leaving b->len 0). Stops
 * at a dispatch failure, its rc in *drc. 0, or ST_ENOMEM with no buffer for
 * a part (the bytes before it were taken). */
int objstore_wbuf_feed(struct objstore_wbuf *b, size_t part, const void *data, size_t len,
                       int (*dispatch)(void *w), void *w, int *drc);

/* ---- a writer's calls: write_part/commit/abort, each with one callback */

enum objstore_wphase {
    OBJSTORE_W_OPEN,   /* taking parts */
    OBJSTORE_W_COMMIT, /* write_commit(): finishing the object */
    OBJSTORE_W_ABORT,  /* write_abort() or a failed commit: dropping it */
    OBJSTORE_W_DETACH, /* the caller let go: no callback, freed once idle */
};

/* The caller's side of a writer: its phase, its pending callback and the
 * writer's first failure. Part of the backend's writer; zeroed, then
 * `base` set, at its creation. */
struct objstore_wcall {
    struct event_base *base;
    enum objstore_wphase phase;
    backend_done_fn *cb; /* the caller's pending callback, NULL none */
    void *ud;
    int err; /* the first failure, sticky: the next call reports it */
    char msg[BACKEND_MSG_MAX];
};

/* The failure messages of a writer's dispatch(): ST_ELIMIT (too many
 * parts), and any other. */
struct objstore_wwhy {
    const char *too_many;
    const char *cannot;
};

/* Record the writer's first failure (later ones are dropped). */
void objstore_wcall_fail(struct objstore_wcall *c, int rc, const char *msg);

/* Run the pending callback (if any) with rc/msg on the next loop turn; no
 * call is pending after it. */
void objstore_wcall_fire(struct objstore_wcall *c, int rc, const char *msg);

/* write_part(): ST_EINVAL while a call is pending or after OPEN; else the
 * bytes are fed to `b` (objstore_wbuf_feed(), a dispatch failure recorded
 * with `why`) and cb/ud become the pending call: 0, and the caller moves
 * the writer on. ST_ENOMEM from the feed: nothing pending. */
int objstore_wcall_part(struct objstore_wcall *c, struct objstore_wbuf *b, size_t part,
                        const void *data, size_t len, int (*dispatch)(void *w), void *w,
                        const struct objstore_wwhy *why, backend_done_fn *cb, void *ud);

/* write_commit() (phase OBJSTORE_W_COMMIT; with `flush`, the bytes in `b`
 * are dispatched as the last part first) and write_abort() (phase
 * OBJSTORE_W_ABORT, flush false): ST_EINVAL while a call is pending or
 * after OPEN; else 0 with cb/ud pending and the phase set: the caller
 * moves the writer on. */
int objstore_wcall_end(struct objstore_wcall *c, enum objstore_wphase phase, bool flush,
                       int (*dispatch)(void *w), void *w, const struct objstore_wwhy *why,
                       backend_done_fn *cb, void *ud);

/* write_detach(): no callback any more; the writer frees itself once idle. */
void objstore_wcall_detach(struct objstore_wcall *c);

/* write_open()/write_resume(): hand `w` to `cb` on the next loop turn. 0,
 * or ST_ENOMEM: cb never runs (the caller frees w). */
int objstore_open_defer(struct event_base *base, struct backend_writer *w, backend_open_fn *cb,
                        void *ud);

#endif
