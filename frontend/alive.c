/* alive.c - the frontend's liveness key (see alive.h). */
#include "alive.h"

#include "config.h"
#include "db.h"
#include "err.h"
#include "job.h"
#include "jobs.h"
#include "keys.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#define MAX_DEFERRED 256

struct deferred {
    char id[JOB_ID_LEN + 1];
    int err;
    char msg[300];
};

static struct {
    char id[96];
    char key[KEY_MAX];
    const struct config *cfg;
    pthread_t tid;
    bool started, stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct deferred fails[MAX_DEFERRED]; /* under mu */
    int nfails;
} g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static int lease_ms(void)
{
    return g.cfg->jobs.lease_ms > 0 ? g.cfg->jobs.lease_ms : 15000;
}

/* Sleep `ms` or until alive_stop(). True when stopping. */
static bool nap(int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&g.mu);
    while (!g.stop && pthread_cond_timedwait(&g.cv, &g.mu, &until) != ETIMEDOUT)
        ;
    bool stop = g.stop;
    pthread_mutex_unlock(&g.mu);
    return stop;
}

void alive_defer_fail(const char *id, int err, const char *msg)
{
    pthread_mutex_lock(&g.mu);
    if (g.nfails < MAX_DEFERRED) {
        struct deferred *d = &g.fails[g.nfails++];
        snprintf(d->id, sizeof(d->id), "%s", id);
        d->err = err;
        snprintf(d->msg, sizeof(d->msg), "%s", msg);
        log_info("job=%s will be failed once Redis answers again", id);
    }
    pthread_mutex_unlock(&g.mu);
}

/* Fail the deferred jobs; those that still meet a Redis outage stay. */
static void fail_deferred(struct db *db)
{
    struct deferred d;
    for (;;) {
        pthread_mutex_lock(&g.mu);
        bool any = g.nfails > 0;
        if (any)
            d = g.fails[--g.nfails];
        pthread_mutex_unlock(&g.mu);
        if (!any)
            return;
        int rc = jobs_fail(db, g.cfg, d.id, d.err, d.msg, true);
        if (rc == ST_EUNAVAIL) {
            alive_defer_fail(d.id, d.err, d.msg);
            return;
        }
        if (rc == 0)
            log_info("job=%s failed after Redis came back: %s", d.id, d.msg);
    }
}

static bool have_deferred(void)
{
    pthread_mutex_lock(&g.mu);
    bool any = g.nfails > 0;
    pthread_mutex_unlock(&g.mu);
    return any;
}

static void *beat(void *arg)
{
    struct db db;
    char px[24];
    bool ok = true;
    (void)arg;
    db_init(&db, g.cfg);
    snprintf(px, sizeof(px), "%d", lease_ms());
    int every = lease_ms() / 3 < 100 ? 100 : lease_ms() / 3 > 5000 ? 5000 : lease_ms() / 3;
    do {
        int rc = db_cmd(&db, NULL, "SET", g.key, "1", "PX", px, NULL);
        if (rc && ok)
            log_warn("frontend %s: cannot renew its liveness key: %s", g.id, db.err);
        else if (!rc && !ok)
            log_info("frontend %s: liveness key renewed again", g.id);
        ok = rc == 0;
        if (ok)
            fail_deferred(&db);
    } while (!nap(have_deferred() ? 200 : every)); /* deferred jobs: look again soon */
    db_cmd(&db, NULL, "DEL", g.key, NULL);
    db_cleanup(&db);
    return NULL;
}

int alive_start(const struct config *cfg)
{
    char host[64] = "frontend";
    unsigned char rnd[4] = {0};
    g.cfg = cfg;
    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    RAND_bytes(rnd, sizeof(rnd));
    snprintf(g.id, sizeof(g.id), "%.60s-%ld-%02x%02x%02x%02x", host, (long)getpid(), rnd[0], rnd[1],
             rnd[2], rnd[3]);
    if (keys_frontend(g.key, sizeof(g.key), g.id) < 0)
        return ST_EINVAL;
    if (pthread_create(&g.tid, NULL, beat, NULL) != 0)
        return ST_ENOMEM;
    g.started = true;
    log_info("frontend id %s (liveness key renewed every %d ms)", g.id, lease_ms() / 3);
    return 0;
}

const char *alive_id(void)
{
    return g.id;
}

void alive_stop(void)
{
    if (!g.started)
        return;
    pthread_mutex_lock(&g.mu);
    g.stop = true;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    pthread_join(g.tid, NULL);
    g.started = false;
}
