/* promtext.c - Prometheus text exposition (see promtext.h). */
#include "promtext.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double promtext_bounds[PROMTEXT_BOUNDS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                 0.5,   1,      2.5,   5,    10,    30,   60};

void promtext_observe(struct promtext_hist *h, double seconds)
{
    int i = 0;
    while (i < PROMTEXT_BOUNDS && seconds > promtext_bounds[i])
        i++;
    h->bucket[i]++;
    h->count++;
    h->sum += seconds;
}

void promtext_buf_init(struct promtext_buf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max;
}

void promtext_printf(struct promtext_buf *b, const char *fmt, ...)
{
    va_list ap;
    char line[512];
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(line) || b->len + (size_t)n + 1 > b->max) {
        b->full = 1;
        return;
    }
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        if (cap > b->max)
            cap = b->max;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->full = 1;
            return;
        }
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->len, line, (size_t)n + 1);
    b->len += (size_t)n;
}

void promtext_head(struct promtext_buf *b, const char *name, const char *type, const char *help)
{
    promtext_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void promtext_value(struct promtext_buf *b, const char *name, const char *labels, double v)
{
    if (labels && *labels)
        promtext_printf(b, "%s{%s} %.17g\n", name, labels, v);
    else
        promtext_printf(b, "%s %.17g\n", name, v);
}

void promtext_hist(struct promtext_buf *b, const char *name, const char *labels,
                   const struct promtext_hist *h)
{
    const char *sep = labels && *labels ? "," : "";
    uint64_t cum = 0;
    for (int i = 0; i <= PROMTEXT_BOUNDS; i++) {
        cum += h->bucket[i];
        if (i < PROMTEXT_BOUNDS)
            promtext_printf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels ? labels : "", sep,
                            promtext_bounds[i], (unsigned long long)cum);
        else
            promtext_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels ? labels : "", sep,
                            (unsigned long long)cum);
    }
    char n[128];
    snprintf(n, sizeof(n), "%s_sum", name);
    promtext_value(b, n, labels, h->sum);
    snprintf(n, sizeof(n), "%s_count", name);
    promtext_value(b, n, labels, (double)h->count);
}
