/* primary.c - the Sentinel resolver thread and its cache (primary.h). */
#include "primary.h"

#include "config.h"
#include "err.h"
#include "rconn.h"
#include "sentinel.h"

#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS    1000 /* ask again this often although nothing happened */
#define RETRY_MS   200  /* after a failed round */
#define MIN_GAP_MS 100  /* suspicions closer than this share one round */
#define ASK_MAX_MS 1000 /* a sentinel or a primary that takes longer is skipped */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool started, stop;
    pthread_t th;
    int wake[2]; /* primary_suspect() writes a byte; the thread polls it */
    const struct config *cfg;
    /* the cache, under mu */
    bool known;
    char host[256];
    int port;
    unsigned gen;
    char why[256];
} P = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .wake = {-1, -1}};

/* What the thread alone touches. */
struct resolver {
    struct sentinel_list list;
    redisContext *sub; /* SUBSCRIBE +switch-master on one sentinel */
    int ask_ms;
    char password[128];
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The last problem, for primary_get()'s message: "<what> host:port: why". */
static void set_why(const char *what, const char *host, int port, const char *why)
{
    pthread_mutex_lock(&P.mu);
    snprintf(P.why, sizeof(P.why), "%s %.100s:%d: %.120s", what, host, port, why);
    pthread_mutex_unlock(&P.mu);
}

static redisContext *open_ctx(const char *host, int port, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    if (c && !c->err && redisSetTimeout(c, tv) != REDIS_OK) {
        redisFree(c);
        return NULL;
    }
    return c;
}

/* One sentinel's answer. */
static int ask_one(struct resolver *r, const struct sentinel_addr *s, char *host, size_t hostlen,
                   int *port)
{
    char why[200];
    redisContext *c = open_ctx(s->host, s->port, r->ask_ms);
    if (!c || c->err) {
        set_why("sentinel", s->host, s->port, c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        return ST_EUNAVAIL;
    }
    const char *argv[] = {"SENTINEL", "get-master-addr-by-name", P.cfg->redis.master_name};
    redisReply *rep = redisCommandArgv(c, 3, argv, NULL);
    int rc = sentinel_parse_master(rep, host, hostlen, port, why, sizeof(why));
    if (rc)
        set_why("sentinel", s->host, s->port, rep ? why : c->errstr);
    if (rep)
        freeReplyObject(rep);
    redisFree(c);
    return rc;
}

/* ROLE on the address a sentinel named: only a master is worth connecting to. */
static int verify(struct resolver *r, const char *host, int port)
{
    char why[200] = "";
    redisContext *c = open_ctx(host, port, r->ask_ms);
    int rc = ST_EUNAVAIL;
    if (c && !c->err) {
        redisReply *rep = NULL;
        if (r->password[0]) {
            const char *auth[] = {"AUTH", r->password};
            rep = redisCommandArgv(c, 2, auth, NULL);
            if (rep && rep->type == REDIS_REPLY_ERROR)
                snprintf(why, sizeof(why), "AUTH refused: %.150s", rep->str);
            if (rep && rep->type != REDIS_REPLY_ERROR) {
                freeReplyObject(rep);
                rep = NULL;
            }
        }
        if (!why[0]) {
            const char *role[] = {"ROLE"};
            rep = redisCommandArgv(c, 1, role, NULL);
            rc = sentinel_check_role(rep, why, sizeof(why));
        }
        if (!rep && !why[0])
            snprintf(why, sizeof(why), "%.150s", c->errstr);
        if (rep)
            freeReplyObject(rep);
    } else {
        snprintf(why, sizeof(why), "%.150s", c ? c->errstr : "out of memory");
    }
    if (c)
        redisFree(c);
    if (rc)
        set_why("primary named by the sentinels", host, port, why);
    return rc;
}

/* One round: ask the sentinels in turn; check the answer when it is new
 * or a connection had trouble with the cached one. */
static int refresh(struct resolver *r, bool suspected)
{
    char host[256];
    int port = 0, rc = ST_EUNAVAIL;
    for (int k = 0; k < r->list.n && rc; k++) {
        rc = ask_one(r, sentinel_nth(&r->list, k), host, sizeof(host), &port);
        if (rc == 0)
            sentinel_answered(&r->list, k);
    }
    if (rc)
        return rc;
    pthread_mutex_lock(&P.mu);
    bool same = P.known && P.port == port && strcmp(P.host, host) == 0;
    pthread_mutex_unlock(&P.mu);
    if (same && !suspected)
        return 0;
    rc = verify(r, host, port);
    if (rc)
        return rc;
    pthread_mutex_lock(&P.mu);
    if (!same) {
        snprintf(P.host, sizeof(P.host), "%s", host);
        P.port = port;
        P.gen++;
    }
    P.known = true;
    P.why[0] = '\0';
    pthread_cond_broadcast(&P.cv);
    pthread_mutex_unlock(&P.mu);
    return 0;
}

static void sub_close(struct resolver *r)
{
    if (r->sub)
        redisFree(r->sub);
    r->sub = NULL;
}

/* Subscribe to +switch-master on the sentinel that answered last. */
static void sub_open(struct resolver *r)
{
    const struct sentinel_addr *s = sentinel_nth(&r->list, 0);
    r->sub = open_ctx(s->host, s->port, r->ask_ms);
    if (!r->sub || r->sub->err) {
        sub_close(r);
        return;
    }
    const char *argv[] = {"SUBSCRIBE", "+switch-master"};
    redisReply *rep = redisCommandArgv(r->sub, 2, argv, NULL);
    if (!rep || rep->type != REDIS_REPLY_ARRAY)
        sub_close(r);
    if (rep)
        freeReplyObject(rep);
}

/* Read what the subscription has: true when a switch of our master came. */
static bool sub_read(struct resolver *r)
{
    bool sw = false;
    void *rep = NULL;
    if (redisBufferRead(r->sub) != REDIS_OK) {
        sub_close(r);
        return true; /* a sentinel went away: a failover may be under way */
    }
    while (redisGetReplyFromReader(r->sub, &rep) == REDIS_OK && rep) {
        char host[256];
        int port;
        if (sentinel_parse_switch(rep, P.cfg->redis.master_name, host, sizeof(host), &port) == 1)
            sw = true;
        freeReplyObject(rep);
        rep = NULL;
    }
    if (r->sub->err)
        sub_close(r);
    return sw;
}

static bool stopping(void)
{
    pthread_mutex_lock(&P.mu);
    bool s = P.stop;
    pthread_mutex_unlock(&P.mu);
    return s;
}

static void drain_wake(void)
{
    char buf[64];
    while (read(P.wake[0], buf, sizeof(buf)) > 0) {
    }
}

static void *run(void *arg)
{
    struct resolver *r = arg;
    int64_t next = 0, last = 0;
    bool need = true;
    while (!stopping()) {
        int64_t now = now_ms();
        if (now >= next) {
            int rc = refresh(r, need);
            need = false;
            last = now_ms();
            next = last + (rc ? RETRY_MS : POLL_MS);
        }
        if (!r->sub)
            sub_open(r);
        struct pollfd pf[2] = {{.fd = P.wake[0], .events = POLLIN},
                               {.fd = r->sub ? r->sub->fd : -1, .events = POLLIN}};
        int64_t wait = next - now_ms();
        if (poll(pf, 2, wait < 0 ? 0 : (int)wait) < 0 && errno != EINTR)
            break;
        bool trouble = false;
        if (pf[0].revents) {
            drain_wake();
            trouble = true;
        }
        if (r->sub && pf[1].revents && sub_read(r))
            trouble = true;
        if (trouble) { /* at once, but not more often than every MIN_GAP_MS */
            need = true;
            next = last + MIN_GAP_MS;
        }
    }
    sub_close(r);
    memset(r->password, 0, sizeof(r->password));
    return NULL;
}

static struct resolver R; /* the thread's; set up before it starts */

/* Under P.mu. */
static int start_locked(const struct config *cfg, char *err, size_t errlen)
{
    struct redis_addr a;
    char why[200];
    if (sentinel_parse_list(cfg->redis.sentinels, &R.list, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "%s", why);
        return ST_EUNAVAIL;
    }
    if (rconn_parse_url(cfg->redis.url, &a, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "%s", why);
        return ST_EUNAVAIL;
    }
    snprintf(R.password, sizeof(R.password), "%s",
             cfg->redis.password[0] ? cfg->redis.password : a.password);
    memset(&a, 0, sizeof(a));
    R.ask_ms = cfg->redis.timeout_ms < ASK_MAX_MS ? cfg->redis.timeout_ms : ASK_MAX_MS;
    R.sub = NULL;
    P.cfg = cfg;
    if (pipe(P.wake) != 0) {
        snprintf(err, errlen, "cannot make a pipe: %s", strerror(errno));
        return ST_EUNAVAIL;
    }
    fcntl(P.wake[0], F_SETFL, O_NONBLOCK);
    fcntl(P.wake[1], F_SETFL, O_NONBLOCK);
    /* the thread takes no signal: the loops own them */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&P.th, NULL, run, &R);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        close(P.wake[0]);
        close(P.wake[1]);
        P.wake[0] = P.wake[1] = -1;
        snprintf(err, errlen, "cannot start the sentinel resolver: %s", strerror(rc));
        return ST_EUNAVAIL;
    }
    P.started = true;
    P.stop = false;
    return 0;
}

