/* fuzz_azxml.c - Azure Blob reply bodies (storage/azblob/azxml.c): the list
 * and error parsers over the same bytes, as a hostile or broken endpoint
 * could send them (an azblob stage names any endpoint). Properties: what
 * is filled is NUL-terminated within its buffer, sizes are never negative,
 * a next marker is never empty (else the lister would loop), metadata is
 * printable ASCII without blanks. */
#include "fuzz.h"

#include "azxml.h"
#include "err.h"
#include "s3xml.h"

#include <stdbool.h>

#define TERMINATED(a) FUZZ_CHECK(memchr((a), '\0', sizeof(a)))

static void check_printable(const char *s)
{
    for (; *s; s++)
        FUZZ_CHECK(*s > 0x20 && *s < 0x7f);
}

static void check_list(const char *body, size_t len)
{
    struct azxml_list l;
    if (azxml_parse_list(body, len, &l))
        return;
    FUZZ_CHECK(l.n == 0 || l.blob);
    for (size_t i = 0; i < l.n; i++) {
        const struct azxml_blob *b = &l.blob[i];
        FUZZ_CHECK(b->name);
        FUZZ_CHECK(b->size >= 0 && b->mtime_ms >= 0);
        TERMINATED(b->etag);
        TERMINATED(b->md5);
        FUZZ_CHECK(b->md5[0] == '\0' || strlen(b->md5) == 32);
        TERMINATED(b->meta_md5);
        TERMINATED(b->meta_sha256);
        TERMINATED(b->meta_creator);
        check_printable(b->meta_md5);
        check_printable(b->meta_sha256);
        check_printable(b->meta_creator);
    }
    FUZZ_CHECK(!l.next_marker || *l.next_marker);
    azxml_list_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    if (!init) {
        s3xml_init();
        init = true;
    }
    const char *body = (const char *)data;
    struct azxml_error e;
    memset(&e, 0x55, sizeof(e)); /* unfilled bytes must not pass for a terminator */
    if (azxml_parse_error(body, size, &e) == 0) {
        TERMINATED(e.code);
        TERMINATED(e.message);
    }
    check_list(body, size);
    return 0;
}
