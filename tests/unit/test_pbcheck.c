/* Unit tests for common/pbcheck.c: a request whose string holds a NUL byte
 * is refused at any depth, whatever else the message carries; bytes fields
 * and non-canonical but valid encodings are not. Messages are written byte
 * by byte, as a hostile client would send them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "err.h"
#include "pbcheck.h"

#include "stage/v1/stage.pb-c.h"

#define MSG(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

static int unpack(const ProtobufCMessageDescriptor *d, const uint8_t *b, size_t n,
                  ProtobufCMessage **m)
{
    *m = (ProtobufCMessage *)(void *)1; /* must be reset */
    int rc = pbcheck_unpack(d, b, n, m);
    if (rc)
        assert_null(*m);
    return rc;
}

static void test_accepts(void **st)
{
    (void)st;
    ProtobufCMessage *m;
    /* ListFiles { location "@~/a/", page_size 10 } */
    assert_int_equal(unpack(&stage__v1__list_files_request__descriptor,
                            MSG(0x0a, 5, '@', '~', '/', 'a', '/', 0x18, 10), &m),
                     0);
    Stage__V1__ListFilesRequest *l = (Stage__V1__ListFilesRequest *)m;
    assert_string_equal(l->location, "@~/a/");
    assert_int_equal(l->page_size, 10);
    protobuf_c_message_free_unpacked(m, NULL);

    /* page_size -1 as the 5-byte varint protobuf-c also reads */
    assert_int_equal(unpack(&stage__v1__list_files_request__descriptor,
                            MSG(0x0a, 2, '@', '~', 0x18, 0xff, 0xff, 0xff, 0xff, 0x0f), &m),
                     0);
    assert_int_equal(((Stage__V1__ListFilesRequest *)m)->page_size, -1);
    protobuf_c_message_free_unpacked(m, NULL);

    /* a NUL in a bytes field (an upload chunk) is data */
    assert_int_equal(
        unpack(&stage__v1__upload_file_request__descriptor, MSG(0x12, 3, 'a', 0, 'b'), &m), 0);
    protobuf_c_message_free_unpacked(m, NULL);

    /* a field given twice (the last wins) and an unknown field */
    assert_int_equal(unpack(&stage__v1__stat_file_request__descriptor,
                            MSG(0x0a, 1, 'x', 0x0a, 2, '@', '~', 0x7a, 1, 0), &m),
                     0);
    assert_string_equal(((Stage__V1__StatFileRequest *)m)->location, "@~");
    protobuf_c_message_free_unpacked(m, NULL);
}

static void test_refuses_nul(void **st)
{
    (void)st;
    ProtobufCMessage *m;
    /* StatFile { location "@~/a\0/../x" } */
    assert_int_equal(unpack(&stage__v1__stat_file_request__descriptor,
                            MSG(0x0a, 10, '@', '~', '/', 'a', 0, '/', '.', '.', '/', 'x'), &m),
                     ST_EINVAL);
    /* The same with page_size -1 sent in 5 bytes, which protobuf-c packs in
     * 10: the message then packs as long as it came, and the check by
     * packed size (before pbcheck.c read the wire) let "@~/a" through. */
    assert_int_equal(unpack(&stage__v1__list_files_request__descriptor,
                            MSG(0x0a, 9, '@', '~', '/', 'a', 0, '/', '.', '.', '/', 0x18, 0xff,
                                0xff, 0xff, 0xff, 0x0f),
                            &m),
                     ST_EINVAL);
    /* in a nested message: UploadFile { header { location "@~/\0" } } */
    assert_int_equal(unpack(&stage__v1__upload_file_request__descriptor,
                            MSG(0x0a, 6, 0x0a, 4, '@', '~', '/', 0), &m),
                     ST_EINVAL);
    /* in a map key: CreateStage { name "s", connection { "reg\0ion": "x" } } */
    assert_int_equal(
        unpack(&stage__v1__create_stage_request__descriptor,
               MSG(0x0a, 1, 's', 0x1a, 12, 0x0a, 7, 'r', 'e', 'g', 0, 'i', 'o', 'n', 0x12, 1, 'x'),
               &m),
        ST_EINVAL);
    /* a NUL alone */
    assert_int_equal(unpack(&stage__v1__stat_file_request__descriptor, MSG(0x0a, 1, 0), &m),
                     ST_EINVAL);
}

static void test_refuses_malformed(void **st)
{
    (void)st;
    ProtobufCMessage *m;
    assert_int_equal(unpack(&stage__v1__stat_file_request__descriptor, MSG(0x0a, 5, '@'), &m),
                     ST_EINVAL);
    assert_int_equal(unpack(&stage__v1__stat_file_request__descriptor, MSG(0x08, 0xff), &m),
                     ST_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts),
        cmocka_unit_test(test_refuses_nul),
        cmocka_unit_test(test_refuses_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
