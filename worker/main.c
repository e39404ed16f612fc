/* main.c - stage-worker: configuration, the storage backend, the event loop.
 *
 * SIGTERM/SIGINT are taken as libevent signal events (worker.c): the worker
 * stops taking jobs, lets the running ones finish for up to
 * worker.drain_timeout_s, hands the rest back (lease.h), disconnects and
 * exits 0. SIGPIPE is ignored (hiredis
 * writes with plain write()). */
#include "memtune.h"
#include "backend.h"
#include "backends.h"
#include "backend_open.h"
#include "config.h"
#include "confspec.h"
#include "err.h"
#include "health.h"
#include "log.h"
#include "storspec.h"
#include "worker.h"
#include "stage_commit.h" /* generated at build time: STAGE_COMMIT */

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG "stage-worker"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: %s [--config FILE] [--check-config] [--version]\n"
            "  --config FILE    YAML configuration (every key has a default;\n"
            "                   STAGE_* environment variables override it)\n"
            "  --check-config   validate the configuration and exit\n"
            "  --version        the version and commit, then exit\n",
            PROG);
}

static int open_backend(const struct config *cfg, struct event_base *base, struct backend **out)
{
    char err[512] = "";
    int rc = backend_open_config(out, base, cfg, err, sizeof(err));
    if (rc)
        log_error("cannot open the storage: %s (%d %s)", err, rc, st_strerror(rc));
    return rc;
}

/* Where the storage is: its URL (no secret in it), or the fs root. */
static void log_started(const struct config *cfg)
{
    struct storspec *sp = calloc(1, sizeof(*sp)); /* large; secrets wiped below */
    char err[160];
    if (sp && confspec_from_config(cfg, sp, err, sizeof(err)) == 0)
        log_info("worker %s: concurrency %d, storage %s at %s", cfg->worker.name,
                 cfg->worker.concurrency, cfg->storage.type,
                 sp->type == STORSPEC_FS ? sp->root : sp->url);
    storspec_wipe(sp);
    free(sp);
}

static int run(const struct config *cfg)
{
    struct backend *b = NULL;
    struct health *hp = NULL;
    struct worker w;
    char err[512] = "";
    struct event_base *base = event_base_new();
    int rc = base ? 0 : ST_ENOMEM;
    if (!rc)
        rc = open_backend(cfg, base, &b);
    if (!rc)
        rc = worker_init(&w, cfg, base, b);
    if (!rc) {
        rc = backends_new(&w.backends, base, cfg, b, err, sizeof(err));
        if (rc)
            log_error("%s", err);
    }
    if (!rc) {
        log_started(cfg);
        rc = health_start(&hp, &w, err, sizeof(err));
        if (rc)
            log_error("%s", err);
    }
    if (!rc)
        rc = worker_start(&w);
    if (!rc && event_base_dispatch(base) < 0)
        rc = ST_EINTERNAL;
    health_free(hp);
    if (base && b) {
        worker_cleanup(&w);
        w.backends = backends_free(w.backends);
    }
    backend_free(b);
    if (base)
        event_base_free(base);
    return rc;
}

int main(int argc, char **argv)
{
    memtune_init(MEMTUNE_WORKER);
    const char *path = NULL;
    bool check = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            path = argv[++i];
        } else if (strcmp(argv[i], "--check-config") == 0) {
            check = true;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("%s %s (commit %s)\n", PROG, STAGE_VERSION, STAGE_COMMIT);
            return 0;
        } else {
            bool help = strcmp(argv[i], "--help") == 0;
            usage(help ? stdout : stderr);
            return help ? 0 : 2;
        }
    }
    static struct config cfg;
    if (config_startup(&cfg, path, PROG))
        return 1;
    if (check) {
        printf("%s: configuration ok\n", path ? path : "(defaults)");
        return 0;
    }
    signal(SIGPIPE, SIG_IGN);
    int rc = run(&cfg);
    log_info("stopped");
    return rc ? 1 : 0;
}
