/* config.c - defaults, YAML file, STAGE_* environment, validation.
 *
 * Every key lives in one table (`keys` below): its dotted path, its type, where
 * it sits in struct config and its allowed range. The YAML walker, the
 * environment pass and the range checks all read that table, so adding a key
 * is one line.
 *
 * Decisions where docs/design.md §7 is silent:
 * - sizes (part_size, chunk_size, max_message_bytes) take K/KB/KiB, M/MB/MiB,
 *   G/GB/GiB, all binary: "8MB" means 8 MiB, what a config author expects;
 * - booleans: true/false, yes/no, on/off, 1/0 (any case);
 * - a key given twice (even as "storage.fs.root" and storage: fs: root:) is an error;
 * - a list (storage.fs_url_roots) is a YAML sequence in the file; a scalar, and
 *   the environment variable, join the entries with ':' as PATH does (a path
 *   holding ':' needs the file's sequence form);
 * - an empty environment variable counts as unset (tools often export VAR="");
 * - a secret key also reads VAR_FILE (the Kubernetes Secret volume way) when
 *   VAR is unset;
 * - config_load() ends with config_validate(), so a loaded config is valid. */
#include "config.h"

#include "err.h"
#include "fsroots.h"
#include "log.h"
#include "netguard.h"
#include "registry.h"
#include "rconn.h"
#include "sentinel.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#define KIB             1024
#define MIB             (1024 * 1024)
#define CONFIG_FILE_MAX (1024 * 1024) /* a config file larger than this is a mistake */

enum ktype {
    K_STR,    /* char[size] */
    K_INT,    /* int, plain decimal */
    K_SIZE,   /* int, decimal with an optional binary suffix: 64KiB, 8MiB */
    K_SIZE64, /* long long >= 0, like K_SIZE (quotas pass 2 GiB): 500GiB, 2TiB */
    K_BOOL,   /* bool */
    /* char[size]: a YAML list of scalars joined by ", ", or one string as is;
     * its reader splits it on commas and blanks (IPv6 entries hold colons) */
    K_WORDS,
    K_LIST, /* struct config_list: a YAML sequence, or entries joined by ':' */
};

#define K_SECRET 1 /* environment (or VAR_FILE) only; never echoed in messages */

struct key {
    const char *path;
    enum ktype type;
    size_t off;
    size_t size;
    long min, max; /* K_INT/K_SIZE range, checked by config_validate() */
    int flags;
};

#define FLD(f) offsetof(struct config, f), sizeof(((struct config *)0)->f)

