/* backend_fs_impl.h - private to backend_fs.c, backend_fs_write.c and
 * backend_fs_list.c. */
#ifndef STAGE_BACKEND_FS_IMPL_H
#define STAGE_BACKEND_FS_IMPL_H

#include "backend.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stat;

#define TMP_DIR ".tmp" /* temp files of writers, beneath the root, never listed */

struct fs {
    struct backend b;
    char *root; /* for messages: the root's path, without a trailing '/' */
    int rootfd; /* the root; every path is opened beneath it (fsopen.h) */
    unsigned long seq;
};

enum fs_call_type {
    FS_CALL_DONE,
    FS_CALL_OPEN,
    FS_CALL_READ,
    FS_CALL_STAT,
    FS_CALL_PAGE,
    FS_CALL_DELETE
};

/* A finished operation waiting for its deferred callback. */
struct fs_call {
    enum fs_call_type type;
    union {
        backend_done_fn *done;
        backend_open_fn *open;
        backend_read_fn *read;
        backend_stat_fn *stat;
        backend_page_fn *page;
        backend_delete_fn *del;
    } cb;
    void *ud;
    int rc;
    char msg[BACKEND_MSG_MAX];
    struct backend_writer *w;            /* OPEN */
    size_t n;                            /* READ bytes, PAGE/DELETE count */
    struct backend_entry e;              /* STAT */
    char *key;                           /* STAT: owned copy of e.key */
    const struct backend_entry *entries; /* PAGE: owned by the lister */
    bool last;                           /* PAGE */
    int *errs;                           /* DELETE: owned */
};

struct fs_call *fs_call_new(enum fs_call_type type, void *ud);
/* Schedule the callback; on failure frees `c` and returns ST_ENOMEM. */
int fs_call_defer(struct fs *fs, struct fs_call *c);
/* Record a failure in `c`; returns `rc`. */
int fs_call_fail(struct fs_call *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int fs_errno_rc(int e);
void fs_fill_entry(struct backend_entry *e, const struct stat *st);

static inline struct fs *fs_of(struct backend *b)
{
    return b->priv;
}

/* 0 if `key` is acceptable (backend_key_check()), else ST_EINVAL. */
int fs_key_check(const char *key, bool prefix);

/* <root>/.tmp, opened beneath the root; `create`: made again if someone
 * removed it. An fd or -1 with errno. */
int fs_tmp_dir(const struct fs *fs, bool create);

/* The writer ops (backend_fs_write.c). */
int fs_write_open(struct backend *b, const char *key, const struct backend_write_opts *o,
                  backend_open_fn *cb, void *ud);
int fs_write_part(struct backend_writer *bw, long part_no, const void *data, size_t len,
                  backend_done_fn *cb, void *ud);
int fs_write_commit(struct backend_writer *bw, backend_done_fn *cb, void *ud);
int fs_write_abort(struct backend_writer *bw, backend_done_fn *cb, void *ud);
int fs_write_state(struct backend_writer *bw, char *buf, size_t n, int64_t *durable);
int fs_write_resume(struct backend *b, const char *key, const struct backend_write_opts *o,
                    const char *state, long next_part, int64_t offset, backend_open_fn *cb,
                    void *ud);
void fs_write_detach(struct backend_writer *bw);

int fs_list_open(struct backend *b, const char *prefix, const char *start_after, size_t page_limit,
                 struct backend_lister **out);
int fs_list_next(struct backend_lister *l, backend_page_fn *cb, void *ud);
void fs_list_close(struct backend_lister *l);

#endif
