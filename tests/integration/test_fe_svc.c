/* test_fe_svc.c - the frontend's service functions (frontend/svc.h) called
 * directly, without gRPC, against a real redis-server (with_redis.sh): each
 * runs with a `struct svc` built here and a synchronous `struct db`, and the
 * test checks the returned code, the client's message and the unpacked
 * response, as the dispatcher would send them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "err.h"
#include "handlers.h"
#include "itdb.h"
#include "job.h"
#include "svc.h"

#include "grpc/health/v1/health.pb-c.h"
#include "stage/v1/stage.pb-c.h"

/* ------------------------------------------------------------ helpers */

/* A caller: `user`, admin or not. */
static void as(struct svc *s, const char *user, bool admin)
{
    svc_init(s, &itdb, &itdb_cfg);
    snprintf(s->user, sizeof(s->user), "%s", user);
    s->admin = admin;
    snprintf(s->peer, sizeof(s->peer), "ipv4:127.0.0.1:5555");
}

/* Run `fn` as `user` and expect `want`; the svc is returned for inspection
 * (svc_cleanup() by the caller). */
static void run(struct svc *s, const char *user, bool admin, svc_fn *fn, ProtobufCMessage *req,
                int want)
{
    as(s, user, admin);
    int rc = fn(s, req);
    if (rc != want)
        fprintf(stderr, "rc %d (%s), message: %s\n", rc, st_strerror(rc), s->msg);
    assert_int_equal(rc, want);
    assert_true(rc ? !s->replied : s->replied);
}

/* Run and expect a failure with exactly `msg`. */
static void fails(svc_fn *fn, ProtobufCMessage *req, const char *user, bool admin, int want,
                  const char *msg)
{
    struct svc s;
    run(&s, user, admin, fn, req, want);
    assert_string_equal(s.msg, msg);
    svc_cleanup(&s);
}

/* Run and expect success; the response is dropped. */
static void ok(svc_fn *fn, ProtobufCMessage *req, const char *user, bool admin)
{
    struct svc s;
    run(&s, user, admin, fn, req, 0);
    svc_cleanup(&s);
}

static void create_user(const char *name)
{
    Stage__V1__CreateUserRequest req = STAGE__V1__CREATE_USER_REQUEST__INIT;
    char pw[] = "secret-pw"; /* wiped by the function */
    req.name = (char *)name;
    req.password = pw;
    struct svc s;
    run(&s, "root", true, svc_create_user, &req.base, 0);
    Stage__V1__CreateUserResponse *resp =
        stage__v1__create_user_response__unpack(NULL, s.resp_len, (const uint8_t *)s.resp);
    assert_non_null(resp);
    assert_string_equal(resp->user->name, name);
    assert_false(resp->user->admin);
    assert_string_equal(pw, "");
    stage__v1__create_user_response__free_unpacked(resp, NULL);
    svc_cleanup(&s);
}

static void grant(const char *by, bool admin, int priv, const char *stage, const char *user,
                  int want, const char *msg)
{
    Stage__V1__GrantRequest req = STAGE__V1__GRANT_REQUEST__INIT;
    req.privilege = (Stage__V1__Privilege)priv;
    req.stage = (char *)stage;
    req.user = (char *)user;
    if (want)
        fails(svc_grant, &req.base, by, admin, want, msg);
    else
        ok(svc_grant, &req.base, by, admin);
}

/* ------------------------------------------------------------ tests */

/* Users, CREATE_STAGE, a stage, grants on it and the grants shown, with the
 * refusals on the way; each step as the client would see it. */
