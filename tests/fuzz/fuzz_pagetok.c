/* fuzz_pagetok.c - page tokens (frontend/pagetok.c), which come back from
 * the client in GetJobResults and ListJobs. Properties: an accepted offset
 * is within 0..PAGETOK_OFFSET_MAX and is the token's one spelling (so
 * `offset + page` cannot overflow and no two tokens mean one page); an
 * accepted ListJobs token gives a lowercase hex id of the asked length and
 * a score of 1-19 digits, which together spell the token again. */
#include "fuzz.h"

#include "err.h"
#include "pagetok.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *tok = malloc(size + 1);
    FUZZ_CHECK(tok);
    memcpy(tok, data, size);
    tok[size] = '\0';

    long long off = -1;
    int rc = pagetok_offset_parse(tok, &off);
    FUZZ_CHECK(rc == 0 || rc == ST_EINVAL);
    if (rc == 0) {
        char back[32];
        FUZZ_CHECK(off >= 0 && off <= PAGETOK_OFFSET_MAX);
        snprintf(back, sizeof(back), "%lld", off);
        FUZZ_CHECK(!*tok ? off == 0 : strcmp(back, tok) == 0);
    } else {
        FUZZ_CHECK(off == 0);
    }

    char id[33], score[20], back[64];
    if (pagetok_jobs_parse(tok, 32, id, score) == 0) {
        FUZZ_CHECK(strlen(id) == 32 && strspn(id, "0123456789abcdef") == 32);
        size_t n = strlen(score);
        FUZZ_CHECK(n >= 1 && n <= 19 && strspn(score, "0123456789") == n);
        snprintf(back, sizeof(back), "%s.%s", id, score);
        FUZZ_CHECK(strcmp(back, tok) == 0);
    }
    free(tok);
    return 0;
}
