/* Unit tests for common/config.c: defaults, YAML, environment, validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_testenv.h"
#include "err.h"
#include "gcs_testkey.h"

/* ------------------------------------------------------------ tests */

static void test_defaults(void **st)
{
    (void)st;
    struct config c;
    char err[256] = "", want[128], host[100];
    config_defaults(&c);
    assert_string_equal(c.server.listen, "0.0.0.0:7070");
    assert_string_equal(c.server.http_listen, "0.0.0.0:7071");
    assert_int_equal(c.server.threads, 2);
    assert_int_equal(c.server.max_message_bytes, 4 << 20);
    assert_int_equal(c.server.stream_window_bytes, 4 << 20);
    assert_int_equal(c.server.stream_idle_timeout_s, 60);
    assert_int_equal(c.server.max_streams, 20000);
    assert_int_equal(c.server.max_streams_per_user, 5000);
    assert_true(c.server.reflection);
    assert_int_equal(c.server.drain_timeout_s, 20);
    assert_string_equal(c.redis.url, "redis://127.0.0.1:6379");
    assert_string_equal(c.redis.password, "");
    assert_int_equal(c.redis.timeout_ms, 5000);
    assert_string_equal(c.storage.type, "fs");
    assert_string_equal(c.storage.fs_root, "./data");
    assert_false(c.storage.allow_fs_urls);
    assert_int_equal(c.auth.token_ttl_s, 3600);
    assert_int_equal(c.jobs.retention_s, 7 * 86400);
    assert_int_equal(c.jobs.max_attempts, 5);
    assert_int_equal(c.jobs.stall_timeout_s, 60);
    assert_int_equal(c.jobs.max_queue, 100000);
    assert_int_equal(c.upload.part_size, 2 << 20);
    assert_int_equal(c.upload.window, 12);
    assert_int_equal(c.upload.object_part_size, 8 << 20);
    assert_int_equal(c.upload.parallel_parts, 4);
    assert_int_equal(c.upload.chunk_size, 1 << 20);
    assert_int_equal(c.upload.max_inflight_bytes, 1 << 30);
    assert_int_equal(c.upload.resume_window_s, 900);
    assert_int_equal(c.worker.concurrency, 8);
    assert_string_equal(c.log.level, "info");
    assert_string_equal(c.log.format, "text");
    gethostname(host, sizeof(host));
    host[sizeof(host) - 1] = '\0';
    snprintf(want, sizeof(want), "%s-%ld", host, (long)getpid());
    if (strlen(want) < sizeof(c.worker.name))
        assert_string_equal(c.worker.name, want);
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    /* no file, no environment: the defaults, validated */
    assert_int_equal(config_load(&c, NULL, fake_getenv, err, sizeof(err)), 0);
    assert_string_equal(c.server.listen, "0.0.0.0:7070");
}

