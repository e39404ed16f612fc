/* Integration test: the real stage-worker binary against a throwaway Redis
 * (with_redis.sh) and an fs root in a temp dir. The test plays the frontend
 * of docs/redis.md: it queues jobs and drives the part pipe.
 * The worker binary: $STAGE_WORKER_BIN, else <build>/worker/stage-worker next
 * to this test's build dir; the test is skipped if neither exists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "job.h"
#include "keys.h"

#define PS   65536
#define ROOT "stage/user/root/"

static char worker_bin[PATH_MAX];
static char fsroot[64];
static pid_t worker_pid;
static redisContext *rc;
static bool skipped;

static void cmd_ok(redisReply *r)
{
    assert_non_null(r);
    if (r->type == REDIS_REPLY_ERROR)
        fail_msg("redis: %s", r->str);
    freeReplyObject(r);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool find_worker(void)
{
    char self[PATH_MAX];
    const char *env = getenv("STAGE_WORKER_BIN");
    if (env) {
        snprintf(worker_bin, sizeof(worker_bin), "%s", env);
    } else {
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0)
            return false;
        self[n] = '\0';
        /* <build>/tests/integration/int_x -> <build>/worker/stage-worker */
        snprintf(worker_bin, sizeof(worker_bin), "%s/../../worker/stage-worker", dirname(self));
    }
    return access(worker_bin, X_OK) == 0;
}

static void start_worker(void)
{
    worker_pid = fork();
    assert_true(worker_pid >= 0);
    if (worker_pid == 0) {
        setenv("STAGE_REDIS_URL", getenv("STAGE_TEST_REDIS_URL"), 1);
        setenv("STAGE_STORAGE_FS_ROOT", fsroot, 1);
        setenv("STAGE_WORKER_NAME", "itest", 1);
        setenv("STAGE_LOG_LEVEL", "warn", 1);
        execl(worker_bin, worker_bin, (char *)NULL);
        _exit(127);
    }
}

static int setup(void **st)
{
    const char *url = getenv("STAGE_TEST_REDIS_URL");
    const char *port = getenv("STAGE_TEST_REDIS_PORT");
    if (!url || !port || !find_worker()) {
        fprintf(stderr, "skipped: needs with_redis.sh and a built stage-worker\n");
        skipped = true;
        return 0;
    }
    snprintf(fsroot, sizeof(fsroot), "/tmp/stage-itest.XXXXXX");
    assert_non_null(mkdtemp(fsroot));
    rc = redisConnect("127.0.0.1", atoi(port));
    assert_true(rc && !rc->err);
    start_worker();
    return 0;
}

static int teardown(void **st)
{
    int status = 0;
    char cmd[128];
    if (skipped)
        return 0;
    kill(worker_pid, SIGTERM);
    waitpid(worker_pid, &status, 0);
    redisFree(rc);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fsroot);
    if (system(cmd) != 0)
        return -1;
    /* a clean drain exits 0 */
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Queue a job of `kind` on `path` as the frontend does. */
static void queue_job(struct job *j, enum job_kind kind, const char *path)
{
    const char *argv[JOB_MAX_ARGS + 2];
    size_t lens[JOB_MAX_ARGS + 2];
    char scratch[JOB_SCRATCH], key[KEY_MAX];
    job_init(j);
    assert_int_equal(job_new_id(j->id), 0);
    j->kind = kind;
    j->state = JOB_QUEUED;
    snprintf(j->user, sizeof(j->user), "root");
    snprintf(j->stage, sizeof(j->stage), "~");
    snprintf(j->root, sizeof(j->root), ROOT);
    snprintf(j->path, sizeof(j->path), "%s", path);
    j->created_at = job_now_ms();
    j->part_size = PS;
    j->window = 2;
    keys_job(key, sizeof(key), j->id);
    int n = job_to_argv(j, argv + 2, lens + 2, JOB_MAX_ARGS, scratch);
    assert_true(n > 0);
    argv[0] = "HSET";
    lens[0] = 4;
    argv[1] = key;
    lens[1] = strlen(key);
    cmd_ok(redisCommandArgv(rc, n + 2, argv, lens));
    cmd_ok(redisCommand(rc, "XADD %s * job %s", KEY_QUEUE, j->id));
}

