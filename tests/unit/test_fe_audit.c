/* Unit tests for frontend/audit.c: which calls are audited, and the JSON
 * line (one line, escaped, every field). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <grpc/status.h>
#include <jansson.h>
#include <string.h>

#include "audit.h"

static void test_wanted(void **st)
{
    (void)st;
    assert_true(audit_wanted("CreateStage", GRPC_STATUS_OK));
    assert_true(audit_wanted("Login", GRPC_STATUS_OK));
    assert_true(audit_wanted("UploadFile", GRPC_STATUS_OK));
    assert_false(audit_wanted("GetJob", GRPC_STATUS_OK)); /* reads are not */
    assert_false(audit_wanted("ListFiles", GRPC_STATUS_NOT_FOUND));
    assert_true(audit_wanted("GetJob", GRPC_STATUS_PERMISSION_DENIED)); /* refusals are */
    assert_true(audit_wanted("ListStages", GRPC_STATUS_UNAUTHENTICATED));
    assert_true(audit_wanted("StatFile", GRPC_STATUS_INVALID_ARGUMENT));
    assert_false(audit_wanted("WatchJob", GRPC_STATUS_CANCELLED));
}

static void test_line(void **st)
{
    (void)st;
    char out[1024];
    struct audit_rec r = {1796428800123LL,
                          42,
                          "DropStage",
                          "bob",
                          "ipv4:10.0.0.7:5123",
                          "@sales\n\"x\"",
                          "",
                          GRPC_STATUS_PERMISSION_DENIED,
                          "permission denied: only the owner"};
    int n = audit_line(&r, out, sizeof(out));
    assert_true(n > 0);
    assert_int_equal(out[n - 1], '\n');
    assert_null(memchr(out, '\n', (size_t)n - 1)); /* one line, whatever the object held */
    json_error_t e;
    json_t *o = json_loads(out, 0, &e);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "ts")), "2026-12-05T00:00:00.123Z");
    assert_int_equal(json_integer_value(json_object_get(o, "req")), 42);
    assert_string_equal(json_string_value(json_object_get(o, "rpc")), "DropStage");
    assert_string_equal(json_string_value(json_object_get(o, "user")), "bob");
    assert_string_equal(json_string_value(json_object_get(o, "peer")), "ipv4:10.0.0.7:5123");
    assert_string_equal(json_string_value(json_object_get(o, "object")), "@sales\n\"x\"");
    assert_string_equal(json_string_value(json_object_get(o, "status")), "PERMISSION_DENIED");
    json_decref(o);
    assert_int_equal(audit_line(&r, out, 20), -1); /* does not fit: nothing half written */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wanted),
        cmocka_unit_test(test_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