bool primary_enabled(const struct config *cfg)
{
    return cfg && cfg->redis.sentinels[0] && cfg->redis.master_name[0];
}

int primary_wait_replicas(const struct config *cfg)
{
    if (cfg->redis.wait_replicas >= 0)
        return cfg->redis.wait_replicas;
    return primary_enabled(cfg) ? 1 : 0;
}

static void deadline_in(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts->tv_nsec >= 1000000000) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000;
    }
}

int primary_get(const struct config *cfg, char *host, size_t hostlen, int *port, int wait_ms,
                char *err, size_t errlen)
{
    int rc = 0;
    pthread_mutex_lock(&P.mu);
    if (!P.started)
        rc = start_locked(cfg, err, errlen);
    if (rc == 0 && !P.known && wait_ms > 0) {
        struct timespec ts;
        deadline_in(&ts, wait_ms);
        while (!P.known && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&P.cv, &P.mu, &ts);
        rc = 0;
    }
    if (rc == 0 && P.known) {
        snprintf(host, hostlen, "%s", P.host);
        *port = P.port;
    } else if (rc == 0) {
        snprintf(err, errlen, "no primary from the sentinels yet%s%s", P.why[0] ? ": " : "", P.why);
        rc = ST_EUNAVAIL;
    }
    pthread_mutex_unlock(&P.mu);
    return rc;
}