static void test_yaml_nested(void **st)
{
    (void)st;
    struct config c;
    char err[256];
    const char *y = "# comment\n"
                    "server:\n"
                    "  listen: 127.0.0.1:9000\n"
                    "  threads: 4\n"
                    "  max_message_bytes: 8MiB\n"
                    "redis:\n"
                    "  url: redis://r:6380/2\n"
                    "  timeout_ms: 250\n"
                    "storage:\n"
                    "  type: s3\n"
                    "  allow_fs_urls: yes\n"
                    "  fs:\n"
                    "    root: /var/lib/stage\n"
                    "  s3:\n"
                    "    bucket: stage-data\n"
                    "upload:\n"
                    "  part_size: 64KiB\n"
                    "  chunk_size: \"512 KiB\"\n"
                    "  window: 2\n"
                    "  resume_window_s: 0\n"
                    "worker: {concurrency: 3, name: w1}\n"
                    "jobs:\n"
                    "  retention_s: 60\n"
                    "log:\n"
                    "  level: debug\n"
                    "  format: json\n"
                    "auth:\n";
    assert_int_equal(parse(&c, y, err), 0);
    assert_string_equal(c.server.listen, "127.0.0.1:9000");
    assert_int_equal(c.server.threads, 4);
    assert_int_equal(c.server.max_message_bytes, 8 << 20);
    assert_string_equal(c.redis.url, "redis://r:6380/2");
    assert_int_equal(c.redis.timeout_ms, 250);
    assert_string_equal(c.storage.type, "s3");
    assert_true(c.storage.allow_fs_urls);
    assert_string_equal(c.storage.fs_root, "/var/lib/stage");
    assert_string_equal(c.storage.s3.bucket, "stage-data");
    assert_int_equal(c.upload.part_size, 64 * 1024);
    assert_int_equal(c.upload.chunk_size, 512 * 1024);
    assert_int_equal(c.upload.window, 2);
    assert_int_equal(c.upload.resume_window_s, 0); /* the old behaviour: fail at once */
    assert_int_equal(c.worker.concurrency, 3);
    assert_string_equal(c.worker.name, "w1");
    assert_int_equal(c.jobs.retention_s, 60);
    assert_string_equal(c.log.level, "debug");
    assert_string_equal(c.log.format, "json");
    /* untouched keys keep their defaults */
    assert_string_equal(c.server.http_listen, "0.0.0.0:7071");
    assert_int_equal(c.auth.token_ttl_s, 3600);
    /* s3 storage signs with a key pair; the secret comes from the environment only */
    assert_int_equal(config_validate(&c, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "storage.s3.access_key_id and storage.s3.secret_access_key"));
    strcpy(c.storage.s3.access_key_id, "AKID");
    strcpy(c.storage.s3.secret_access_key, "s3-secret");
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
}

static void test_yaml_dotted_and_empty(void **st)
{
    (void)st;
    struct config c;
    char err[256];
    /* a dotted key at any level names the same path */
    assert_int_equal(parse(&c, "storage.fs.root: /d\nstorage:\n  allow_fs_urls: on\n", err), 0);
    assert_string_equal(c.storage.fs_root, "/d");
    assert_true(c.storage.allow_fs_urls);
    assert_int_equal(parse(&c, "storage:\n  fs.root: /e\n", err), 0);
    assert_string_equal(c.storage.fs_root, "/e");
    /* the same key twice, however spelled, is a mistake */
    assert_int_equal(parse(&c, "storage.fs.root: /d\nstorage:\n  fs:\n    root: /e\n", err),
                     ST_EINVAL);
    assert_string_equal(err, "stage.yaml:4: duplicate key 'storage.fs.root' (first set at line 1)");
    assert_int_equal(parse(&c, "", err), 0);
    assert_int_equal(parse(&c, "# nothing\n", err), 0);
    assert_int_equal(parse(&c, "---\n...\n", err), 0);
    assert_string_equal(c.server.listen, "0.0.0.0:7070");
    /* quoted strings stay strings */
    assert_int_equal(parse(&c, "log:\n  level: \"warn\"\n", err), 0);
    assert_string_equal(c.log.level, "warn");
}

static void test_yaml_unknown_key(void **st)
{
    (void)st;
    struct config c;
    char err[256];
    const char *y = "server:\n"
                    "  threads: 2\n"
                    "\n"
                    "  lisen: 1.2.3.4:1\n";
    assert_int_equal(parse(&c, y, err), ST_EINVAL);
    assert_string_equal(err, "stage.yaml:4: unknown key 'server.lisen'");

    assert_int_equal(parse(&c, "serv:\n  listen: x\n", err), ST_EINVAL);
    assert_string_equal(err, "stage.yaml:1: unknown key 'serv'");
    assert_int_equal(parse(&c, "storage:\n  fs:\n    rot: /x\n", err), ST_EINVAL);
    assert_string_equal(err, "stage.yaml:3: unknown key 'storage.fs.rot'");
    /* a leaf given a mapping, a section given a value, a list */
    assert_int_equal(parse(&c, "server:\n  listen:\n    a: 1\n", err), ST_EINVAL);
    assert_non_null(strstr(err, "stage.yaml:2: 'server.listen' expects a value"));
    assert_int_equal(parse(&c, "server: 5\n", err), ST_EINVAL);
    assert_non_null(strstr(err, "stage.yaml:1: 'server' is a section"));
    assert_int_equal(parse(&c, "log:\n  level: [a, b]\n", err), ST_EINVAL);
    assert_non_null(strstr(err, "stage.yaml:2:"));
    assert_int_equal(parse(&c, "- a\n- b\n", err), ST_EINVAL);
    assert_non_null(strstr(err, "top level"));
}

