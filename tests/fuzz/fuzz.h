/* fuzz.h - helpers shared by the libFuzzer targets (tests/fuzz/fuzz_*.c).
 *
 * A target checks properties of what a parser accepted; a broken property
 * is a crash (abort()) with the reason on stderr, so libFuzzer keeps the
 * input as an artifact like any sanitizer report. */
#ifndef STAGE_FUZZ_H
#define STAGE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, __LINE__, #cond);            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Splits fuzz input into NUL-terminated strings at each '\n', so a target
 * taking several strings reads them from one input (corpus files stay
 * readable text). Strings hold no NUL: C callers cannot pass one either. */
struct fuzz_split {
    char *buf;
    char *s[8];
    size_t n;
};

static inline void fuzz_split(struct fuzz_split *f, const uint8_t *data, size_t size, size_t max)
{
    f->buf = malloc(size + 1);
    if (!f->buf)
        abort();
    memcpy(f->buf, data, size);
    f->buf[size] = '\0';
    for (size_t i = 0; i < size; i++)
        if (f->buf[i] == '\0')
            f->buf[i] = '\n';
    if (max > sizeof(f->s) / sizeof(f->s[0]))
        max = sizeof(f->s) / sizeof(f->s[0]);
    f->n = 0;
    char *p = f->buf;
    while (f->n < max) {
        f->s[f->n++] = p;
        char *nl = strchr(p, '\n');
        if (!nl || f->n == max)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    for (size_t i = f->n; i < max; i++)
        f->s[i] = "";
}

static inline void fuzz_split_free(struct fuzz_split *f)
{
    free(f->buf);
}

#endif
