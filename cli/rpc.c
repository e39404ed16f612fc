/* rpc.c - blocking gRPC client calls on the C core (see rpc.h).
 *
 * Sequences (docs/grpc-core.md §5):
 *   unary          one batch of 6 ops;
 *   server stream  send+close+initial metadata, RECV_MESSAGE until NULL, then status;
 *   client stream  RECV_STATUS_ON_CLIENT posted first with its own tag, then one
 *                  SEND_MESSAGE per batch; then close + reply message.
 * Every call has its own completion queue, drained with grpc_completion_queue_next.
 * A server that answers a client stream early (a bad header) makes a later send
 * fail (ok=0); the status op then completes only after our half-close
 * (measured on 1.51), so the client always half-closes before waiting for the
 * status. Should the status arrive while a send is pending, the call is
 * cancelled so the send cannot block on flow control for ever; the status
 * already received is what the call reports. A batch the core refuses is
 * fatal for the call: it is cancelled and the status is still collected if it
 * was posted. */
#include "rpc.h"

#include "err.h"
#include "pemfile.h"

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/status.h>
#include <grpc/support/alloc.h>
#include <grpc/support/log.h>
#include <grpc/support/time.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECV_WINDOW_BYTES (4 << 20)
#define MAX_RECV_BYTES    (64 * 1024 * 1024) /* replies are chunked far below this */

/* Tags: one per batch kind; each call has its own queue, so these suffice. */
#define TAG_START  ((void *)1)
#define TAG_MSG    ((void *)2)
#define TAG_FINISH ((void *)3)
#define TAG_STATUS ((void *)4)

struct rcall {
    grpc_call *call;
    grpc_completion_queue *cq;
    grpc_metadata md[1];
    size_t nmd;
    grpc_metadata_array init_md, trail_md;
    grpc_status_code status;
    grpc_slice details;
    const char *error_string; /* gpr_malloc'ed by the core, or NULL */
    bool status_posted, status_done;
};

static void silent_log(gpr_log_func_args *args)
{
    (void)args;
}

void rpc_global_init(void)
{
    if (!getenv("STAGECTL_DEBUG"))
        gpr_set_log_function(silent_log);
    grpc_init();
}

void rpc_global_cleanup(void)
{
    grpc_shutdown();
}

void rpc_channel_args(grpc_arg *out)
{
    /* A fixed receive window instead of BDP probing: a download to a slow
     * sink (a pipe, a disk) would otherwise park tens of MiB in the
     * transport (e2e.memory measures stagectl get). */
    const grpc_arg args[RPC_CHANNEL_ARGS] = {
        {.type = GRPC_ARG_INTEGER,
         .key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
         .value.integer = MAX_RECV_BYTES},
        {.type = GRPC_ARG_INTEGER, .key = (char *)GRPC_ARG_HTTP2_BDP_PROBE, .value.integer = 0},
        {.type = GRPC_ARG_INTEGER,
         .key = (char *)GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES,
         .value.integer = RECV_WINDOW_BYTES},
    };
    memcpy(out, args, sizeof(args));
}

/* TLS material, read once (rpc_tls_set()); NULL: plaintext. */
static struct {
    bool on;
    char *ca, *cert, *key;
} g_tls;

int rpc_tls_set(const char *ca, const char *cert, const char *key, char *err, size_t errlen)
{
    if (!cert != !key) {
        snprintf(err, errlen, "a client certificate needs both --cert and --key");
        return ST_EINVAL;
    }
    int rc = 0;
    if (ca && *ca)
        rc = pemfile_read(ca, &g_tls.ca, err, errlen);
    if (!rc && cert)
        rc = pemfile_read(cert, &g_tls.cert, err, errlen);
    if (!rc && key)
        rc = pemfile_read(key, &g_tls.key, err, errlen);
    g_tls.on = rc == 0;
    return rc;
}

static grpc_channel_credentials *channel_creds(void)
{
    if (!g_tls.on)
        return grpc_insecure_credentials_create();
    grpc_ssl_pem_key_cert_pair pair = {g_tls.key, g_tls.cert};
    return grpc_ssl_credentials_create_ex(g_tls.ca, g_tls.cert ? &pair : NULL, NULL, NULL);
}