/* Every key of struct config; the environment variable is derived from the path. */
static const struct key keys[] = {
    {"server.listen", K_STR, FLD(server.listen), 0, 0, 0},
    {"server.http_listen", K_STR, FLD(server.http_listen), 0, 0, 0},
    {"server.threads", K_INT, FLD(server.threads), 1, 64, 0},
    {"server.max_message_bytes", K_SIZE, FLD(server.max_message_bytes), 2 * KIB, INT_MAX, 0},
    {"server.drain_timeout_s", K_INT, FLD(server.drain_timeout_s), 1, INT_MAX, 0},
    {"server.stream_window_bytes", K_SIZE, FLD(server.stream_window_bytes), 64 * KIB, 64 * MIB, 0},
    {"server.stream_idle_timeout_s", K_INT, FLD(server.stream_idle_timeout_s), 1, 86400, 0},
    {"server.max_streams", K_INT, FLD(server.max_streams), 1, 1000000, 0},
    {"server.max_connection_age_s", K_INT, FLD(server.max_connection_age_s), 0, 2000000, 0},
    {"server.max_connection_age_grace_s", K_INT, FLD(server.max_connection_age_grace_s), 0, 2000000,
     0},
    {"server.keepalive_time_s", K_INT, FLD(server.keepalive_time_s), 1, 2000000, 0},
    {"server.keepalive_timeout_s", K_INT, FLD(server.keepalive_timeout_s), 1, 2000000, 0},
    {"server.max_streams_per_user", K_INT, FLD(server.max_streams_per_user), 1, 1000000, 0},
    {"server.public_http_url", K_STR, FLD(server.public_http_url), 0, 0, 0},
    {"server.presign_max_put_bytes", K_SIZE, FLD(server.presign_max_put_bytes), 1, INT_MAX, 0},
    {"server.presign_relays", K_INT, FLD(server.presign_relays), 1, 4096, 0},
    {"server.http_max_connections", K_INT, FLD(server.http_max_connections), 4, 100000, 0},
    {"server.http_timeout_s", K_INT, FLD(server.http_timeout_s), 1, 3600, 0},
    {"server.tls_cert_file", K_STR, FLD(server.tls_cert_file), 0, 0, 0},
    {"server.tls_key_file", K_STR, FLD(server.tls_key_file), 0, 0, 0},
    {"server.tls_client_ca_file", K_STR, FLD(server.tls_client_ca_file), 0, 0, 0},
    {"server.tls_client_user", K_STR, FLD(server.tls_client_user), 0, 0, 0},
    {"server.reflection", K_BOOL, FLD(server.reflection), 0, 0, 0},
    {"redis.url", K_STR, FLD(redis.url), 0, 0, 0},
    {"redis.password", K_STR, FLD(redis.password), 0, 0, K_SECRET},
    {"redis.timeout_ms", K_INT, FLD(redis.timeout_ms), 1, INT_MAX, 0},
    {"redis.sentinels", K_WORDS, FLD(redis.sentinels), 0, 0, 0},
    {"redis.master_name", K_STR, FLD(redis.master_name), 0, 0, 0},
    {"redis.wait_replicas", K_INT, FLD(redis.wait_replicas), -1, 16, 0},
    {"redis.wait_timeout_ms", K_INT, FLD(redis.wait_timeout_ms), 1, 60000, 0},
    {"storage.type", K_STR, FLD(storage.type), 0, 0, 0},
    {"storage.fs.root", K_STR, FLD(storage.fs_root), 0, 0, 0},
    {"storage.allow_fs_urls", K_BOOL, FLD(storage.allow_fs_urls), 0, 0, 0},
    {"storage.endpoint_allow", K_WORDS, FLD(storage.endpoint_allow), 0, 0, 0},
    {"storage.fs_url_roots", K_LIST, FLD(storage.fs_url_roots), 0, 0, 0},
    {"storage.s3.bucket", K_STR, FLD(storage.s3.bucket), 0, 0, 0},
    {"storage.s3.endpoint_url", K_STR, FLD(storage.s3.endpoint_url), 0, 0, 0},
    {"storage.s3.region", K_STR, FLD(storage.s3.region), 0, 0, 0},
    {"storage.s3.access_key_id", K_STR, FLD(storage.s3.access_key_id), 0, 0, 0},
    {"storage.s3.secret_access_key", K_STR, FLD(storage.s3.secret_access_key), 0, 0, K_SECRET},
    {"storage.s3.session_token", K_STR, FLD(storage.s3.session_token), 0, 0, K_SECRET},
    {"storage.s3.root", K_STR, FLD(storage.s3.root), 0, 0, 0},
    {"storage.gcs.bucket", K_STR, FLD(storage.gcs.bucket), 0, 0, 0},
    {"storage.gcs.endpoint_url", K_STR, FLD(storage.gcs.endpoint_url), 0, 0, 0},
    {"storage.gcs.credential", K_STR, FLD(storage.gcs.credential), 0, 0, K_SECRET},
    {"storage.gcs.root", K_STR, FLD(storage.gcs.root), 0, 0, 0},
    {"storage.s3.enable_virtual_host_style", K_BOOL, FLD(storage.s3.enable_virtual_host_style), 0,
     0, 0},
    {"auth.token_ttl_s", K_INT, FLD(auth.token_ttl_s), 1, INT_MAX, 0},
    {"jobs.retention_s", K_INT, FLD(jobs.retention_s), 1, INT_MAX, 0},
    {"jobs.max_attempts", K_INT, FLD(jobs.max_attempts), 1, 1000, 0},
    {"jobs.stall_timeout_s", K_INT, FLD(jobs.stall_timeout_s), 1, INT_MAX, 0},
    {"jobs.max_queue", K_INT, FLD(jobs.max_queue), 1, INT_MAX, 0},
    {"jobs.max_active_per_user", K_INT, FLD(jobs.max_active_per_user), 0, INT_MAX, 0},
    {"jobs.lease_ms", K_INT, FLD(jobs.lease_ms), 500, INT_MAX, 0},
    {"jobs.retry_base_ms", K_INT, FLD(jobs.retry_base_ms), 1, INT_MAX, 0},
    {"jobs.retry_max_ms", K_INT, FLD(jobs.retry_max_ms), 1, INT_MAX, 0},
    {"upload.part_size", K_SIZE, FLD(upload.part_size), 64 * KIB, 64 * MIB, 0},
    {"upload.window", K_INT, FLD(upload.window), 1, 64, 0},
    {"upload.chunk_size", K_SIZE, FLD(upload.chunk_size), KIB, INT_MAX, 0},
    {"upload.parallel_parts", K_INT, FLD(upload.parallel_parts), 1, 64, 0},
    {"upload.object_part_size", K_SIZE, FLD(upload.object_part_size), 5 * MIB, 1024 * MIB, 0},
    {"upload.max_inflight_bytes", K_SIZE, FLD(upload.max_inflight_bytes), 0, INT_MAX, 0},
    {"upload.resume_window_s", K_INT, FLD(upload.resume_window_s), 0, INT_MAX, 0},
    {"worker.concurrency", K_INT, FLD(worker.concurrency), 1, 1024, 0},
    {"worker.name", K_STR, FLD(worker.name), 0, 0, 0},
    {"worker.drain_timeout_s", K_INT, FLD(worker.drain_timeout_s), 0, INT_MAX, 0},
    {"worker.backend_cache", K_INT, FLD(worker.backend_cache), 1, 65536, 0},
    {"worker.parallel_reads", K_INT, FLD(worker.parallel_reads), 1, 64, 0},
    {"quotas.user_stage_bytes", K_SIZE64, FLD(quotas.user_stage_bytes), 0, 0, 0},
    {"quotas.user_stage_files", K_SIZE64, FLD(quotas.user_stage_files), 0, 0, 0},
    {"quotas.internal_stage_bytes", K_SIZE64, FLD(quotas.internal_stage_bytes), 0, 0, 0},
    {"quotas.internal_stage_files", K_SIZE64, FLD(quotas.internal_stage_files), 0, 0, 0},
    {"log.level", K_STR, FLD(log.level), 0, 0, 0},
    {"log.format", K_STR, FLD(log.format), 0, 0, 0},
    {"log.audit_file", K_STR, FLD(log.audit_file), 0, 0, 0},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const struct key *key_find(const char *path)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].path, path) == 0)
            return &keys[i];
    return NULL;
}

