/* config.h - the service configuration (docs/design.md §7).
 *
 * One YAML file, every key optional. Each key `a.b.c` can be overridden by
 * the environment variable STAGE_A_B_C (e.g. server.listen -> STAGE_SERVER_LISTEN,
 * storage.fs.root -> STAGE_STORAGE_FS_ROOT). LOG_LEVEL is accepted as an alias
 * of STAGE_LOG_LEVEL. An unknown key or a bad value is an error that names
 * the file and line (or the variable). Secrets come only from the environment
 * or from files named by the environment (redis.password: STAGE_REDIS_PASSWORD).
 * The struct is plain data: fill it once at start, then share it read-only. */
#ifndef STAGE_CONFIG_H
#define STAGE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define CONFIG_LIST_MAX  8   /* entries of a list key */
#define CONFIG_LIST_ITEM 512 /* bytes per entry, the NUL included */

/* A list value: a YAML sequence, or one string of entries joined by ':'
 * (PATH style; the only form an environment variable has). */
struct config_list {
    int n;
    char item[CONFIG_LIST_MAX][CONFIG_LIST_ITEM];
};

struct config {
    struct {
        char listen[128];      /* gRPC "host:port", default 0.0.0.0:7070 */
        char http_listen[128]; /* health/metrics HTTP, default 0.0.0.0:7071 */
        int threads;           /* offload threads (password hashing), default 2 */
        int max_message_bytes; /* max gRPC receive message, default 4 MiB */
        int drain_timeout_s;   /* SIGTERM grace for live calls, default 20 */
        /* bytes a client may send on one stream before the frontend reads
         * them (the HTTP/2 window; fixed, not grown by BDP probes), 4 MiB */
        int stream_window_bytes;
        /* a stream that moves no message for this long is cancelled, 60 */
        int stream_idle_timeout_s;
        int max_streams; /* streaming calls open at once per frontend, 20000 */
        /* a connection older than this is asked to go (GOAWAY), so clients
         * behind an L4 balancer spread over new pods; 0 = never, 1800 */
        int max_connection_age_s;
        int max_connection_age_grace_s; /* calls it still carries may finish, 600 */
        int keepalive_time_s;           /* ping an idle client this often, 60 */
        int keepalive_timeout_s;        /* a ping unanswered this long drops it, 20 */
        int max_streams_per_user;       /* the same per authenticated user, 5000 */
        /* base of presigned fs URLs as clients reach the HTTP listener,
         * "" = http://<http_listen> (0.0.0.0 as 127.0.0.1) */
        char public_http_url[256];
        int presign_max_put_bytes; /* Content-Length of a presigned PUT, default 1 GiB */
        int presign_relays;        /* presigned GET/PUT relayed at once, default 64 */
        int http_max_connections;  /* HTTP listener connections at once, default 1024 */
        int http_timeout_s;        /* an HTTP connection idle this long is closed, 30 */
        /* TLS on both ports when cert and key are set (PEM files, reloaded
         * when they change); a client CA makes every gRPC client show a
         * certificate it signed (mTLS) */
        char tls_cert_file[256];
        char tls_key_file[256];
        char tls_client_ca_file[256];
        /* "cn": a call without credentials is the user named by its client
         * certificate's common name (mTLS only); "" = off */
        char tls_client_user[8];
        /* serve gRPC server reflection (the API's schema, no login;
         * frontend/h_reflect.c), default true */
        bool reflection;
    } server;
    struct {
        char url[256]; /* redis://host:port[/db] or unix:///path, default redis://127.0.0.1:6379 */
        char password[128]; /* env STAGE_REDIS_PASSWORD only */
        int timeout_ms;     /* connect/command timeout, default 5000 */
        /* Sentinel: "host:port, ..." (a YAML list is joined so) and the name
         * they monitor; when set, every connection asks them for the primary
         * instead of using redis.url's host and port (common/primary.h) */
        char sentinels[1024];
        char master_name[128];
        /* WAIT for this many replicas after creating a job: -1 (default) =
         * 1 with sentinels, 0 without; wait_timeout_ms bounds it (500) */
        int wait_replicas;
        int wait_timeout_ms;
    } redis;
    struct {
        char type[16];      /* fs (default) | s3 | gcs | azblob */
        char fs_root[1024]; /* storage.fs.root, default ./data */
        bool allow_fs_urls; /* external fs:// stages, default false */
        /* addresses, CIDRs and host names external stages may reach although
         * internal (loopback, private, link-local...; netguard.h), separated
         * by ", "; a YAML list is joined so. Default "": none */
        char endpoint_allow[2048];
        /* the directories fs:// stages may use (they and what is below
         * them), absolute, neither storage.fs.root nor inside it; default
         * none: fs:// stages are refused (common/fsroots.h) */
        struct config_list fs_url_roots;
        struct {
            char bucket[256];
            char endpoint_url[512];         /* "" = AWS for the region */
            char region[64];                /* default us-east-1 */
            char access_key_id[256];        /* env STAGE_STORAGE_S3_ACCESS_KEY_ID too */
            char secret_access_key[256];    /* env STAGE_STORAGE_S3_SECRET_ACCESS_KEY only */
            char session_token[2048];       /* env STAGE_STORAGE_S3_SESSION_TOKEN only */
            char root[1024];                /* key prefix inside the bucket, "" = bucket root */
            bool enable_virtual_host_style; /* default false: path-style */
        } s3;
        struct {
            char bucket[256];
            char endpoint_url[512]; /* "" = https://storage.googleapis.com */
            /* a service-account key: its JSON, base64 of it, or a file path;
             * env STAGE_STORAGE_GCS_CREDENTIAL (or _FILE) only */
            char credential[6144];
            char root[1024]; /* key prefix inside the bucket, "" = bucket root */
        } gcs;
        struct {
            char container[64]; /* Azure's names: 3-63 of a-z 0-9 - */
            /* "" = https://<account_name>.blob.core.windows.net; a path-style
             * service (azurite) names the account in its path */
            char endpoint_url[512];
            char account_name[256];
            /* base64, as the portal shows it; env
             * STAGE_STORAGE_AZBLOB_ACCOUNT_KEY (or _FILE) only */
            char account_key[256];
            char root[1024]; /* key prefix inside the container, "" = its root */
        } azblob;
    } storage;
    struct {
        int token_ttl_s; /* default 3600 */
    } auth;
    struct {
        int retention_s;     /* TTL of an ended job, default 7 days */
        int max_attempts;    /* default 5 */
        int stall_timeout_s; /* a transfer with no progress from its peer fails, default 60 */
        int max_queue;       /* queued jobs before RESOURCE_EXHAUSTED, default 100000 */
        /* jobs of one user not yet ended, so one user cannot fill max_queue;
         * 0 = no limit, default 10000 */
        int max_active_per_user;
        int lease_ms; /* a running job's lease; a dead worker's jobs move after it, default 15000 */
        int retry_base_ms; /* first retry delay, doubled per attempt with jitter, default 1000 */
        int retry_max_ms;  /* longest retry delay, default 30000 */
    } jobs;
    struct {
        int part_size;          /* bytes per part in Redis, default 2 MiB */
        int window;             /* parts in Redis per transfer, default 12 */
        int chunk_size;         /* bytes per gRPC message on downloads, default 1 MiB */
        int parallel_parts;     /* object-store parts of one file in flight, default 4 */
        int object_part_size;   /* bytes per object-store part (S3 multipart), default 8 MiB */
        int max_inflight_bytes; /* upload bytes in Redis not yet stored, per frontend, default
                                   1 GiB; 0 = no limit */
        int resume_window_s;    /* a resumable upload whose client went away waits this
                                   long for `put --resume`, default 900; 0 = fail it at once */
    } upload;
    struct {
        int concurrency; /* jobs at once per worker process, default 8 */
        char name[64];   /* consumer name, default <hostname>-<pid>; unique among live workers */
        int drain_timeout_s; /* SIGTERM: running jobs get this long, then are handed back, default
                                30 */
        /* external-stage backends kept when idle (worker/backends.h), default 256;
         * those in use by jobs are kept beyond it */
        int backend_cache;
        /* ranged reads of one object in flight per DOWNLOAD or COPY job (worker/readahead.h),
         * default 4; a job holds up to this many parts in memory (x upload.part_size for a
         * download, x the chunk for a copy) */
        int parallel_reads;
    } worker;
    /* Defaults for stage quotas (docs/quotas.md); 0 = no limit. A stage's or
     * user's own setting (AlterStage, AlterUser) overrides them. */
    struct {
        long long user_stage_bytes, user_stage_files;         /* each user's @~ */
        long long internal_stage_bytes, internal_stage_files; /* internal stages */
    } quotas;
    struct {
        char level[16]; /* debug | info | warn | error, default info */
        char format[8]; /* text | json, default text */
        /* one JSON line per mutating or refused call (frontend), "" = off */
        char audit_file[256];
    } log;
};