static void test_stage_and_grants(void **st)
{
    (void)st;
    create_user("alice");
    create_user("bob");
    create_user("carol");

    Stage__V1__CreateStageRequest cs = STAGE__V1__CREATE_STAGE_REQUEST__INIT;
    cs.name = "sales";
    fails(svc_create_stage, &cs.base, "alice", false, ST_EPERM,
          "permission denied: user 'alice' needs CREATE_STAGE to create stages");
    grant("bob", false, STAGE__V1__PRIVILEGE__CREATE_STAGE, "", "alice", ST_EPERM,
          "permission denied: only admins may grant CREATE_STAGE");
    grant("root", true, STAGE__V1__PRIVILEGE__CREATE_STAGE, "", "alice", 0, NULL);

    struct svc s;
    run(&s, "alice", false, svc_create_stage, &cs.base, 0);
    assert_string_equal(s.location, "@sales");
    Stage__V1__CreateStageResponse *cr =
        stage__v1__create_stage_response__unpack(NULL, s.resp_len, (const uint8_t *)s.resp);
    assert_non_null(cr);
    assert_string_equal(cr->stage->name, "sales");
    assert_string_equal(cr->stage->owner, "alice");
    assert_string_equal(cr->stage->stage_type, "Internal");
    assert_string_equal(cr->job_id, "");
    stage__v1__create_stage_response__free_unpacked(cr, NULL);
    svc_cleanup(&s);
    fails(svc_create_stage, &cs.base, "alice", false, ST_EEXIST, "stage 'sales' already exists");

    grant("carol", false, STAGE__V1__PRIVILEGE__READ, "sales", "bob", ST_EPERM,
          "permission denied: only the owner of stage 'sales' or an admin may grant on it");
    grant("alice", false, STAGE__V1__PRIVILEGE__READ, "nope", "bob", ST_ENOTFOUND,
          "stage 'nope' does not exist");
    grant("alice", false, 7, "sales", "bob", ST_EINVAL,
          "privilege must be READ, WRITE, ALL or CREATE_STAGE");
    grant("alice", false, STAGE__V1__PRIVILEGE__READ, "sales", "bob", 0, NULL);

    Stage__V1__ShowGrantsRequest sg = STAGE__V1__SHOW_GRANTS_REQUEST__INIT;
    sg.stage = "sales";
    run(&s, "alice", false, svc_show_grants, &sg.base, 0);
    Stage__V1__ShowGrantsResponse *gr =
        stage__v1__show_grants_response__unpack(NULL, s.resp_len, (const uint8_t *)s.resp);
    assert_non_null(gr);
    assert_int_equal(gr->n_grants, 1);
    assert_string_equal(gr->grants[0]->user, "bob");
    assert_string_equal(gr->grants[0]->stage, "sales");
    assert_int_equal(gr->grants[0]->privilege, STAGE__V1__PRIVILEGE__READ);
    stage__v1__show_grants_response__free_unpacked(gr, NULL);
    svc_cleanup(&s);
    fails(svc_show_grants, &sg.base, "bob", false, ST_EPERM,
          "permission denied: only the owner of stage 'sales' or an admin may grant on it");
    sg.user = "alice";
    fails(svc_show_grants, &sg.base, "bob", false, ST_EINVAL, "give exactly one of stage or user");

    /* bob reads the stage now; carol does not see it */
    Stage__V1__DescribeStageRequest ds = STAGE__V1__DESCRIBE_STAGE_REQUEST__INIT;
    ds.name = "sales";
    ok(svc_describe_stage, &ds.base, "bob", false);
    fails(svc_describe_stage, &ds.base, "carol", false, ST_EPERM,
          "permission denied: user 'carol' needs READ or WRITE on stage 'sales'");
    Stage__V1__DropStageRequest dr = STAGE__V1__DROP_STAGE_REQUEST__INIT;
    dr.name = "sales";
    fails(svc_drop_stage, &dr.base, "bob", false, ST_EPERM,
          "permission denied: user 'bob' does not own stage 'sales' (only its owner or an admin "
          "may drop, alter or replace it)");
}

/* Only admins manage users; the message names the caller. */
static void test_users_admin_only(void **st)
{
    (void)st;
    Stage__V1__ListUsersRequest lu = STAGE__V1__LIST_USERS_REQUEST__INIT;
    fails(svc_list_users, &lu.base, "bob", false, ST_EPERM,
          "permission denied: only admins may list users (user 'bob' is not an admin)");
    Stage__V1__DropUserRequest du = STAGE__V1__DROP_USER_REQUEST__INIT;
    du.name = "root";
    fails(svc_drop_user, &du.base, "root", true, ST_EPERM,
          "user 'root' is the bootstrap admin and cannot be dropped");
}

