/* memtune.h - the allocator settings of a process that moves data in
 * MiB-sized buffers. Call once at the start of main(), before threads. */
#ifndef STAGE_MEMTUNE_H
#define STAGE_MEMTUNE_H

/* Keep MiB-sized transfer buffers in the malloc heap instead of letting
 * glibc mmap/unmap (or trim) them on every message; see memtune.c. */
void memtune_init(void);

#endif
