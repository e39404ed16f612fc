/* keys.h - every Redis key and channel name the service uses, in one place.
 * The layout and the protocol over it are described in docs/redis.md.
 * All builders write a NUL-terminated name into `buf` and return its length,
 * or a negative value if it did not fit. Pure; any thread. */
#ifndef STAGE_KEYS_H
#define STAGE_KEYS_H

#include <stddef.h>

#define KEY_QUEUE       "st:q"    /* stream of jobs to run: XADD st:q * job <id> */
#define KEY_QUEUE_GROUP "workers" /* consumer group on KEY_QUEUE */
/* zset of parked paused uploads by deadline (Unix ms), swept by the workers */
#define KEY_PAUSED       "st:paused"
#define KEY_WAKE_PATTERN "st:wake:*" /* workers PSUBSCRIBE this */
#define KEY_MAX          256
/* A job's hash is KEY_JOB_PREFIX<id>; Lua scripts that reach job hashes
 * outside their KEYS (quota_reserve_lua) take the prefix as an argument. */
#define KEY_JOB_PREFIX "st:job:"

int keys_job(char *buf, size_t n, const char *id);                 /* st:job:<id> (hash) */
int keys_job_part(char *buf, size_t n, const char *id, long part); /* st:job:<id>:part:<n> */
int keys_job_fe(char *buf, size_t n, const char *id);   /* st:job:<id>:fe (list: wakes frontend) */
int keys_job_wake(char *buf, size_t n, const char *id); /* st:wake:<id> (channel: wakes worker) */
/* st:fe:<frontend id>: a live frontend (SET PX jobs.lease_ms, renewed) */
int keys_frontend(char *buf, size_t n, const char *fe);
int keys_job_events(char *buf, size_t n, const char *id);  /* st:ev:<id> (channel: state changes) */
int keys_user_jobs(char *buf, size_t n, const char *user); /* st:jobs:<user> (zset by time) */
int keys_user(char *buf, size_t n, const char *user);      /* st:user:<name> (hash) */
/* st:purge:<name> (string): the job deleting a dropped user's @~ files */
int keys_user_purge(char *buf, size_t n, const char *user);
/* st:active:<user> (set): the user's jobs not yet ended (jobs.max_active_per_user) */
int keys_user_active(char *buf, size_t n, const char *user);
int keys_idem(char *buf, size_t n, const char *user, const char *key); /* st:idem:<user>:<key> */
/* Stage quotas (common/quota.h), by the stage's backend root (unique per
 * user stage and per internal stage incarnation). KEY_MAX + root: callers
 * size their buffers for a root of up to 1100 bytes. */
#define KEY_ROOT_MAX 1200
int keys_usage(char *buf, size_t n, const char *root);     /* st:usage:<root> (hash bytes, files) */
int keys_quota_res(char *buf, size_t n, const char *root); /* st:qres:<root> (hash job -> res) */

/* The stage catalog and grants (docs/redis.md "Stages, grants"). */
#define KEY_STAGES "st:stages"                          /* set of stage names */
int keys_stage(char *buf, size_t n, const char *name);  /* st:stage:<name> (hash) */
int keys_grant(char *buf, size_t n, const char *stage); /* st:grant:<stage> (hash user->bits) */
int keys_user_grants(char *buf, size_t n, const char *user); /* st:grants:user:<user> (set) */
int keys_login_fail(char *buf, size_t n, const char *what,
                    const char *who); /* st:lfail:<what>:<who> */
/* st:lfail:<what>:<user>@<address>: a user name has no '@' */
int keys_login_pair(char *buf, size_t n, const char *what, const char *user, const char *addr);

#endif
