/* fuzz_s3xml.c - S3 reply bodies (storage/s3/s3xml.c): every parser over the
 * same bytes, as a hostile or broken endpoint could send them. The S3
 * backend talks to any endpoint an external stage names, so these bodies
 * are outside bytes. Properties: what is filled is NUL-terminated within
 * its buffer, a list never claims more objects than it holds, and a
 * truncated list always carries a token (else the worker would loop). */
#include "fuzz.h"

#include "err.h"
#include "s3xml.h"

#include <stdbool.h>

static void check_list(const char *body, size_t len)
{
    struct s3xml_list l;
    int rc = s3xml_parse_list(body, len, &l);
    if (rc)
        return;
    FUZZ_CHECK(l.n == 0 || l.obj);
    for (size_t i = 0; i < l.n; i++) {
        FUZZ_CHECK(l.obj[i].key);
        FUZZ_CHECK(memchr(l.obj[i].etag, '\0', sizeof(l.obj[i].etag)));
        FUZZ_CHECK(l.obj[i].size >= 0);
    }
    FUZZ_CHECK(!l.truncated || (l.next_token && *l.next_token));
    s3xml_list_free(&l);
}

static void check_delete(const char *body, size_t len)
{
    const char *const keys[] = {"a", "b/c.csv", "", "a"};
    int errs[4] = {0, 0, 0, 0};
    char msg[128];
    msg[0] = '\0';
    int rc = s3xml_parse_delete(body, len, keys, 4, errs, msg, sizeof(msg));
    FUZZ_CHECK(rc == 0 || rc == ST_EIO);
    FUZZ_CHECK(memchr(msg, '\0', sizeof(msg)));
    for (int i = 0; i < 4; i++)
        FUZZ_CHECK(errs[i] == 0 || errs[i] == ST_EPERM || errs[i] == ST_ENOTFOUND ||
                   errs[i] == ST_EIO);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    if (!init) {
        s3xml_init();
        init = true;
    }
    const char *body = (const char *)data;
    struct s3xml_error e;
    memset(&e, 0x55, sizeof(e)); /* unfilled bytes must not pass for a terminator */
    if (s3xml_parse_error(body, size, &e) == 0) {
        FUZZ_CHECK(memchr(e.code, '\0', sizeof(e.code)));
        FUZZ_CHECK(memchr(e.message, '\0', sizeof(e.message)));
    }
    check_list(body, size);

    char id[64];
    if (s3xml_parse_initiate(body, size, id, sizeof(id)) == 0)
        FUZZ_CHECK(memchr(id, '\0', sizeof(id)) && id[0]);

    char etag[72];
    memset(&e, 0x55, sizeof(e));
    int rc = s3xml_parse_result(body, size, "CopyObjectResult", &e, etag, sizeof(etag));
    FUZZ_CHECK(rc == 0 || rc == ST_EPRECOND || rc == ST_EIO || rc == ST_ENOMEM);
    if (rc == 0)
        FUZZ_CHECK(memchr(etag, '\0', sizeof(etag)));
    if (rc == ST_EPRECOND)
        FUZZ_CHECK(memchr(e.code, '\0', sizeof(e.code)) &&
                   memchr(e.message, '\0', sizeof(e.message)));
    rc = s3xml_parse_complete(body, size, &e);
    FUZZ_CHECK(rc == 0 || rc == ST_EPRECOND || rc == ST_EIO || rc == ST_ENOMEM);
    check_delete(body, size);

    /* LastModified values come from the same replies. */
    char iso[40];
    size_t n = size < sizeof(iso) - 1 ? size : sizeof(iso) - 1;
    memcpy(iso, data, n);
    iso[n] = '\0';
    (void)s3xml_time_ms(iso);
    return 0;
}
