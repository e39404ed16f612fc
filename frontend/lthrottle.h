/* lthrottle.h - the failed-login throttle's decisions, pure: what Redis
 * holds for one attempt in, allowed or refused (and for how long) out, and
 * what a failure does to the (user, address) record. auth.c reads and
 * writes the counters (keys in docs/redis.md, st:lfail:*).
 *
 * Three limits, each stopping one kind of guessing without letting a
 * stranger lock the owner out:
 * - (user, address): LTHROTTLE_PAIR_MAX failures from one address for one
 *   user lock that pair for 60 s, doubling with every further lock up to
 *   1 h. A success from that address clears the pair; the record is
 *   forgotten LTHROTTLE_FORGET_S after its last failure or lock. Only the
 *   guessing address is locked: the owner elsewhere logs in.
 * - address: LTHROTTLE_PEER_MAX failures per LTHROTTLE_WINDOW_S from one
 *   address, whatever the users (one address trying many users).
 * - user: LTHROTTLE_USER_MAX failures per window for one user from all
 *   addresses together (a distributed guess). Over it only addresses that
 *   logged in as that user in the last LTHROTTLE_KNOWN_S may try, so the
 *   owner's usual addresses keep working while new ones wait for the
 *   window. Not a delay: a delay costs the attacker nothing when it sends
 *   in parallel, and it would hold a fiber and an admission place of the
 *   frontend per attempt. Not a plain refusal either: that would give any
 *   botnet the lockout this throttle removes.
 *
 * No I/O; any thread. */
#ifndef STAGE_FE_LTHROTTLE_H
#define STAGE_FE_LTHROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LTHROTTLE_PAIR_MAX    5       /* failures (user, address) before a lock */
#define LTHROTTLE_LOCK_BASE_S 60      /* the first lock */
#define LTHROTTLE_LOCK_CAP_S  3600    /* the longest lock */
#define LTHROTTLE_FORGET_S    3600    /* a pair's record outlives its last failure or lock */
#define LTHROTTLE_WINDOW_S    60      /* the address and user windows */
#define LTHROTTLE_PEER_MAX    20      /* failures per window from one address */
#define LTHROTTLE_USER_MAX    100     /* failures per window for one user, all addresses */
#define LTHROTTLE_KNOWN_S     2592000 /* 30 days: an address that logged in as the user */

/* What Redis holds for one attempt (0 for what does not exist). */
struct lthrottle_view {
    long long pair_fails;  /* from this address for this user since the last lock */
    long long pair_level;  /* locks of the pair so far */
    int64_t pair_until_ms; /* the pair is locked until then (Unix ms) */
    long long peer_fails;  /* from this address in its window */
    int64_t peer_ttl_s;    /* what is left of that window */
    long long user_fails;  /* for this user from every address in its window */
    int64_t user_ttl_s;
    bool known; /* this address logged in as this user lately */
};

enum lthrottle_verdict {
    LTHROTTLE_ALLOW = 0,
    LTHROTTLE_PAIR, /* this user from this address: locked */
    LTHROTTLE_PEER, /* this address, any user */
    LTHROTTLE_USER, /* this user from an address it never logged in from */
};

/* May the attempt check the password? `*retry_s` (>= 1 when refused): how
 * long until it may. */
enum lthrottle_verdict lthrottle_check(const struct lthrottle_view *v, int64_t now_ms,
                                       int64_t *retry_s);

/* The lock after the pair's `level`-th lock (level >= 1): 60 s doubling,
 * capped at an hour. */
int64_t lthrottle_lock_s(long long level);

/* What one more failure does to the pair's record. */
struct lthrottle_next {
    bool lock;         /* write level and until, and reset the count */
    long long level;   /* the new level when locking */
    int64_t until_ms;  /* the new lock end when locking */
    int64_t expire_ms; /* the record's time to live from now */
};

/* `fails`: the pair's count with this failure; `v`: the record as read
 * before the attempt. */
void lthrottle_after_fail(const struct lthrottle_view *v, long long fails, int64_t now_ms,
                          struct lthrottle_next *out);

/* The client's message for a refusal, naming `user` (NULL: not named). */
void lthrottle_message(enum lthrottle_verdict verdict, int64_t retry_s, const char *user, char *buf,
                       size_t n);

#endif
