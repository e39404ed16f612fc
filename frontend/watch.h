/* watch.h - WatchJob streams as small state machines on the loop.
 *
 * A watcher holds no fiber and no stack: after the handler checked the
 * caller and read the job, the call is handed to a watch group, one per job
 * in this process. The group holds the job's one hub subscription (hub.h)
 * and reads the job once per event for all its watchers (one HGETALL on a
 * shared connection, not one per watcher); each watcher sends the job when
 * it changed since its last message, one batch at a time, and ends with OK
 * after a terminal state. A watcher whose client goes away, or that the
 * server cancels while draining, leaves its group.
 *
 * Loop thread only. */
#ifndef STAGE_FE_WATCH_H
#define STAGE_FE_WATCH_H

struct call;
struct job;

/* Take over `c` (its fiber must return without touching it again) and
 * stream job `j` (already read and checked) until it ends. The call is
 * answered, logged and released by the group. */
void watch_start(struct call *c, const struct job *j);

/* Watchers and groups alive (for /metrics and the bench). */
long watch_watchers(void);
long watch_groups(void);

#endif
