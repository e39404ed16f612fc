/* Unit tests for storage/azblob/azxml.c: List Blobs pages as azurite 3.35.0
 * sent them (captured in e2e.azblob_sign, metadata added as include=metadata
 * returns it), error bodies, Put Block List bodies, times and digests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "azxml.h"
#include "err.h"
#include "s3xml.h"

static const char page1[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><EnumerationResults "
    "ServiceEndpoint=\"http://127.0.0.1:33031/devstoreaccount1\" ContainerName=\"stage-e2e\">"
    "<Prefix>dir/</Prefix><Marker/><MaxResults>2</MaxResults><Blobs><Blob><Name>dir/a "
    "b+c.bin</Name><Properties><Creation-Time>Sat, 05 Dec 2026 01:48:06 GMT</Creation-Time>"
    "<Last-Modified>Sat, 05 Dec 2026 01:48:07 GMT</Last-Modified><Etag>0x27077E4F26F88A0</Etag>"
    "<Content-Length>2097153</Content-Length><Content-Type>application/octet-stream</Content-Type>"
    "<BlobType>BlockBlob</BlobType><LeaseStatus>unlocked</LeaseStatus></Properties>"
    "<Metadata><sha256>"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855</sha256><creator>alice"
    "</creator></Metadata></Blob><Blob><Name>dir/one</Name><Properties><Last-Modified>Sat, 05 "
    "Dec 2026 01:48:05 GMT</Last-Modified><Etag>0x232B524B97C2E60</Etag><Content-Length>0"
    "</Content-Length><Content-MD5>1B2M2Y8AsgTpgAmY7PhCfg==</Content-MD5></Properties></Blob>"
    "</Blobs><NextMarker>dir/one</NextMarker></EnumerationResults>";

static void test_list(void **state)
{
    (void)state;
    struct azxml_list l;
    s3xml_init();
    assert_int_equal(azxml_parse_list(page1, sizeof(page1) - 1, &l), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.blob[0].name, "dir/a b+c.bin");
    assert_int_equal(l.blob[0].size, 2097153);
    assert_int_equal(l.blob[0].mtime_ms, 1796435287000LL);
    assert_string_equal(l.blob[0].etag, "0x27077E4F26F88A0");
    assert_string_equal(l.blob[0].md5, "");
    assert_string_equal(l.blob[0].meta_sha256,
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_string_equal(l.blob[0].meta_creator, "alice");
    assert_string_equal(l.blob[1].name, "dir/one");
    assert_int_equal(l.blob[1].size, 0);
    assert_string_equal(l.blob[1].md5, "d41d8cd98f00b204e9800998ecf8427e");
    assert_string_equal(l.next_marker, "dir/one");
    azxml_list_free(&l);
}

static void test_list_last_and_bad(void **state)
{
    (void)state;
    struct azxml_list l;
    static const char last[] = "<EnumerationResults><Blobs/><NextMarker/></EnumerationResults>";
    assert_int_equal(azxml_parse_list(last, sizeof(last) - 1, &l), 0);
    assert_int_equal(l.n, 0);
    assert_null(l.next_marker);
    azxml_list_free(&l);
    static const char nolen[] = "<EnumerationResults><Blobs><Blob><Name>a</Name><Properties>"
                                "</Properties></Blob></Blobs></EnumerationResults>";
    assert_int_equal(azxml_parse_list(nolen, sizeof(nolen) - 1, &l), ST_EIO);
    assert_int_equal(l.n, 0);
    static const char neg[] = "<EnumerationResults><Blobs><Blob><Name>a</Name><Properties>"
                              "<Content-Length>-1</Content-Length></Properties></Blob></Blobs>"
                              "</EnumerationResults>";
    assert_int_equal(azxml_parse_list(neg, sizeof(neg) - 1, &l), ST_EIO);
    assert_int_equal(azxml_parse_list("<Error/>", 8, &l), ST_EIO);
    assert_int_equal(azxml_parse_list("not xml", 7, &l), ST_EIO);
    /* a metadata value with a blank or a control byte reads as unknown */
    static const char odd[] = "<EnumerationResults><Blobs><Blob><Name>a</Name><Properties>"
                              "<Content-Length>1</Content-Length></Properties><Metadata>"
                              "<creator>a b</creator></Metadata></Blob></Blobs>"
                              "</EnumerationResults>";
    assert_int_equal(azxml_parse_list(odd, sizeof(odd) - 1, &l), 0);
    assert_string_equal(l.blob[0].meta_creator, "");
    azxml_list_free(&l);
}

static void test_error(void **state)
{
    (void)state;
    struct azxml_error e;
    static const char body[] =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthorizationFailure</Code>"
        "<Message>Server failed to authenticate the request.</Message></Error>";
    assert_int_equal(azxml_parse_error(body, sizeof(body) - 1, &e), 0);
    assert_string_equal(e.code, "AuthorizationFailure");
    assert_string_equal(e.message, "Server failed to authenticate the request.");
    assert_int_equal(azxml_parse_error("<x/>", 4, &e), ST_EIO);
}

static void test_block_list(void **state)
{
    (void)state;
    const char *ids[] = {"YmxvY2stMDAwMDAw", "YmxvY2stMDAwMDAx"};
    char *b = azxml_block_list_body(ids, 2);
    assert_string_equal(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>"
                           "<Latest>YmxvY2stMDAwMDAw</Latest><Latest>YmxvY2stMDAwMDAx</Latest>"
                           "</BlockList>");
    free(b);
    b = azxml_block_list_body(NULL, 0);
    assert_string_equal(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList></BlockList>");
    free(b);
    const char *bad[] = {"a<b>"};
    assert_null(azxml_block_list_body(bad, 1));
}

static void test_formats(void **state)
{
    (void)state;
    char hex[33];
    assert_int_equal(azxml_time_ms("Sat, 05 Dec 2026 01:02:03 GMT"), 1796432523000LL);
    assert_int_equal(azxml_time_ms("2026-12-05T01:02:03Z"), -1);
    assert_int_equal(azxml_time_ms(NULL), -1);
    azxml_md5_hex("1B2M2Y8AsgTpgAmY7PhCfg==", hex);
    assert_string_equal(hex, "d41d8cd98f00b204e9800998ecf8427e");
    azxml_md5_hex("1B2M2Y8AsgTpgAmY7PhCfg", hex);
    assert_string_equal(hex, "");
    azxml_md5_hex("!!!!!!!!!!!!!!!!!!!!!!==", hex);
    assert_string_equal(hex, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list),    cmocka_unit_test(test_list_last_and_bad),
        cmocka_unit_test(test_error),   cmocka_unit_test(test_block_list),
        cmocka_unit_test(test_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
