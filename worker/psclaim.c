/* psclaim.c - the sweep's lease commands (see psclaim.h). */
#include "psclaim.h"

#include "err.h"
#include "job.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* KEYS[1] the paused set. ARGV: now_ms, claim_until, worker, max, the job
 * key prefix, the claim's token. Claims up to `max` jobs whose deadline
 * passed and answers their ids. A job still paused past its deadline
 * (QUEUED) or cancelled or failed while parked has a writer to drop:
 * claimed. A job resumed (paused_until 0), running (a resume queued it),
 * succeeded or expired from Redis is no longer parked: dropped from the
 * set. A deadline later than its score (a pause set again) is filed
 * again. */
static const char claim_lua[] =
    "local now = tonumber(ARGV[1])\n"
    "local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))\n"
    "local out = {}\n"
    "for _, id in ipairs(ids) do\n"
    "  local h = ARGV[5] .. id\n"
    "  local st = redis.call('HGET', h, 'state')\n"
    "  local pu = tonumber(redis.call('HGET', h, 'paused_until') or '0') or 0\n"
    "  if st == 'QUEUED' and pu > now then\n"
    "    redis.call('ZADD', KEYS[1], pu, id)\n"
    "  elseif (st == 'QUEUED' and pu > 0) or st == 'FAILED' or st == 'CANCELLED' then\n"
    "    redis.call('ZADD', KEYS[1], ARGV[2], id)\n"
    "    redis.call('HSET', h, 'sweeper', ARGV[3], 'sweep_claim', ARGV[6])\n"
    "    out[#out + 1] = id\n"
    "  else\n"
    "    redis.call('ZREM', KEYS[1], id)\n"
    "  end\n"
    "end\n"
    "return out\n";

/* KEYS[1] the paused set, KEYS[2] the job hash. ARGV: id, the claim's
 * token. A job gone from Redis has no claim left to respect. */
static const char unfile_lua[] = "local c = redis.call('HGET', KEYS[2], 'sweep_claim')\n"
                                 "if c and c ~= ARGV[2] then return 0 end\n"
                                 "return redis.call('ZREM', KEYS[1], ARGV[1])\n";

int64_t psclaim_until(int64_t now_ms, int lease_ms)
{
    return now_ms + (lease_ms > 0 ? lease_ms : 15000);
}

static void set_lens(const char **argv, size_t *lens, int n)
{
    for (int i = 0; i < n; i++)
        lens[i] = strlen(argv[i]);
}

int psclaim_build(struct psclaim_cmd *c, int64_t now_ms, int lease_ms, const char *worker, int max)
{
    int64_t until = psclaim_until(now_ms, lease_ms);
    if (!worker || !*worker || max < 1)
        return ST_EINVAL;
    int n = snprintf(c->token, sizeof(c->token), "%s/%" PRId64, worker, until);
    if (n < 0 || (size_t)n >= sizeof(c->token))
        return ST_EINVAL;
    snprintf(c->now, sizeof(c->now), "%" PRId64, now_ms);
    snprintf(c->until, sizeof(c->until), "%" PRId64, until);
    snprintf(c->max, sizeof(c->max), "%d", max);
    if (keys_job(c->prefix, sizeof(c->prefix), "") < 0)
        return ST_EINVAL;
    const char *v[PSCLAIM_ARGC] = {"EVAL",   claim_lua, "1",    KEY_PAUSED, c->now,
                                   c->until, worker,    c->max, c->prefix,  c->token};
    memcpy(c->argv, v, sizeof(v));
    set_lens(c->argv, c->lens, PSCLAIM_ARGC);
    return 0;
}

int psunfile_build(struct psunfile_cmd *c, const char *id, const char *token)
{
    if (!id || strlen(id) > JOB_ID_LEN || !token || keys_job(c->key, sizeof(c->key), id) < 0)
        return ST_EINVAL;
    const char *v[PSUNFILE_ARGC] = {"EVAL", unfile_lua, "2", KEY_PAUSED, c->key, id, token};
    memcpy(c->argv, v, sizeof(v));
    set_lens(c->argv, c->lens, PSUNFILE_ARGC);
    return 0;
}
