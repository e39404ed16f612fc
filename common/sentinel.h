/* sentinel.h - Redis Sentinel: the pure parts (no I/O).
 *
 * The list of sentinels from redis.sentinels, the order in which to ask them,
 * and the meaning of their replies: SENTINEL get-master-addr-by-name, ROLE on
 * the address it names, and the +switch-master messages they publish. The
 * resolver that does the I/O is common/primary.c; docs/redis.md says how a
 * failover is followed.
 *
 * Pure and thread-safe on distinct structs; replies are never freed here. */
#ifndef STAGE_SENTINEL_H
#define STAGE_SENTINEL_H

#include <stdbool.h>
#include <stddef.h>

struct redisReply;

#define SENTINEL_MAX          16
#define SENTINEL_DEFAULT_PORT 26379

struct sentinel_addr {
    char host[256];
    int port;
};

struct sentinel_list {
    struct sentinel_addr s[SENTINEL_MAX];
    int n;
    int first; /* the sentinel to ask first: the last one that answered */
};

/* "h1:26379, h2:26379 [::1]:26380": separated by commas and/or blanks (a
 * YAML list arrives joined by ", "); the port defaults to 26379. Duplicates
 * are kept once. ST_EINVAL with a message in `err` (an empty list too). */
int sentinel_parse_list(const char *words, struct sentinel_list *out, char *err, size_t errlen);

/* The k-th sentinel to ask (k = 0 .. n-1): a rotation that starts at the
 * one that answered last, so a dead sentinel costs one timeout at most once
 * per failure, not on every question. */
const struct sentinel_addr *sentinel_nth(const struct sentinel_list *l, int k);

/* Sentinel k (as passed to sentinel_nth) answered: ask it first next time. */
void sentinel_answered(struct sentinel_list *l, int k);

/* The reply to SENTINEL get-master-addr-by-name: 0 and host/port; ST_ENOTFOUND
 * when the sentinel does not know the name (nil); ST_EUNAVAIL for an error
 * reply or a malformed answer. `err` says which. */
int sentinel_parse_master(const struct redisReply *r, char *host, size_t hostlen, int *port,
                          char *err, size_t errlen);

/* The reply to ROLE: 0 when it says master, else ST_EUNAVAIL (a replica, a
 * sentinel, an error) with the role in `err`. */
int sentinel_check_role(const struct redisReply *r, char *err, size_t errlen);

/* A Pub/Sub message: 1 when it is +switch-master for `name` (host/port: the
 * new primary), 0 when it is anything else (another master, a subscribe
 * confirmation). */
int sentinel_parse_switch(const struct redisReply *r, const char *name, char *host, size_t hostlen,
                          int *port);

/* An error reply that means "this is not (or not yet) a usable primary":
 * READONLY (a replica), LOADING (reading its AOF), MASTERDOWN. The
 * connection should be dropped and the sentinels asked again. */
bool sentinel_error_means_failover(const char *errstr);

/* Commands that may be sent again on a new connection when the first one
 * broke before its reply: reads, whose effect does not depend on whether
 * the first copy ran. Writes (XADD, INCR, HINCRBY, APPEND, EVALSHA...) are
 * not: the first copy may have run. Case-insensitive. */
bool sentinel_cmd_retryable(const char *cmd, size_t len);

#endif
