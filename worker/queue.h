/* queue.h - the consumer side of the job stream st:q (group `workers`).
 *
 * On (re)connect: XGROUP CREATE st:q workers 0 MKSTREAM (BUSYGROUP is fine),
 * then this consumer's own pending entries (id 0) are looked at, then new
 * entries are read with XREADGROUP ... COUNT <free slots> BLOCK 1000 on the
 * blocking connection, one read in flight at a time. Each entry is claimed:
 * HGETALL st:job:<id>, then
 *   - missing or terminal: delete leftover parts, XACK;
 *   - QUEUED: QUEUED -> RUNNING (worker = our name) and run it; if another
 *     worker won, XACK only once the job is terminal;
 *   - RUNNING under our name but not running here (a pending entry after a
 *     restart or a lost Redis connection): FAILED "interrupted ...", XACK.
 *     (Resuming instead of failing comes with lease/reclaim support.) */
#ifndef STAGE_WORKER_QUEUE_H
#define STAGE_WORKER_QUEUE_H

struct worker;

/* A connection came (back) up: make the group, look at pending entries,
 * start reading. */
void queue_on_connected(struct worker *w);

/* The blocking connection went down. */
void queue_on_disconnected(struct worker *w);

/* Read new entries if there are free slots and no read is in flight. */
void queue_poll(struct worker *w);

#endif