/* True if `path` is a section ("storage", "storage.fs"): some key starts with "path.". */
static bool section_exists(const char *path)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < NKEYS; i++)
        if (strncmp(keys[i].path, path, n) == 0 && keys[i].path[n] == '.')
            return true;
    return false;
}

/* ------------------------------------------------------------ defaults */

static void default_worker_name(char *buf, size_t n)
{
    char host[256] = "";
    char pid[24];
    if (gethostname(host, sizeof(host)) != 0 || !host[0])
        snprintf(host, sizeof(host), "worker");
    host[sizeof(host) - 1] = '\0';
    int plen = snprintf(pid, sizeof(pid), "-%ld", (long)getpid());
    /* keep the pid whole: two workers on one host must differ */
    int hmax = (int)n - 1 - plen;
    snprintf(buf, n, "%.*s%s", hmax > 0 ? hmax : 0, host, pid);
}

void config_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->server.listen, sizeof(cfg->server.listen), "0.0.0.0:7070");
    snprintf(cfg->server.http_listen, sizeof(cfg->server.http_listen), "0.0.0.0:7071");
    cfg->server.threads = 2;
    cfg->server.max_message_bytes = 4 * MIB;
    cfg->server.drain_timeout_s = 20;
    cfg->server.stream_window_bytes = 4 * MIB;
    cfg->server.stream_idle_timeout_s = 60;
    cfg->server.max_streams = 20000;
    cfg->server.max_streams_per_user = 5000;
    cfg->server.presign_max_put_bytes = 1024 * MIB;
    cfg->server.presign_relays = 64;
    cfg->server.http_max_connections = 1024;
    cfg->server.max_connection_age_s = 1800;
    cfg->server.max_connection_age_grace_s = 600;
    cfg->server.keepalive_time_s = 60;
    cfg->server.keepalive_timeout_s = 20;
    cfg->server.http_timeout_s = 30;
    cfg->server.reflection = true;
    snprintf(cfg->redis.url, sizeof(cfg->redis.url), "redis://127.0.0.1:6379");
    cfg->redis.timeout_ms = 5000;
    cfg->redis.wait_replicas = -1;
    cfg->redis.wait_timeout_ms = 500;
    snprintf(cfg->storage.type, sizeof(cfg->storage.type), "fs");
    snprintf(cfg->storage.fs_root, sizeof(cfg->storage.fs_root), "./data");
    cfg->storage.allow_fs_urls = false;
    cfg->auth.token_ttl_s = 3600;
    cfg->jobs.retention_s = 7 * 24 * 3600;
    cfg->jobs.max_attempts = 5;
    cfg->jobs.stall_timeout_s = 60;
    cfg->jobs.max_queue = 100000;
    cfg->jobs.max_active_per_user = 10000;
    cfg->jobs.lease_ms = 15000;
    cfg->jobs.retry_base_ms = 1000;
    cfg->jobs.retry_max_ms = 30000;
    /* 2 MiB parts: Redis builds a part by APPENDing 1 MiB messages, and a
     * bigger string is reallocated (copied) on the way; 12 of them keep
     * 24 MiB in flight per transfer (Redis peak RSS 58 MiB in the bench,
     * 102 MiB with 16). */
    cfg->upload.part_size = 2 * MIB;
    cfg->upload.window = 12;
    cfg->upload.chunk_size = 1 * MIB;
    cfg->upload.parallel_parts = 4;
    cfg->upload.object_part_size = 8 * MIB;
    cfg->upload.max_inflight_bytes = 1024 * MIB;
    cfg->upload.resume_window_s = 900;
    snprintf(cfg->storage.s3.region, sizeof(cfg->storage.s3.region), "us-east-1");
    cfg->worker.concurrency = 8;
    cfg->worker.drain_timeout_s = 30;
    cfg->worker.backend_cache = 256;
    cfg->worker.parallel_reads = 4;
    default_worker_name(cfg->worker.name, sizeof(cfg->worker.name));
    snprintf(cfg->log.level, sizeof(cfg->log.level), "info");
    snprintf(cfg->log.format, sizeof(cfg->log.format), "text");
}

