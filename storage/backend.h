/* backend.h - the storage backend interface (docs/design.md §6).
 *
 * A `struct backend` is a table of operations (`struct backend_ops`) plus the
 * backend's private state. Keys are '/'-separated object keys relative to the
 * backend's root ("stage/user/root/a.csv"); every operation refuses a key
 * with a leading '/', an empty segment ("a//b"), or a "." or ".." segment
 * with ST_EINVAL (backend_key_check()), as defence in depth behind
 * location_parse().
 *
 * The async contract (every operation that takes a callback):
 *   - if the call returns an error (negative st_err), the callback is never
 *     called and nothing was started;
 *   - if it returns 0, the callback runs exactly once, later, on the
 *     backend's event_base thread, never inside the call that started it.
 * Callbacks receive `rc` (0 or a negative st_err) and `msg`, a person-readable
 * reason on failure ("" on success). `msg` and any entries passed to a
 * callback belong to the backend and are valid only during the callback,
 * but for a lister's page (below). Callbacks may start new operations
 * (including on the same writer/lister).
 *
 * Threading: a backend and its writers/listers are used from the one thread
 * that runs its event_base. Nothing here is thread-safe.
 *
 * Writers (streaming upload, maps onto S3 multipart): write_open, then
 * write_part for parts 0, 1, 2, ... in order (one op in flight per writer),
 * then exactly one of write_commit (makes the object visible atomically,
 * replacing an existing one unless `no_overwrite`) or write_abort (nothing
 * becomes visible). Both consume the writer: after the call returns 0 the
 * handle must not be used again and the backend frees it; if either returns
 * an error the writer is still valid and must still be aborted. `data` of a
 * write_part must stay valid until its callback.
 *
 * Listers (maps onto ListObjectsV2 pages): list_open (no I/O, no callback),
 * then list_next for each page, in key order (byte order of the full key),
 * until a callback reports `last`; list_close at any time when no list_next
 * is in flight. A page's entries (keys included) stay valid after its
 * callback, until the next list_next or list_close on that lister: the
 * worker matches a page over several loop turns and copies or removes its
 * matches one by one (worker/scan.c), so every backend keeps its last page.
 * Memory is bounded by the page limit (plus, for fs, one directory's names
 * per depth). */
#ifndef STAGE_BACKEND_H
#define STAGE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct backend;

#define BACKEND_PAGE_MAX 10000 /* largest page a lister returns */
#define BACKEND_MSG_MAX  512   /* room for a failure reason */

/* One object, as listed or stat'ed. Strings belong to whoever passed it. */
struct backend_entry {
    const char *key;  /* full key relative to the backend root */
    int64_t size;     /* bytes */
    int64_t mtime_ms; /* last modified, Unix ms */
    char etag[72];    /* opaque change tag ("" if unknown) */
    char md5[40];     /* hex MD5 of the content, "" if unknown */
    char sha256[72];  /* hex SHA-256 of the content, "" if unknown */
    char creator[72]; /* the user whose job wrote it, "" if unknown */
};

/* Base of every backend's writer and lister; backends embed it first.
 * A writer's md5/sha256 are set by backend_write_digests() before the
 * commit (the caller hashes what it writes); the commit stores them with
 * the object where the backend can (fs: extended attributes; s3: object
 * metadata of a single PutObject). */
struct backend_writer {
    struct backend *b;
    char md5[33];    /* "" unknown */
    char sha256[65]; /* "" unknown */
};
struct backend_lister {
    struct backend *b;
};

struct backend_write_opts {
    const char *content_type; /* may be NULL */
    bool no_overwrite;        /* commit fails with ST_EEXIST if the key exists */
    int64_t size_hint;        /* expected bytes, 0 if unknown (object stores size parts by it) */
    /* A resumable caller's part size: an object store makes its own parts a
     * multiple of it, so that what it has stored durably always ends on one
     * of the caller's parts (see write_state). 0: no constraint. */
    size_t part_align;
    /* Stored with the object (fs: xattr user.stage.creator; s3:
     * x-amz-meta-creator). NULL or "": none. */
    const char *creator;
    /* The SHA-256 the content will have, when known before the first byte
     * (a client's claim, checked before the commit): an object store that
     * must name its metadata when a multipart upload starts stores it.
     * NULL or "": unknown. */
    const char *sha256;
};

typedef void(backend_done_fn)(int rc, const char *msg, void *ud);
typedef void(backend_open_fn)(int rc, const char *msg, struct backend_writer *w, void *ud);
typedef void(backend_read_fn)(int rc, const char *msg, size_t nread, void *ud);
typedef void(backend_stat_fn)(int rc, const char *msg, const struct backend_entry *e, void *ud);
/* A page of `n` entries (n may be 0); `last`: no more pages follow. `e`
 * stays valid until the next list_next or list_close (see Listers above). */
