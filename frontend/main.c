/* main.c - stage-frontend: configuration, signals, start-up and shutdown.
 *
 * SIGINT/SIGTERM are blocked before grpc_init() (so every thread inherits
 * the mask) and taken with sigtimedwait() here; SIGPIPE is ignored (hiredis
 * writes with plain write()). */
#include "alive.h"
#include "hub.h"
#include "loop.h"
#include "memtune.h"
#include "aredis.h"
#include "audit.h"
#include "auth.h"
#include "catalog.h"
#include "secret.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "handlers.h"
#include "http.h"
#include "log.h"
#include "server.h"
#include "stage_commit.h" /* generated at build time: STAGE_COMMIT */

#include <grpc/grpc.h>
#include <grpc/support/log.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROG "stage-frontend"

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

static void grpc_log(gpr_log_func_args *a)
{
    int lvl = a->severity == GPR_LOG_SEVERITY_ERROR  ? LOG_LVL_ERROR
              : a->severity == GPR_LOG_SEVERITY_INFO ? LOG_LVL_INFO
                                                     : LOG_LVL_DEBUG;
    LOG_AT(lvl, "grpc %s:%d: %s", a->file, a->line, a->message);
}

/* Wait up to `ms` for SIGINT/SIGTERM; true if one came. */
static bool wait_signal(const sigset_t *set, long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    int sig = sigtimedwait(set, NULL, ms < 0 ? NULL : &ts);
    if (sig > 0)
        log_info("signal %d: stopping", sig);
    return sig > 0;
}

/* The master key: it seals external stages' connection secrets and keys
 * tokens and presigned URLs (auth.h). Required. */
static int load_master_key(void)
{
    struct secret_key key;
    char err[256];
    int rc = secret_key_from_env(&key, err, sizeof(err));
    if (rc) {
        log_error("master key: %s", err);
        return rc;
    }
    if (!key.set) {
        log_error("STAGE_MASTER_KEY (or STAGE_MASTER_KEY_FILE) is not set: the frontend needs it "
                  "to key tokens, presigned URLs and stage credentials (32 random bytes, base64: "
                  "openssl rand -base64 32; the same on every frontend and worker)");
        return ST_EINVAL;
    }
    rc = auth_set_master_key(key.k, sizeof(key.k));
    if (rc) {
        log_error("master key: cannot derive the token keys");
        secret_wipe(&key, sizeof(key));
        return rc;
    }
    catalog_set_key(&key);
    secret_wipe(&key, sizeof(key));
    return 0;
}

/* Token secret and root user; retries while Redis is unavailable. */
static int init_auth(const struct config *cfg, const sigset_t *set)
{
    struct db db;
    char err[512];
    int rc;
    db_init(&db, cfg);
    for (int attempt = 0;; attempt++) {
        err[0] = '\0';
        rc = auth_init(&db, cfg, err, sizeof(err));
        if (rc != ST_EUNAVAIL)
            break;
        if (attempt % 10 == 0)
            log_warn("start-up waits for Redis: %s", err);
        if (wait_signal(set, 1000)) {
            rc = ST_ECANCELLED;
            break;
        }
    }
    if (rc && rc != ST_ECANCELLED)
        log_error("start-up failed: %s (%d %s)", err, rc, st_strerror(rc));
    db_cleanup(&db);
    return rc;
}

static void close_redis(void *arg)
{
    (void)arg;
    aredis_close();
}

static int serve(const struct config *cfg, const sigset_t *set)
{
    char err[256] = "";
    int n;
    const struct method *methods = methods_table(&n);
    struct server *s = server_new(cfg, methods, n, err, sizeof(err));
    struct http *h = NULL;
    int rc = s ? h_reflect_init() : ST_ENOMEM;
    if (!rc)
        rc = alive_start(cfg);
    if (!rc)
        rc = audit_open(cfg->log.audit_file, err, sizeof(err));
    if (!rc)
        rc = loop_start(cfg->server.threads);
    if (!rc) {
        aredis_init(cfg);
        hub_start(cfg);
        rc = server_start(s, err, sizeof(err));
    }
    if (!rc)
        rc = http_start(&h, cfg, s, err, sizeof(err));
    if (rc)
        log_error("cannot start the server: %s", err);
    else
        while (!wait_signal(set, -1))
            ;
    server_stop(s);
    alive_stop(); /* after the last call: its uploads no longer need it */
    h = http_stop(h);
    hub_stop();
    loop_post(close_redis, NULL);
    loop_stop();
    server_free(s);
    h_reflect_cleanup();
    audit_close();
    return rc;
}

int main(int argc, char **argv)
{
    memtune_init(MEMTUNE_RELAY);
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
            usage(strcmp(argv[i], "--help") == 0 ? stdout : stderr);
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    static struct config cfg;
    if (config_startup(&cfg, path, PROG) || load_master_key())
        return 1;
    if (check) {
        printf("%s: configuration ok\n", path ? path : "(defaults)");
        return 0;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    gpr_set_log_function(grpc_log);
    grpc_init();
    int rc = init_auth(&cfg, &set);
    if (rc == ST_ECANCELLED)
        rc = 0;
    else if (!rc)
        rc = serve(&cfg, &set);
    grpc_shutdown();
    log_info("stopped");
    return rc ? 1 : 0;
}
