/* reflect.c - build the answer to a server reflection request (reflect.h). */
#include "reflect.h"

#include "descset.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef Grpc__Reflection__V1__ServerReflectionRequest refl_req;
typedef Grpc__Reflection__V1__ServerReflectionResponse refl_resp;

/* Pack `resp` into a new buffer. */
static int pack(const refl_resp *resp, uint8_t **out, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(&resp->base);
    *out = malloc(*len ? *len : 1);
    if (!*out)
        return ST_ENOMEM;
    protobuf_c_message_pack(&resp->base, *out);
    return 0;
}

static int answer_error(refl_resp *resp, int err, const char *msg, uint8_t **out, size_t *len)
{
    Grpc__Reflection__V1__ErrorResponse e = GRPC__REFLECTION__V1__ERROR_RESPONSE__INIT;
    e.error_code = st_err_grpc_status(err);
    e.error_message = (char *)msg;
    resp->message_response_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE;
    resp->error_response = &e;
    return pack(resp, out, len);
}

static int answer_services(const struct descset *d, refl_resp *resp, uint8_t **out, size_t *len)
{
    int n = descset_services(d);
    Grpc__Reflection__V1__ServiceResponse *s = calloc((size_t)n + 1, sizeof(*s));
    Grpc__Reflection__V1__ServiceResponse **sp = calloc((size_t)n + 1, sizeof(*sp));
    int rc = ST_ENOMEM;
    if (s && sp) {
        for (int i = 0; i < n; i++) {
            Grpc__Reflection__V1__ServiceResponse init =
                GRPC__REFLECTION__V1__SERVICE_RESPONSE__INIT;
            s[i] = init;
            s[i].name = (char *)descset_service(d, i);
            sp[i] = &s[i];
        }
        Grpc__Reflection__V1__ListServiceResponse l =
            GRPC__REFLECTION__V1__LIST_SERVICE_RESPONSE__INIT;
        l.n_service = (size_t)n;
        l.service = sp;
        resp->message_response_case =
            GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE;
        resp->list_services_response = &l;
        rc = pack(resp, out, len);
    }
    free(s);
    free(sp);
    return rc;
}

/* File `fi` and its imports; `fi` < 0 is NOT_FOUND for `what`. */
static int answer_file(const struct descset *d, int fi, const char *what, refl_resp *resp,
                       uint8_t **out, size_t *len)
{
    if (fi < 0) {
        char msg[DESCSET_MAX_NAME + 64];
        snprintf(msg, sizeof(msg), "%s not found", what);
        return answer_error(resp, ST_ENOTFOUND, msg, out, len);
    }
    int nf = descset_files(d);
    int *idx = malloc((size_t)nf * sizeof(*idx));
    ProtobufCBinaryData *bin = malloc((size_t)nf * sizeof(*bin));
    int n = idx && bin ? descset_closure(d, fi, idx, nf) : ST_ENOMEM;
    int rc = n < 0 ? n : 0;
    if (!rc) {
        for (int i = 0; i < n; i++)
            bin[i].data = (uint8_t *)descset_file_bytes(d, idx[i], &bin[i].len);
        Grpc__Reflection__V1__FileDescriptorResponse f =
            GRPC__REFLECTION__V1__FILE_DESCRIPTOR_RESPONSE__INIT;
        f.n_file_descriptor_proto = (size_t)n;
        f.file_descriptor_proto = bin;
        resp->message_response_case =
            GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE;
        resp->file_descriptor_response = &f;
        rc = pack(resp, out, len);
    }
    free(idx);
    free(bin);
    return rc;
}

static int answer_extensions(const struct descset *d, const char *type, refl_resp *resp,
                             uint8_t **out, size_t *len)
{
    enum descset_kind kind;
    if (descset_find_symbol(d, type, &kind) < 0 || kind != DESCSET_MESSAGE) {
        char msg[DESCSET_MAX_NAME + 64];
        snprintf(msg, sizeof(msg), "message type '%s' not found", type);
        return answer_error(resp, ST_ENOTFOUND, msg, out, len);
    }
    Grpc__Reflection__V1__ExtensionNumberResponse e =
        GRPC__REFLECTION__V1__EXTENSION_NUMBER_RESPONSE__INIT;
    e.base_type_name = (char *)(*type == '.' ? type + 1 : type);
    resp->message_response_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE;
    resp->all_extension_numbers_response = &e;
    return pack(resp, out, len);
}

/* The name the request asks about, or NULL (list_services, extension). */
static const char *req_name(const refl_req *req)
{
    switch (req->message_request_case) {
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
        return req->file_by_filename;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
        return req->file_containing_symbol;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
        return req->all_extension_numbers_of_type;
    default:
        return NULL;
    }
}

int reflect_answer(const struct descset *d, const refl_req *req, uint8_t **out, size_t *len)
{
    refl_resp resp = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__INIT;
    *out = NULL;
    *len = 0;
    if (protobuf_c_message_get_packed_size(&req->base) > REFLECT_MAX_REQUEST_BYTES)
        return answer_error(&resp, ST_EINVAL, "reflection request too large", out, len);
    resp.valid_host = req->host;
    resp.original_request = (refl_req *)req;
    const char *name = req_name(req);
    if (name && strlen(name) > DESCSET_MAX_NAME)
        return answer_error(&resp, ST_EINVAL, "name too long", out, len);
    char what[DESCSET_MAX_NAME + 16];
    switch (req->message_request_case) {
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
        return answer_services(d, &resp, out, len);
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
        snprintf(what, sizeof(what), "file '%s'", name);
        return answer_file(d, descset_find_file(d, name), what, &resp, out, len);
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
        snprintf(what, sizeof(what), "symbol '%s'", name);
        return answer_file(d, descset_find_symbol(d, name, NULL), what, &resp, out, len);
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
        return answer_error(&resp, ST_ENOTFOUND, "extension not found: the API declares none", out,
                            len);
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
        return answer_extensions(d, name, &resp, out, len);
    default:
        return answer_error(&resp, ST_EINVAL, "the request asks nothing (no message_request set)",
                            out, len);
    }
}
