/* pattern.c - whole-path regex matching with PCRE2 (8-bit, UTF), under
 * limits (see pattern.h).
 *
 * The code is compiled ANCHORED | ENDANCHORED so a match always spans the
 * whole subject, as Databend's PATTERN does. A compiled pcre2_code, its JIT
 * code and the match context (the limits) are read-only during matching;
 * each pattern_match() creates its own match data, which is what makes
 * sharing a pattern across threads safe.
 *
 * The JIT, where PCRE2 has it, makes ordinary patterns several times faster
 * and honours the match limit; it runs on a 32 KiB machine stack and answers
 * PCRE2_ERROR_JIT_STACKLIMIT when that is not enough. Such a match is run
 * again by the interpreter, whose depth and heap limits then decide. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "pattern.h"

#include "err.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATTERN_MAX 1024 /* bytes; a longer regex is a mistake or an attack */

struct pattern {
    pcre2_code *code;          /* NULL: the empty pattern, matches everything */
    pcre2_match_context *mctx; /* the limits */
};

static void pcre2_message(int code, char *out, size_t n)
{
    PCRE2_UCHAR msg[160];
    if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
        snprintf((char *)msg, sizeof(msg), "error %d", code);
    snprintf(out, n, "%s", (const char *)msg);
}

static int compile(pcre2_code **out, const char *re, char *err, size_t errlen)
{
    int code;
    PCRE2_SIZE off;
    char msg[160];
    uint32_t opts = PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED;
    *out = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, opts, &code, &off, NULL);
    if (*out)
        return 0;
    if (code == PCRE2_ERROR_NOMEMORY)
        return ST_ENOMEM;
    pcre2_message(code, msg, sizeof(msg));
    if (err && errlen)
        snprintf(err, errlen, "pattern: %s at offset %zu", msg, (size_t)off);
    return ST_EINVAL;
}

static int check_len(const char *re, char *err, size_t errlen)
{
    size_t len = strlen(re);
    if (len <= PATTERN_MAX)
        return 0;
    if (err && errlen)
        snprintf(err, errlen, "pattern: too long (%zu bytes, max %d)", len, PATTERN_MAX);
    return ST_EINVAL;
}

static pcre2_match_context *limits_new(void)
{
    pcre2_match_context *m = pcre2_match_context_create(NULL);
    if (m && (pcre2_set_match_limit(m, PATTERN_MATCH_LIMIT) ||
              pcre2_set_depth_limit(m, PATTERN_DEPTH_LIMIT) ||
              pcre2_set_heap_limit(m, PATTERN_HEAP_LIMIT))) {
        pcre2_match_context_free(m);
        m = NULL;
    }
    return m;
}

int pattern_check(const char *re, char *err, size_t errlen)
{
    pcre2_code *code = NULL;
    if (!re)
        re = "";
    int rc = check_len(re, err, errlen);
    if (!rc && *re)
        rc = compile(&code, re, err, errlen);
    pcre2_code_free(code);
    return rc;
}

int pattern_compile(struct pattern **out, const char *re, char *err, size_t errlen)
{
    *out = NULL;
    if (!re)
        re = "";
    int rc = check_len(re, err, errlen);
    if (rc)
        return rc;
    struct pattern *p = calloc(1, sizeof(*p));
    if (!p)
        return ST_ENOMEM;
    if (*re) {
        rc = compile(&p->code, re, err, errlen);
        if (!rc && !(p->mctx = limits_new()))
            rc = ST_ENOMEM;
        /* No JIT in this PCRE2 build (or no memory for it): the interpreter matches. */
        if (!rc)
            (void)pcre2_jit_compile(p->code, PCRE2_JIT_COMPLETE);
    }
    if (rc) {
        pattern_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

static bool limit_hit(int rc)
{
    return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
           rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT;
}

int pattern_match(const struct pattern *p, const char *subject, size_t len, char *err,
                  size_t errlen)
{
    if (!p || !p->code)
        return 1;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(p->code, NULL);
    if (!md)
        return ST_ENOMEM;
    int rc = pcre2_match(p->code, (PCRE2_SPTR)subject, len, 0, 0, md, p->mctx);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
        rc = pcre2_match(p->code, (PCRE2_SPTR)subject, len, 0, PCRE2_NO_JIT, md, p->mctx);
    pcre2_match_data_free(md);
    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMEMORY)
        return ST_ENOMEM;
    if (limit_hit(rc)) {
        char msg[160];
        pcre2_message(rc, msg, sizeof(msg));
        if (err && errlen)
            snprintf(err, errlen, "pattern too expensive: %s", msg);
        return ST_EINVAL;
    }
    /* PCRE2_ERROR_NOMATCH, and PCRE2_ERROR_UTF8_* for a subject that is not UTF-8 */
    return 0;
}

struct pattern *pattern_free(struct pattern *p)
{
    if (p) {
        pcre2_match_context_free(p->mctx);
        pcre2_code_free(p->code);
        free(p);
    }
    return NULL;
}