void primary_suspect(void)
{
    int fd = P.wake[1];
    if (fd >= 0) {
        ssize_t n = write(fd, "x", 1); /* a full pipe already says it */
        (void)n;
    }
}

unsigned primary_generation(void)
{
    pthread_mutex_lock(&P.mu);
    unsigned g = P.gen;
    pthread_mutex_unlock(&P.mu);
    return g;
}

void primary_status(char *addr, size_t addrlen, unsigned *changes, char *why, size_t whylen)
{
    pthread_mutex_lock(&P.mu);
    if (addr && P.known)
        snprintf(addr, addrlen, "%s:%d", P.host, P.port);
    else if (addr && addrlen)
        addr[0] = '\0';
    if (changes)
        *changes = P.gen;
    if (why)
        snprintf(why, whylen, "%s", P.why);
    pthread_mutex_unlock(&P.mu);
}

void primary_stop(void)
{
    pthread_mutex_lock(&P.mu);
    bool started = P.started;
    P.stop = true;
    pthread_mutex_unlock(&P.mu);
    if (!started)
        return;
    primary_suspect();
    pthread_join(P.th, NULL);
    pthread_mutex_lock(&P.mu);
    close(P.wake[0]);
    close(P.wake[1]);
    P.wake[0] = P.wake[1] = -1;
    P.started = P.known = false;
    P.host[0] = P.why[0] = '\0';
    pthread_mutex_unlock(&P.mu);
}