int rpc_conn_init(struct rpc_conn *c, const char *target, const char *auth)
{
    memset(c, 0, sizeof(*c));
    if (strlen(target) >= sizeof(c->target) || (auth && strlen(auth) >= sizeof(c->auth)))
        return ST_EINVAL;
    snprintf(c->target, sizeof(c->target), "%s", target);
    snprintf(c->auth, sizeof(c->auth), "%s", auth ? auth : "");
    grpc_arg argv[RPC_CHANNEL_ARGS];
    rpc_channel_args(argv);
    grpc_channel_args args = {RPC_CHANNEL_ARGS, argv};
    grpc_channel_credentials *creds = channel_creds();
    if (!creds)
        return ST_ENOMEM;
    c->channel = grpc_channel_create(c->target, creds, &args);
    grpc_channel_credentials_release(creds);
    return c->channel ? 0 : ST_ENOMEM;
}

void rpc_conn_cleanup(struct rpc_conn *c)
{
    if (c->channel)
        grpc_channel_destroy(c->channel);
    c->channel = NULL;
}

/* ------------------------------------------------------------ helpers */

static int local_fail(struct rpc_status *st, int err, const char *what)
{
    st->code = GRPC_STATUS_INTERNAL;
    snprintf(st->msg, sizeof(st->msg), "%s", what);
    return err;
}

static gpr_timespec deadline_of(const struct rpc_conn *c, bool unary)
{
    if (!unary || c->timeout_ms <= 0)
        return gpr_inf_future(GPR_CLOCK_REALTIME);
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                        gpr_time_from_millis(c->timeout_ms, GPR_TIMESPAN));
}

static int rcall_open(struct rcall *rc, struct rpc_conn *c, const char *method, bool unary)
{
    memset(rc, 0, sizeof(*rc));
    rc->details = grpc_empty_slice();
    grpc_metadata_array_init(&rc->init_md);
    grpc_metadata_array_init(&rc->trail_md);
    rc->cq = grpc_completion_queue_create_for_next(NULL);
    if (!rc->cq)
        return ST_ENOMEM;
    grpc_slice path = grpc_slice_from_copied_string(method);
    rc->call = grpc_channel_create_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, rc->cq, path,
                                        NULL, deadline_of(c, unary), NULL);
    grpc_slice_unref(path);
    if (!rc->call)
        return ST_ENOMEM;
    if (c->auth[0]) {
        rc->md[0].key = grpc_slice_from_static_string("authorization");
        rc->md[0].value = grpc_slice_from_copied_string(c->auth);
        rc->nmd = 1;
    }
    return 0;
}

