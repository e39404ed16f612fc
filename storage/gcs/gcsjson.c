/* gcsjson.c - JSON API replies and chunk arithmetic (see gcsjson.h). */
#include "gcsjson.h"

#include "err.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *str(json_t *o, const char *name)
{
    json_t *v = json_object_get(o, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Copy `s` into `dst` if it fits and has no control character. */
static void copy_field(char *dst, size_t n, const char *s)
{
    dst[0] = '\0';
    if (!s || strlen(s) >= n)
        return;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return;
    memcpy(dst, s, strlen(s) + 1);
}

static bool is_hex(const char *s, size_t len)
{
    if (!s || strlen(s) != len)
        return false;
    return strspn(s, "0123456789abcdef") == len;
}

/* "2026-12-05T01:02:03.456Z" -> Unix ms; 0 if unparsable. */
static int64_t rfc3339_ms(const char *s)
{
    struct tm tm = {0};
    int ms = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return 0;
    const char *dot = strchr(s, '.');
    if (dot && sscanf(dot, ".%3d", &ms) != 1)
        ms = 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

void gcsjson_md5_hex(const char *b64, char hex[33])
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char hx[] = "0123456789abcdef";
    unsigned char md[18];
    hex[0] = '\0';
    if (!b64 || strlen(b64) != 24 || strcmp(b64 + 22, "==") != 0)
        return;
    unsigned acc = 0, bits = 0;
    size_t k = 0;
    for (int i = 0; i < 22; i++) {
        const char *q = b64[i] ? strchr(abc, b64[i]) : NULL;
        if (!q)
            return;
        acc = (acc << 6) | (unsigned)(q - abc);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            md[k++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    for (size_t i = 0; i < 16; i++) {
        hex[2 * i] = hx[md[i] >> 4];
        hex[2 * i + 1] = hx[md[i] & 15];
    }
    hex[32] = '\0';
}

static int object_from(json_t *o, struct gcsjson_object *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    const char *name = str(o, "name"), *size = str(o, "size");
    char *end = NULL;
    long long sz = size ? strtoll(size, &end, 10) : -1;
    if (!name || !*name || strlen(name) > 4096)
        return st_fail(ST_EINVAL, err, errlen, "GCS reply: an object without a usable name");
    if (!size || !*size || *end || sz < 0)
        return st_fail(ST_EINVAL, err, errlen, "GCS reply: an object without a usable size");
    if (!(out->name = strdup(name)))
        return ST_ENOMEM;
    out->e.key = out->name;
    out->e.size = sz;
    out->e.mtime_ms = rfc3339_ms(str(o, "updated"));
    copy_field(out->e.etag, sizeof(out->e.etag), str(o, "etag"));
    gcsjson_md5_hex(str(o, "md5Hash"), out->e.md5);
    json_t *meta = json_object_get(o, "metadata");
    const char *sha = str(meta, "sha256");
    if (is_hex(sha, 64))
        memcpy(out->e.sha256, sha, 65);
    copy_field(out->e.creator, sizeof(out->e.creator), str(meta, "creator"));
    return 0;
}

void gcsjson_object_clear(struct gcsjson_object *o)
{
    if (o) {
        free(o->name);
        memset(o, 0, sizeof(*o));
    }
}

static json_t *load(const char *body, size_t len, char *err, size_t errlen)
{
    json_t *o = body ? json_loadb(body, len, 0, NULL) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        st_fail(ST_EINVAL, err, errlen, "GCS reply: not a JSON object");
        return NULL;
    }
    return o;
}

int gcsjson_object_parse(const char *body, size_t len, struct gcsjson_object *o, char *err,
                         size_t errlen)
{
    memset(o, 0, sizeof(*o));
    json_t *j = load(body, len, err, errlen);
    if (!j)
        return ST_EINVAL;
    int rc = object_from(j, o, err, errlen);
    json_decref(j);
    return rc;
}

void gcsjson_list_clear(struct gcsjson_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        gcsjson_object_clear(&l->items[i]);
    free(l->items);
    free(l->next_token);
    memset(l, 0, sizeof(*l));
}

int gcsjson_list_parse(const char *body, size_t len, struct gcsjson_list *l, char *err,
                       size_t errlen)
{
    memset(l, 0, sizeof(*l));
    json_t *j = load(body, len, err, errlen);
    if (!j)
        return ST_EINVAL;
    json_t *items = json_object_get(j, "items");
    const char *tok = str(j, "nextPageToken");
    size_t n = json_array_size(items);
    int rc = 0;
    if (items && !json_is_array(items))
        rc = st_fail(ST_EINVAL, err, errlen, "GCS reply: items is not an array");
    else if (n > BACKEND_PAGE_MAX)
        rc =
            st_fail(ST_EINVAL, err, errlen, "GCS reply: over %d items in a page", BACKEND_PAGE_MAX);
    if (!rc && n && !(l->items = calloc(n, sizeof(*l->items))))
        rc = ST_ENOMEM;
    for (size_t i = 0; !rc && i < n; i++) {
        rc = object_from(json_array_get(items, i), &l->items[i], err, errlen);
        if (!rc)
            l->n++;
    }
    if (!rc && tok && *tok && !(l->next_token = strdup(tok)))
        rc = ST_ENOMEM;
    json_decref(j);
    if (rc)
        gcsjson_list_clear(l);
    return rc;
}

void gcsjson_rewrite_clear(struct gcsjson_rewrite *r)
{
    if (r) {
        free(r->token);
        memset(r, 0, sizeof(*r));
    }
}

int gcsjson_rewrite_parse(const char *body, size_t len, struct gcsjson_rewrite *r, char *err,
                          size_t errlen)
{
    memset(r, 0, sizeof(*r));
    json_t *j = load(body, len, err, errlen);
    if (!j)
        return ST_EINVAL;
    json_t *done = json_object_get(j, "done");
    const char *tok = str(j, "rewriteToken");
    const char *bytes = str(j, "totalBytesRewritten");
    int rc = 0;
    if (!json_is_boolean(done))
        rc = st_fail(ST_EINVAL, err, errlen, "GCS reply: rewrite without 'done'");
    else if (!json_is_true(done) && (!tok || !*tok || strlen(tok) > 4096))
        rc = st_fail(ST_EINVAL, err, errlen, "GCS reply: unfinished rewrite without a token");
    if (!rc) {
        r->done = json_is_true(done);
        r->rewritten = bytes ? strtoll(bytes, NULL, 10) : 0;
        if (!r->done && !(r->token = strdup(tok)))
            rc = ST_ENOMEM;
    }
    json_decref(j);
    return rc;
}

void gcsjson_error_message(const char *body, size_t len, char *msg, size_t n)
{
    if (!n)
        return;
    msg[0] = '\0';
    json_t *j = body ? json_loadb(body, len, 0, NULL) : NULL;
    const char *m = str(json_object_get(j, "error"), "message");
    if (m) {
        snprintf(msg, n, "%s", m);
        for (char *p = msg; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = ' ';
    }
    json_decref(j);
}

static size_t gcd(size_t a, size_t b)
{
    while (b) {
        size_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

size_t gcsjson_chunk_size(size_t part_size, size_t align, size_t max)
{
    size_t unit = GCS_CHUNK_UNIT;
    if (align) {
        size_t g = gcd(align, GCS_CHUNK_UNIT);
        if (align / g > max / unit)
            return 0;
        unit = align / g * GCS_CHUNK_UNIT; /* lcm(align, 256 KiB) */
    }
    size_t want = part_size ? part_size : GCS_CHUNK_DEFAULT;
    if (want > max)
        return 0;
    size_t k = (want + unit - 1) / unit;
    if (k > max / unit)
        return 0;
    return k * unit;
}

int64_t gcsjson_range_committed(const char *range)
{
    if (!range || !*range)
        return 0;
    if (strncmp(range, "bytes=0-", 8) != 0 || range[8] < '0' || range[8] > '9')
        return -1;
    /* strtoll, not sscanf: a number past the range is ERANGE here, undefined in
     * sscanf; and the last byte + 1 must still be an int64_t (fuzz_gcsjson) */
    char *end = NULL;
    errno = 0;
    long long last = strtoll(range + 8, &end, 10);
    if (errno != 0 || *end != '\0' || last < 0 || last >= INT64_MAX)
        return -1;
    return (int64_t)last + 1;
}
