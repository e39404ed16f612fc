/* fuzz_gcsjson.c - bytes a GCS endpoint or a stage's owner controls
 * (storage/gcs): JSON API replies (object, list page, rewrite, error), the
 * token endpoint's reply, a 308's Range header, and a `credential` as
 * base64 or JSON. Properties: what is filled is NUL-terminated within its
 * buffer, sizes are never negative, a next page token is never empty (else
 * the lister would loop), an unfinished rewrite has a token, an access token
 * is printable (it goes into a header), a committed size is -1 or >= 0. */
#include "fuzz.h"

#include "err.h"
#include "gcscred.h"
#include "gcsjson.h"
#include "gcsjwt.h"

#include <stdbool.h>

#define TERMINATED(a) FUZZ_CHECK(memchr((a), '\0', sizeof(a)))

static void check_entry(const struct gcsjson_object *o)
{
    FUZZ_CHECK(o->name && o->e.key == o->name);
    FUZZ_CHECK(o->e.size >= 0);
    TERMINATED(o->e.etag);
    TERMINATED(o->e.md5);
    TERMINATED(o->e.sha256);
    TERMINATED(o->e.creator);
    FUZZ_CHECK(o->e.md5[0] == '\0' || strlen(o->e.md5) == 32);
    FUZZ_CHECK(o->e.sha256[0] == '\0' || strlen(o->e.sha256) == 64);
    for (const char *p = o->e.creator; *p; p++)
        FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
}

static void replies(const char *b, size_t n)
{
    char err[256], msg[200];
    struct gcsjson_object o;
    if (gcsjson_object_parse(b, n, &o, err, sizeof(err)) == 0) {
        check_entry(&o);
        gcsjson_object_clear(&o);
    }
    struct gcsjson_list l;
    if (gcsjson_list_parse(b, n, &l, err, sizeof(err)) == 0) {
        FUZZ_CHECK(l.n == 0 || l.items);
        for (size_t i = 0; i < l.n; i++)
            check_entry(&l.items[i]);
        FUZZ_CHECK(!l.next_token || *l.next_token);
        gcsjson_list_clear(&l);
    }
    struct gcsjson_rewrite r;
    if (gcsjson_rewrite_parse(b, n, &r, err, sizeof(err)) == 0) {
        FUZZ_CHECK(r.done || (r.token && *r.token));
        gcsjson_rewrite_clear(&r);
    }
    gcsjson_error_message(b, n, msg, sizeof(msg));
    TERMINATED(msg);
    for (const char *p = msg; *p; p++)
        FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
    char *tok = NULL;
    long exp = 0;
    if (gcsjwt_token_parse(b, n, &tok, &exp, err, sizeof(err)) == 0) {
        for (const char *p = tok; *p; p++)
            FUZZ_CHECK(*p > 0x20 && *p < 0x7f);
        FUZZ_CHECK(exp > 0);
        free(tok);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *b = (const char *)data;
    replies(b, size);
    char *s = malloc(size + 1); /* the string forms: Range header, credential */
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (strlen(s) == size) {
        FUZZ_CHECK(gcsjson_range_committed(s) >= -1);
        struct gcscred *c = NULL;
        char err[256];
        if (gcscred_parse(s, false, &c, err, sizeof(err)) == 0)
            FUZZ_CHECK(c->client_email && c->token_uri && c->key);
        gcscred_free(c);
    }
    free(s);
    return 0;
}
