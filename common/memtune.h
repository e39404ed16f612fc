/* memtune.h - the allocator settings of a process that moves data in
 * MiB-sized buffers. Call once at the start of main(), before threads. */
#ifndef STAGE_MEMTUNE_H
#define STAGE_MEMTUNE_H

enum memtune_profile {
    /* stage-worker: 8 MiB object parts and several jobs on one loop */
    MEMTUNE_WORKER,
    /* stage-frontend and stagectl: 1-2 MiB messages relayed by many threads */
    MEMTUNE_RELAY,
};

/* Keep transfer buffers in the malloc heap instead of letting glibc
 * mmap/unmap (or trim) them on every message, within a bound on what the
 * heap may keep; see memtune.c. */
void memtune_init(enum memtune_profile profile);

#endif
