/* fuzz_azbatch.c - Blob Batch answers (storage/azblob/azbatch.c) as a hostile
 * or broken endpoint could send them (an azblob stage names any endpoint).
 * Properties: every key gets a result that is 0 or an st_err, the message is
 * NUL-terminated and printable, nothing is read or written out of bounds
 * (ASan), and a failed parse leaves every key ST_EIO. */
#include "fuzz.h"

#include "azbatch.h"
#include "err.h"

#define NKEYS 300

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the copy without a terminator: the parser must keep within `size` */
    char *body = malloc(size ? size : 1);
    int errs[NKEYS];
    char msg[96];
    if (!body)
        return 0;
    memcpy(body, data, size);
    memset(msg, 0x55, sizeof(msg));
    size_t n = size ? (size_t)data[0] % NKEYS + 1 : 1;
    int rc = azbatch_parse(body, size, errs, n, msg, sizeof(msg));
    FUZZ_CHECK(rc == 0 || rc == ST_EIO);
    FUZZ_CHECK(memchr(msg, '\0', sizeof(msg)));
    for (const char *p = msg; *p; p++)
        FUZZ_CHECK(*p >= 0x20 && *p < 0x7f);
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(errs[i] <= 0 && errs[i] >= ST_ERR_MIN);
        FUZZ_CHECK(rc == 0 || errs[i] == ST_EIO);
    }
    free(body);
    return 0;
}
