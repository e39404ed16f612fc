/* pattern.c - whole-path regex matching with PCRE2 (8-bit, UTF).
 *
 * The code is compiled ANCHORED | ENDANCHORED so a match always spans the
 * whole subject, as Databend's PATTERN does. A compiled pcre2_code is
 * read-only during matching; each pattern_match() creates its own match
 * data, which is what makes sharing a pattern across threads safe. The JIT
 * is not used: its compile is not free and LIST speed is bound by the backend. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "pattern.h"

#include "err.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATTERN_MAX 1024 /* bytes; a longer regex is a mistake or an attack */

struct pattern {
    pcre2_code *code; /* NULL: the empty pattern, matches everything */
};

static int compile(struct pattern *p, const char *re, char *err, size_t errlen)
{
    int code;
    PCRE2_SIZE off;
    uint32_t opts = PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED;
    p->code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, opts, &code, &off, NULL);
    if (p->code)
        return 0;
    if (code == PCRE2_ERROR_NOMEMORY)
        return ST_ENOMEM;
    PCRE2_UCHAR msg[160];
    if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
        snprintf((char *)msg, sizeof(msg), "error %d", code);
    if (err && errlen)
        snprintf(err, errlen, "pattern: %s at offset %zu", (const char *)msg, (size_t)off);
    return ST_EINVAL;
}

int pattern_compile(struct pattern **out, const char *re, char *err, size_t errlen)
{
    *out = NULL;
    if (!re)
        re = "";
    size_t len = strlen(re);
    if (len > PATTERN_MAX) {
        if (err && errlen)
            snprintf(err, errlen, "pattern: too long (%zu bytes, max %d)", len, PATTERN_MAX);
        return ST_EINVAL;
    }
    struct pattern *p = calloc(1, sizeof(*p));
    if (!p)
        return ST_ENOMEM;
    int rc = len ? compile(p, re, err, errlen) : 0;
    if (rc) {
        free(p);
        return rc;
    }
    *out = p;
    return 0;
}

bool pattern_match(const struct pattern *p, const char *subject, size_t len)
{
    if (!p || !p->code)
        return true;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(p->code, NULL);
    if (!md)
        return false; /* out of memory: matching nothing is the safe answer for REMOVE */
    int rc = pcre2_match(p->code, (PCRE2_SPTR)subject, len, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    /* rc < 0 includes PCRE2_ERROR_UTF8_* for a subject that is not UTF-8: no match */
    return rc >= 0;
}

struct pattern *pattern_free(struct pattern *p)
{
    if (p) {
        pcre2_code_free(p->code);
        free(p);
    }
    return NULL;
}