typedef void(backend_page_fn)(int rc, const char *msg, const struct backend_entry *e, size_t n,
                              bool last, void *ud);
/* `errs[i]` is 0 or the st_err of keys[i] (ST_ENOTFOUND: it did not exist);
 * `rc` is 0 unless the whole batch failed (then `errs` is NULL). */
typedef void(backend_delete_fn)(int rc, const char *msg, const int *errs, size_t n, void *ud);

struct backend_ops {
    const char *name; /* "fs", "s3", ... */
    int (*write_open)(struct backend *b, const char *key, const struct backend_write_opts *o,
                      backend_open_fn *cb, void *ud);
    int (*write_part)(struct backend_writer *w, long part_no, const void *data, size_t len,
                      backend_done_fn *cb, void *ud);
    int (*write_commit)(struct backend_writer *w, backend_done_fn *cb, void *ud);
    /* `cb` may be NULL here (fire and forget, e.g. at shutdown). */
    int (*write_abort)(struct backend_writer *w, backend_done_fn *cb, void *ud);
    /* Read up to `len` bytes at `offset` into `buf`; fewer only at the end of
     * the object. ST_ENOTFOUND if the key does not exist. */
    int (*read)(struct backend *b, const char *key, int64_t offset, size_t len, void *buf,
                backend_read_fn *cb, void *ud);
    int (*stat)(struct backend *b, const char *key, backend_stat_fn *cb, void *ud);
    /* Keys starting with `prefix` (a plain string prefix: "a/2023" matches
     * "a/2023/x" and "a/2023.csv") and greater than `start_after` (NULL or ""
     * for none), `page_limit` (1..BACKEND_PAGE_MAX) per page. */
    int (*list_open)(struct backend *b, const char *prefix, const char *start_after,
                     size_t page_limit, struct backend_lister **out);
    int (*list_next)(struct backend_lister *l, backend_page_fn *cb, void *ud);
    void (*list_close)(struct backend_lister *l);
    /* Delete `n` keys (at most 1000). `keep_prefix` (may be NULL): a backend
     * with real directories removes the emptied parents of a deleted key but
     * never `keep_prefix` or anything above it. `keys` stay valid until `cb`. */
    int (*delete_batch)(struct backend *b, const char *const *keys, size_t n,
                        const char *keep_prefix, backend_delete_fn *cb, void *ud);
    void (*destroy)(struct backend *b);
    /* True while something the caller may have let go of still runs on the
     * backend: a writer after write_detach or a write_abort without a
     * callback, a request between its retries. NULL: never (every call of
     * the backend has ended when its callback ran). */
    bool (*busy)(const struct backend *b);
    /* Resumable writers (docs/jobs.md); all three NULL if the backend cannot
     * resume. write_state: the state a later write_resume needs, as a
     * printable string (fs: the temp file; s3: part size, upload id and the
     * ETags of the stored parts), and in `*durable` how many leading bytes
     * that state can bring back: fs, everything written; s3, the parts S3
     * confirmed, which lag the data already handed to write_part while
     * parts are in flight, so the caller must keep its copy of the bytes
     * after `*durable`. No I/O; valid after write_open's callback and after
     * each write_part callback. write_resume: a new writer for `key` from
     * `state` that keeps parts 0..next_part-1 (`offset` bytes, at most the
     * state's `*durable`), drops anything after them, and takes
     * write_part(next_part) next; the open callback as write_open's.
     * write_detach: free the handle but keep what was written (another
     * process may resume it); no callback, consumes the writer. */
    int (*write_state)(struct backend_writer *w, char *buf, size_t n, int64_t *durable);
    int (*write_resume)(struct backend *b, const char *key, const struct backend_write_opts *o,
                        const char *state, long next_part, int64_t offset, backend_open_fn *cb,
                        void *ud);
    void (*write_detach)(struct backend_writer *w);
    /* True when no request of the writer is in flight, so that write_state
     * stays as it is until the next write_part: a caller that detaches the
     * writer for good (a paused upload) waits for it before it records the
     * state, or the state could lack what a request in flight still brings
     * (an S3 upload id, the ETags of the parts being sent), and nobody
     * could resume or abort that part of the write. NULL: always (every
     * request ends before its callback runs). No I/O. */
    bool (*write_idle)(const struct backend_writer *w);
    /* Server-side copy of `src` (`size` bytes, as listed) to `dst` inside
     * this backend: the bytes never leave the store. Atomic like a commit;
     * `o->no_overwrite`: ST_EEXIST if `dst` exists. NULL if the backend
     * cannot (callers stream through a reader and a writer instead). */
    int (*copy)(struct backend *b, const char *src, const char *dst, int64_t size,
                const struct backend_write_opts *o, backend_done_fn *cb, void *ud);
    /* As copy, with `src` a key of `from`, another backend of the same ops
     * (two stages in one account). ST_EUNIMPL (nothing started) when the
     * store cannot reach one from the other. NULL: never. */
    int (*copy_from)(struct backend *b, struct backend *from, const char *src, const char *dst,
                     int64_t size, const struct backend_write_opts *o, backend_done_fn *cb,
                     void *ud);
};

