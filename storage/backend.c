/* backend.c - the generic half of the backend interface: key checks and the
 * wrappers that dispatch to a backend's ops (see backend.h). */
#include "backend.h"

#include "digest.h"
#include "err.h"
#include <stdio.h>

#include <string.h>

int backend_key_check(const char *key, bool prefix)
{
    if (!key)
        return ST_EINVAL;
    if (!*key)
        return prefix ? 0 : ST_EINVAL;
    if (key[0] == '/')
        return ST_EINVAL;
    const char *seg = key;
    for (;;) {
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        bool last = !end;
        if (len == 0 && !(last && prefix))
            return ST_EINVAL; /* "a//b", or a trailing '/' on a key */
        if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return ST_EINVAL;
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)seg[i] < 0x20 || seg[i] == 0x7f)
                return ST_EINVAL;
        if (last)
            return 0;
        seg = end + 1;
    }
}

int backend_write_open(struct backend *b, const char *key, const struct backend_write_opts *o,
                       backend_open_fn *cb, void *ud)
{
    if (!b || !cb || backend_key_check(key, false))
        return ST_EINVAL;
    return b->ops->write_open(b, key, o, cb, ud);
}

int backend_write_part(struct backend_writer *w, long part_no, const void *data, size_t len,
                       backend_done_fn *cb, void *ud)
{
    if (!w || !cb || part_no < 0 || (!data && len))
        return ST_EINVAL;
    return w->b->ops->write_part(w, part_no, data, len, cb, ud);
}

int backend_write_commit(struct backend_writer *w, backend_done_fn *cb, void *ud)
{
    if (!w || !cb)
        return ST_EINVAL;
    return w->b->ops->write_commit(w, cb, ud);
}

int backend_write_abort(struct backend_writer *w, backend_done_fn *cb, void *ud)
{
    if (!w)
        return ST_EINVAL;
    return w->b->ops->write_abort(w, cb, ud);
}

int backend_write_state(struct backend_writer *w, char *buf, size_t n, int64_t *durable)
{
    int64_t d = 0;
    if (!w || !buf || n == 0)
        return ST_EINVAL;
    if (!w->b->ops->write_state)
        return ST_EUNIMPL;
    return w->b->ops->write_state(w, buf, n, durable ? durable : &d);
}

int backend_write_resume(struct backend *b, const char *key, const struct backend_write_opts *o,
                         const char *state, long next_part, int64_t offset, backend_open_fn *cb,
                         void *ud)
{
    if (!b || !cb || !state || next_part < 0 || offset < 0 || backend_key_check(key, false))
        return ST_EINVAL;
    if (!b->ops->write_resume)
        return ST_EUNIMPL;
    return b->ops->write_resume(b, key, o, state, next_part, offset, cb, ud);
}

bool backend_write_idle(const struct backend_writer *w)
{
    return !w || !w->b->ops->write_idle || w->b->ops->write_idle(w);
}

void backend_write_detach(struct backend_writer *w)
{
    if (!w)
        return;
    if (w->b->ops->write_detach)
        w->b->ops->write_detach(w);
    else
        w->b->ops->write_abort(w, NULL, NULL);
}

int backend_copy(struct backend *b, const char *src, const char *dst, int64_t size,
                 const struct backend_write_opts *o, backend_done_fn *cb, void *ud)
{
    if (!b || !cb || size < 0 || backend_key_check(src, false) || backend_key_check(dst, false))
        return ST_EINVAL;
    if (!b->ops->copy)
        return ST_EUNIMPL;
    return b->ops->copy(b, src, dst, size, o, cb, ud);
}

int backend_copy_from(struct backend *b, struct backend *from, const char *src, const char *dst,
                      int64_t size, const struct backend_write_opts *o, backend_done_fn *cb,
                      void *ud)
{
    if (b == from)
        return backend_copy(b, src, dst, size, o, cb, ud);
    if (!b || !from || !cb || size < 0)
        return ST_EINVAL;
    if (b->ops != from->ops || !b->ops->copy_from)
        return ST_EUNIMPL; /* streamed as before, whatever the keys */
    if (backend_key_check(src, false) || backend_key_check(dst, false))
        return ST_EINVAL;
    return b->ops->copy_from(b, from, src, dst, size, o, cb, ud);
}

int backend_read(struct backend *b, const char *key, int64_t offset, size_t len, void *buf,
                 backend_read_fn *cb, void *ud)
{
    if (!b || !cb || offset < 0 || (!buf && len) || backend_key_check(key, false))
        return ST_EINVAL;
    return b->ops->read(b, key, offset, len, buf, cb, ud);
}

int backend_stat(struct backend *b, const char *key, backend_stat_fn *cb, void *ud)
{
    if (!b || !cb || backend_key_check(key, false))
        return ST_EINVAL;
    return b->ops->stat(b, key, cb, ud);
}

int backend_list_open(struct backend *b, const char *prefix, const char *start_after,
                      size_t page_limit, struct backend_lister **out)
{
    if (out)
        *out = NULL;
    if (!b || !out || page_limit == 0 || page_limit > BACKEND_PAGE_MAX)
        return ST_EINVAL;
    if (backend_key_check(prefix ? prefix : "", true))
        return ST_EINVAL;
    return b->ops->list_open(b, prefix ? prefix : "", start_after ? start_after : "", page_limit,
                             out);
}

int backend_list_next(struct backend_lister *l, backend_page_fn *cb, void *ud)
{
    if (!l || !cb)
        return ST_EINVAL;
    return l->b->ops->list_next(l, cb, ud);
}

struct backend_lister *backend_list_close(struct backend_lister *l)
{
    if (l)
        l->b->ops->list_close(l);
    return NULL;
}

int backend_delete_batch(struct backend *b, const char *const *keys, size_t n,
                         const char *keep_prefix, backend_delete_fn *cb, void *ud)
{
    if (!b || !cb || !keys || n == 0 || n > BACKEND_DELETE_MAX)
        return ST_EINVAL;
    return b->ops->delete_batch(b, keys, n, keep_prefix, cb, ud);
}

struct backend *backend_free(struct backend *b)
{
    if (b)
        b->ops->destroy(b);
    return NULL;
}

bool backend_busy(const struct backend *b)
{
    return b && b->ops->busy && b->ops->busy(b);
}

void backend_write_digests(struct backend_writer *w, const char *md5, const char *sha256)
{
    w->md5[0] = w->sha256[0] = '\0';
    if (md5 && digest_hex_ok(md5, 32))
        snprintf(w->md5, sizeof(w->md5), "%s", md5);
    if (sha256 && digest_hex_ok(sha256, 64))
        snprintf(w->sha256, sizeof(w->sha256), "%s", sha256);
}