static void test_yaml_bad_values(void **st)
{
    (void)st;
    struct config c;
    char err[256];
    assert_int_equal(parse(&c, "server:\n  threads: many\n", err), ST_EINVAL);
    assert_non_null(strstr(err, "stage.yaml:2: 'server.threads' expects an integer"));
    assert_non_null(strstr(err, "'many'"));
    assert_int_equal(parse(&c, "server:\n  threads: 4MiB\n", err), ST_EINVAL); /* not a size */
    assert_int_equal(parse(&c, "server:\n  threads: 99999999999\n", err), ST_EINVAL);
    assert_int_equal(parse(&c, "upload:\n  part_size: 8XB\n", err), ST_EINVAL);
    assert_non_null(strstr(err, "stage.yaml:2: 'upload.part_size'"));
    assert_int_equal(parse(&c, "upload:\n  part_size: 4GiB\n", err), ST_EINVAL); /* > INT_MAX */
    assert_int_equal(parse(&c, "storage:\n  allow_fs_urls: maybe\n", err), ST_EINVAL);
    assert_non_null(strstr(err, "stage.yaml:2: 'storage.allow_fs_urls' expects true or false"));
    assert_int_equal(parse(&c, "log:\n  level: averyveryveryverylonglevel\n", err), ST_EINVAL);
    assert_non_null(strstr(err, "too long"));
    /* malformed YAML names the line */
    assert_int_equal(parse(&c, "server:\n  listen: a\n bad: [\n", err), ST_EINVAL);
    assert_non_null(strstr(err, "stage.yaml:"));
    assert_non_null(strstr(err, "invalid YAML"));
}

/* quotas.*: sizes past 2 GiB (long long), 0 = none by default, the
 * environment, and what a quota cannot be. */
static void test_quotas(void **st)
{
    (void)st;
    struct config c;
    char err[256];
    assert_int_equal(parse(&c, "log:\n  level: info\n", err), 0);
    assert_int_equal(c.quotas.user_stage_bytes, 0);
    assert_int_equal(c.quotas.user_stage_files, 0);
    assert_int_equal(c.quotas.internal_stage_bytes, 0);
    assert_int_equal(c.quotas.internal_stage_files, 0);
    assert_int_equal(parse(&c,
                           "quotas:\n  user_stage_bytes: 5GiB\n  user_stage_files: 1000\n"
                           "  internal_stage_bytes: 2TiB\n  internal_stage_files: 3000000000\n",
                           err),
                     0);
    assert_true(c.quotas.user_stage_bytes == 5LL << 30);
    assert_true(c.quotas.user_stage_files == 1000);
    assert_true(c.quotas.internal_stage_bytes == 2LL << 40);
    assert_true(c.quotas.internal_stage_files == 3000000000LL);
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    setenv_fake("STAGE_QUOTAS_USER_STAGE_BYTES", "100 MiB");
    assert_int_equal(config_apply_env(&c, fake_getenv, err, sizeof(err)), 0);
    assert_true(c.quotas.user_stage_bytes == 100LL << 20);
    assert_int_equal(parse(&c, "quotas:\n  user_stage_bytes: -1\n", err), ST_EINVAL);
    assert_non_null(strstr(err, "'quotas.user_stage_bytes' expects a size >= 0"));
    assert_int_equal(parse(&c, "quotas:\n  internal_stage_files: lots\n", err), ST_EINVAL);
    assert_int_equal(parse(&c, "quotas:\n  internal_stage_bytes: 99999999TiB\n", err), ST_EINVAL);
    assert_int_equal(parse(&c, "quotas:\n  user_stage_quota: 1\n", err), ST_EINVAL);
}

