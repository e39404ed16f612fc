/* fuzz_job.c - the job hash reader (common/job.c job_from_reply()): every
 * worker and frontend decodes st:job:<id> with it, and a job's fields carry
 * client strings (locations, patterns, content types) and numbers.
 *
 * Input: '\n'-separated field names and values (values may hold NUL bytes,
 * as Redis strings can), made into an HGETALL reply; an odd element count
 * and a non-string element are tried too. Property: decoding is total (no
 * overrun whatever the lengths) and re-encoding is stable: the HSET argv of
 * the decoded job decodes to a job with the same argv. */
#include "fuzz.h"

#include "err.h"
#include "job.h"

#include <hiredis/hiredis.h>

#define MAX_ELEMS 128

/* `argv` of `j` as one comparable text: name=value pairs joined by '\n'. */
static char *argv_text(const struct job *j, size_t *len)
{
    const char *argv[JOB_MAX_ARGS];
    size_t lens[JOB_MAX_ARGS], total = 0;
    char scratch[JOB_SCRATCH];
    int n = job_to_argv(j, argv, lens, JOB_MAX_ARGS, scratch);
    FUZZ_CHECK(n >= 0 && n % 2 == 0);
    for (int i = 0; i < n; i++)
        total += lens[i] + 1;
    char *t = malloc(total + 1), *p = t;
    FUZZ_CHECK(t);
    for (int i = 0; i < n; i++) {
        memcpy(p, argv[i], lens[i]);
        p += lens[i];
        *p++ = '\n';
    }
    *len = (size_t)(p - t);
    return t;
}

/* An HGETALL-shaped reply over `argv`. */
static void reply_of(redisReply *r, redisReply *elems, redisReply **ptrs, char **str, size_t *lens,
                     size_t n)
{
    memset(r, 0, sizeof(*r));
    r->type = REDIS_REPLY_ARRAY;
    r->elements = n;
    r->element = ptrs;
    for (size_t i = 0; i < n; i++) {
        memset(&elems[i], 0, sizeof(elems[i]));
        elems[i].type = REDIS_REPLY_STRING;
        elems[i].str = str[i];
        elems[i].len = lens[i];
        ptrs[i] = &elems[i];
    }
}

/* Splits `text` (len bytes, NUL-terminated copy) at '\n' in place. */
static size_t split(char *text, size_t len, char **str, size_t *lens)
{
    size_t n = 0;
    char *p = text, *end = text + len;
    while (n < MAX_ELEMS) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        str[n] = p;
        lens[n++] = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (!nl)
            break;
        *nl = '\0'; /* hiredis strings are NUL-terminated after len */
        p = nl + 1;
    }
    return n;
}

static void check_stable(const struct job *j)
{
    size_t len1, len2, lens[MAX_ELEMS];
    char *t1 = argv_text(j, &len1), *str[MAX_ELEMS];
    char *copy = malloc(len1 + 1);
    FUZZ_CHECK(copy);
    memcpy(copy, t1, len1);
    copy[len1] = '\0';
    size_t n = len1 ? split(copy, len1 - 1, str, lens) : 0; /* the last '\n' ends it */
    redisReply r, elems[MAX_ELEMS], *ptrs[MAX_ELEMS];
    reply_of(&r, elems, ptrs, str, lens, n);
    struct job *j2 = malloc(sizeof(*j2));
    FUZZ_CHECK(j2);
    job_init(j2);
    int rc = job_from_reply(j2, &r);
    FUZZ_CHECK(rc == 0 || (n == 0 && rc == ST_ENOTFOUND));
    char *t2 = argv_text(j2, &len2);
    FUZZ_CHECK(len1 == len2 && memcmp(t1, t2, len1) == 0);
    free(t1);
    free(t2);
    free(copy);
    free(j2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), *str[MAX_ELEMS];
    size_t lens[MAX_ELEMS];
    FUZZ_CHECK(text);
    memcpy(text, data, size);
    text[size] = '\0';
    size_t n = split(text, size, str, lens);
    redisReply r, elems[MAX_ELEMS], *ptrs[MAX_ELEMS];
    reply_of(&r, elems, ptrs, str, lens, n);
    struct job *j = malloc(sizeof(*j));
    FUZZ_CHECK(j);
    job_init(j);
    int rc = job_from_reply(j, &r);
    FUZZ_CHECK(rc == 0 || rc == ST_EINVAL || rc == ST_ENOTFOUND);
    FUZZ_CHECK(rc != 0 || n % 2 == 0);
    if (rc == 0)
        check_stable(j);
    /* One element of another type: refused, never read as a string. */
    if (n >= 2 && n % 2 == 0) {
        elems[n - 1].type = REDIS_REPLY_INTEGER;
        elems[n - 1].str = NULL;
        job_init(j);
        FUZZ_CHECK(job_from_reply(j, &r) == ST_EINVAL);
    }
    free(j);
    free(text);
    return 0;
}