/* Fill `cfg` with the defaults. */
void config_defaults(struct config *cfg);

/* Read `path` (may be NULL: defaults only), then apply the environment through
 * `getenv_fn` (NULL: getenv). Returns 0, or ST_EINVAL with a message such as
 * "stage.yaml:12: unknown key 'server.lisen'" in `err`. Not thread-safe. */
int config_load(struct config *cfg, const char *path, char *(*getenv_fn)(const char *), char *err,
                size_t errlen);

/* Parse YAML text (already read) into `cfg`; `name` is used in messages. */
int config_parse_yaml(struct config *cfg, const char *text, size_t len, const char *name, char *err,
                      size_t errlen);

/* Apply STAGE_* variables. */
int config_apply_env(struct config *cfg, char *(*getenv_fn)(const char *), char *err,
                     size_t errlen);

/* Cross-field checks (part_size >= 64 KiB, window >= 1, known storage type,
 * the section of storage.type...). */
int config_validate(const struct config *cfg, char *err, size_t errlen);

/* A process's start: config_load() of `path` (NULL: defaults + env) and
 * config_validate(); on failure the reason goes to stderr after `prog`.
 * Then the log is set up from log.level and log.format. 0 or the st_err. */
int config_startup(struct config *cfg, const char *path, const char *prog);

/* "host:port" -> host and port; the last ':' splits and brackets are
 * dropped, so "[::1]:7071" works. 0 or ST_EINVAL. Pure. */
int config_split_addr(const char *addr, char *host, size_t n, int *port);

#endif
