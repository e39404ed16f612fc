/* test_fe_squota.c - the frontend's quota reservations (frontend/squota.c)
 * against a real redis-server (with_redis.sh), through its synchronous
 * `struct db`: the reserve goes by EVALSHA and still works after Redis
 * lost its script cache (a restart, SCRIPT FLUSH). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "err.h"
#include "itdb.h"
#include "job.h"
#include "keys.h"
#include "quota.h"
#include "squota.h"

static void cmd_ok(const char *a0, const char *a1, const char *a2, const char *a3)
{
    assert_int_equal(db_cmd(&itdb, NULL, a0, a1, a2, a3, NULL), 0);
}

static void reserve_after_flush(const char *id, long long need, int want, long long granted_want)
{
    struct job j;
    char msg[400] = "";
    long long granted = -1;
    memset(&j, 0, sizeof(j));
    snprintf(j.id, sizeof(j.id), "%s", id);
    snprintf(j.stage, sizeof(j.stage), "t");
    snprintf(j.root, sizeof(j.root), "stage/internal/t/1/");
    j.quota_bytes = 1000;
    cmd_ok("SCRIPT", "FLUSH", NULL, NULL);
    int rc = squota_reserve(&itdb, &j, need, need, &granted, msg, sizeof(msg));
    if (rc != want)
        fprintf(stderr, "rc %d (%s): %s / %s\n", rc, st_strerror(rc), msg, itdb.err);
    assert_int_equal(rc, want);
    assert_int_equal(granted, granted_want);
}

static void test_reserve_without_cached_script(void **st)
{
    (void)st;
    struct quota_use u;
    cmd_ok("FLUSHDB", NULL, NULL, NULL);
    cmd_ok("HSET", KEY_JOB_PREFIX "a", "state", "RUNNING");
    cmd_ok("HSET", KEY_JOB_PREFIX "b", "state", "RUNNING");
    reserve_after_flush("a", 600, 0, 600);
    /* b: no room left beside a's reservation, found through the job prefix */
    reserve_after_flush("b", 600, ST_ELIMIT, 0);
    cmd_ok("SCRIPT", "FLUSH", NULL, NULL);
    assert_int_equal(squota_usage(&itdb, "stage/internal/t/1/", &u), 0);
    assert_int_equal(u.res_bytes, 600); /* a's, found through the job prefix */
    assert_int_equal(u.res_files, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reserve_without_cached_script),
    };
    return cmocka_run_group_tests(tests, itdb_group_setup, itdb_group_teardown);
}
