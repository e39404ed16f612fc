/* rstats.c - the Redis reconnect counter (rstats.h). */
#include "rstats.h"

#include "promtext.h"

#include <stdatomic.h>

static _Atomic uint64_t reconnects;

void rstats_reconnect(void)
{
    atomic_fetch_add_explicit(&reconnects, 1, memory_order_relaxed);
}

uint64_t rstats_reconnects(void)
{
    return atomic_load_explicit(&reconnects, memory_order_relaxed);
}

void rstats_render(struct promtext_buf *b)
{
    promtext_head(b, "stage_redis_reconnects_total", "counter",
                  "Redis connections of this process that broke or were dropped as stale, "
                  "each then opened again.");
    promtext_value(b, "stage_redis_reconnects_total", NULL, (double)rstats_reconnects());
}