/* ------------------------------------------------------------ value parsing */

/* Binary multiplier of a size suffix ("", "B", "K", "KiB", "KB"...); 0 if unknown.
 * KB/MB/GB are binary too: a config author writing 8MB means 8 MiB here. */
static long long suffix_mult(const char *s)
{
    static const struct {
        const char *name;
        long long mult;
    } sfx[] = {{"", 1},           {"b", 1},          {"k", KIB},         {"kb", KIB},
               {"kib", KIB},      {"m", MIB},        {"mb", MIB},        {"mib", MIB},
               {"g", 1LL << 30},  {"gb", 1LL << 30}, {"gib", 1LL << 30}, {"t", 1LL << 40},
               {"tb", 1LL << 40}, {"tib", 1LL << 40}};
    for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++)
        if (strcasecmp(s, sfx[i].name) == 0)
            return sfx[i].mult;
    return 0;
}

/* Decimal, optionally with a size suffix, within lo..hi. Returns 0 or -1. */
static int parse_ll(const char *v, bool size, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    if (!*v || isspace((unsigned char)*v))
        return -1;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v)
        return -1;
    while (size && *end == ' ') /* "8 MiB" */
        end++;
    long long mult = size ? suffix_mult(end) : (*end ? 0 : 1);
    if (mult == 0 || x > hi / mult || x < lo / mult)
        return -1;
    *out = x * mult;
    return 0;
}

static int parse_int(const char *v, bool size, int *out)
{
    long long x;
    if (parse_ll(v, size, INT_MIN, INT_MAX, &x))
        return -1;
    *out = (int)x;
    return 0;
}

static int parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

/* Append `n` bytes of `v` to a list. */
static int list_add(struct config_list *l, const char *v, size_t n, const char *where,
                    const char *path, char *err, size_t errlen)
{
    if (l->n == CONFIG_LIST_MAX)
        return st_fail(ST_EINVAL, err, errlen, "%s: '%s' takes at most %d entries", where, path,
                       CONFIG_LIST_MAX);
    if (n >= CONFIG_LIST_ITEM)
        return st_fail(ST_EINVAL, err, errlen, "%s: an entry of '%s' is too long (max %d bytes)",
                       where, path, CONFIG_LIST_ITEM - 1);
    memcpy(l->item[l->n], v, n);
    l->item[l->n][n] = '\0';
    l->n++;
    return 0;
}

/* A whole list from entries joined by ':' (empty entries skipped); it
 * replaces what the file said, as any variable does. */
static int list_set(struct config_list *l, const char *v, const char *where, const char *path,
                    char *err, size_t errlen)
{
    memset(l, 0, sizeof(*l));
    for (const char *p = v; *p;) {
        size_t n = strcspn(p, ":");
        int rc = n ? list_add(l, p, n, where, path, err, errlen) : 0;
        if (rc)
            return rc;
        p += n;
        if (*p == ':')
            p++;
    }
    return 0;
}

/* Store `v` into the field of `k`. `where` prefixes messages ("stage.yaml:3" or
 * "STAGE_UPLOAD_PART_SIZE"). Secret values are never echoed. */