static void test_yaml_password_refused(void **st)
{
    (void)st;
    struct config c;
    char err[256];
    assert_int_equal(parse(&c, "redis:\n  url: redis://h\n  password: hunter2\n", err), ST_EINVAL);
    assert_non_null(strstr(err, "stage.yaml:3:"));
    assert_non_null(strstr(err, "STAGE_REDIS_PASSWORD"));
    assert_null(strstr(err, "hunter2"));
    assert_int_equal(parse(&c, "redis.password: hunter2\n", err), ST_EINVAL);
    assert_non_null(strstr(err, "stage.yaml:1:"));
    assert_null(strstr(err, "hunter2"));
    assert_string_equal(c.redis.password, "");
}

static void test_env_overrides(void **st)
{
    (void)st;
    struct config c;
    char err[256];
    setenv_fake("STAGE_SERVER_LISTEN", "10.0.0.1:1");
    setenv_fake("STAGE_STORAGE_FS_ROOT", "/srv/stage");
    setenv_fake("STAGE_STORAGE_ALLOW_FS_URLS", "true");
    setenv_fake("STAGE_UPLOAD_PART_SIZE", "16MiB");
    setenv_fake("STAGE_REDIS_URL", "unix:///tmp/r.sock");
    setenv_fake("STAGE_REDIS_PASSWORD", "s3cret");
    setenv_fake("STAGE_WORKER_CONCURRENCY", "32");
    setenv_fake("STAGE_SERVER_HTTP_LISTEN", ""); /* empty counts as unset */
    assert_int_equal(parse(&c, "server:\n  listen: 1.1.1.1:5\nupload:\n  part_size: 1MiB\n", err),
                     0);
    assert_int_equal(config_apply_env(&c, fake_getenv, err, sizeof(err)), 0);
    assert_string_equal(c.server.listen, "10.0.0.1:1");
    assert_string_equal(c.server.http_listen, "0.0.0.0:7071");
    assert_string_equal(c.storage.fs_root, "/srv/stage");
    assert_true(c.storage.allow_fs_urls);
    assert_int_equal(c.upload.part_size, 16 << 20);
    assert_string_equal(c.redis.url, "unix:///tmp/r.sock");
    assert_string_equal(c.redis.password, "s3cret");
    assert_int_equal(c.worker.concurrency, 32);
}

static void test_env_log_level_alias(void **st)
{
    (void)st;
    struct config c;
    char err[256];
    config_defaults(&c);
    setenv_fake("LOG_LEVEL", "debug");
    assert_int_equal(config_apply_env(&c, fake_getenv, err, sizeof(err)), 0);
    assert_string_equal(c.log.level, "debug");
    setenv_fake("STAGE_LOG_LEVEL", "error"); /* STAGE_ wins */
    assert_int_equal(config_apply_env(&c, fake_getenv, err, sizeof(err)), 0);
    assert_string_equal(c.log.level, "error");
}

static void test_env_bad_value(void **st)
{
    (void)st;
    struct config c;
    char err[256];
    config_defaults(&c);
    setenv_fake("STAGE_UPLOAD_WINDOW", "four");
    assert_int_equal(config_apply_env(&c, fake_getenv, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "STAGE_UPLOAD_WINDOW"));
    assert_non_null(strstr(err, "'four'"));
    reset_env(NULL);
    setenv_fake("STAGE_STORAGE_ALLOW_FS_URLS", "sure");
    assert_int_equal(config_apply_env(&c, fake_getenv, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "STAGE_STORAGE_ALLOW_FS_URLS"));
}

