/* promtext.h - Prometheus text exposition (version 0.0.4) for the /metrics
 * of the frontend and the workers: counters and histograms written into a
 * bounded buffer. Pure: no I/O, no locks (each process updates and renders
 * its metrics on its event-loop thread).
 *
 * Histograms share one set of bounds in seconds (PROMTEXT_BOUNDS), from a
 * millisecond to a minute: wide enough for a GetJob and for a 1 GiB upload. */
#ifndef STAGE_PROMTEXT_H
#define STAGE_PROMTEXT_H

#include <stddef.h>
#include <stdint.h>

#define PROMTEXT_BOUNDS 15
extern const double promtext_bounds[PROMTEXT_BOUNDS]; /* seconds, ascending; +Inf follows */

struct promtext_hist {
    uint64_t bucket[PROMTEXT_BOUNDS + 1]; /* per bucket, not cumulative; last = +Inf */
    uint64_t count;
    double sum;
};

void promtext_observe(struct promtext_hist *h, double seconds);

/* A growing buffer that never holds more than `max` bytes: what does not
 * fit is dropped and `full` set (a truncated scrape, never an overflow). */
struct promtext_buf {
    char *p;
    size_t len, cap, max;
    int full;
};

/* An empty buffer bounded by `max`. Free `p` with free(). */
void promtext_buf_init(struct promtext_buf *b, size_t max);

/* "# HELP name help\n# TYPE name type\n". */
void promtext_head(struct promtext_buf *b, const char *name, const char *type, const char *help);

/* "name{labels} value\n" (`labels` without braces, may be "" or NULL). */
void promtext_value(struct promtext_buf *b, const char *name, const char *labels, double v);

/* The _bucket (cumulative, with le), _sum and _count lines of `h`. */
void promtext_hist(struct promtext_buf *b, const char *name, const char *labels,
                   const struct promtext_hist *h);

/* Append printf-style text (for lines the helpers above don't make). */
void promtext_printf(struct promtext_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
