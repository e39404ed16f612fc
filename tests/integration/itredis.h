/* itredis.h - what the integration tests share: a config pointing at the
 * redis-server that with_redis.sh started (STAGE_TEST_REDIS_URL), and a
 * synchronous connection to it. For cmocka group setups: each returns 0,
 * or -1 after saying why on stderr. */
#ifndef STAGE_TEST_ITREDIS_H
#define STAGE_TEST_ITREDIS_H

struct config;
struct redisContext;

/* Defaults, with redis.url set to the test's server. */
int itredis_config(struct config *cfg);

/* itredis_config(), then a connection (rconn_connect()) into *out: the
 * caller redisFree()s it. */
int itredis_connect(struct config *cfg, struct redisContext **out);

#endif