static void test_env_password_file(void **st)
{
    (void)st;
    struct config c;
    char err[256], path[] = "/tmp/stage-test-pw-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "from-file\n", 10), 10);
    close(fd);
    config_defaults(&c);
    setenv_fake("STAGE_REDIS_PASSWORD_FILE", path);
    assert_int_equal(config_apply_env(&c, fake_getenv, err, sizeof(err)), 0);
    assert_string_equal(c.redis.password, "from-file");
    setenv_fake("STAGE_REDIS_PASSWORD", "from-env"); /* the variable wins over the file */
    assert_int_equal(config_apply_env(&c, fake_getenv, err, sizeof(err)), 0);
    assert_string_equal(c.redis.password, "from-env");
    unlink(path);
    reset_env(NULL);
    setenv_fake("STAGE_REDIS_PASSWORD_FILE", path);
    assert_int_equal(config_apply_env(&c, fake_getenv, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "STAGE_REDIS_PASSWORD_FILE"));
}

static void test_load_file(void **st)
{
    (void)st;
    struct config c;
    char err[256], path[] = "/tmp/stage-test-cfg-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *y = "server:\n  listen: 127.0.0.1:1\nupload:\n  window: 8\n  bogus: 1\n";
    assert_int_equal(write(fd, y, strlen(y)), (ssize_t)strlen(y));
    close(fd);
    assert_int_equal(config_load(&c, path, fake_getenv, err, sizeof(err)), ST_EINVAL);
    char want[300];
    snprintf(want, sizeof(want), "%s:5: unknown key 'upload.bogus'", path);
    assert_string_equal(err, want);

    fd = open(path, O_WRONLY | O_TRUNC);
    y = "server:\n  listen: 127.0.0.1:1\nupload:\n  window: 8\n";
    assert_int_equal(write(fd, y, strlen(y)), (ssize_t)strlen(y));
    close(fd);
    setenv_fake("STAGE_UPLOAD_WINDOW", "16"); /* the environment wins over the file */
    assert_int_equal(config_load(&c, path, fake_getenv, err, sizeof(err)), 0);
    assert_string_equal(c.server.listen, "127.0.0.1:1");
    assert_int_equal(c.upload.window, 16);
    /* load validates */
    setenv_fake("STAGE_UPLOAD_PART_SIZE", "1KiB");
    assert_int_equal(config_load(&c, path, fake_getenv, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "upload.part_size"));
    unlink(path);
    assert_int_equal(config_load(&c, path, fake_getenv, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "cannot open"));
}

