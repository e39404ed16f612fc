/* Unit tests for common/job.c and common/err.c: the state machine, names,
 * ids, and the hash codec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <string.h>

#include "err.h"
#include "job.h"

static void test_transitions(void **st)
{
    (void)st;
    assert_true(job_transition_valid(JOB_QUEUED, JOB_RUNNING));
    assert_true(job_transition_valid(JOB_QUEUED, JOB_FAILED));
    assert_true(job_transition_valid(JOB_QUEUED, JOB_CANCELLED));
    assert_false(job_transition_valid(JOB_QUEUED, JOB_SUCCEEDED));
    assert_true(job_transition_valid(JOB_RUNNING, JOB_QUEUED));
    assert_true(job_transition_valid(JOB_RUNNING, JOB_SUCCEEDED));
    assert_true(job_transition_valid(JOB_RUNNING, JOB_FAILED));
    assert_false(job_transition_valid(JOB_RUNNING, JOB_RUNNING));
    for (int s = JOB_SUCCEEDED; s <= JOB_CANCELLED; s++)
        for (int t = 0; t < JOB_STATE_LAST; t++)
            assert_false(job_transition_valid((enum job_state)s, (enum job_state)t));
}

static void test_names(void **st)
{
    (void)st;
    for (int k = 1; k < JOB_KIND_LAST; k++)
        assert_int_equal(job_kind_parse(job_kind_name((enum job_kind)k)), k);
    for (int s = 1; s < JOB_STATE_LAST; s++)
        assert_int_equal(job_state_parse(job_state_name((enum job_state)s)), s);
    assert_int_equal(job_kind_parse("upload"), JOB_KIND_NONE);
    assert_string_equal(job_state_name((enum job_state)42), "NONE");
}

static void test_ids(void **st)
{
    (void)st;
    char a[JOB_ID_LEN + 1], b[JOB_ID_LEN + 1];
    assert_int_equal(job_new_id(a), 0);
    assert_int_equal(job_new_id(b), 0);
    assert_int_equal(strlen(a), JOB_ID_LEN);
    assert_string_not_equal(a, b);
    assert_int_equal(strspn(a, "0123456789abcdef"), JOB_ID_LEN);
    /* time-ordered prefix */
    assert_true(strncmp(a, b, 12) <= 0);
}

static void test_codec_roundtrip(void **st)
{
    (void)st;
    struct job j, k;
    job_init(&j);
    strcpy(j.id, "0123456789abcdef0123456789abcdef");
    j.kind = JOB_UPLOAD;
    j.state = JOB_RUNNING;
    strcpy(j.user, "root");
    strcpy(j.path, "dir/a b.csv");
    j.bytes_total = 1LL << 40;
    j.parts_total = -1;

    const char *argv[JOB_MAX_ARGS];
    size_t lens[JOB_MAX_ARGS];
    char scratch[JOB_SCRATCH];
    int n = job_to_argv(&j, argv, lens, JOB_MAX_ARGS, scratch);
    assert_true(n > 0 && n % 2 == 0);

    /* Build a fake HGETALL reply from the argv. */
    redisReply *elems[JOB_MAX_ARGS];
    redisReply store[JOB_MAX_ARGS];
    for (int i = 0; i < n; i++) {
        memset(&store[i], 0, sizeof(store[i]));
        store[i].type = REDIS_REPLY_STRING;
        store[i].str = (char *)argv[i];
        store[i].len = lens[i];
        elems[i] = &store[i];
    }
    redisReply arr = {.type = REDIS_REPLY_ARRAY, .elements = (size_t)n, .element = elems};
    job_init(&k);
    assert_int_equal(job_from_reply(&k, &arr), 0);
    assert_string_equal(k.id, j.id);
    assert_int_equal(k.kind, JOB_UPLOAD);
    assert_int_equal(k.state, JOB_RUNNING);
    assert_string_equal(k.path, "dir/a b.csv");
    assert_int_equal(k.bytes_total, 1LL << 40);
    assert_int_equal(k.parts_total, -1);

    redisReply empty = {.type = REDIS_REPLY_ARRAY, .elements = 0};
    assert_int_equal(job_from_reply(&k, &empty), ST_ENOTFOUND);
}