struct backend {
    const struct backend_ops *ops;
    struct event_base *base; /* callbacks run on this loop */
    void *priv;              /* the backend's own state */
};

#define BACKEND_DELETE_MAX 1000

/* 0 if `key` is acceptable, else ST_EINVAL. `prefix`: "" and a trailing '/'
 * are allowed (list prefixes). Pure. */
int backend_key_check(const char *key, bool prefix);

/* Thin wrappers over b->ops, with the key checks. Same contract as the ops. */
int backend_write_open(struct backend *b, const char *key, const struct backend_write_opts *o,
                       backend_open_fn *cb, void *ud);
int backend_write_part(struct backend_writer *w, long part_no, const void *data, size_t len,
                       backend_done_fn *cb, void *ud);
int backend_write_commit(struct backend_writer *w, backend_done_fn *cb, void *ud);
int backend_write_abort(struct backend_writer *w, backend_done_fn *cb, void *ud);
int backend_read(struct backend *b, const char *key, int64_t offset, size_t len, void *buf,
                 backend_read_fn *cb, void *ud);
int backend_stat(struct backend *b, const char *key, backend_stat_fn *cb, void *ud);
int backend_list_open(struct backend *b, const char *prefix, const char *start_after,
                      size_t page_limit, struct backend_lister **out);
int backend_list_next(struct backend_lister *l, backend_page_fn *cb, void *ud);
/* NULL-safe; returns NULL. */
struct backend_lister *backend_list_close(struct backend_lister *l);
int backend_delete_batch(struct backend *b, const char *const *keys, size_t n,
                         const char *keep_prefix, backend_delete_fn *cb, void *ud);

/* Resumable writers (see the ops). write_state: 0, ST_ELIMIT if `n` is too
 * small, ST_EUNIMPL if the backend cannot resume; `durable` may be NULL. write_resume: as
 * write_open, ST_EUNIMPL if it cannot resume. write_detach: NULL-safe; a
 * backend that cannot resume aborts the writer instead. */
#define BACKEND_STATE_MAX (768 * 1024) /* room for a writer's state (10,000 S3 ETags) */
int backend_write_state(struct backend_writer *w, char *buf, size_t n, int64_t *durable);
int backend_write_resume(struct backend *b, const char *key, const struct backend_write_opts *o,
                         const char *state, long next_part, int64_t offset, backend_open_fn *cb,
                         void *ud);
void backend_write_detach(struct backend_writer *w);
/* See the op; NULL-safe (true). */
bool backend_write_idle(const struct backend_writer *w);

/* The digests of everything written to `w` (hex; NULL or "" unknown),
 * before backend_write_commit(). Values that are not hex digests of the
 * right length are dropped. No I/O. */
void backend_write_digests(struct backend_writer *w, const char *md5, const char *sha256);

/* Server-side copy (see the op): as the op, ST_EUNIMPL (nothing started)
 * if the backend cannot copy by itself. */
int backend_copy(struct backend *b, const char *src, const char *dst, int64_t size,
                 const struct backend_write_opts *o, backend_done_fn *cb, void *ud);

/* Server-side copy of `src` in `from` to `dst` in `b`: backend_copy()
 * when they are one backend, else the copy_from op; ST_EUNIMPL (nothing
 * started) when the store cannot. */
int backend_copy_from(struct backend *b, struct backend *from, const char *src, const char *dst,
                      int64_t size, const struct backend_write_opts *o, backend_done_fn *cb,
                      void *ud);

/* Destroy a backend with no writer, lister or operation outstanding.
 * NULL-safe; returns NULL. */
struct backend *backend_free(struct backend *b);

/* False when backend_free() may run now: no writer or request of its own
 * left (see the op). NULL-safe (false). */
bool backend_busy(const struct backend *b);

#endif
