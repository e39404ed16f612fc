/* aredis.c - shared async Redis connections on the loop (see aredis.h). */
#include "aredis.h"

#include "log.h"
#include "loop.h"
#include "primary.h"
#include "rconn.h"
#include "rstats.h"

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>

static struct {
    const struct config *cfg;
    redisAsyncContext *ac[AREDIS_CONNS];
    unsigned gen[AREDIS_CONNS]; /* primary_generation() when ac[i] was opened */
    unsigned next;
} A;

static int slot_of(const redisAsyncContext *ac)
{
    for (int i = 0; i < AREDIS_CONNS; i++)
        if (A.ac[i] == ac)
            return i;
    return -1;
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    if (status == REDIS_OK)
        return;
    /* hiredis 0.14 frees a context whose connect failed without calling
     * the disconnect callback: forget it (the next command reconnects). */
    int i = slot_of(ac);
    if (i >= 0)
        A.ac[i] = NULL;
    primary_suspect(); /* with Sentinel: ask again before the next try */
    log_warn("redis: cannot connect: %s", ac->errstr);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    int i = slot_of(ac);
    if (i >= 0)
        A.ac[i] = NULL; /* hiredis frees it after this callback */
    /* i < 0: dropped by aredis_reset(), which counted it */
    if (i >= 0 && status != REDIS_OK)
        rstats_reconnect();
    if (status != REDIS_OK) {
        primary_suspect();
        log_warn("redis: connection lost: %s", ac->errstr);
    }
}

void aredis_init(const struct config *cfg)
{
    A.cfg = cfg;
}

int aredis_pick(void)
{
    return (int)(A.next++ % AREDIS_CONNS);
}

redisAsyncContext *aredis_ctx(int slot, char *err, size_t errlen)
{
    if (slot < 0 || slot >= AREDIS_CONNS)
        slot = 0;
    if (A.ac[slot])
        return A.ac[slot];
    redisAsyncContext *ac = NULL;
    unsigned gen = primary_generation(); /* before: a change in between reconnects once more */
    if (rconn_connect_async(A.cfg, &ac, err, errlen))
        return NULL;
    if (redisLibeventAttach(ac, loop_base()) != REDIS_OK) {
        redisAsyncFree(ac);
        snprintf(err, errlen, "cannot attach the Redis connection to the loop");
        return NULL;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    A.ac[slot] = ac;
    A.gen[slot] = gen;
    return ac;
}

void aredis_renew_if_stale(int slot)
{
    /* the sentinels named another primary: this connection may still reach
     * the old one (a partition, a demotion the sentinel's CLIENT KILL missed) */
    if (slot >= 0 && slot < AREDIS_CONNS && A.ac[slot] && primary_enabled(A.cfg) &&
        A.gen[slot] != primary_generation())
        aredis_reset(slot, A.ac[slot]);
}

static void forget(int slot, redisAsyncContext *ac)
{
    if (slot < 0 || slot >= AREDIS_CONNS || A.ac[slot] != ac || !ac)
        return;
    A.ac[slot] = NULL;
    redisAsyncFree(ac); /* pending callbacks run now, with NULL */
}

void aredis_reset(int slot, redisAsyncContext *ac)
{
    /* stale: no reply in time, a failover, another primary named */
    if (slot >= 0 && slot < AREDIS_CONNS && ac && A.ac[slot] == ac)
        rstats_reconnect();
    forget(slot, ac);
}

void aredis_close(void)
{
    for (int i = 0; i < AREDIS_CONNS; i++)
        forget(i, A.ac[i]); /* shutting down: not a reconnect */
}

int aredis_open_count(void)
{
    int n = 0;
    for (int i = 0; i < AREDIS_CONNS; i++)
        n += A.ac[i] != NULL;
    return n;
}
