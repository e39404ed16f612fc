/* pool.c - threads running items from a bounded queue (see pool.h). */
#include "pool.h"

#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QUEUE_CAP 256
#define TICK_MS   200

struct pool {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full, idle;
    void *q[QUEUE_CAP];
    size_t head, n;
    bool closed;
    int running; /* threads still alive */
    int worst;
    pool_fn *fn;
    void *ud;
    const struct cli *cli;
    pthread_t t[POOL_MAX_THREADS];
    int nthreads;
};

static void *thread_main(void *arg)
{
    struct pool *p = arg;
    struct cli tcli = *p->cli;
    tcli.connected = false;
    memset(&tcli.conn, 0, sizeof(tcli.conn));
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->n == 0 && !p->closed)
            pthread_cond_wait(&p->not_empty, &p->mu);
        if (p->n == 0)
            break;
        void *item = p->q[p->head];
        p->head = (p->head + 1) % QUEUE_CAP;
        p->n--;
        pthread_cond_signal(&p->not_full);
        pthread_mutex_unlock(&p->mu);
        int rc = p->fn(&tcli, item, p->ud);
        free(item);
        pthread_mutex_lock(&p->mu);
        if (rc > p->worst)
            p->worst = rc;
    }
    p->running--;
    pthread_cond_signal(&p->idle);
    pthread_mutex_unlock(&p->mu);
    if (tcli.connected)
        rpc_conn_cleanup(&tcli.conn);
    return NULL;
}

struct pool *pool_new(const struct cli *cli, int nthreads, pool_fn *fn, void *ud)
{
    if (nthreads < 1 || nthreads > POOL_MAX_THREADS)
        return NULL;
    struct pool *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->not_empty, NULL);
    pthread_cond_init(&p->not_full, NULL);
    pthread_cond_init(&p->idle, NULL);
    p->fn = fn;
    p->ud = ud;
    p->cli = cli;
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&p->t[i], NULL, thread_main, p) != 0)
            break;
        p->nthreads++;
        p->running++;
    }
    if (p->nthreads == 0) {
        free(p);
        return NULL;
    }
    return p;
}

/* Wait on `cv` for at most TICK_MS; the caller holds p->mu. */
static void timed_wait(struct pool *p, pthread_cond_t *cv)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += TICK_MS * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(cv, &p->mu, &ts);
}

static void tick_unlocked(struct pool *p, pool_tick_fn *tick, void *tick_ud)
{
    if (!tick)
        return;
    pthread_mutex_unlock(&p->mu);
    tick(tick_ud);
    pthread_mutex_lock(&p->mu);
}

void pool_push(struct pool *p, void *item, pool_tick_fn *tick, void *tick_ud)
{
    pthread_mutex_lock(&p->mu);
    while (p->n == QUEUE_CAP) {
        timed_wait(p, &p->not_full);
        tick_unlocked(p, tick, tick_ud);
    }
    p->q[(p->head + p->n) % QUEUE_CAP] = item;
    p->n++;
    pthread_cond_signal(&p->not_empty);
    pthread_mutex_unlock(&p->mu);
}

int pool_finish(struct pool *p, pool_tick_fn *tick, void *tick_ud)
{
    pthread_mutex_lock(&p->mu);
    p->closed = true;
    pthread_cond_broadcast(&p->not_empty);
    while (p->running > 0) {
        timed_wait(p, &p->idle);
        tick_unlocked(p, tick, tick_ud);
    }
    int worst = p->worst;
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->t[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->not_empty);
    pthread_cond_destroy(&p->not_full);
    pthread_cond_destroy(&p->idle);
    free(p);
    return worst;
}
