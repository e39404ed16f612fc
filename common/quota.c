/* quota.c - stage quota decisions and scripts (see quota.h). */
#include "quota.h"

#include "err.h"

#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Job states are the enum names job.c stores; a reservation of a job that
 * ended (or whose hash expired) is dead whatever its expiry says, so a
 * crashed upload never blocks the stage longer than its job lives. The job
 * hashes are keys outside KEYS: fine on one Redis (and Sentinel), which is
 * what the service runs on; Redis Cluster would need a hash tag per stage.
 * A refusal drops the job's own reservation at once: the job is about to
 * fail, and of two uploads racing for the last room the one refused must not
 * hold room until its failure is written, or the other is refused too. */
const char quota_reserve_lua[] =
    "local used = tonumber(redis.call('HGET', KEYS[1], 'bytes') or '0')\n"
    "local files = tonumber(redis.call('HGET', KEYS[1], 'files') or '0')\n"
    "local now = tonumber(ARGV[6])\n"
    "local rb, rf = 0, 0\n"
    "local all = redis.call('HGETALL', KEYS[2])\n"
    "for i = 1, #all, 2 do\n"
    "  local id = all[i]\n"
    "  if id ~= ARGV[1] then\n"
    "    local b, exp = string.match(all[i + 1], '^(%d+):(%d+)$')\n"
    "    local st = redis.call('HGET', ARGV[8] .. id, 'state')\n"
    "    if not b or tonumber(exp) < now or not st or st == 'SUCCEEDED' or\n"
    "       st == 'FAILED' or st == 'CANCELLED' then\n"
    "      redis.call('HDEL', KEYS[2], id)\n"
    "    else\n"
    "      rb = rb + tonumber(b)\n"
    "      rf = rf + 1\n"
    "    end\n"
    "  end\n"
    "end\n"
    "if ARGV[1] == '' then return {1, used, files, rb, rf, 0} end\n"
    "local need, grant = tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "local qb, qf = tonumber(ARGV[4]), tonumber(ARGV[5])\n"
    "local function refuse(code)\n"
    "  redis.call('HDEL', KEYS[2], ARGV[1])\n"
    "  return {code, used, files, rb, rf, 0}\n"
    "end\n"
    "if qb > 0 then\n"
    "  local room = qb - used - rb\n"
    "  if room < need then return refuse(0) end\n"
    "  if room < grant then grant = room end\n"
    "end\n"
    "if qf > 0 and files + rf + 1 > qf then return refuse(-1) end\n"
    "redis.call('HSET', KEYS[2], ARGV[1],\n"
    "           string.format('%d:%d', grant, now + tonumber(ARGV[7])))\n"
    "return {1, used, files, rb, rf, grant}\n";

#define ADD_CLAMPED                                                                                \
    "local function add(f, d)\n"                                                                   \
    "  if redis.call('HINCRBY', KEYS[1], f, d) < 0 then redis.call('HSET', KEYS[1], f, 0) end\n"   \
    "end\n"

const char quota_commit_lua[] =
    ADD_CLAMPED "if redis.call('HGET', KEYS[3], 'quota_counted') then return 0 end\n"
                "redis.call('HSET', KEYS[3], 'quota_counted', '1')\n"
                "redis.call('HDEL', KEYS[2], ARGV[1])\n"
                "local old = tonumber(ARGV[3])\n"
                "if old >= 0 then\n"
                "  add('bytes', string.format('%d', tonumber(ARGV[2]) - old))\n"
                "else\n"
                "  add('bytes', ARGV[2])\n"
                "  add('files', 1)\n"
                "end\n"
                "return 1\n";

const char quota_add_lua[] =
    ADD_CLAMPED "add('bytes', ARGV[1])\n"
                "add('files', ARGV[2])\n"
                "if #KEYS > 1 then redis.call('HDEL', KEYS[2], ARGV[3]) end\n"
                "return 1\n";

/* The SHA1 Redis names quota_reserve_lua by (SCRIPT LOAD's answer), in hex.
 * Computed per call: a few microseconds next to a Redis round trip, and no
 * shared state to set up. */
static int reserve_sha(char out[41])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(quota_reserve_lua, strlen(quota_reserve_lua), md, &len, EVP_sha1(), NULL) ||
        len != 20)
        return ST_EINTERNAL;
    for (unsigned int i = 0; i < len; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 0;
}

