/* inflight.c - the frontend's upload bytes in Redis (see inflight.h). */
#include "inflight.h"

#include <stdatomic.h>

static atomic_llong total;

long long inflight_total(void)
{
    return atomic_load(&total);
}

bool inflight_admit(long long limit, long long need)
{
    return limit <= 0 || atomic_load(&total) + need <= limit;
}

void inflight_sync(long long *charged, long long now)
{
    if (now < 0)
        now = 0;
    atomic_fetch_add(&total, now - *charged);
    *charged = now;
}

void inflight_add(long long *charged, long long n)
{
    atomic_fetch_add(&total, n);
    *charged += n;
}

void inflight_release(long long *charged)
{
    inflight_sync(charged, 0);
}