/* Where a paused upload continues: whole parts only, and only while paused. */
static void test_resume_offset(void **st)
{
    (void)st;
    struct job j;
    job_init(&j);
    j.kind = JOB_UPLOAD;
    j.state = JOB_RUNNING;
    j.part_size = 2 << 20;
    j.parts_ready = 8;
    assert_int_equal(job_resume_offset(&j), 0); /* not paused */
    j.paused_until = 1;
    assert_int_equal(job_resume_offset(&j), 16LL << 20);
    j.state = JOB_QUEUED; /* handed back by a draining worker: still resumable */
    assert_int_equal(job_resume_offset(&j), 16LL << 20);
    j.parts_ready = 0;
    assert_int_equal(job_resume_offset(&j), 0); /* nothing stored: start over */
    j.parts_ready = 8;
    j.state = JOB_FAILED;
    assert_int_equal(job_resume_offset(&j), 0);
    j.state = JOB_RUNNING;
    j.kind = JOB_DOWNLOAD;
    assert_int_equal(job_resume_offset(&j), 0);

    /* paused_until goes through the hash like every field */
    j.kind = JOB_UPLOAD;
    j.paused_until = 1733368000123LL;
    strcpy(j.id, "0123456789abcdef0123456789abcdef");
    const char *argv[JOB_MAX_ARGS];
    size_t lens[JOB_MAX_ARGS];
    char scratch[JOB_SCRATCH];
    int n = job_to_argv(&j, argv, lens, JOB_MAX_ARGS, scratch);
    bool seen = false;
    for (int i = 0; i + 1 < n; i += 2)
        if (strcmp(argv[i], "paused_until") == 0)
            seen = strncmp(argv[i + 1], "1733368000123", lens[i + 1]) == 0;
    assert_true(seen);
}

/* The park of a paused upload (job_change with park_entry) is RUNNING ->
 * QUEUED only; anything else is refused before Redis is asked. */
static void test_park(void **st)
{
    (void)st;
    assert_true(job_park_valid(JOB_RUNNING, JOB_QUEUED));
    for (int s = 0; s < JOB_STATE_LAST; s++)
        for (int t = 0; t < JOB_STATE_LAST; t++)
            if (s != JOB_RUNNING || t != JOB_QUEUED)
                assert_false(job_park_valid((enum job_state)s, (enum job_state)t));
    /* every park is a valid transition too */
    assert_true(job_transition_valid(JOB_RUNNING, JOB_QUEUED));
    struct job_change ch = {.id = "0123456789abcdef0123456789abcdef",
                            .from = JOB_QUEUED,
                            .to = JOB_RUNNING,
                            .park_entry = "1-0"};
    assert_int_equal(job_change(NULL, &ch), ST_EINVAL); /* no context needed: refused first */
    ch.from = JOB_STATE_NONE;                           /* "any" is no park either */
    ch.to = JOB_QUEUED;
    assert_int_equal(job_change(NULL, &ch), ST_EINVAL);
    ch.from = JOB_RUNNING;
    ch.park_entry = "";
    assert_int_equal(job_change(NULL, &ch), ST_EINVAL);
}

/* A paused upload within its window, as ListJobs' `paused` filter sees it. */
static void test_paused(void **st)
{
    (void)st;
    struct job j;
    job_init(&j);
    j.kind = JOB_UPLOAD;
    j.state = JOB_QUEUED;
    assert_false(job_paused(&j, 1000)); /* never paused */
    j.paused_until = 5000;
    assert_true(job_paused(&j, 1000));
    assert_true(job_paused(&j, 5000)); /* the last millisecond is still inside */
    assert_false(job_paused(&j, 5001));
    j.state = JOB_RUNNING;
    assert_true(job_paused(&j, 1000));
    j.state = JOB_FAILED;
    assert_false(job_paused(&j, 1000));
    j.state = JOB_QUEUED;
    j.kind = JOB_COPY;
    assert_false(job_paused(&j, 1000));
}

static void test_errors(void **st)
{
    (void)st;
    assert_string_equal(st_err_status_name(ST_ENOTFOUND), "NOT_FOUND");
    assert_string_equal(st_err_status_name(0), "OK");
    assert_int_equal(st_err_grpc_status(ST_EAUTH), 16);
    assert_int_equal(st_err_from_status_name("ALREADY_EXISTS"), ST_EEXIST);
    assert_int_equal(st_grpc_status_from_name("NOPE"), -1);
    for (int e = 0; e >= ST_ERR_MIN; e--)
        assert_non_null(st_strerror(e));
    assert_string_equal(st_strerror(5), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transitions), cmocka_unit_test(test_names),
        cmocka_unit_test(test_ids),         cmocka_unit_test(test_codec_roundtrip),
        cmocka_unit_test(test_errors),      cmocka_unit_test(test_resume_offset),
        cmocka_unit_test(test_park),        cmocka_unit_test(test_paused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