static int key_set(struct config *cfg, const struct key *k, const char *v, const char *where,
                   char *err, size_t errlen)
{
    char *field = (char *)cfg + k->off;
    const char *shown = (k->flags & K_SECRET) ? "******" : v;
    switch (k->type) {
    case K_STR:
    case K_WORDS: /* a list from the environment is one string: "a, b" */
        if (strlen(v) >= k->size)
            return st_fail(ST_EINVAL, err, errlen, "%s: value of '%s' is too long (max %zu bytes)",
                           where, k->path, k->size - 1);
        memcpy(field, v, strlen(v) + 1);
        return 0;
    case K_INT:
    case K_SIZE:
        if (parse_int(v, k->type == K_SIZE, (int *)(void *)field) == 0)
            return 0;
        return st_fail(ST_EINVAL, err, errlen, "%s: '%s' expects an integer%s, got '%.64s'", where,
                       k->path, k->type == K_SIZE ? " (optionally with KiB/MiB/GiB)" : "", shown);
    case K_SIZE64:
        if (parse_ll(v, true, 0, LLONG_MAX, (long long *)(void *)field) == 0)
            return 0;
        return st_fail(
            ST_EINVAL, err, errlen,
            "%s: '%s' expects a size >= 0 (optionally with KiB/MiB/GiB/TiB), got '%.64s'", where,
            k->path, shown);
    case K_BOOL:
        if (parse_bool(v, (bool *)(void *)field) == 0)
            return 0;
        return st_fail(ST_EINVAL, err, errlen, "%s: '%s' expects true or false, got '%.64s'", where,
                       k->path, shown);
    case K_LIST:
        return list_set((struct config_list *)(void *)field, v, where, k->path, err, errlen);
    }
    return ST_EINTERNAL;
}

/* "storage.fs.root" -> "STAGE_STORAGE_FS_ROOT" */
static void env_name(char *buf, size_t n, const char *path)
{
    size_t i = (size_t)snprintf(buf, n, "STAGE_");
    for (; *path && i + 1 < n; path++)
        buf[i++] = *path == '.' ? '_' : (char)toupper((unsigned char)*path);
    buf[i] = '\0';
}

/* ------------------------------------------------------------ YAML */

struct walk {
    struct config *cfg;
    yaml_document_t *doc;
    const char *name;
    char *err;
    size_t errlen;
    size_t seen[NKEYS]; /* line where each key was set, 0 = not yet: duplicates are errors */
};

static bool scalar_is_null(const yaml_node_t *n)
{
    const char *v = (const char *)n->data.scalar.value;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    return !*v || strcmp(v, "~") == 0 || strcmp(v, "null") == 0;
}

static int walk_mapping(struct walk *w, yaml_node_t *map, const char *prefix);

/* A K_WORDS key given as a YAML sequence: its scalars joined by ", ". */
static int walk_words(struct walk *w, const struct key *k, yaml_node_t *seq, const char *where)
{
    char *field = (char *)w->cfg + k->off;
    size_t len = 0;
    field[0] = '\0';
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        yaml_node_t *n = yaml_document_get_node(w->doc, *it);
        if (!n || n->type != YAML_SCALAR_NODE)
            return st_fail(ST_EINVAL, w->err, w->errlen, "%s: '%s' takes a list of plain values",
                           where, k->path);
        const char *v = (const char *)n->data.scalar.value;
        int got = snprintf(field + len, k->size - len, "%s%s", len ? ", " : "", v);
        if (got < 0 || (size_t)got >= k->size - len)
            return st_fail(ST_EINVAL, w->err, w->errlen,
                           "%s: value of '%s' is too long (max %zu bytes)", where, k->path,
                           k->size - 1);
        len += (size_t)got;
    }
    return 0;
}

/* A K_LIST key given as a YAML sequence of scalars. */
static int walk_list(struct walk *w, const struct key *k, yaml_node_t *seq, const char *where)
{
    struct config_list *l = (struct config_list *)(void *)((char *)w->cfg + k->off);
    memset(l, 0, sizeof(*l));
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        yaml_node_t *v = yaml_document_get_node(w->doc, *it);
        if (!v || v->type != YAML_SCALAR_NODE)
            return st_fail(ST_EINVAL, w->err, w->errlen,
                           "%s: the entries of '%s' must be plain strings", where, k->path);
        const char *s = (const char *)v->data.scalar.value;
        int rc = list_add(l, s, strlen(s), where, k->path, w->err, w->errlen);
        if (rc)
            return rc;
    }
    return 0;
}

