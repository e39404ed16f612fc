/* Unit tests for common/httphdr.c: header values from outside must stay one
 * header line (issue 14 #5, header injection). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "err.h"
#include "httphdr.h"

static void test_content_type_ok(void **st)
{
    (void)st;
    static const char *good[] = {"",
                                 "text/plain",
                                 "text/csv; charset=utf-8",
                                 "application/vnd.apache.parquet",
                                 "multipart/form-data; boundary=\"a b ~!\"",
                                 " ~"};
    char err[200];
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (httphdr_content_type_check(good[i], "content_type", err, sizeof(err)) != 0)
            fail_msg("'%s' was refused: %s", good[i], err);
    assert_int_equal(httphdr_content_type_check(NULL, "content_type", err, sizeof(err)), 0);
    char max[HTTPHDR_CONTENT_TYPE_MAX + 1];
    memset(max, 'x', HTTPHDR_CONTENT_TYPE_MAX);
    max[HTTPHDR_CONTENT_TYPE_MAX] = '\0';
    assert_int_equal(httphdr_content_type_check(max, "content_type", err, sizeof(err)), 0);
}

static void test_content_type_refused(void **st)
{
    (void)st;
    static const struct {
        const char *v;
        const char *msg;
    } bad[] = {
        {"text/plain\r\nX-Evil: 1", "byte 0x0d at offset 10"},
        {"text/plain\nX-Evil: 1", "byte 0x0a at offset 10"},
        {"text/plain\r", "byte 0x0d"},
        {"a\tb", "byte 0x09"},
        {"a\x7f", "byte 0x7f"},
        {"a\x01", "byte 0x01"},
        {"t\xc3\xa9xt/plain", "byte 0xc3 at offset 1"}, /* not ASCII */
        {"\xff", "byte 0xff at offset 0"},
    };
    char err[200];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (httphdr_content_type_check(bad[i].v, "content_type", err, sizeof(err)) != ST_EINVAL)
            fail_msg("value %zu was accepted", i);
        if (!strstr(err, "content_type must be printable ASCII") || !strstr(err, bad[i].msg))
            fail_msg("value %zu: message '%s', want '%s'", i, err, bad[i].msg);
    }
    char big[HTTPHDR_CONTENT_TYPE_MAX + 2];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(
        httphdr_content_type_check(big, "PresignFileRequest.content_type", err, sizeof(err)),
        ST_EINVAL);
    assert_non_null(
        strstr(err, "PresignFileRequest.content_type is too long (128 bytes, max 127)"));
    assert_int_equal(httphdr_content_type_check("a\r\n", "f", NULL, 0), ST_EINVAL);
}

static void test_line_ok(void **st)
{
    (void)st;
    assert_true(httphdr_line_ok(NULL));
    assert_true(httphdr_line_ok(""));
    assert_true(httphdr_line_ok("Content-Type: text/plain"));
    assert_true(httphdr_line_ok("x-amz-meta-n: caf\xc3\xa9")); /* obs-text passes */
    assert_false(httphdr_line_ok("Content-Type: a\r\nX-Evil: 1"));
    assert_false(httphdr_line_ok("Content-Type: a\nb"));
    assert_false(httphdr_line_ok("a\rb"));
    assert_false(httphdr_line_ok("a\tb"));
    assert_false(httphdr_line_ok("a\x7f"));
    assert_false(httphdr_line_ok("\x1f"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_type_ok),
        cmocka_unit_test(test_content_type_refused),
        cmocka_unit_test(test_line_ok),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
