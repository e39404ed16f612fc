/* itredis.c - the integration tests' Redis setup (see itredis.h). */
#include "itredis.h"

#include "config.h"
#include "rconn.h"

#include <stdio.h>
#include <stdlib.h>

int itredis_config(struct config *cfg)
{
    const char *url = getenv("STAGE_TEST_REDIS_URL");
    if (!url) {
        fprintf(stderr, "STAGE_TEST_REDIS_URL is not set: run under with_redis.sh\n");
        return -1;
    }
    config_defaults(cfg);
    snprintf(cfg->redis.url, sizeof(cfg->redis.url), "%s", url);
    return 0;
}

int itredis_connect(struct config *cfg, struct redisContext **out)
{
    char err[256];
    if (itredis_config(cfg) != 0)
        return -1;
    if (rconn_connect(cfg, out, err, sizeof(err)) != 0) {
        fprintf(stderr, "connect: %s\n", err);
        return -1;
    }
    return 0;
}