/* GetJob without an authentication hook: the caller is s->user already and
 * the HGETALL runs alone. A missing id and a malformed one are NOT_FOUND
 * alike, and the id is kept for the log line. */
static void test_get_job_not_found(void **st)
{
    (void)st;
    Stage__V1__GetJobRequest req = STAGE__V1__GET_JOB_REQUEST__INIT;
    req.job_id = "0123456789abcdef0123456789abcdef";
    struct svc s;
    run(&s, "bob", false, svc_get_job, &req.base, ST_ENOTFOUND);
    assert_string_equal(s.msg, "job '0123456789abcdef0123456789abcdef' not found");
    assert_string_equal(s.job, "0123456789abcdef0123456789abcdef");
    assert_int_equal(s.status, 0); /* the code's own status: NOT_FOUND */
    svc_cleanup(&s);
    req.job_id = "../x";
    fails(svc_get_job, &req.base, "bob", false, ST_ENOTFOUND, "job '../x' not found");
}

/* Health from the server's state in the svc: liveness ("") stays SERVING on
 * a saturated frontend, readiness does not; an unknown name is NOT_FOUND. */
static void test_health(void **st)
{
    (void)st;
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    const char *names[] = {"", "stage.v1.StageService"};
    int want[] = {GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING,
                  GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING};
    for (int i = 0; i < 2; i++) {
        struct svc s;
        as(&s, "", false);
        s.saturated = true;
        req.service = (char *)names[i];
        assert_int_equal(svc_health_check(&s, &req.base), 0);
        Grpc__Health__V1__HealthCheckResponse *r = grpc__health__v1__health_check_response__unpack(
            NULL, s.resp_len, (const uint8_t *)s.resp);
        assert_non_null(r);
        assert_int_equal(r->status, want[i]);
        grpc__health__v1__health_check_response__free_unpacked(r, NULL);
        svc_cleanup(&s);
    }
    req.service = "x.Y";
    fails(svc_health_check, &req.base, "", false, ST_ENOTFOUND, "unknown service 'x.Y'");
}

/* A job's own outcome is the answer: its stored status (exactly, in
 * s->status) and message; a SUCCEEDED job is no failure. */
static void test_job_outcome(void **st)
{
    (void)st;
    struct job *j = calloc(1, sizeof(*j));
    struct svc s;
    assert_non_null(j);
    job_init(j);
    snprintf(j->id, sizeof(j->id), "00000000000000000000000000000001");
    j->state = JOB_FAILED;
    snprintf(j->error_code, sizeof(j->error_code), "NOT_FOUND");
    snprintf(j->error_message, sizeof(j->error_message), "file '@~/a' does not exist");
    as(&s, "bob", false);
    assert_int_equal(svc_job_outcome(&s, j), ST_ENOTFOUND);
    assert_int_equal(s.status, 5);
    assert_string_equal(s.msg, "file '@~/a' does not exist");
    j->state = JOB_CANCELLED;
    as(&s, "bob", false);
    assert_int_equal(svc_job_outcome(&s, j), ST_ECANCELLED);
    assert_int_equal(s.status, 1);
    assert_string_equal(s.msg, "job '00000000000000000000000000000001' was cancelled");
    j->state = JOB_SUCCEEDED;
    as(&s, "bob", false);
    assert_int_equal(svc_job_outcome(&s, j), 0);
    free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stage_and_grants),  cmocka_unit_test(test_users_admin_only),
        cmocka_unit_test(test_get_job_not_found), cmocka_unit_test(test_health),
        cmocka_unit_test(test_job_outcome),
    };
    return cmocka_run_group_tests(tests, itdb_group_setup, itdb_group_teardown);
}
