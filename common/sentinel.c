/* sentinel.c - Redis Sentinel: list, rotation, replies (sentinel.h). */
#include "sentinel.h"

#include "err.h"

#include <ctype.h>
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int parse_port(const char *s, size_t n)
{
    long v = 0;
    if (n == 0 || n > 5)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v >= 1 && v <= 65535 ? (int)v : -1;
}

/* One "host[:port]" or "[v6][:port]" of s[0..n). */
static int parse_one(const char *s, size_t n, struct sentinel_addr *a, char *err, size_t errlen)
{
    const char *h = s, *hend, *port = NULL;
    if (*s == '[') {
        hend = memchr(s, ']', n);
        if (!hend)
            return st_fail(ST_EINVAL, err, errlen, "redis.sentinels: missing ']' in '%.*s'",
                           (int)(n > 64 ? 64 : n), s);
        h = s + 1;
        if (hend + 1 < s + n) {
            if (hend[1] != ':')
                return st_fail(ST_EINVAL, err, errlen, "redis.sentinels: junk after ']' in '%.*s'",
                               (int)(n > 64 ? 64 : n), s);
            port = hend + 2;
        }
    } else {
        hend = memchr(s, ':', n);
        if (hend && memchr(hend + 1, ':', (size_t)(s + n - hend - 1)))
            return st_fail(ST_EINVAL, err, errlen,
                           "redis.sentinels: write an IPv6 address in brackets: '[%.*s]:26379'",
                           (int)(n > 64 ? 64 : n), s);
        if (hend)
            port = hend + 1;
        else
            hend = s + n;
    }
    size_t hlen = (size_t)(hend - h);
    if (hlen == 0 || hlen >= sizeof(a->host))
        return st_fail(ST_EINVAL, err, errlen, "redis.sentinels: bad host in '%.*s'",
                       (int)(n > 64 ? 64 : n), s);
    memcpy(a->host, h, hlen);
    a->host[hlen] = '\0';
    a->port = SENTINEL_DEFAULT_PORT;
    if (port && (a->port = parse_port(port, (size_t)(s + n - port))) < 0)
        return st_fail(ST_EINVAL, err, errlen, "redis.sentinels: bad port in '%.*s' (1..65535)",
                       (int)(n > 64 ? 64 : n), s);
    return 0;
}

static bool listed(const struct sentinel_list *l, const struct sentinel_addr *a)
{
    for (int i = 0; i < l->n; i++)
        if (l->s[i].port == a->port && strcmp(l->s[i].host, a->host) == 0)
            return true;
    return false;
}

int sentinel_parse_list(const char *words, struct sentinel_list *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    const char *p = words ? words : "";
    for (;;) {
        p += strspn(p, ", \t\r\n");
        if (!*p)
            break;
        size_t n = strcspn(p, ", \t\r\n");
        struct sentinel_addr a;
        int rc = parse_one(p, n, &a, err, errlen);
        if (rc) {
            memset(out, 0, sizeof(*out));
            return rc;
        }
        if (!listed(out, &a)) {
            if (out->n == SENTINEL_MAX) {
                memset(out, 0, sizeof(*out));
                return st_fail(ST_EINVAL, err, errlen, "redis.sentinels: more than %d sentinels",
                               SENTINEL_MAX);
            }
            out->s[out->n++] = a;
        }
        p += n;
    }
    if (out->n == 0)
        return st_fail(ST_EINVAL, err, errlen,
                       "redis.sentinels: no sentinel given (host:port, ...)");
    return 0;
}

const struct sentinel_addr *sentinel_nth(const struct sentinel_list *l, int k)
{
    if (l->n == 0 || k < 0)
        return NULL;
    return &l->s[(l->first + k) % l->n];
}

void sentinel_answered(struct sentinel_list *l, int k)
{
    if (l->n > 0 && k >= 0)
        l->first = (l->first + k) % l->n;
}

/* A string reply (bulk or status) as a bounded C string. */
static bool str_of(const redisReply *r, char *buf, size_t size)
{
    if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) || !r->str ||
        r->len >= size)
        return false;
    memcpy(buf, r->str, r->len);
    buf[r->len] = '\0';
    return true;
}