/* One `key: value` pair at `path`; `line` is the key's line, for messages. */
static int walk_value(struct walk *w, const char *path, yaml_node_t *val, size_t line)
{
    char where[300];
    snprintf(where, sizeof(where), "%s:%zu", w->name, line);
    const struct key *k = key_find(path);
    if (k && (k->flags & K_SECRET)) {
        char var[80];
        env_name(var, sizeof(var), path);
        return st_fail(ST_EINVAL, w->err, w->errlen,
                       "%s: '%s' is a secret and cannot be set in the config file; "
                       "use the environment variable %s (or %s_FILE)",
                       where, path, var, var);
    }
    if (k && (val->type == YAML_SCALAR_NODE || val->type == YAML_SEQUENCE_NODE)) {
        size_t *seen = &w->seen[k - keys];
        if (*seen)
            return st_fail(ST_EINVAL, w->err, w->errlen,
                           "%s: duplicate key '%s' (first set at line %zu)", where, path, *seen);
        *seen = line;
    }
    if (val->type == YAML_MAPPING_NODE) {
        if (!k && section_exists(path))
            return walk_mapping(w, val, path);
        if (k)
            return st_fail(ST_EINVAL, w->err, w->errlen, "%s: '%s' expects a value, not a mapping",
                           where, path);
    } else if (val->type == YAML_SCALAR_NODE) {
        if (k)
            return key_set(w->cfg, k, (const char *)val->data.scalar.value, where, w->err,
                           w->errlen);
        if (section_exists(path)) {
            if (scalar_is_null(val)) /* "server:" with nothing under it */
                return 0;
            return st_fail(ST_EINVAL, w->err, w->errlen,
                           "%s: '%s' is a section; expected a mapping", where, path);
        }
    } else if (k && k->type == K_WORDS && val->type == YAML_SEQUENCE_NODE) {
        return walk_words(w, k, val, where);
    } else if (k && k->type == K_LIST && val->type == YAML_SEQUENCE_NODE) {
        return walk_list(w, k, val, where);
    } else if (k || section_exists(path)) {
        return st_fail(ST_EINVAL, w->err, w->errlen, "%s: '%s' does not take a list", where, path);
    }
    return st_fail(ST_EINVAL, w->err, w->errlen, "%s: unknown key '%s'", where, path);
}

static int walk_mapping(struct walk *w, yaml_node_t *map, const char *prefix)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
        size_t line = k->start_mark.line + 1;
        if (k->type != YAML_SCALAR_NODE)
            return st_fail(ST_EINVAL, w->err, w->errlen, "%s:%zu: keys must be plain names",
                           w->name, line);
        char path[256];
        int n = snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "",
                         (const char *)k->data.scalar.value);
        if (n < 0 || (size_t)n >= sizeof(path))
            return st_fail(ST_EINVAL, w->err, w->errlen, "%s:%zu: unknown key '%.64s...'", w->name,
                           line, path);
        int rc = walk_value(w, path, v, line);
        if (rc)
            return rc;
    }
    return 0;
}

static int walk_root(struct walk *w)
{
    yaml_node_t *root = yaml_document_get_root_node(w->doc);
    if (!root) /* empty file: defaults */
        return 0;
    if (root->type == YAML_SCALAR_NODE && scalar_is_null(root))
        return 0;
    if (root->type != YAML_MAPPING_NODE)
        return st_fail(ST_EINVAL, w->err, w->errlen,
                       "%s:%zu: the top level must be a mapping of sections", w->name,
                       root->start_mark.line + 1);
    return walk_mapping(w, root, "");
}

int config_parse_yaml(struct config *cfg, const char *text, size_t len, const char *name, char *err,
                      size_t errlen)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!name)
        name = "config";
    if (!yaml_parser_initialize(&parser))
        return ST_ENOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        int rc = st_fail(ST_EINVAL, err, errlen, "%s:%zu: invalid YAML: %s%s%s", name,
                         parser.problem_mark.line + 1, parser.problem ? parser.problem : "error",
                         parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return rc;
    }
    struct walk w = {cfg, &doc, name, err, errlen, {0}};
    int rc = walk_root(&w);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

/* ------------------------------------------------------------ environment */

/* The value of a secret from the file named by VAR_FILE (Kubernetes Secret
 * volumes); a trailing newline is dropped. */
static int read_secret_file(const char *var, const char *file, char *buf, size_t n, char *err,
                            size_t errlen)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return st_fail(ST_EINVAL, err, errlen, "%s_FILE: cannot open '%s': %s", var, file,
                       strerror(errno));
    size_t got = fread(buf, 1, n - 1, f);
    bool more = fgetc(f) != EOF;
    fclose(f);
    buf[got] = '\0';
    while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
        buf[--got] = '\0';
    if (more)
        return st_fail(ST_EINVAL, err, errlen, "%s_FILE: '%s' is too long (max %zu bytes)", var,
                       file, n - 2);
    return 0;
}

static int env_apply_secret(struct config *cfg, const struct key *k, const char *var,
                            char *(*get)(const char *), char *err, size_t errlen)
{
    char fvar[80], val[1024];
    snprintf(fvar, sizeof(fvar), "%s_FILE", var);
    const char *file = get(fvar);
    if (!file || !*file)
        return 0;
    int rc = read_secret_file(var, file, val, sizeof(val), err, errlen);
    if (rc == 0)
        rc = key_set(cfg, k, val, fvar, err, errlen);
    memset(val, 0, sizeof(val));
    return rc;
}

