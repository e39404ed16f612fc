/* rconn.h - Redis connection helpers shared by the frontend, the worker and tools.
 *
 * URLs: redis://[:password@]host[:port][/db] and unix:///path/to/sock[?db=N].
 * The password from the config (STAGE_REDIS_PASSWORD) wins over one in the URL.
 * hiredis 0.14 has no TLS: Redis must be local or on a trusted network.
 * With redis.sentinels, host and port come from the sentinels instead
 * (primary.h): the sync connect waits up to redis.timeout_ms for their first
 * answer, the async one never waits (ST_EUNAVAIL until there is one). */
#ifndef STAGE_RCONN_H
#define STAGE_RCONN_H

#include <stddef.h>

struct redisContext;
struct redisAsyncContext;
struct config;

struct redis_addr {
    char host[256]; /* "" for a unix socket */
    int port;       /* default 6379 */
    char path[256]; /* unix socket path, "" for TCP */
    int db;         /* default 0 */
    char password[128];
};

/* Parse a URL. ST_EINVAL with a message in `err`. Pure. */
int rconn_parse_url(const char *url, struct redis_addr *out, char *err, size_t errlen);

/* Connect synchronously with cfg->redis.timeout_ms as connect and command
 * timeout (0: no command timeout, for blocking commands use
 * rconn_set_timeout()), AUTH and SELECT as needed. Returns 0 and *out, or
 * ST_EUNAVAIL with the reason in `err`. The caller frees with redisFree(). */
int rconn_connect(const struct config *cfg, struct redisContext **out, char *err, size_t errlen);

/* Change the command timeout of a sync context (ms). */
int rconn_set_timeout(struct redisContext *c, int timeout_ms);

/* Start an async connection (not yet attached to any loop). AUTH and SELECT
 * are queued as the first commands. Returns 0 and *out or ST_EUNAVAIL. */
int rconn_connect_async(const struct config *cfg, struct redisAsyncContext **out, char *err,
                        size_t errlen);

#endif
