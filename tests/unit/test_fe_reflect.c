/* Unit tests for frontend/reflect.c: one reflection request in, one packed
 * ServerReflectionResponse out, against the frontend's embedded descriptor
 * set. Each response is unpacked again and checked field by field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "descset.h"
#include "err.h"
#include "reflect.h"

extern const unsigned char stage_descset[];
extern const unsigned long stage_descset_len;

typedef Grpc__Reflection__V1__ServerReflectionRequest req_t;
typedef Grpc__Reflection__V1__ServerReflectionResponse resp_t;

static struct descset *set;

static int setup(void **st)
{
    (void)st;
    return descset_new(stage_descset, stage_descset_len, &set);
}

static int teardown(void **st)
{
    (void)st;
    set = descset_free(set);
    return 0;
}

static resp_t *ask(const req_t *req)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(reflect_answer(set, req, &buf, &len), 0);
    resp_t *r = grpc__reflection__v1__server_reflection_response__unpack(NULL, len, buf);
    free(buf);
    assert_non_null(r);
    return r;
}

static void expect_error(const req_t *req, int code, const char *needle)
{
    resp_t *r = ask(req);
    assert_int_equal(
        r->message_response_case,
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE);
    assert_int_equal(r->error_response->error_code, code);
    if (!strstr(r->error_response->error_message, needle))
        fail_msg("'%s' lacks '%s'", r->error_response->error_message, needle);
    grpc__reflection__v1__server_reflection_response__free_unpacked(r, NULL);
}

static void test_list_services(void **st)
{
    (void)st;
    req_t q = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
    q.host = "example:7070";
    q.message_request_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES;
    q.list_services = "*";
    resp_t *r = ask(&q);
    assert_string_equal(r->valid_host, "example:7070");
    assert_non_null(r->original_request);
    assert_string_equal(r->original_request->list_services, "*");
    assert_int_equal(
        r->message_response_case,
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE);
    assert_int_equal(r->list_services_response->n_service, 4);
    assert_string_equal(r->list_services_response->service[3]->name, "stage.v1.StageService");
    grpc__reflection__v1__server_reflection_response__free_unpacked(r, NULL);
}

static void test_files(void **st)
{
    (void)st;
    req_t q = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
    q.message_request_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL;
    q.file_containing_symbol = "grpc.health.v1.HealthCheckResponse.ServingStatus";
    resp_t *r = ask(&q);
    assert_int_equal(
        r->message_response_case,
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE);
    assert_int_equal(r->file_descriptor_response->n_file_descriptor_proto, 1);
    size_t len;
    const uint8_t *p =
        descset_file_bytes(set, descset_find_file(set, "grpc/health/v1/health.proto"), &len);
    ProtobufCBinaryData *got = &r->file_descriptor_response->file_descriptor_proto[0];
    assert_int_equal(got->len, len);
    assert_memory_equal(got->data, p, len);
    grpc__reflection__v1__server_reflection_response__free_unpacked(r, NULL);

    q.message_request_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME;
    q.file_by_filename = "stage/v1/stage.proto";
    r = ask(&q);
    assert_int_equal(r->file_descriptor_response->n_file_descriptor_proto, 1);
    grpc__reflection__v1__server_reflection_response__free_unpacked(r, NULL);

    q.file_by_filename = "stage/v1/nope.proto";
    expect_error(&q, 5, "'stage/v1/nope.proto' not found");
    q.message_request_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL;
    q.file_containing_symbol = "stage.v1.Nope";
    expect_error(&q, 5, "symbol 'stage.v1.Nope' not found");
}

static void test_extensions(void **st)
{
    (void)st;
    req_t q = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
    Grpc__Reflection__V1__ExtensionRequest e = GRPC__REFLECTION__V1__EXTENSION_REQUEST__INIT;
    e.containing_type = "stage.v1.Job";
    e.extension_number = 1000;
    q.message_request_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION;
    q.file_containing_extension = &e;
    expect_error(&q, 5, "extension not found");

    q.message_request_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE;
    q.all_extension_numbers_of_type = ".stage.v1.Job";
    resp_t *r = ask(&q);
    assert_int_equal(
        r->message_response_case,
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE);
    assert_string_equal(r->all_extension_numbers_response->base_type_name, "stage.v1.Job");
    assert_int_equal(r->all_extension_numbers_response->n_extension_number, 0);
    grpc__reflection__v1__server_reflection_response__free_unpacked(r, NULL);
    /* a service is not a message type */
    q.all_extension_numbers_of_type = "stage.v1.StageService";
    expect_error(&q, 5, "not found");
}

static void test_bad_requests(void **st)
{
    (void)st;
    req_t q = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
    expect_error(&q, 3, "asks nothing");

    char *big = malloc(REFLECT_MAX_REQUEST_BYTES + 1);
    memset(big, 'a', REFLECT_MAX_REQUEST_BYTES);
    big[REFLECT_MAX_REQUEST_BYTES] = '\0';
    q.host = big;
    q.message_request_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES;
    q.list_services = "";
    resp_t *r = ask(&q);
    assert_null(r->original_request); /* not echoed: the answer stays small */
    assert_int_equal(r->error_response->error_code, 3);
    grpc__reflection__v1__server_reflection_response__free_unpacked(r, NULL);

    q.host = "";
    big[DESCSET_MAX_NAME + 1] = '\0';
    q.message_request_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL;
    q.file_containing_symbol = big;
    expect_error(&q, 3, "name too long");
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_services),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_extensions),
        cmocka_unit_test(test_bad_requests),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
