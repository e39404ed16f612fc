/* sb_grpc.c - channels, metadata and message helpers of the stream modes (sb.h). */
#include "sb.h"

#include "rpc.h"

#include "stage/v1/stage.pb-c.h"

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc_security.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t sb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t sb_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sb_cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t sb_pct(const int64_t *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

grpc_channel **sb_channels(const char *target, int n)
{
    grpc_channel **ch = calloc((size_t)n, sizeof(*ch));
    if (!ch)
        return NULL;
    /* stagectl's arguments, and a subchannel per channel: one TCP
     * connection each, not one shared by identical channels */
    grpc_arg argv[RPC_CHANNEL_ARGS + 1];
    rpc_channel_args(argv);
    argv[RPC_CHANNEL_ARGS] = (grpc_arg){.type = GRPC_ARG_INTEGER,
                                        .key = (char *)GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL,
                                        .value.integer = 1};
    grpc_channel_args args = {sizeof(argv) / sizeof(argv[0]), argv};
    grpc_channel_credentials *creds = grpc_insecure_credentials_create();
    for (int i = 0; creds && i < n; i++)
        ch[i] = grpc_channel_create(target, creds, &args);
    if (creds)
        grpc_channel_credentials_release(creds);
    for (int i = 0; i < n; i++)
        if (!ch[i]) {
            sb_channels_free(ch, n);
            return NULL;
        }
    return ch;
}

void sb_channels_free(grpc_channel **ch, int n)
{
    if (!ch)
        return;
    for (int i = 0; i < n; i++)
        if (ch[i])
            grpc_channel_destroy(ch[i]);
    free(ch);
}

size_t sb_auth_md(grpc_metadata *md)
{
    memset(md, 0, sizeof(*md));
    if (!g_auth[0])
        return 0;
    md->key = grpc_slice_from_static_string("authorization");
    md->value = grpc_slice_from_static_string(g_auth);
    return 1;
}

grpc_slice sb_pack_slice(const ProtobufCMessage *m)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        abort();
    protobuf_c_message_pack(m, buf);
    return grpc_slice_new(buf, len, free);
}

grpc_byte_buffer *sb_bb(grpc_slice s)
{
    return grpc_raw_byte_buffer_create(&s, 1);
}

ProtobufCMessage *sb_unpack(const ProtobufCMessageDescriptor *d, grpc_byte_buffer *bb)
{
    grpc_byte_buffer_reader r;
    if (!bb || !grpc_byte_buffer_reader_init(&r, bb))
        return NULL;
    grpc_slice s = grpc_byte_buffer_reader_readall(&r);
    grpc_byte_buffer_reader_destroy(&r);
    ProtobufCMessage *m =
        protobuf_c_message_unpack(d, NULL, GRPC_SLICE_LENGTH(s), GRPC_SLICE_START_PTR(s));
    grpc_slice_unref(s);
    return m;
}

int sb_job_state(struct rpc_conn *c, const char *id)
{
    Stage__V1__GetJobRequest req = STAGE__V1__GET_JOB_REQUEST__INIT;
    Stage__V1__GetJobResponse *resp = NULL;
    struct rpc_status st;
    req.job_id = (char *)id;
    if (rpc_unary(c, RPC_SERVICE "GetJob", &req.base, &stage__v1__get_job_response__descriptor,
                  (ProtobufCMessage **)&resp, &st))
        return -1;
    int state = resp->job ? (int)resp->job->state : 0;
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return state;
}