static void read_job(struct job *j)
{
    char id[JOB_ID_LEN + 1];
    snprintf(id, sizeof(id), "%s", j->id);
    redisReply *r = redisCommand(rc, "HGETALL st:job:%s", id);
    job_init(j);
    assert_int_equal(job_from_reply(j, r), 0);
    freeReplyObject(r);
}

static void wait_end(struct job *j)
{
    for (int i = 0; i < 500; i++) {
        read_job(j);
        if (job_state_terminal(j->state))
            return;
        sleep_ms(20);
    }
    fail_msg("job %s did not end (state %s)", j->id, job_state_name(j->state));
}

/* Producer side of an upload: parts of PS bytes, at most `window` ahead. */
static void send_parts(struct job *j, const char *data, size_t len)
{
    long parts = (long)((len + PS - 1) / PS);
    for (long n = 0; n < parts; n++) {
        for (int i = 0; i < 500; i++) {
            read_job(j);
            assert_false(job_state_terminal(j->state));
            if (n - j->parts_done < j->window)
                break;
            sleep_ms(10);
        }
        size_t off = (size_t)n * PS, l = len - off < PS ? len - off : PS;
        cmd_ok(redisCommand(rc, "SET st:job:%s:part:%ld %b EX 86400", j->id, n, data + off, l));
        cmd_ok(redisCommand(rc, "HSET st:job:%s parts_ready %ld", j->id, n + 1));
        cmd_ok(redisCommand(rc, "PUBLISH st:wake:%s x", j->id));
    }
    cmd_ok(redisCommand(rc, "HSET st:job:%s parts_total %ld bytes_total %lld", j->id, parts,
                        (long long)len));
    cmd_ok(redisCommand(rc, "PUBLISH st:wake:%s x", j->id));
}

static void test_upload_visible_and_exact(void **st)
{
    struct job j;
    char path[256];
    size_t len = 3 * PS - 100;
    if (skipped)
        skip();
    char *data = malloc(len), *back = malloc(len);
    for (size_t i = 0; i < len; i++)
        data[i] = (char)(i * 31 + 7);
    queue_job(&j, JOB_UPLOAD, "dir/a.bin");
    send_parts(&j, data, len);
    wait_end(&j);
    assert_string_equal(job_state_name(j.state), "SUCCEEDED");
    assert_int_equal(j.parts_done, 3);
    assert_int_equal(j.bytes_done, (int64_t)len);
    snprintf(path, sizeof(path), "%s/" ROOT "dir/a.bin", fsroot);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(back, 1, len, f), len);
    fclose(f);
    assert_memory_equal(data, back, len);

    /* again without overwrite: ALREADY_EXISTS, file untouched */
    queue_job(&j, JOB_UPLOAD, "dir/a.bin");
    wait_end(&j);
    assert_string_equal(job_state_name(j.state), "FAILED");
    assert_string_equal(j.error_code, "ALREADY_EXISTS");

    /* STAT sees it */
    queue_job(&j, JOB_STAT, "dir/a.bin");
    wait_end(&j);
    assert_string_equal(job_state_name(j.state), "SUCCEEDED");
    assert_int_equal(j.file_size, (int64_t)len);

    /* REMOVE by prefix, then STAT: NOT_FOUND */
    queue_job(&j, JOB_REMOVE, "dir/");
    wait_end(&j);
    assert_string_equal(job_state_name(j.state), "SUCCEEDED");
    assert_int_equal(j.files_done, 1);
    queue_job(&j, JOB_STAT, "dir/a.bin");
    wait_end(&j);
    assert_string_equal(j.error_code, "NOT_FOUND");
    free(data);
    free(back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_upload_visible_and_exact, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