int config_apply_env(struct config *cfg, char *(*getenv_fn)(const char *), char *err, size_t errlen)
{
    char *(*get)(const char *) = getenv_fn ? getenv_fn : getenv;
    for (size_t i = 0; i < NKEYS; i++) {
        char var[80];
        env_name(var, sizeof(var), keys[i].path);
        const char *v = get(var);
        /* LOG_LEVEL is the conventional name; STAGE_LOG_LEVEL wins when both are set */
        if ((!v || !*v) && strcmp(keys[i].path, "log.level") == 0) {
            snprintf(var, sizeof(var), "LOG_LEVEL");
            v = get(var);
        }
        int rc;
        /* An empty variable counts as unset: deployment tools often export VAR="" */
        if (v && *v)
            rc = key_set(cfg, &keys[i], v, var, err, errlen);
        else if (keys[i].flags & K_SECRET)
            rc = env_apply_secret(cfg, &keys[i], var, get, err, errlen);
        else
            rc = 0;
        if (rc)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------ load + validate */

static int read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return st_fail(ST_EINVAL, err, errlen, "%s: cannot open: %s", path, strerror(errno));
    char *buf = malloc(CONFIG_FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        return ST_ENOMEM;
    }
    size_t n = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || n > CONFIG_FILE_MAX) {
        free(buf);
        return st_fail(ST_EINVAL, err, errlen, "%s: %s", path,
                       bad ? "read error" : "larger than 1 MiB; is this the right file?");
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

int config_load(struct config *cfg, const char *path, char *(*getenv_fn)(const char *), char *err,
                size_t errlen)
{
    config_defaults(cfg);
    if (path) {
        char *text = NULL;
        size_t len = 0;
        int rc = read_file(path, &text, &len, err, errlen);
        if (rc)
            return rc;
        rc = config_parse_yaml(cfg, text, len, path, err, errlen);
        free(text);
        if (rc)
            return rc;
    }
    int rc = config_apply_env(cfg, getenv_fn, err, errlen);
    return rc ? rc : config_validate(cfg, err, errlen);
}

static int check_sentinels(const struct config *cfg, char *err, size_t errlen);

static int check_ranges(const struct config *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < NKEYS; i++) {
        const struct key *k = &keys[i];
        if (k->type != K_INT && k->type != K_SIZE)
            continue;
        int v = *(const int *)(const void *)((const char *)cfg + k->off);
        if (v < k->min || v > k->max)
            return st_fail(ST_EINVAL, err, errlen, "%s: %d is out of range (%ld..%ld)", k->path, v,
                           k->min, k->max);
    }
    return 0;
}

static int check_enums(const struct config *cfg, char *err, size_t errlen)
{
    char names[64];
    if (!registry_find(cfg->storage.type))
        return st_fail(ST_EINVAL, err, errlen, "storage.type: '%s' is not one of %s",
                       cfg->storage.type, registry_names(names, sizeof(names), false));
    if (log_level_parse(cfg->log.level) < 0)
        return st_fail(ST_EINVAL, err, errlen,
                       "log.level: '%s' is not one of debug, info, warn, error, off",
                       cfg->log.level);
    if (strcmp(cfg->log.format, "text") != 0 && strcmp(cfg->log.format, "json") != 0)
        return st_fail(ST_EINVAL, err, errlen, "log.format: '%s' is not one of text, json",
                       cfg->log.format);
    return 0;
}

/* Workers build their connect guard from these at start (netguard.h). */
static int check_endpoint_allow(const struct config *cfg, char *err, size_t errlen)
{
    char why[200];
    struct netguard *g = malloc(sizeof(*g));
    if (!g)
        return ST_ENOMEM;
    netguard_init(g);
    int rc = netguard_allow(g, cfg->storage.endpoint_allow, why, sizeof(why));
    free(g);
    return rc ? st_fail(ST_EINVAL, err, errlen, "storage.endpoint_allow: %s", why) : 0;
}

static int check_strings(const struct config *cfg, char *err, size_t errlen)
{
    static const struct {
        const char *path;
        size_t off;
    } need[] = {{"server.listen", offsetof(struct config, server.listen)},
                {"server.http_listen", offsetof(struct config, server.http_listen)},
                {"storage.fs.root", offsetof(struct config, storage.fs_root)},
                {"worker.name", offsetof(struct config, worker.name)}};
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
        if (!*((const char *)cfg + need[i].off))
            return st_fail(ST_EINVAL, err, errlen, "%s: must not be empty", need[i].path);
    char why[200];
    if (!cfg->server.tls_cert_file[0] != !cfg->server.tls_key_file[0])
        return st_fail(ST_EINVAL, err, errlen,
                       "server.tls_cert_file and server.tls_key_file: set both or neither");
    if (cfg->server.tls_client_ca_file[0] && !cfg->server.tls_cert_file[0])
        return st_fail(ST_EINVAL, err, errlen,
                       "server.tls_client_ca_file: mTLS needs TLS (server.tls_cert_file and "
                       "server.tls_key_file)");
    if (cfg->server.tls_client_user[0] && strcmp(cfg->server.tls_client_user, "cn") != 0)
        return st_fail(ST_EINVAL, err, errlen,
                       "server.tls_client_user: '%s' is not \"cn\" or empty",
                       cfg->server.tls_client_user);
    if (cfg->server.tls_client_user[0] && !cfg->server.tls_client_ca_file[0])
        return st_fail(ST_EINVAL, err, errlen,
                       "server.tls_client_user: users from certificates need mTLS "
                       "(server.tls_client_ca_file)");
    int rc = check_endpoint_allow(cfg, err, errlen);
    if (rc)
        return rc;
    struct redis_addr a;
    if (rconn_parse_url(cfg->redis.url, &a, why, sizeof(why)) != 0)
        return st_fail(ST_EINVAL, err, errlen, "redis.url: %s", why);
    memset(&a, 0, sizeof(a)); /* it may hold a password from the URL */
    return check_sentinels(cfg, err, errlen);
}

/* redis.sentinels and redis.master_name go together. */
static int check_sentinels(const struct config *cfg, char *err, size_t errlen)
{
    char why[300];
    struct sentinel_list l;
    if (!cfg->redis.sentinels[0] && !cfg->redis.master_name[0])
        return 0;
    if (!cfg->redis.sentinels[0] || !cfg->redis.master_name[0])
        return st_fail(ST_EINVAL, err, errlen,
                       "redis.sentinels and redis.master_name: set both or neither");
    if (sentinel_parse_list(cfg->redis.sentinels, &l, why, sizeof(why)) != 0)
        return st_fail(ST_EINVAL, err, errlen, "%s", why);
    if (strncmp(cfg->redis.url, "unix://", 7) == 0)
        return st_fail(ST_EINVAL, err, errlen,
                       "redis.url: a unix socket cannot follow a failover; with redis.sentinels "
                       "use redis://[:password@]any-host[/db] (the host and port are ignored)");
    return 0;
}

int config_validate(const struct config *cfg, char *err, size_t errlen)
{
    int rc = check_ranges(cfg, err, errlen);
    if (rc)
        return rc;
    /* a download chunk plus the message framing must fit one gRPC message */
    if (cfg->upload.chunk_size > cfg->server.max_message_bytes - KIB)
        return st_fail(
            ST_EINVAL, err, errlen,
            "upload.chunk_size: %d must be at most server.max_message_bytes - 1 KiB (%d)",
            cfg->upload.chunk_size, cfg->server.max_message_bytes - KIB);
    /* a new upload needs room for at least its first part */
    if (cfg->upload.max_inflight_bytes > 0 &&
        cfg->upload.max_inflight_bytes < cfg->upload.part_size)
        return st_fail(ST_EINVAL, err, errlen,
                       "upload.max_inflight_bytes: %d must be 0 (no limit) or at least "
                       "upload.part_size (%d)",
                       cfg->upload.max_inflight_bytes, cfg->upload.part_size);
    rc = check_enums(cfg, err, errlen);
    if (!rc)
        rc = check_strings(cfg, err, errlen);
    return rc ? rc : fsroots_config_check(cfg, NULL, err, errlen);
}

int config_split_addr(const char *addr, char *host, size_t n, int *port)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || (size_t)(colon - addr) >= n)
        return ST_EINVAL;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || p < 0 || p > 65535)
        return ST_EINVAL;
    size_t len = (size_t)(colon - addr);
    if (addr[0] == '[' && len >= 2 && addr[len - 1] == ']') {
        addr++;
        len -= 2;
    }
    memcpy(host, addr, len);
    host[len] = '\0';
    *port = (int)p;
    return 0;
}

int config_startup(struct config *cfg, const char *path, const char *prog)
{
    char err[512] = "";
    int rc = config_load(cfg, path, NULL, err, sizeof(err));
    if (!rc)
        rc = config_validate(cfg, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return rc;
    }
    int lvl = log_level_parse(cfg->log.level);
    log_init(prog, lvl < 0 ? LOG_LVL_INFO : lvl, strcmp(cfg->log.format, "json") == 0);
    return 0;
}