static void rcall_close(struct rcall *rc)
{
    if (rc->call)
        grpc_call_unref(rc->call);
    for (size_t i = 0; i < rc->nmd; i++)
        grpc_slice_unref(rc->md[i].value);
    grpc_metadata_array_destroy(&rc->init_md);
    grpc_metadata_array_destroy(&rc->trail_md);
    grpc_slice_unref(rc->details);
    if (rc->error_string)
        gpr_free((void *)rc->error_string);
    if (rc->cq) {
        grpc_completion_queue_shutdown(rc->cq);
        while (grpc_completion_queue_next(rc->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
               GRPC_QUEUE_SHUTDOWN)
            ;
        grpc_completion_queue_destroy(rc->cq);
    }
}

/* Wait for `tag`. The posted status (client streams) may complete first: it
 * is recorded, and if `is_send` the call is cancelled so that a send the
 * server will never read completes. Returns the event's success flag. */
static bool rcall_wait(struct rcall *rc, void *tag, bool is_send)
{
    for (;;) {
        grpc_event ev =
            grpc_completion_queue_next(rc->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type != GRPC_OP_COMPLETE)
            return false;
        if (ev.tag == tag)
            return ev.success;
        if (ev.tag == TAG_STATUS) {
            rc->status_done = true;
            if (is_send)
                grpc_call_cancel(rc->call, NULL);
        }
    }
}

/* Start a batch and wait for it. 0: completed with success; 1: completed
 * without success (the call broke: read the status); ST_EINTERNAL: the core
 * refused the batch (the call is cancelled). */
static int rcall_batch(struct rcall *rc, grpc_op *ops, size_t n, void *tag, bool is_send,
                       struct rpc_status *st)
{
    grpc_call_error e = grpc_call_start_batch(rc->call, ops, n, tag, NULL);
    if (e != GRPC_CALL_OK) {
        char msg[96];
        snprintf(msg, sizeof(msg), "gRPC refused a batch (grpc_call_error %d)", (int)e);
        grpc_call_cancel(rc->call, NULL);
        return local_fail(st, ST_EINTERNAL, msg);
    }
    return rcall_wait(rc, tag, is_send) ? 0 : 1;
}

static void op_status(grpc_op *op, struct rcall *rc)
{
    memset(op, 0, sizeof(*op));
    op->op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    op->data.recv_status_on_client.trailing_metadata = &rc->trail_md;
    op->data.recv_status_on_client.status = &rc->status;
    op->data.recv_status_on_client.status_details = &rc->details;
    op->data.recv_status_on_client.error_string = &rc->error_string;
}

/* Post the status op on its own tag (client streams). */
static int rcall_post_status(struct rcall *rc, struct rpc_status *st)
{
    grpc_op op;
    op_status(&op, rc);
    grpc_call_error e = grpc_call_start_batch(rc->call, &op, 1, TAG_STATUS, NULL);
    if (e != GRPC_CALL_OK)
        return local_fail(st, ST_EINTERNAL, "gRPC refused the status batch");
    rc->status_posted = true;
    return 0;
}

/* Has the posted status arrived? `block`: wait for it. Only the status op
 * may be outstanding when this is called. */
static bool rcall_status_ready(struct rcall *rc, bool block)
{
    if (!rc->status_posted || rc->status_done)
        return rc->status_done;
    if (block) {
        rcall_wait(rc, TAG_STATUS, false);
        rc->status_done = true;
        return true;
    }
    grpc_event ev = grpc_completion_queue_next(rc->cq, gpr_inf_past(GPR_CLOCK_REALTIME), NULL);
    if (ev.type == GRPC_OP_COMPLETE && ev.tag == TAG_STATUS)
        rc->status_done = true;
    return rc->status_done;
}

/* Copy the received status into `st`; 0 for OK, ST_EPRECOND otherwise. */
static int rcall_result(struct rcall *rc, struct rpc_status *st)
{
    st->code = (int)rc->status;
    size_t len = GRPC_SLICE_LENGTH(rc->details);
    if (len >= sizeof(st->msg))
        len = sizeof(st->msg) - 1;
    memcpy(st->msg, GRPC_SLICE_START_PTR(rc->details), len);
    st->msg[len] = '\0';
    if (!len && rc->status != GRPC_STATUS_OK && rc->error_string)
        snprintf(st->msg, sizeof(st->msg), "%s", rc->error_string);
    return rc->status == GRPC_STATUS_OK ? 0 : ST_EPRECOND;
}

/* Pack `m` into a byte buffer without an extra copy (the slice owns the memory). */
static grpc_byte_buffer *pack(const ProtobufCMessage *m)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return NULL;
    protobuf_c_message_pack(m, buf);
    grpc_slice s = grpc_slice_new(buf, len, free);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return bb;
}

static ProtobufCMessage *unpack(const ProtobufCMessageDescriptor *d, grpc_byte_buffer *bb)
{
    grpc_byte_buffer_reader r;
    if (!grpc_byte_buffer_reader_init(&r, bb))
        return NULL;
    grpc_slice s = grpc_byte_buffer_reader_readall(&r);
    grpc_byte_buffer_reader_destroy(&r);
    ProtobufCMessage *m =
        protobuf_c_message_unpack(d, NULL, GRPC_SLICE_LENGTH(s), GRPC_SLICE_START_PTR(s));
    grpc_slice_unref(s);
    return m;
}

