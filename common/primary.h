/* primary.h - where the Redis primary is when Sentinel decides it.
 *
 * With redis.sentinels and redis.master_name set, every connection of the
 * process (rconn.h: the frontend's shared async connections, its Pub/Sub
 * connection, the heartbeat's synchronous one, a worker's three) takes its
 * host and port from here instead of redis.url. One resolver per process: a
 * background thread that
 *   - asks the sentinels in turn (SENTINEL get-master-addr-by-name, each with
 *     a deadline of min(redis.timeout_ms, 1 s)), then checks with ROLE that
 *     the address it got says "master" before anyone connects there;
 *   - caches that answer, so getting the primary never waits on the network;
 *   - asks again every second (the safety net), at once when a sentinel
 *     publishes +switch-master (it keeps a subscription to one sentinel), and
 *     at once when a connection reports trouble (primary_suspect()).
 * The thread starts with the first primary_get(); it never logs (common/
 * code returns errors): primary_status() says what it saw last.
 *
 * Every function is safe from any thread. */
#ifndef STAGE_PRIMARY_H
#define STAGE_PRIMARY_H

#include <stdbool.h>
#include <stddef.h>

struct config;

/* Sentinel configured (both keys set; config_validate() checked them). */
bool primary_enabled(const struct config *cfg);

/* Replicas a new job must reach (WAIT) before its creation is answered:
 * redis.wait_replicas, whose default (-1) means 1 with Sentinel, else 0. */
int primary_wait_replicas(const struct config *cfg);

/* The current primary. wait_ms > 0: wait up to that long for the first
 * answer (threads that may block: start-up, the heartbeat); 0: never wait
 * (an event loop). 0 and host/port, or ST_EUNAVAIL with the reason in `err`
 * (no sentinel answered, or the primary it named is not a master). */
int primary_get(const struct config *cfg, char *host, size_t hostlen, int *port, int wait_ms,
                char *err, size_t errlen);

/* A connection to the primary broke or answered READONLY/LOADING: ask the
 * sentinels again now rather than within the second. Never blocks. */
void primary_suspect(void);

/* Bumped when the cached primary changes: a connection opened under an
 * older generation talks to a former primary and should be dropped. */
unsigned primary_generation(void);

/* For logs and tests: the primary as "host:port" ("" before the first
 * answer), the number of times it changed, and the last problem seen. */
void primary_status(char *addr, size_t addrlen, unsigned *changes, char *why, size_t whylen);

/* Stop the thread and forget the cache (exit, tests). */
void primary_stop(void);

#endif
