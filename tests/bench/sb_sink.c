/* sb_sink.c - `stagebench sink --listen ADDR`: a bare gRPC C core server
 * that takes any client stream on /bench.Sink/Upload, counts its bytes and
 * answers with an empty message and OK (other methods: UNIMPLEMENTED).
 * The yardstick of the "service vs bare gRPC stream" row: the same
 * transport settings as the frontend (no BDP probing, a 4 MiB stream
 * window) and no work per message. One thread, one completion queue.
 * Prints "port=N" once it listens (ADDR may end in :0), then runs until
 * killed. */
#include "sb.h"

#include <grpc/grpc_security.h>
#include <grpc/status.h>
#include <grpc/support/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SINK_METHOD  "/bench.Sink/Upload"
#define STREAM_WIN   (4 << 20)
#define MAX_MSG      (64 << 20)
#define SINK_WAITING 16 /* calls requested ahead */

#define K_NEW  0
#define K_RECV 1
#define K_DONE 2

struct scall {
    grpc_call *call;
    grpc_call_details details;
    grpc_metadata_array md;
    grpc_byte_buffer *in, *reply;
    long long bytes;
} __attribute__((aligned(8)));

static grpc_server *g_srv;
static grpc_completion_queue *g_cq;

static void request_one(void)
{
    struct scall *s = calloc(1, sizeof(*s));
    if (!s) {
        fprintf(stderr, "stagebench sink: out of memory\n");
        exit(1);
    }
    grpc_call_details_init(&s->details);
    grpc_metadata_array_init(&s->md);
    if (grpc_server_request_call(g_srv, &s->call, &s->details, &s->md, g_cq, g_cq,
                                 SB_TAG(s, K_NEW)) != GRPC_CALL_OK) {
        fprintf(stderr, "stagebench sink: cannot request a call\n");
        exit(1);
    }
}

static void post_recv(struct scall *s)
{
    grpc_op op;
    memset(&op, 0, sizeof(op));
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &s->in;
    if (grpc_call_start_batch(s->call, &op, 1, SB_TAG(s, K_RECV), NULL) != GRPC_CALL_OK) {
        fprintf(stderr, "stagebench sink: gRPC refused a batch\n");
        exit(1);
    }
}

/* Answer: OK with an empty message, or `code`. */
static void answer(struct scall *s, grpc_status_code code, const char *msg)
{
    grpc_op ops[3];
    size_t n = 0;
    memset(ops, 0, sizeof(ops));
    ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
    if (code == GRPC_STATUS_OK) {
        s->reply = grpc_raw_byte_buffer_create(NULL, 0);
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n++].data.send_message.send_message = s->reply;
    }
    grpc_slice details = grpc_slice_from_static_string(msg);
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = code;
    ops[n++].data.send_status_from_server.status_details = &details;
    if (grpc_call_start_batch(s->call, ops, n, SB_TAG(s, K_DONE), NULL) != GRPC_CALL_OK) {
        fprintf(stderr, "stagebench sink: gRPC refused the answer\n");
        exit(1);
    }
}

static void release(struct scall *s)
{
    if (s->call)
        grpc_call_unref(s->call);
    if (s->reply)
        grpc_byte_buffer_destroy(s->reply);
    grpc_call_details_destroy(&s->details);
    grpc_metadata_array_destroy(&s->md);
    free(s);
}

static void on_event(grpc_event ev)
{
    struct scall *s = SB_TAG_PTR(ev.tag);
    switch (SB_TAG_KIND(ev.tag)) {
    case K_NEW:
        if (!ev.success) {
            release(s);
            return;
        }
        request_one();
        if (grpc_slice_str_cmp(s->details.method, SINK_METHOD) == 0)
            post_recv(s);
        else
            answer(s, GRPC_STATUS_UNIMPLEMENTED, "the sink serves " SINK_METHOD " only");
        break;
    case K_RECV:
        if (ev.success && s->in) {
            s->bytes += (long long)grpc_byte_buffer_length(s->in);
            grpc_byte_buffer_destroy(s->in);
            s->in = NULL;
            post_recv(s);
        } else {
            answer(s, GRPC_STATUS_OK, "");
        }
        break;
    case K_DONE:
        release(s);
        break;
    }
}

int sb_sink(const struct sb_opts *o)
{
    grpc_arg argv[] = {
        {.type = GRPC_ARG_INTEGER,
         .key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
         .value.integer = MAX_MSG},
        {.type = GRPC_ARG_INTEGER, .key = (char *)GRPC_ARG_HTTP2_BDP_PROBE, .value.integer = 0},
        {.type = GRPC_ARG_INTEGER,
         .key = (char *)GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES,
         .value.integer = STREAM_WIN},
    };
    grpc_channel_args args = {sizeof(argv) / sizeof(argv[0]), argv};
    g_srv = grpc_server_create(&args, NULL);
    g_cq = grpc_completion_queue_create_for_next(NULL);
    grpc_server_register_completion_queue(g_srv, g_cq, NULL);
    grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
    int port = grpc_server_add_http2_port(g_srv, o->listen, creds);
    grpc_server_credentials_release(creds);
    if (port == 0) {
        fprintf(stderr, "stagebench sink: cannot listen on %s\n", o->listen);
        return 1;
    }
    grpc_server_start(g_srv);
    for (int i = 0; i < SINK_WAITING; i++)
        request_one();
    printf("port=%d\n", port);
    fflush(stdout);
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(g_cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type == GRPC_OP_COMPLETE)
            on_event(ev);
    }
    return 0;
}