int quota_reserve_args(struct quota_reserve_cmd *c, const char *root, const char *id,
                       long long need, long long ask, const struct quota_lim *l, long long now_ms)
{
    if (keys_usage(c->usage, sizeof(c->usage), root) < 0 ||
        keys_quota_res(c->res, sizeof(c->res), root) < 0)
        return ST_EINVAL;
    int rc = reserve_sha(c->sha);
    if (rc)
        return rc;
    const long long v[6] = {need,   ask < need ? need : ask, l->bytes, l->files,
                            now_ms, QUOTA_RES_TTL_MS};
    for (size_t i = 0; i < 6; i++)
        snprintf(c->num[i], sizeof(c->num[i]), "%lld", v[i]);
    const char *argv[QUOTA_RESERVE_ARGC] = {
        "EVALSHA", c->sha,    "2",       c->usage,  c->res,        id, c->num[0], c->num[1],
        c->num[2], c->num[3], c->num[4], c->num[5], KEY_JOB_PREFIX};
    memcpy(c->argv, argv, sizeof(argv));
    return 0;
}

void quota_reserve_eval(struct quota_reserve_cmd *c)
{
    c->argv[0] = "EVAL";
    c->argv[1] = quota_reserve_lua;
}

bool quota_noscript(const char *msg)
{
    return msg && strncmp(msg, "NOSCRIPT", 8) == 0;
}

bool quota_unlimited(const struct quota_lim *l)
{
    return l->bytes <= 0 && l->files <= 0;
}

void quota_fmt_bytes(long long bytes, char *buf, size_t n)
{
    static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024) {
        snprintf(buf, n, "%lld B", bytes);
        return;
    }
    double v = (double)bytes / 1024;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0]))
        v /= 1024, u++;
    /* whole numbers of a unit read better without ".0" below 1 MiB */
    if (u == 0 && bytes % 1024 == 0)
        snprintf(buf, n, "%lld KiB", bytes / 1024);
    else
        snprintf(buf, n, "%.1f %s", v, unit[u]);
}

void quota_fmt_limit(long long limit, bool bytes, char *buf, size_t n)
{
    if (limit <= 0)
        snprintf(buf, n, "unlimited");
    else if (bytes)
        quota_fmt_bytes(limit, buf, n);
    else
        snprintf(buf, n, "%lld", limit);
}

int quota_check(const char *stage, const struct quota_lim *l, const struct quota_use *u,
                long long add_bytes, long long add_files, char *msg, size_t n)
{
    char used[32], fly[32], lim[32], want[32];
    const char *who = stage[0] == '~' ? "your user stage @~" : "stage";
    bool user = stage[0] == '~';
    if (l->bytes > 0 && u->bytes + u->res_bytes + add_bytes > l->bytes) {
        quota_fmt_bytes(u->bytes, used, sizeof(used));
        quota_fmt_bytes(u->res_bytes, fly, sizeof(fly));
        quota_fmt_bytes(l->bytes, lim, sizeof(lim));
        quota_fmt_bytes(add_bytes, want, sizeof(want));
        snprintf(msg, n,
                 "%s%s%s%s is over its byte quota: %s used + %s in flight of %s, and this "
                 "file needs %s more; remove files or ask %s to raise the quota",
                 who, user ? "" : " '", user ? "" : stage, user ? "" : "'", used, fly, lim, want,
                 user ? "an admin" : "the stage's owner or an admin");
        return ST_ELIMIT;
    }
    if (l->files > 0 && u->files + u->res_files + add_files > l->files) {
        snprintf(msg, n,
                 "%s%s%s%s is over its file quota: %lld files stored + %lld in flight of %lld; "
                 "remove files or ask %s to raise the quota",
                 who, user ? "" : " '", user ? "" : stage, user ? "" : "'", u->files, u->res_files,
                 l->files, user ? "an admin" : "the stage's owner or an admin");
        return ST_ELIMIT;
    }
    return 0;
}

int quota_parse_size(const char *s, long long *out)
{
    static const struct {
        const char *name;
        double mult;
    } sfx[] = {{"", 1},
               {"b", 1},
               {"k", 1024.0},
               {"kb", 1024.0},
               {"kib", 1024.0},
               {"m", 1048576.0},
               {"mb", 1048576.0},
               {"mib", 1048576.0},
               {"g", 1073741824.0},
               {"gb", 1073741824.0},
               {"gib", 1073741824.0},
               {"t", 1099511627776.0},
               {"tb", 1099511627776.0},
               {"tib", 1099511627776.0}};
    char *end;
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return ST_EINVAL;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0)
        return ST_EINVAL;
    while (*end == ' ')
        end++;
    for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
        if (strcasecmp(end, sfx[i].name) != 0)
            continue;
        double b = v * sfx[i].mult;
        if (b > 9.0e18)
            return ST_EINVAL;
        *out = (long long)(b + 0.5); /* whole bytes: "1.5KiB" is 1536 */
        return 0;
    }
    return ST_EINVAL;
}
