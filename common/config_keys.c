/* config_keys.c - the key table and value parsing (see config_keys.h).
 *
 * Decisions where docs/design.md §7 is silent:
 * - sizes (part_size, chunk_size, max_message_bytes) take K/KB/KiB, M/MB/MiB,
 *   G/GB/GiB, all binary: "8MB" means 8 MiB, what a config author expects;
 * - booleans: true/false, yes/no, on/off, 1/0 (any case);
 * - a list (storage.fs_url_roots) is a YAML sequence in the file; a scalar, and
 *   the environment variable, join the entries with ':' as PATH does (a path
 *   holding ':' needs the file's sequence form). */
#include "config_keys.h"

#include "config.h"
#include "err.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KIB 1024
#define MIB (1024 * 1024)

#define FLD(f) offsetof(struct config, f), sizeof(((struct config *)0)->f)

/* Every key of struct config; the environment variable is derived from the path. */
const struct config_key config_keys[] = {
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
    {"storage.azblob.container", K_STR, FLD(storage.azblob.container), 0, 0, 0},
    {"storage.azblob.endpoint_url", K_STR, FLD(storage.azblob.endpoint_url), 0, 0, 0},
    {"storage.azblob.account_name", K_STR, FLD(storage.azblob.account_name), 0, 0, 0},
    {"storage.azblob.account_key", K_STR, FLD(storage.azblob.account_key), 0, 0, K_SECRET},
    {"storage.azblob.root", K_STR, FLD(storage.azblob.root), 0, 0, 0},
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
const size_t config_nkeys = sizeof(config_keys) / sizeof(config_keys[0]);
_Static_assert(sizeof(config_keys) / sizeof(config_keys[0]) <= CONFIG_NKEYS_MAX,
               "raise CONFIG_NKEYS_MAX");

const struct config_key *config_key_find(const char *path)
{
    for (size_t i = 0; i < config_nkeys; i++)
        if (strcmp(config_keys[i].path, path) == 0)
            return &config_keys[i];
    return NULL;
}

bool config_key_section(const char *path)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < config_nkeys; i++)
        if (strncmp(config_keys[i].path, path, n) == 0 && config_keys[i].path[n] == '.')
            return true;
    return false;
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

int config_list_add(struct config_list *l, const char *v, size_t n, const char *where,
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
        int rc = n ? config_list_add(l, p, n, where, path, err, errlen) : 0;
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
int config_key_set(struct config *cfg, const struct config_key *k, const char *v, const char *where,
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

void config_key_env(char *buf, size_t n, const char *path)
{
    size_t i = (size_t)snprintf(buf, n, "STAGE_");
    for (; *path && i + 1 < n; path++)
        buf[i++] = *path == '.' ? '_' : (char)toupper((unsigned char)*path);
    buf[i] = '\0';
}
