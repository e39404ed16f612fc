/* Unit tests for storage/gcs/gcsjson.c: object resources, list pages,
 * rewrite replies, error messages, 308 Range headers and chunk sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "gcsjson.h"

#define OBJ(name, size)                                                                            \
    "{\"kind\":\"storage#object\",\"name\":\"" name "\",\"size\":\"" size "\","                    \
    "\"updated\":\"2026-12-05T01:02:03.456Z\",\"etag\":\"CJ+5\","                                  \
    "\"md5Hash\":\"1B2M2Y8AsgTpgAmY7PhCfg==\",\"metadata\":{\"sha256\":"                           \
    "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"creator\":\"u1\"}}"

static void test_object(void **st)
{
    (void)st;
    const char *b = OBJ("d/a.csv", "12345678901");
    struct gcsjson_object o;
    char err[256];
    assert_int_equal(gcsjson_object_parse(b, strlen(b), &o, err, sizeof(err)), 0);
    assert_string_equal(o.e.key, "d/a.csv");
    assert_int_equal(o.e.size, 12345678901LL);
    assert_int_equal(o.e.mtime_ms, 1796432523456LL);
    assert_string_equal(o.e.etag, "CJ+5");
    assert_string_equal(o.e.md5, "d41d8cd98f00b204e9800998ecf8427e");
    assert_string_equal(o.e.sha256,
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_string_equal(o.e.creator, "u1");
    gcsjson_object_clear(&o);
    const char *bad[] = {"{\"name\":\"a\"}",
                         "{\"name\":\"a\",\"size\":\"-1\"}",
                         "{\"name\":\"a\",\"size\":12}",
                         "{\"size\":\"1\"}",
                         "[]",
                         "",
                         "{"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(gcsjson_object_parse(bad[i], strlen(bad[i]), &o, err, sizeof(err)),
                         ST_EINVAL);
    /* a bad sha256 or a creator with a control character is dropped */
    const char *odd = "{\"name\":\"a\",\"size\":\"0\",\"md5Hash\":\"xx\",\"metadata\":"
                      "{\"sha256\":\"ABC\",\"creator\":\"a\\nb\"}}";
    assert_int_equal(gcsjson_object_parse(odd, strlen(odd), &o, err, sizeof(err)), 0);
    assert_string_equal(o.e.md5, "");
    assert_string_equal(o.e.sha256, "");
    assert_string_equal(o.e.creator, "");
    gcsjson_object_clear(&o);
}

static void test_list(void **st)
{
    (void)st;
    const char *b =
        "{\"kind\":\"storage#objects\",\"nextPageToken\":\"CgVkL2IuYw==\",\"items\":[" OBJ(
            "d/a", "1") "," OBJ("d/b", "2") "]}";
    struct gcsjson_list l;
    char err[256];
    assert_int_equal(gcsjson_list_parse(b, strlen(b), &l, err, sizeof(err)), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.items[1].e.key, "d/b");
    assert_int_equal(l.items[1].e.size, 2);
    assert_string_equal(l.next_token, "CgVkL2IuYw==");
    gcsjson_list_clear(&l);
    const char *empty = "{\"kind\":\"storage#objects\"}";
    assert_int_equal(gcsjson_list_parse(empty, strlen(empty), &l, err, sizeof(err)), 0);
    assert_int_equal(l.n, 0);
    assert_null(l.next_token);
    gcsjson_list_clear(&l);
    const char *bad = "{\"items\":[" OBJ("a", "1") ",{\"name\":\"b\"}]}";
    assert_int_equal(gcsjson_list_parse(bad, strlen(bad), &l, err, sizeof(err)), ST_EINVAL);
    assert_int_equal(l.n, 0);
    assert_null(l.items);
    const char *notarr = "{\"items\":{}}";
    assert_int_equal(gcsjson_list_parse(notarr, strlen(notarr), &l, err, sizeof(err)), ST_EINVAL);
}

