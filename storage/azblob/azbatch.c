/* azbatch.c - Blob Batch bodies and answers (azbatch.h). */
#include "azbatch.h"

#include "azsign.h"
#include "err.h"
#include "sbuf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool boundary_ok(const char *b)
{
    size_t n = b ? strlen(b) : 0;
    if (n == 0 || n > AZBATCH_BOUNDARY_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* One sub-request of the body. Its path has no space or control character
 * (azsign refuses control characters; a space would end the request line). */
static int add_sub(struct sbuf *s, const struct azbatch_req *r, size_t i)
{
    const char *path = r->paths[i];
    if (!path || path[0] != '/' || strchr(path, ' '))
        return ST_EINVAL;
    struct azsign_kv h[] = {{"x-ms-date", r->date}, {"Content-Length", "0"}};
    struct azsign_req req = {"DELETE", path, NULL, 0, h, 2};
    char *auth = NULL, id[24];
    int rc = azsign_shared_key(r->account, r->key_b64, &req, &auth);
    if (rc)
        return rc;
    snprintf(id, sizeof(id), "%zu", i);
    sbuf_add(s, "--");
    sbuf_add(s, r->boundary);
    sbuf_add(s, "\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
                "Content-ID: ");
    sbuf_add(s, id);
    sbuf_add(s, "\r\n\r\nDELETE ");
    sbuf_add(s, path);
    sbuf_add(s, " HTTP/1.1\r\nx-ms-date: ");
    sbuf_add(s, r->date);
    sbuf_add(s, "\r\nAuthorization: ");
    sbuf_add(s, auth);
    sbuf_add(s, "\r\nContent-Length: 0\r\n\r\n");
    free(auth);
    return 0;
}

int azbatch_body(const struct azbatch_req *r, char **out, size_t *len)
{
    if (!r || !out || !len || !r->paths || r->n == 0 || r->n > AZBATCH_MAX || !r->date ||
        !boundary_ok(r->boundary))
        return ST_EINVAL;
    struct sbuf s = {0};
    int rc = 0;
    for (size_t i = 0; !rc && i < r->n; i++)
        rc = add_sub(&s, r, i);
    if (rc) {
        free(s.p);
        return rc;
    }
    sbuf_add(&s, "--");
    sbuf_add(&s, r->boundary);
    sbuf_add(&s, "--\r\n");
    *len = s.len;
    rc = sbuf_take(&s, out);
    if (rc)
        *len = 0;
    return rc;
}

int azbatch_status_err(long status)
{
    if (status >= 200 && status < 300)
        return 0;
    if (status == 404)
        return ST_ENOTFOUND;
    if (status == 403)
        return ST_EPERM;
    if (status == 408 || status == 429 || status >= 500)
        return ST_EAGAIN;
    return ST_EPRECOND;
}

/* A cursor over the answer's lines: [p, end) without the line end. */
struct cur {
    const char *s, *end;
};

static bool next_line(struct cur *c, const char **p, size_t *n)
{
    if (c->s >= c->end)
        return false;
    const char *nl = memchr(c->s, '\n', (size_t)(c->end - c->s));
    const char *e = nl ? nl : c->end;
    *p = c->s;
    *n = (size_t)(e - c->s);
    if (*n && (*p)[*n - 1] == '\r')
        (*n)--;
    c->s = nl ? nl + 1 : c->end;
    return true;
}

/* `line` (n bytes) is "<name>:<value>" for `name` (any case): the value
 * with leading blanks, else NULL. */
static const char *header_value(const char *line, size_t n, const char *name, size_t *vlen)
{
    size_t k = strlen(name);
    if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0)
        return NULL;
    const char *v = line + k + 1, *e = line + n;
    while (v < e && (*v == ' ' || *v == '\t'))
        v++;
    *vlen = (size_t)(e - v);
    return v;
}

/* A decimal of at most 9 digits in [p, p+n), else -1. */
static long small_num(const char *p, size_t n)
{
    long v = 0;
    if (n == 0 || n > 9)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* One part, from after its delimiter line to the next delimiter. */
struct part {
    long id, status;
    char code[64];
};

static void read_part(struct cur *c, const char *delim, size_t dlen, struct part *pt)
{
    const char *p, *v;
    size_t n, vl;
    int stage = 0; /* 0 part headers, 1 status line, 2 sub-response headers, 3 body */
    *pt = (struct part){-1, -1, ""};
    const char *save = c->s;
    while (next_line(c, &p, &n)) {
        if (n >= dlen && memcmp(p, delim, dlen) == 0) {
            c->s = save; /* the next part's delimiter: leave it for the caller */
            return;
        }
        save = c->s;
        if (stage == 0 && n == 0)
            stage = 1;
        else if (stage == 0 && (v = header_value(p, n, "Content-ID", &vl)))
            pt->id = small_num(v, vl);
        else if (stage == 1 && n > 9 && memcmp(p, "HTTP/1.", 7) == 0 && p[8] == ' ') {
            pt->status = small_num(p + 9, n >= 12 ? 3 : n - 9);
            stage = 2;
        } else if (stage == 2 && n == 0)
            stage = 3;
        else if (stage == 2 && (v = header_value(p, n, "x-ms-error-code", &vl))) {
            size_t k = vl < sizeof(pt->code) - 1 ? vl : sizeof(pt->code) - 1;
            for (size_t i = 0; i < k; i++) /* printable only: it goes into messages */
                pt->code[i] = v[i] >= 0x20 && v[i] < 0x7f ? v[i] : '?';
            pt->code[k] = '\0';
        }
    }
}

int azbatch_parse(const char *resp, size_t len, int *errs, size_t n, char *msg, size_t msglen)
{
    struct cur c = {resp, resp ? resp + len : resp};
    const char *p = NULL, *delim = NULL;
    size_t ln = 0, dlen = 0;
    bool named_first = false;
    if (msg && msglen)
        msg[0] = '\0';
    for (size_t i = 0; i < n; i++)
        errs[i] = ST_EIO;
    while (resp && next_line(&c, &p, &ln))
        if (ln > 2 && p[0] == '-' && p[1] == '-') {
            delim = p, dlen = ln;
            break;
        }
    if (!delim)
        return ST_EIO;
    struct part pt;
    while (c.s < c.end) {
        read_part(&c, delim, dlen, &pt);
        if (pt.id >= 0 && (size_t)pt.id < n && pt.status >= 100) {
            int e = azbatch_status_err(pt.status);
            errs[pt.id] = e;
            if (e && e != ST_ENOTFOUND && !named_first && msg && msglen) {
                snprintf(msg, msglen, "HTTP %ld%s%s", pt.status, pt.code[0] ? " " : "", pt.code);
                named_first = true;
            }
        }
        /* past the delimiter (or the closing "--<boundary>--") */
        if (!next_line(&c, &p, &ln) || (ln >= dlen + 2 && memcmp(p + dlen, "--", 2) == 0))
            break;
    }
    return 0;
}
