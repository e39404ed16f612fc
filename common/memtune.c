/* memtune.c - glibc malloc settings for transfer processes.
 *
 * Every upload message crosses three 1 MiB buffers in the frontend (gRPC
 * byte buffer, protobuf bytes, the Redis command) and every part an 8 MiB
 * reply in the worker. glibc's defaults return such memory to the kernel as
 * soon as it is freed (mmap threshold, then a trim threshold of twice the
 * last freed chunk), so the next message faults every page in again: a
 * profile of a 256 MiB upload showed 86% of the frontend's CPU in the kernel
 * zeroing and mapping pages. Fixed thresholds keep the buffers in the heap.
 *
 * What the heap keeps is bounded by (peak in use + trim threshold) per
 * arena, and glibc gives every thread that meets contention an arena of its
 * own. The worker's 8 MiB parts need a 16 MiB threshold, and it has few
 * threads. The frontend relays 1 MiB messages on many threads: measured
 * with e2e.memory (1 GiB through Python and stagectl), 4 arenas x 16 MiB
 * took its peak RSS from 37 to 53 MiB for no speed; 2 arenas x 4 MiB keep
 * the buffers in the heap (no page-fault storm) at a quarter of the cost. */
#include "memtune.h"

#include <malloc.h>

#define MIB (1 << 20)

void memtune_init(enum memtune_profile profile)
{
#ifdef M_MMAP_THRESHOLD
    int threshold = profile == MEMTUNE_WORKER ? 16 * MIB : 4 * MIB;
    int arenas = profile == MEMTUNE_WORKER ? 4 : 2;
    mallopt(M_MMAP_THRESHOLD, threshold);
    mallopt(M_TRIM_THRESHOLD, threshold);
    mallopt(M_ARENA_MAX, arenas);
#else
    (void)profile;
#endif
}
