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
 *   - QUEUED after jobs.max_attempts attempts: FAILED with the last error;
 *   - RUNNING and its owner is gone (the entry came from XAUTOCLAIM after a
 *     lease ran out, or it is our own pending entry after a restart or a
 *     lost Redis connection, and not running here): RUNNING -> QUEUED
 *     (fenced: only if the hash still names the old owner), then as QUEUED;
 *     the job kind resumes from what the job hash recorded (lease.h). */
#ifndef STAGE_WORKER_QUEUE_H
#define STAGE_WORKER_QUEUE_H

struct worker;
struct redisReply;

/* Where a claimed entry came from. */
enum queue_how {
    QUEUE_NEW,     /* XREADGROUP > */
    QUEUE_PENDING, /* our own pending list, after (re)connecting */
    QUEUE_RECLAIM, /* XAUTOCLAIM: the owner's lease ran out */
    QUEUE_RETRY    /* our own entry, after a retry backoff */
};

/* Claim the job `id` of stream entry `entry` (see above). */
void queue_claim(struct worker *w, const char *entry, const char *id, enum queue_how how);
/* Same for an entry of a stream reply ([id, [field, value, ...]]). */
void queue_claim_entry(struct worker *w, const struct redisReply *e, enum queue_how how);

/* A connection came (back) up: make the group, look at pending entries,
 * start reading. */
void queue_on_connected(struct worker *w);

/* The blocking connection went down. */
void queue_on_disconnected(struct worker *w);

/* Read new entries if there are free slots and no read is in flight. */
void queue_poll(struct worker *w);

#endif
