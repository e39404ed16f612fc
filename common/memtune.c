/* memtune.c - glibc malloc settings for transfer processes.
 *
 * Every upload message crosses three 1 MiB buffers in the frontend (gRPC
 * byte buffer, protobuf bytes, the Redis command) and every part an 8 MiB
 * reply in the worker. glibc's defaults return such memory to the kernel as
 * soon as it is freed (mmap threshold, then a trim threshold of twice the
 * last freed chunk), so the next message faults every page in again: a
 * profile of a 256 MiB upload showed 86% of the frontend's CPU in the kernel
 * zeroing and mapping pages. Fixed thresholds keep the buffers in the heap;
 * memory stays bounded by the peak in use plus the trim threshold per arena,
 * and the arena count is capped so that bound stays small. */
#include "memtune.h"

#include <malloc.h>

#define MEMTUNE_MMAP_THRESHOLD (16 << 20) /* larger than a default part (8 MiB + header) */
#define MEMTUNE_TRIM_THRESHOLD (16 << 20)
#define MEMTUNE_ARENA_MAX      4

void memtune_init(void)
{
#ifdef M_MMAP_THRESHOLD
    mallopt(M_MMAP_THRESHOLD, MEMTUNE_MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, MEMTUNE_TRIM_THRESHOLD);
    mallopt(M_ARENA_MAX, MEMTUNE_ARENA_MAX);
#endif
}
