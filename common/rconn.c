/* rconn.c - Redis URLs and connections (hiredis 0.14).
 *
 * Error messages name the host, port or socket but never the password, and
 * never echo the URL (it may carry one). */
#include "rconn.h"

#include "config.h"
#include "err.h"
#include "primary.h"

#include <ctype.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/* ------------------------------------------------------------ URL parsing */

/* Decimal in [lo, hi] spanning exactly s[0..n). Returns 0 or -1. */
static int parse_num(const char *s, size_t n, long lo, long hi, int *out)
{
    long v = 0;
    if (n == 0 || n > 9)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* Percent-decode s[0..n) into out (size `size`): passwords may hold ':' or '@'. */
static int pct_decode(const char *s, size_t n, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (o + 1 >= size)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return 0;
}

/* userinfo "[user]:password" (user empty or "default", the only one AUTH <pw> reaches) */
static int parse_userinfo(const char *s, size_t n, struct redis_addr *a, char *err, size_t errlen)
{
    const char *colon = memchr(s, ':', n);
    if (!colon)
        return st_fail(ST_EINVAL, err, errlen,
                       "redis URL: credentials must be written ':password@' (redis://:pw@host)");
    size_t ulen = (size_t)(colon - s);
    if (ulen && !(ulen == 7 && memcmp(s, "default", 7) == 0))
        return st_fail(ST_EINVAL, err, errlen,
                       "redis URL: ACL user names are not supported; write redis://:password@host");
    if (pct_decode(colon + 1, n - ulen - 1, a->password, sizeof(a->password)) != 0)
        return st_fail(ST_EINVAL, err, errlen,
                       "redis URL: the password is too long or badly percent-encoded");
    return 0;
}

/* host[:port] or [v6addr][:port] in s[0..n) */
static int parse_hostport(const char *s, size_t n, struct redis_addr *a, char *err, size_t errlen)
{
    const char *hend, *port = NULL;
    const char *h = s;
    if (n && *s == '[') {
        hend = memchr(s, ']', n);
        if (!hend)
            return st_fail(ST_EINVAL, err, errlen, "redis URL: missing ']' after an IPv6 address");
        h = s + 1;
        if (hend + 1 < s + n) {
            if (hend[1] != ':')
                return st_fail(ST_EINVAL, err, errlen, "redis URL: junk after ']'");
            port = hend + 2;
        }
    } else {
        hend = memchr(s, ':', n);
        if (hend)
            port = hend + 1;
        else
            hend = s + n;
    }
    size_t hlen = (size_t)(hend - h);
    if (hlen == 0)
        return st_fail(ST_EINVAL, err, errlen, "redis URL: the host is missing");
    if (hlen >= sizeof(a->host))
        return st_fail(ST_EINVAL, err, errlen, "redis URL: the host name is too long");
    memcpy(a->host, h, hlen);
    a->host[hlen] = '\0';
    if (port && parse_num(port, (size_t)(s + n - port), 1, 65535, &a->port) != 0)
        return st_fail(ST_EINVAL, err, errlen, "redis URL: bad port '%.*s' (1..65535)",
                       (int)(s + n - port > 16 ? 16 : s + n - port), port);
    return 0;
}

/* After "redis://": [userinfo@]host[:port][/db] */
static int parse_tcp(const char *s, struct redis_addr *a, char *err, size_t errlen)
{
    size_t auth_end = strcspn(s, "/?#");
    /* the last '@' before the path ends the userinfo (an unencoded '@' in a password works) */
    const char *at = NULL;
    for (size_t i = 0; i < auth_end; i++)
        if (s[i] == '@')
            at = s + i;
    int rc = 0;
    if (at) {
        rc = parse_userinfo(s, (size_t)(at - s), a, err, errlen);
        s = at + 1;
        auth_end = strcspn(s, "/?#");
    }
    if (rc == 0)
        rc = parse_hostport(s, auth_end, a, err, errlen);
    if (rc)
        return rc;
    const char *rest = s + auth_end;
    if (*rest == '?' || *rest == '#')
        return st_fail(ST_EINVAL, err, errlen,
                       "redis URL: query strings are not supported for TCP");
    if (*rest == '/' && rest[1] && parse_num(rest + 1, strlen(rest + 1), 0, INT_MAX, &a->db) != 0)
        return st_fail(ST_EINVAL, err, errlen, "redis URL: bad database number '%.16s'", rest + 1);
    return 0;
}

/* After "unix://": /abs/path[?db=N] */
static int parse_unix(const char *s, struct redis_addr *a, char *err, size_t errlen)
{
    size_t plen = strcspn(s, "?");
    if (plen == 0 || *s != '/')
        return st_fail(ST_EINVAL, err, errlen,
                       "redis URL: a unix socket needs an absolute path (unix:///run/redis.sock)");
    if (plen >= sizeof(a->path))
        return st_fail(ST_EINVAL, err, errlen, "redis URL: the socket path is too long");
    memcpy(a->path, s, plen);
    a->path[plen] = '\0';
    const char *q = s + plen;
    if (!*q)
        return 0;
    if (strncmp(q, "?db=", 4) != 0 || parse_num(q + 4, strlen(q + 4), 0, INT_MAX, &a->db) != 0)
        return st_fail(ST_EINVAL, err, errlen,
                       "redis URL: the only query a unix socket takes is ?db=N");
    return 0;
}

int rconn_parse_url(const char *url, struct redis_addr *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->port = 6379;
    int rc;
    if (!url || !*url)
        rc = st_fail(ST_EINVAL, err, errlen, "redis URL is empty");
    else if (strncmp(url, "redis://", 8) == 0)
        rc = parse_tcp(url + 8, out, err, errlen);
    else if (strncmp(url, "unix://", 7) == 0)
        rc = parse_unix(url + 7, out, err, errlen);
    else
        rc = st_fail(ST_EINVAL, err, errlen,
                     "redis URL: scheme '%.*s' is not supported (redis:// or unix://)",
                     (int)(strcspn(url, ":") > 16 ? 16 : strcspn(url, ":")), url);
    if (rc)
        memset(out->password, 0, sizeof(out->password));
    return rc;
}

/* ------------------------------------------------------------ connections */

static struct timeval ms_tv(int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    return tv;
}

/* "127.0.0.1:6379" or "/run/redis.sock", for messages */
static void addr_name(const struct redis_addr *a, char *buf, size_t n)
{
    if (a->path[0])
        snprintf(buf, n, "%s", a->path);
    else
        snprintf(buf, n, "%s:%d", a->host, a->port);
}

/* Parse the URL and let the configured password win over one in the URL.
 * With Sentinel, host and port are the primary's (primary.h): waiting up to
 * `wait_ms` for a first answer, 0 from an event loop. */
static int resolve(const struct config *cfg, struct redis_addr *a, int wait_ms, char *err,
                   size_t errlen)
{
    char why[300];
    if (rconn_parse_url(cfg->redis.url, a, why, sizeof(why)) != 0)
        return st_fail(ST_EUNAVAIL, err, errlen, "%s", why);
    if (cfg->redis.password[0])
        snprintf(a->password, sizeof(a->password), "%s", cfg->redis.password);
    if (primary_enabled(cfg) &&
        primary_get(cfg, a->host, sizeof(a->host), &a->port, wait_ms, why, sizeof(why)) != 0) {
        memset(a->password, 0, sizeof(a->password));
        return st_fail(ST_EUNAVAIL, err, errlen, "redis (sentinel, master %s): %s",
                       cfg->redis.master_name, why);
    }
    return 0;
}

/* Run one setup command (AUTH, SELECT); `what` names it in messages. */
static int setup_cmd(redisContext *c, const char *what, const char *where, char *err, size_t errlen,
                     int argc, const char **argv)
{
    redisReply *r = redisCommandArgv(c, argc, argv, NULL);
    int rc = 0;
    if (!r)
        rc = st_fail(ST_EUNAVAIL, err, errlen, "redis %s: %s failed: %s", where, what, c->errstr);
    else if (r->type == REDIS_REPLY_ERROR)
        rc = st_fail(ST_EUNAVAIL, err, errlen, "redis %s: %s refused: %s", where, what, r->str);
    if (r)
        freeReplyObject(r);
    return rc;
}

static int setup_sync(redisContext *c, const struct redis_addr *a, const char *where, char *err,
                      size_t errlen)
{
    char db[16];
    snprintf(db, sizeof(db), "%d", a->db);
    const char *auth[] = {"AUTH", a->password};
    const char *sel[] = {"SELECT", db};
    int rc = 0;
    if (a->password[0])
        rc = setup_cmd(c, "AUTH", where, err, errlen, 2, auth);
    if (rc == 0 && a->db != 0)
        rc = setup_cmd(c, "SELECT", where, err, errlen, 2, sel);
    return rc;
}

static redisContext *open_sync(const struct redis_addr *a, int timeout_ms)
{
    if (timeout_ms <= 0)
        return a->path[0] ? redisConnectUnix(a->path) : redisConnect(a->host, a->port);
    struct timeval tv = ms_tv(timeout_ms);
    return a->path[0] ? redisConnectUnixWithTimeout(a->path, tv)
                      : redisConnectWithTimeout(a->host, a->port, tv);
}

int rconn_connect(const struct config *cfg, struct redisContext **out, char *err, size_t errlen)
{
    struct redis_addr a;
    char where[300];
    *out = NULL;
    int rc = resolve(cfg, &a, cfg->redis.timeout_ms, err, errlen);
    if (rc)
        return rc;
    addr_name(&a, where, sizeof(where));
    redisContext *c = open_sync(&a, cfg->redis.timeout_ms);
    if (!c)
        rc = st_fail(ST_EUNAVAIL, err, errlen, "redis %s: out of memory", where);
    else if (c->err)
        rc = st_fail(ST_EUNAVAIL, err, errlen, "redis %s: %s", where, c->errstr);
    else if (cfg->redis.timeout_ms > 0 && rconn_set_timeout(c, cfg->redis.timeout_ms) != 0)
        rc = st_fail(ST_EUNAVAIL, err, errlen, "redis %s: cannot set the timeout", where);
    if (rc == 0)
        rc = setup_sync(c, &a, where, err, errlen);
    memset(a.password, 0, sizeof(a.password));
    if (rc) {
        if (c)
            redisFree(c);
        return rc;
    }
    *out = c;
    return 0;
}

int rconn_set_timeout(struct redisContext *c, int timeout_ms)
{
    if (!c)
        return ST_EINVAL;
    /* a zero timeval clears SO_RCVTIMEO/SO_SNDTIMEO: block forever */
    struct timeval tv = ms_tv(timeout_ms > 0 ? timeout_ms : 0);
    return redisSetTimeout(c, tv) == REDIS_OK ? 0 : ST_EUNAVAIL;
}

int rconn_connect_async(const struct config *cfg, struct redisAsyncContext **out, char *err,
                        size_t errlen)
{
    struct redis_addr a;
    char where[300], db[16];
    *out = NULL;
    int rc = resolve(cfg, &a, 0, err, errlen);
    if (rc)
        return rc;
    addr_name(&a, where, sizeof(where));
    redisAsyncContext *ac =
        a.path[0] ? redisAsyncConnectUnix(a.path) : redisAsyncConnect(a.host, a.port);
    if (!ac)
        rc = st_fail(ST_EUNAVAIL, err, errlen, "redis %s: out of memory", where);
    else if (ac->err)
        rc = st_fail(ST_EUNAVAIL, err, errlen, "redis %s: %s", where, ac->errstr);
    /* Queued before any other command; a refused AUTH makes every later command
     * fail with NOAUTH, which the caller sees on its first reply. */
    if (rc == 0 && a.password[0]) {
        const char *auth[] = {"AUTH", a.password};
        if (redisAsyncCommandArgv(ac, NULL, NULL, 2, auth, NULL) != REDIS_OK)
            rc = st_fail(ST_EUNAVAIL, err, errlen, "redis %s: cannot queue AUTH", where);
    }
    if (rc == 0 && a.db != 0) {
        snprintf(db, sizeof(db), "%d", a.db);
        const char *sel[] = {"SELECT", db};
        if (redisAsyncCommandArgv(ac, NULL, NULL, 2, sel, NULL) != REDIS_OK)
            rc = st_fail(ST_EUNAVAIL, err, errlen, "redis %s: cannot queue SELECT", where);
    }
    memset(a.password, 0, sizeof(a.password));
    if (rc) {
        if (ac)
            redisAsyncFree(ac);
        return rc;
    }
    *out = ac;
    return 0;
}
