/* config.c - defaults, YAML file, STAGE_* environment, validation.
 *
 * Every key lives in one table (config_keys.c): its dotted path, its type,
 * where it sits in struct config and its allowed range. The YAML walker, the
 * environment pass and the range checks all read that table, so adding a key
 * is one line. The storage section's checks are config_storage.c's.
 *
 * Decisions where docs/design.md §7 is silent (values: config_keys.c):
 * - a key given twice (even as "storage.fs.root" and storage: fs: root:) is an error;
 * - an empty environment variable counts as unset (tools often export VAR="");
 * - a secret key also reads VAR_FILE (the Kubernetes Secret volume way) when
 *   VAR is unset;
 * - config_load() ends with config_validate(), so a loaded config is valid. */
#include "config.h"

#include "config_keys.h"
#include "config_storage.h"
#include "err.h"
#include "fsroots.h"
#include "log.h"
#include "rconn.h"
#include "sentinel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#define KIB             1024
#define MIB             (1024 * 1024)
#define CONFIG_FILE_MAX (1024 * 1024) /* a config file larger than this is a mistake */

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

/* ------------------------------------------------------------ YAML */

struct walk {
    struct config *cfg;
    yaml_document_t *doc;
    const char *name;
    char *err;
    size_t errlen;
    size_t seen[CONFIG_NKEYS_MAX]; /* line where each key was set, 0 = not yet: duplicates are
                                      errors */
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
static int walk_words(struct walk *w, const struct config_key *k, yaml_node_t *seq,
                      const char *where)
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
static int walk_list(struct walk *w, const struct config_key *k, yaml_node_t *seq,
                     const char *where)
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
        int rc = config_list_add(l, s, strlen(s), where, k->path, w->err, w->errlen);
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
    const struct config_key *k = config_key_find(path);
    if (k && (k->flags & K_SECRET)) {
        char var[80];
        config_key_env(var, sizeof(var), path);
        return st_fail(ST_EINVAL, w->err, w->errlen,
                       "%s: '%s' is a secret and cannot be set in the config file; "
                       "use the environment variable %s (or %s_FILE)",
                       where, path, var, var);
    }
    if (k && (val->type == YAML_SCALAR_NODE || val->type == YAML_SEQUENCE_NODE)) {
        size_t *seen = &w->seen[k - config_keys];
        if (*seen)
            return st_fail(ST_EINVAL, w->err, w->errlen,
                           "%s: duplicate key '%s' (first set at line %zu)", where, path, *seen);
        *seen = line;
    }
    if (val->type == YAML_MAPPING_NODE) {
        if (!k && config_key_section(path))
            return walk_mapping(w, val, path);
        if (k)
            return st_fail(ST_EINVAL, w->err, w->errlen, "%s: '%s' expects a value, not a mapping",
                           where, path);
    } else if (val->type == YAML_SCALAR_NODE) {
        if (k)
            return config_key_set(w->cfg, k, (const char *)val->data.scalar.value, where, w->err,
                                  w->errlen);
        if (config_key_section(path)) {
            if (scalar_is_null(val)) /* "server:" with nothing under it */
                return 0;
            return st_fail(ST_EINVAL, w->err, w->errlen,
                           "%s: '%s' is a section; expected a mapping", where, path);
        }
    } else if (k && k->type == K_WORDS && val->type == YAML_SEQUENCE_NODE) {
        return walk_words(w, k, val, where);
    } else if (k && k->type == K_LIST && val->type == YAML_SEQUENCE_NODE) {
        return walk_list(w, k, val, where);
    } else if (k || config_key_section(path)) {
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

static int env_apply_secret(struct config *cfg, const struct config_key *k, const char *var,
                            char *(*get)(const char *), char *err, size_t errlen)
{
    char fvar[96];
    snprintf(fvar, sizeof(fvar), "%s_FILE", var);
    const char *file = get(fvar);
    if (!file || !*file)
        return 0;
    /* as large as the field and its newline: a gcs credential is kilobytes */
    size_t n = k->size + 2;
    char *val = malloc(n);
    if (!val)
        return ST_ENOMEM;
    int rc = read_secret_file(var, file, val, n, err, errlen);
    if (rc == 0)
        rc = config_key_set(cfg, k, val, fvar, err, errlen);
    memset(val, 0, n);
    free(val);
    return rc;
}

int config_apply_env(struct config *cfg, char *(*getenv_fn)(const char *), char *err, size_t errlen)
{
    char *(*get)(const char *) = getenv_fn ? getenv_fn : getenv;
    for (size_t i = 0; i < config_nkeys; i++) {
        char var[80];
        config_key_env(var, sizeof(var), config_keys[i].path);
        const char *v = get(var);
        /* LOG_LEVEL is the conventional name; STAGE_LOG_LEVEL wins when both are set */
        if ((!v || !*v) && strcmp(config_keys[i].path, "log.level") == 0) {
            snprintf(var, sizeof(var), "LOG_LEVEL");
            v = get(var);
        }
        int rc;
        /* An empty variable counts as unset: deployment tools often export VAR="" */
        if (v && *v)
            rc = config_key_set(cfg, &config_keys[i], v, var, err, errlen);
        else if (config_keys[i].flags & K_SECRET)
            rc = env_apply_secret(cfg, &config_keys[i], var, get, err, errlen);
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
    for (size_t i = 0; i < config_nkeys; i++) {
        const struct config_key *k = &config_keys[i];
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
    if (log_level_parse(cfg->log.level) < 0)
        return st_fail(ST_EINVAL, err, errlen,
                       "log.level: '%s' is not one of debug, info, warn, error, off",
                       cfg->log.level);
    if (strcmp(cfg->log.format, "text") != 0 && strcmp(cfg->log.format, "json") != 0)
        return st_fail(ST_EINVAL, err, errlen, "log.format: '%s' is not one of text, json",
                       cfg->log.format);
    return 0;
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
    int rc = config_storage_check(cfg, err, errlen);
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