int sentinel_parse_master(const struct redisReply *r, char *host, size_t hostlen, int *port,
                          char *err, size_t errlen)
{
    char pbuf[16];
    if (!r)
        return st_fail(ST_EUNAVAIL, err, errlen, "no reply");
    if (r->type == REDIS_REPLY_NIL)
        return st_fail(ST_ENOTFOUND, err, errlen, "the sentinel does not monitor this master name");
    if (r->type == REDIS_REPLY_ERROR)
        return st_fail(ST_EUNAVAIL, err, errlen, "the sentinel refused: %.200s", r->str);
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || !str_of(r->element[0], host, hostlen) ||
        !host[0] || !str_of(r->element[1], pbuf, sizeof(pbuf)) ||
        (*port = parse_port(pbuf, strlen(pbuf))) < 0)
        return st_fail(ST_EUNAVAIL, err, errlen, "malformed answer to get-master-addr-by-name");
    return 0;
}

int sentinel_check_role(const struct redisReply *r, char *err, size_t errlen)
{
    char role[32];
    if (!r)
        return st_fail(ST_EUNAVAIL, err, errlen, "no reply to ROLE");
    if (r->type == REDIS_REPLY_ERROR)
        return st_fail(ST_EUNAVAIL, err, errlen, "ROLE refused: %.200s", r->str);
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
        !str_of(r->element[0], role, sizeof(role)))
        return st_fail(ST_EUNAVAIL, err, errlen, "malformed answer to ROLE");
    if (strcmp(role, "master") != 0)
        return st_fail(ST_EUNAVAIL, err, errlen, "it is a %s, not the primary", role);
    return 0;
}

int sentinel_parse_switch(const struct redisReply *r, const char *name, char *host, size_t hostlen,
                          int *port)
{
    char kind[16], chan[32], msg[600];
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
        !str_of(r->element[0], kind, sizeof(kind)) || strcmp(kind, "message") != 0 ||
        !str_of(r->element[1], chan, sizeof(chan)) || strcmp(chan, "+switch-master") != 0 ||
        !str_of(r->element[2], msg, sizeof(msg)))
        return 0;
    /* "<name> <old ip> <old port> <new ip> <new port>" */
    char *f[5], *save = NULL;
    int n = 0;
    for (char *t = strtok_r(msg, " ", &save); t && n < 5; t = strtok_r(NULL, " ", &save))
        f[n++] = t;
    if (n != 5 || strcmp(f[0], name) != 0 || strlen(f[3]) >= hostlen)
        return 0;
    int p = parse_port(f[4], strlen(f[4]));
    if (p < 0)
        return 0;
    snprintf(host, hostlen, "%s", f[3]);
    *port = p;
    return 1;
}

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

bool sentinel_error_means_failover(const char *errstr)
{
    if (!errstr)
        return false;
    return has_prefix(errstr, "READONLY") || has_prefix(errstr, "LOADING") ||
           has_prefix(errstr, "MASTERDOWN");
}

bool sentinel_cmd_retryable(const char *cmd, size_t len)
{
    /* reads only; a new command must be reviewed before it goes here */
    static const char *const reads[] = {
        "GET",       "MGET",     "EXISTS",    "HGET",          "HMGET",
        "HGETALL",   "HEXISTS",  "HLEN",      "HKEYS",         "SCARD",
        "SISMEMBER", "SMEMBERS", "SSCAN",     "SCAN",          "ZCARD",
        "ZRANGE",    "ZSCORE",   "ZREVRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE",
        "ZRANK",     "ZCOUNT",   "XLEN",      "XRANGE",        "XREVRANGE",
        "XPENDING",  "XINFO",    "TTL",       "PTTL",          "TYPE",
        "STRLEN",    "GETRANGE", "LRANGE",    "LLEN",          "PING",
        "ROLE",      "DBSIZE",
    };
    if (!cmd)
        return false;
    for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
        if (strlen(reads[i]) == len && strncasecmp(reads[i], cmd, len) == 0)
            return true;
    return false;
}