static void op_send_md(grpc_op *op, struct rcall *rc)
{
    op->op = GRPC_OP_SEND_INITIAL_METADATA;
    op->data.send_initial_metadata.count = rc->nmd;
    op->data.send_initial_metadata.metadata = rc->nmd ? rc->md : NULL;
}

/* Reset `st`, open the call and pack its request into `*out`. On failure
 * `st` says why and the caller goes on to its cleanup (rcall_close). */
static int rcall_start(struct rcall *rc, struct rpc_conn *c, const char *method, bool unary,
                       const ProtobufCMessage *req, grpc_byte_buffer **out, struct rpc_status *st)
{
    st->code = 0;
    st->msg[0] = '\0';
    int err = rcall_open(rc, c, method, unary);
    if (!err && req && !(*out = pack(req)))
        err = ST_ENOMEM;
    if (err)
        local_fail(st, err, "cannot start the call: out of memory");
    return err;
}

/* The four ops that send a single request and read the initial metadata
 * (unary calls and server streams). */
static void ops_send_request(grpc_op ops[4], struct rcall *rc, grpc_byte_buffer *out)
{
    memset(ops, 0, 4 * sizeof(*ops));
    op_send_md(&ops[0], rc);
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = out;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &rc->init_md;
}

/* The result of a call with one reply message `in`: the status, then the
 * unpacked reply in `*resp`. */
static int rcall_reply(struct rcall *rc, grpc_byte_buffer *in,
                       const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp,
                       struct rpc_status *st)
{
    int err = rcall_result(rc, st);
    if (!err && !in)
        err = local_fail(st, ST_EINTERNAL, "the server sent no reply message");
    if (!err && !(*resp = unpack(resp_desc, in)))
        err = local_fail(st, ST_EINTERNAL, "the server's reply does not unpack");
    return err;
}

/* ------------------------------------------------------------ unary */

int rpc_unary(struct rpc_conn *c, const char *method, const ProtobufCMessage *req,
              const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp,
              struct rpc_status *st)
{
    struct rcall rc;
    grpc_op ops[6];
    grpc_byte_buffer *out = NULL, *in = NULL;
    *resp = NULL;
    int err = rcall_start(&rc, c, method, true, req, &out, st);
    if (err)
        goto out;
    ops_send_request(ops, &rc, out);
    memset(&ops[4], 0, sizeof(ops[4])); /* ops[5] is set whole by op_status */
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &in;
    op_status(&ops[5], &rc);
    err = rcall_batch(&rc, ops, 6, TAG_START, false, st);
    if (err < 0)
        goto out;
    err = rcall_reply(&rc, in, resp_desc, resp, st);
out:
    if (out)
        grpc_byte_buffer_destroy(out);
    if (in)
        grpc_byte_buffer_destroy(in);
    rcall_close(&rc);
    return err;
}

/* ------------------------------------------------------------ server stream */

/* Receive one message; NULL in `*m` at the end of the stream. */
static int recv_one(struct rcall *rc, const ProtobufCMessageDescriptor *d, ProtobufCMessage **m,
                    struct rpc_status *st)
{
    grpc_op op;
    grpc_byte_buffer *in = NULL;
    memset(&op, 0, sizeof(op));
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &in;
    *m = NULL;
    int err = rcall_batch(rc, &op, 1, TAG_MSG, false, st);
    if (err || !in)
        return err < 0 ? err : 0;
    *m = unpack(d, in);
    grpc_byte_buffer_destroy(in);
    if (!*m)
        return local_fail(st, ST_EINTERNAL, "a message from the server does not unpack");
    return 0;
}

static int stream_recv_all(struct rcall *rc, const ProtobufCMessageDescriptor *d, rpc_msg_fn *cb,
                           void *ud, struct rpc_status *st)
{
    for (;;) {
        ProtobufCMessage *m;
        int err = recv_one(rc, d, &m, st);
        if (err || !m)
            return err;
        err = cb(m, ud, st);
        protobuf_c_message_free_unpacked(m, NULL);
        if (err)
            return err;
    }
}