static void test_rewrite(void **st)
{
    (void)st;
    struct gcsjson_rewrite r;
    char err[256];
    const char *more = "{\"kind\":\"storage#rewriteResponse\",\"totalBytesRewritten\":\"1048576\","
                       "\"objectSize\":\"10485760\",\"done\":false,\"rewriteToken\":\"tok1\"}";
    assert_int_equal(gcsjson_rewrite_parse(more, strlen(more), &r, err, sizeof(err)), 0);
    assert_false(r.done);
    assert_string_equal(r.token, "tok1");
    assert_int_equal(r.rewritten, 1048576);
    gcsjson_rewrite_clear(&r);
    const char *done =
        "{\"done\":true,\"totalBytesRewritten\":\"5\",\"resource\":" OBJ("x", "5") "}";
    assert_int_equal(gcsjson_rewrite_parse(done, strlen(done), &r, err, sizeof(err)), 0);
    assert_true(r.done);
    assert_null(r.token);
    gcsjson_rewrite_clear(&r);
    const char *bad = "{\"done\":false}";
    assert_int_equal(gcsjson_rewrite_parse(bad, strlen(bad), &r, err, sizeof(err)), ST_EINVAL);
}

static void test_error_message(void **st)
{
    (void)st;
    char m[64];
    const char *b = "{\"error\":{\"code\":403,\"message\":\"no\\naccess\"}}";
    gcsjson_error_message(b, strlen(b), m, sizeof(m));
    assert_string_equal(m, "no access");
    gcsjson_error_message("x", 1, m, sizeof(m));
    assert_string_equal(m, "");
}

static void test_range(void **st)
{
    (void)st;
    assert_int_equal(gcsjson_range_committed(NULL), 0);
    assert_int_equal(gcsjson_range_committed(""), 0);
    assert_int_equal(gcsjson_range_committed("bytes=0-262143"), 262144);
    assert_int_equal(gcsjson_range_committed("bytes=0-0"), 1);
    assert_int_equal(gcsjson_range_committed("bytes=1-5"), -1);
    assert_int_equal(gcsjson_range_committed("bytes=0-"), -1);
    assert_int_equal(gcsjson_range_committed("bytes=0--5"), -1);
    assert_int_equal(gcsjson_range_committed("bytes=0-5x"), -1);
    assert_int_equal(gcsjson_range_committed("bytes=0-9223372036854775806"), INT64_MAX);
    assert_int_equal(gcsjson_range_committed("bytes=0-9223372036854775807"), -1);
    assert_int_equal(gcsjson_range_committed("bytes=0-066666666666666666666666666666666666"), -1);
    assert_int_equal(gcsjson_range_committed("bytes=0-5 "), -1);
}

static void test_chunk(void **st)
{
    (void)st;
    const size_t K = 1024, M = K * K, MAX = 5 * K * M;
    assert_int_equal(gcsjson_chunk_size(0, 0, MAX), 8 * M);
    assert_int_equal(gcsjson_chunk_size(1, 0, MAX), 256 * K);
    assert_int_equal(gcsjson_chunk_size(256 * K + 1, 0, MAX), 512 * K);
    assert_int_equal(gcsjson_chunk_size(5 * M, 0, MAX), 5 * M);
    /* a caller's 100 KB parts: chunks of lcm(100000, 256 KiB) = 25 * 256 KiB */
    size_t c = gcsjson_chunk_size(8 * M, 100000, MAX);
    assert_int_equal(c % 100000, 0);
    assert_int_equal(c % (256 * K), 0);
    assert_true(c >= 8 * M);
    assert_int_equal(gcsjson_chunk_size(8 * M, 4 * M, MAX), 8 * M);
    assert_int_equal(gcsjson_chunk_size(MAX + 1, 0, MAX), 0);
    assert_int_equal(gcsjson_chunk_size(1, 1000003, 64 * M), 0); /* lcm too big */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_object),  cmocka_unit_test(test_list),
        cmocka_unit_test(test_rewrite), cmocka_unit_test(test_error_message),
        cmocka_unit_test(test_range),   cmocka_unit_test(test_chunk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
