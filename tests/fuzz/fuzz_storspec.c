/* fuzz_storspec.c - stage URLs and connection options (common/storspec.c),
 * their sealed form (common/secret.c) and the S3 endpoint derived from
 * them (storage/s3/s3url.c). URLs and options come from CreateStage and
 * AlterStage callers; sealed blobs from Redis, where a reader could have
 * written them.
 *
 * Input: '\n'-separated strings: a URL, then "key=value" options; the
 * whole input is also tried as a sealed blob and as plain-JSON options.
 * Properties: an accepted spec's root climbs nowhere ('..', '.', empty
 * segments), nothing accepted holds a control byte, and seal -> unseal
 * gives back the same spec. */
#include "fuzz.h"

#include "err.h"
#include "s3url.h"
#include "secret.h"
#include "storspec.h"

#include <stdbool.h>

static struct secret_key key = {.k = "storspec-fuzz-key-storspec-fuzz", .set = true};

static bool no_ctl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

static bool root_safe(const char *root, bool absolute)
{
    if (absolute) {
        if (root[0] != '/')
            return false;
        root++;
    }
    for (const char *p = root; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        p += n;
        if (*p == '/')
            p++;
    }
    return true;
}

static void check_spec(const struct storspec *s)
{
    FUZZ_CHECK(s->type != STORSPEC_NONE);
    FUZZ_CHECK(memchr(s->url, '\0', sizeof(s->url)) && memchr(s->root, '\0', sizeof(s->root)));
    FUZZ_CHECK(no_ctl(s->url) && no_ctl(s->bucket) && no_ctl(s->root) && no_ctl(s->endpoint_url));
    FUZZ_CHECK(root_safe(s->root, s->type == STORSPEC_FS));
    FUZZ_CHECK(!s->root[0] || s->root[strlen(s->root) - 1] == '/');
    if (s->type == STORSPEC_S3) {
        struct s3url u;
        char err[256];
        if (s3url_parse(s, &u, err, sizeof(err)) == 0)
            FUZZ_CHECK(no_ctl(u.host) && no_ctl(u.scheme_host) && no_ctl(u.bucket_path));
    }
}

static void check_roundtrip(const struct storspec *s)
{
    char *sealed = NULL, err[512];
    struct storspec *back = calloc(1, sizeof(*back));
    FUZZ_CHECK(back);
    FUZZ_CHECK(storspec_seal(s, &key, &sealed) == 0);
    FUZZ_CHECK(storspec_unseal(s->url, sealed, &key, back, err, sizeof(err)) == 0);
    FUZZ_CHECK(memcmp(back, s, sizeof(*s)) == 0);
    char *json = storspec_params_json(s);
    FUZZ_CHECK(json);
    free(json);
    free(sealed);
    storspec_wipe(back);
    free(back);
}

static void check_parse(struct fuzz_split *f)
{
    struct storspec_opt opts[7];
    size_t n = 0;
    for (size_t i = 1; i < f->n; i++) {
        char *eq = strchr(f->s[i], '=');
        if (!eq)
            continue;
        *eq = '\0';
        opts[n].key = f->s[i];
        opts[n++].value = eq + 1;
    }
    struct storspec *s = calloc(1, sizeof(*s));
    char err[512];
    FUZZ_CHECK(s);
    int rc = storspec_parse(f->s[0], opts, n, true, s, err, sizeof(err));
    FUZZ_CHECK(rc == 0 || rc == ST_EINVAL);
    if (rc == 0) {
        check_spec(s);
        check_roundtrip(s);
    } else {
        FUZZ_CHECK(memchr(err, '\0', sizeof(err)));
    }
    storspec_wipe(s);
    free(s);
}

/* A blob as Redis could hold it, against a fixed URL. */
static void check_unseal(const char *blob)
{
    static const char *const urls[] = {"s3://bkt/p/", "gcs://b/", "azblob://c/d/", "fs:///srv/x/"};
    struct storspec *s = calloc(1, sizeof(*s));
    char err[512];
    FUZZ_CHECK(s);
    for (size_t i = 0; i < 4; i++) {
        int rc = storspec_unseal(urls[i], blob, &key, s, err, sizeof(err));
        FUZZ_CHECK(rc == 0 || rc == ST_EINVAL || rc == ST_EPERM);
        if (rc == 0)
            check_spec(s);
        storspec_wipe(s);
    }
    free(s);

    unsigned char *pt = NULL;
    size_t n = 0;
    int rc = secret_open(&key, blob, "storage:s3://bkt/p/", &pt, &n);
    FUZZ_CHECK(rc == 0 || rc == ST_EINVAL || rc == ST_EPERM);
    FUZZ_CHECK(rc == 0 || !pt);
    free(pt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_split f;
    fuzz_split(&f, data, size, 8);
    check_parse(&f);
    fuzz_split_free(&f);

    char *blob = malloc(size + 1);
    FUZZ_CHECK(blob);
    memcpy(blob, data, size);
    blob[size] = '\0';
    check_unseal(blob);
    free(blob);
    return 0;
}