int rpc_server_stream(struct rpc_conn *c, const char *method, const ProtobufCMessage *req,
                      const ProtobufCMessageDescriptor *resp_desc, rpc_msg_fn *cb, void *ud,
                      struct rpc_status *st)
{
    struct rcall rc;
    grpc_op ops[4];
    grpc_byte_buffer *out = NULL;
    int err = rcall_start(&rc, c, method, false, req, &out, st);
    if (err)
        goto out;
    ops_send_request(ops, &rc, out);
    err = rcall_batch(&rc, ops, 4, TAG_START, false, st);
    if (err < 0)
        goto out;
    int cb_err = err ? 0 : stream_recv_all(&rc, resp_desc, cb, ud, st);
    if (cb_err)
        grpc_call_cancel(rc.call, NULL);
    grpc_op sop;
    op_status(&sop, &rc);
    err = rcall_batch(&rc, &sop, 1, TAG_STATUS, false, st);
    if (err < 0)
        goto out;
    if (cb_err)
        err = cb_err; /* the callback's message stays in `st` */
    else
        err = rcall_result(&rc, st);
out:
    if (out)
        grpc_byte_buffer_destroy(out);
    rcall_close(&rc);
    return err;
}

/* ------------------------------------------------------------ client stream */

/* Send messages until the producer is done, the status arrives early or a
 * send fails. Returns 0 (go on to close), 1 (the call broke: read the
 * status), or the producer's / a local error (the call is cancelled). */
static int send_all(struct rcall *rc, rpc_produce_fn *produce, void *ud, struct rpc_status *st)
{
    for (;;) {
        const ProtobufCMessage *m = NULL;
        if (rcall_status_ready(rc, false))
            return 1;
        int r = produce(&m, ud, st);
        if (r <= 0) {
            if (r < 0)
                grpc_call_cancel(rc->call, NULL);
            return r;
        }
        grpc_byte_buffer *bb = pack(m);
        if (!bb) {
            grpc_call_cancel(rc->call, NULL);
            return local_fail(st, ST_ENOMEM, "out of memory");
        }
        grpc_op op;
        memset(&op, 0, sizeof(op));
        op.op = GRPC_OP_SEND_MESSAGE;
        op.data.send_message.send_message = bb;
        int err = rcall_batch(rc, &op, 1, TAG_MSG, true, st);
        grpc_byte_buffer_destroy(bb);
        if (err)
            return err;
    }
}

/* Half-close and read the reply message. */
static int finish(struct rcall *rc, grpc_byte_buffer **in, struct rpc_status *st)
{
    grpc_op ops[3];
    memset(ops, 0, sizeof(ops));
    ops[0].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[1].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[1].data.recv_initial_metadata.recv_initial_metadata = &rc->init_md;
    ops[2].op = GRPC_OP_RECV_MESSAGE;
    ops[2].data.recv_message.recv_message = in;
    return rcall_batch(rc, ops, 3, TAG_FINISH, false, st);
}

int rpc_client_stream(struct rpc_conn *c, const char *method, rpc_produce_fn *produce, void *ud,
                      const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp,
                      struct rpc_status *st)
{
    struct rcall rc;
    grpc_byte_buffer *in = NULL;
    grpc_op op;
    *resp = NULL;
    int err = rcall_start(&rc, c, method, false, NULL, NULL, st);
    if (err)
        goto out;
    err = rcall_post_status(&rc, st);
    if (err)
        goto out;
    memset(&op, 0, sizeof(op));
    op_send_md(&op, &rc);
    err = rcall_batch(&rc, &op, 1, TAG_START, true, st);
    if (!err)
        err = send_all(&rc, produce, ud, st);
    /* Half-close even when the stream broke: the core completes the status op
     * only once our side is closed too (measured: a failed send alone left it
     * pending for ever). */
    if (err >= 0)
        err = finish(&rc, &in, st);
    rcall_status_ready(&rc, true);
    if (err < 0)
        goto out; /* ours: the call was cancelled; keep our message */
    err = rcall_reply(&rc, in, resp_desc, resp, st);
out:
    if (in)
        grpc_byte_buffer_destroy(in);
    if (rc.status_posted)
        rcall_status_ready(&rc, true);
    rcall_close(&rc);
    return err;
}