/* One bad value per row; the message must name the key. */
static void test_validate(void **st)
{
    (void)st;
    static const struct {
        const char *yaml;
        const char *needle;
    } bad[] = {
        {"upload: {part_size: 65535}", "upload.part_size"},
        {"upload: {part_size: 65MiB}", "upload.part_size"},
        {"upload: {window: 0}", "upload.window"},
        {"upload: {window: 65}", "upload.window"},
        {"upload: {resume_window_s: -1}", "upload.resume_window_s"},
        {"upload: {chunk_size: 1023}", "upload.chunk_size"},
        {"upload: {chunk_size: 4MiB}", "upload.chunk_size"}, /* > max_message_bytes - 1 KiB */
        {"server: {threads: 0}", "server.threads"},
        {"server: {threads: 257}", "server.threads"},
        {"worker: {concurrency: 0}", "worker.concurrency"},
        {"worker: {concurrency: 1025}", "worker.concurrency"},
        {"storage: {type: ftp}", "storage.type"},
        {"log: {level: loud}", "log.level"},
        {"log: {format: xml}", "log.format"},
        {"redis: {timeout_ms: 0}", "redis.timeout_ms"},
        {"server: {drain_timeout_s: -1}", "server.drain_timeout_s"},
        {"auth: {token_ttl_s: 0}", "auth.token_ttl_s"},
        {"jobs: {retention_s: 0}", "jobs.retention_s"},
        {"jobs: {stall_timeout_s: 0}", "jobs.stall_timeout_s"},
        {"jobs: {max_attempts: 0}", "jobs.max_attempts"},
        {"redis: {url: 'http://x'}", "redis.url"},
        {"worker: {name: ''}", "worker.name"},
        {"upload: {max_inflight_bytes: 8MiB, part_size: 16MiB}", "upload.max_inflight_bytes"},
        {"upload: {max_inflight_bytes: -1}", "upload.max_inflight_bytes"},
        {"redis: {sentinels: [a:1]}", "redis.master_name"},
        {"redis: {master_name: m}", "redis.sentinels"},
        {"redis: {sentinels: [a:0], master_name: m}", "redis.sentinels"},
        {"redis: {sentinels: 'a:1', master_name: m, url: 'unix:///s'}", "redis.url"},
        {"redis: {wait_replicas: -2}", "redis.wait_replicas"},
        {"redis: {wait_timeout_ms: 0}", "redis.wait_timeout_ms"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct config c;
        char err[256] = "";
        assert_int_equal(parse(&c, bad[i].yaml, err), 0);
        int rc = config_validate(&c, err, sizeof(err));
        if (rc != ST_EINVAL || !strstr(err, bad[i].needle))
            fail_msg("row %zu (%s): rc %d, err '%s'", i, bad[i].yaml, rc, err);
    }
    /* the edges are fine */
    struct config c;
    char err[256];
    assert_int_equal(
        parse(&c,
              "upload: {part_size: 64MiB, window: 64, chunk_size: 3MiB}\n"
              "server: {threads: 64, max_message_bytes: 4MiB}\nworker: {concurrency: 1024}\n",
              err),
        0);
    c.upload.chunk_size = c.server.max_message_bytes - 1024;
    {
        struct config sc;
        char serr[256] = "";
        assert_int_equal(
            parse(&sc, "redis: {sentinels: ['s1:26379', 's2'], master_name: stage}", serr), 0);
        assert_int_equal(config_validate(&sc, serr, sizeof(serr)), 0);
        assert_string_equal(sc.redis.sentinels, "s1:26379, s2");
        assert_int_equal(sc.redis.wait_replicas, -1);
    }
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    c.upload.max_inflight_bytes = 0; /* no limit */
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    c.upload.max_inflight_bytes = c.upload.part_size; /* one part */
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    for (const char *const *t = (const char *const[]){"fs", "s3", "gcs", "azblob", NULL}; *t; t++) {
        snprintf(c.storage.type, sizeof(c.storage.type), "%s", *t);
        if (strcmp(*t, "azblob") == 0) { /* its section is checked (test_config_storage.c) */
            assert_int_equal(config_validate(&c, err, sizeof(err)), ST_EINVAL);
            assert_non_null(strstr(err, "storage.azblob.container"));
            strcpy(c.storage.azblob.container, "stage");
            strcpy(c.storage.azblob.account_name, "acct");
            strcpy(c.storage.azblob.account_key, "a2V5");
        }
        if (strcmp(*t, "s3") == 0) { /* so is s3's */
            assert_int_equal(config_validate(&c, err, sizeof(err)), ST_EINVAL);
            assert_non_null(strstr(err, "storage.s3.bucket: must be set"));
            strcpy(c.storage.s3.bucket, "stage");
            assert_int_equal(config_validate(&c, err, sizeof(err)), ST_EINVAL);
            assert_non_null(strstr(err, "storage.s3.access_key_id and"));
            strcpy(c.storage.s3.access_key_id, "AKID");
            strcpy(c.storage.s3.secret_access_key, "s3-secret");
        }
        if (strcmp(*t, "gcs") == 0) { /* and gcs's */
            assert_int_equal(config_validate(&c, err, sizeof(err)), ST_EINVAL);
            assert_non_null(strstr(err, "storage.gcs.bucket: must be set"));
            strcpy(c.storage.gcs.bucket, "stage");
            char *json = gcs_test_json(NULL);
            snprintf(c.storage.gcs.credential, sizeof(c.storage.gcs.credential), "%s", json);
            free(json);
        }
        assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    }
}

/* storage.endpoint_allow (issue 14 #2): a YAML list, a scalar, the
 * environment; a bad entry is an error naming the key and the entry. */
static void test_endpoint_allow(void **st)
{
    (void)st;
    struct config c;
    char err[256];
    config_defaults(&c);
    assert_string_equal(c.storage.endpoint_allow, "");
    assert_int_equal(parse(&c,
                           "storage:\n  endpoint_allow:\n    - 127.0.0.1\n    - 10.0.0.0/8\n"
                           "    - minio.internal\n",
                           err),
                     0);
    assert_string_equal(c.storage.endpoint_allow, "127.0.0.1, 10.0.0.0/8, minio.internal");
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    assert_int_equal(parse(&c, "storage.endpoint_allow: [\"::1\", fd00::/8]\n", err), 0);
    assert_string_equal(c.storage.endpoint_allow, "::1, fd00::/8");
    assert_int_equal(parse(&c, "storage:\n  endpoint_allow: 127.0.0.1 10.0.0.0/8\n", err), 0);
    assert_string_equal(c.storage.endpoint_allow, "127.0.0.1 10.0.0.0/8");
    assert_int_equal(parse(&c, "storage:\n  endpoint_allow: []\n", err), 0);
    assert_string_equal(c.storage.endpoint_allow, "");
    /* a list of lists, a mapping, twice */
    assert_int_equal(parse(&c, "storage:\n  endpoint_allow:\n    - [a, b]\n", err), ST_EINVAL);
    assert_non_null(strstr(err, "stage.yaml:2: 'storage.endpoint_allow' takes a list of plain"));
    assert_int_equal(parse(&c, "storage:\n  endpoint_allow:\n    a: b\n", err), ST_EINVAL);
    assert_int_equal(
        parse(&c, "storage.endpoint_allow: [a]\nstorage:\n  endpoint_allow: [b]\n", err),
        ST_EINVAL);
    assert_non_null(strstr(err, "duplicate key 'storage.endpoint_allow'"));
    /* other keys still take no list */
    assert_int_equal(parse(&c, "storage:\n  type: [fs]\n", err), ST_EINVAL);
    assert_non_null(strstr(err, "does not take a list"));
    /* the environment */
    config_defaults(&c);
    setenv_fake("STAGE_STORAGE_ENDPOINT_ALLOW", "127.0.0.1,::1");
    assert_int_equal(config_apply_env(&c, fake_getenv, err, sizeof(err)), 0);
    assert_string_equal(c.storage.endpoint_allow, "127.0.0.1,::1");
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    /* validation */
    snprintf(c.storage.endpoint_allow, sizeof(c.storage.endpoint_allow), "10.0.0.1/8");
    assert_int_equal(config_validate(&c, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "storage.endpoint_allow: '10.0.0.1/8' is not an address"));
    snprintf(c.storage.endpoint_allow, sizeof(c.storage.endpoint_allow), "http://x/");
    assert_int_equal(config_validate(&c, err, sizeof(err)), ST_EINVAL);
}

/* storage.fs_url_roots: a YAML sequence, a ':'-joined scalar or variable,
 * bounded, checked against storage.fs.root by config_validate(). */
static void test_fs_url_roots(void **st)
{
    (void)st;
    struct config c;
    char err[256] = "";
    config_defaults(&c);
    assert_int_equal(c.storage.fs_url_roots.n, 0); /* default: none */
    assert_int_equal(parse(&c,
                           "storage:\n  fs:\n    root: /var/lib/stage\n"
                           "  fs_url_roots:\n    - /srv/ext\n    - /mnt/a:b\n",
                           err),
                     0);
    assert_int_equal(c.storage.fs_url_roots.n, 2);
    assert_string_equal(c.storage.fs_url_roots.item[0], "/srv/ext");
    assert_string_equal(c.storage.fs_url_roots.item[1], "/mnt/a:b"); /* the sequence keeps ':' */
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    assert_int_equal(parse(&c, "storage: {fs_url_roots: '/a:/b::/c'}\n", err), 0);
    assert_int_equal(c.storage.fs_url_roots.n, 3);
    assert_string_equal(c.storage.fs_url_roots.item[2], "/c");
    assert_int_equal(parse(&c, "storage: {fs_url_roots: []}\n", err), 0);
    assert_int_equal(c.storage.fs_url_roots.n, 0);
    /* the environment replaces the file's list */
    reset_env(NULL);
    setenv_fake("STAGE_STORAGE_FS_URL_ROOTS", "/x:/y");
    assert_int_equal(parse(&c, "storage: {fs_url_roots: [/a, /b, /c]}\n", err), 0);
    assert_int_equal(config_apply_env(&c, fake_getenv, err, sizeof(err)), 0);
    assert_int_equal(c.storage.fs_url_roots.n, 2);
    assert_string_equal(c.storage.fs_url_roots.item[1], "/y");
    /* bounded, and only that key takes a list */
    assert_int_equal(
        parse(&c, "storage: {fs_url_roots: [/1, /2, /3, /4, /5, /6, /7, /8, /9]}\n", err),
        ST_EINVAL);
    assert_non_null(strstr(err, "at most 8 entries"));
    assert_int_equal(parse(&c, "storage: {fs_url_roots: [[/a]]}\n", err), ST_EINVAL);
    assert_non_null(strstr(err, "plain strings"));
    assert_int_equal(parse(&c, "storage: {fs_url_roots: /a}\nstorage.fs_url_roots: /b\n", err),
                     ST_EINVAL);
    assert_non_null(strstr(err, "duplicate key"));
    assert_int_equal(parse(&c, "storage: {type: [fs]}\n", err), ST_EINVAL);
    assert_non_null(strstr(err, "does not take a list"));

    static const struct {
        const char *yaml;
        const char *needle;
    } bad[] = {
        {"storage: {fs: {root: /d}, fs_url_roots: [ext]}", "not an absolute path"},
        {"storage: {fs: {root: /d}, fs_url_roots: [/srv/../d]}", "'..'"},
        {"storage: {fs: {root: /d}, fs_url_roots: [/]}", "every file"},
        {"storage: {fs: {root: /d}, fs_url_roots: ['//']}", "every file"},
        {"storage: {fs: {root: /d}, fs_url_roots: [/srv, /d]}", "storage.fs.root '/d'"},
        {"storage: {fs: {root: /d/}, fs_url_roots: [/d/stage/user]}", "inside it"},
        {"storage: {fs: {root: /d}, fs_url_roots: [/d/./x]}", "inside it"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(&c, bad[i].yaml, err), 0);
        int rc = config_validate(&c, err, sizeof(err));
        if (rc != ST_EINVAL || !strstr(err, bad[i].needle))
            fail_msg("row %zu (%s): rc %d, err '%s'", i, bad[i].yaml, rc, err);
    }
    /* a root that holds storage.fs.root is fine: stages beside it are */
    assert_int_equal(parse(&c, "storage: {fs: {root: /srv/stage}, fs_url_roots: [/srv]}", err), 0);
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, reset_env),
        cmocka_unit_test_setup(test_fs_url_roots, reset_env),
        cmocka_unit_test_setup(test_yaml_nested, reset_env),
        cmocka_unit_test_setup(test_yaml_dotted_and_empty, reset_env),
        cmocka_unit_test_setup(test_yaml_unknown_key, reset_env),
        cmocka_unit_test_setup(test_yaml_bad_values, reset_env),
        cmocka_unit_test_setup(test_yaml_password_refused, reset_env),
        cmocka_unit_test_setup(test_env_overrides, reset_env),
        cmocka_unit_test_setup(test_env_log_level_alias, reset_env),
        cmocka_unit_test_setup(test_env_bad_value, reset_env),
        cmocka_unit_test_setup(test_env_password_file, reset_env),
        cmocka_unit_test_setup(test_load_file, reset_env),
        cmocka_unit_test_setup(test_validate, reset_env),
        cmocka_unit_test_setup(test_quotas, reset_env),
        cmocka_unit_test_setup(test_endpoint_allow, reset_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
