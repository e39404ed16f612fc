/* call.c - per-call helpers over the gRPC C core that yield the calling
 * fiber while a batch is in flight (see call.h). */
#include "call.h"

#include "config.h"
#include "err.h"
#include "log.h"
#include "loop.h"
#include "pbcheck.h"
#include "server.h"

#include <grpc/byte_buffer_reader.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a batch without a fiber kept alive until it completed. */
static void async_release(struct call *c)
{
    c->async_done = NULL;
    if (c->async_bb)
        grpc_byte_buffer_destroy(c->async_bb);
    c->async_bb = NULL;
    if (c->async_has_details)
        grpc_slice_unref(c->async_details);
    c->async_has_details = false;
}

static void on_batch(struct cq_tag *tag, bool ok)
{
    struct call *c = (struct call *)((char *)tag - offsetof(struct call, batch_tag));
    if (c->async_done) {
        call_done_fn *done = c->async_done;
        async_release(c);
        done(c, ok);
        return;
    }
    c->batch_done = true;
    c->batch_ok = ok;
    if (c->batch_w)
        loop_wake(c->batch_w);
}

static void on_close(struct cq_tag *tag, bool ok)
{
    (void)ok;
    struct call *c = (struct call *)((char *)tag - offsetof(struct call, close_tag));
    c->close_done = true;
    if (c->close_w)
        loop_wake(c->close_w);
    if (c->on_closed)
        c->on_closed(c, true);
}

static int64_t idle_ms(const struct call *c)
{
    int s = c->cfg && c->cfg->server.stream_idle_timeout_s > 0
                ? c->cfg->server.stream_idle_timeout_s
                : 60;
    return (int64_t)s * 1000;
}

/* Wait for the batch in flight: its completion, or the idle timeout, which
 * cancels the call (the batch then completes at once, failed). */
static void wait_batch(struct call *c)
{
    server_call_settled(c); /* waiting on the client: let the next call start */
    struct waiter w = {0};
    c->batch_w = &w;
    while (!c->batch_done) {
        /* once cancelled, the batch completes at once; the wait still has
         * a deadline (it loops) */
        if (loop_wait(&w, idle_ms(c)) == ST_ETIMEOUT && !c->batch_done && !c->idle) {
            c->idle = true;
            char msg[160];
            snprintf(msg, sizeof(msg),
                     "the stream moved no message for %d s (server.stream_idle_timeout_s)",
                     (int)(idle_ms(c) / 1000));
            grpc_call_cancel_with_status(c->call, GRPC_STATUS_DEADLINE_EXCEEDED, msg, NULL);
            log_info("req=%" PRIu64 " %s: idle stream cancelled", c->req, c->m ? c->m->rpc : "?");
        }
    }
    c->batch_w = NULL;
}

/* Start a batch and wait for it. 0, ST_ECANCELLED (ok=0) or ST_EINTERNAL. */
static int run_batch(struct call *c, const grpc_op *ops, size_t n)
{
    if (c->broken)
        return ST_ECANCELLED;
    c->batch_tag.fn = on_batch;
    c->batch_done = false;
    grpc_call_error e = grpc_call_start_batch(c->call, ops, n, &c->batch_tag, NULL);
    if (e != GRPC_CALL_OK) {
        log_error("req=%" PRIu64 " start_batch failed: grpc_call_error %d", c->req, (int)e);
        grpc_call_cancel(c->call, NULL);
        c->broken = true;
        return ST_EINTERNAL;
    }
    wait_batch(c);
    if (!c->batch_ok)
        return ST_ECANCELLED;
    return 0;
}

int call_begin(struct call *c)
{
    grpc_op op;
    memset(&op, 0, sizeof(op));
    op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    op.data.recv_close_on_server.cancelled = &c->cancelled;
    c->close_tag.fn = on_close;
    grpc_call_error e = grpc_call_start_batch(c->call, &op, 1, &c->close_tag, NULL);
    if (e != GRPC_CALL_OK) {
        log_error("req=%" PRIu64 " start_batch(recv_close) failed: %d", c->req, (int)e);
        grpc_call_cancel(c->call, NULL);
        c->broken = true;
        return ST_EINTERNAL;
    }
    c->close_started = true;
    return 0;
}

/* How long a stream end waits to learn whether it was a cancel. */
#define CLOSE_GRACE_MS 50

/* How long call_cleanup() waits for the close op before it says so. */
#define CLOSE_SLOW_MS 10000

/* Wait for the close op up to `ms`. */
static void wait_close(struct call *c, int64_t ms)
{
    if (!c->close_started || c->close_done || ms <= 0)
        return;
    struct waiter w = {0};
    c->close_w = &w;
    loop_wait(&w, ms);
    c->close_w = NULL;
}

bool call_cancelled(struct call *c)
{
    if (c->broken)
        return true;
    return c->close_done && c->cancelled;
}

void call_cleanup(struct call *c)
{
    if (c->call) {
        if (!c->finished)
            grpc_call_cancel(c->call, NULL);
        /* The tag lives in `c`, so `c` stays until the op completed, which
         * gRPC does at once for a cancelled or answered call: each wait has
         * a deadline, and a slow one is logged, never given up on. */
        for (int64_t waited = 0; c->close_started && !c->close_done; waited += CLOSE_SLOW_MS) {
            wait_close(c, CLOSE_SLOW_MS);
            if (!c->close_done)
                log_warn("req=%" PRIu64 " the call's close op is not done after %" PRId64 " ms",
                         c->req, waited + CLOSE_SLOW_MS);
        }
        grpc_call_unref(c->call);
        c->call = NULL;
    }
    if (c->payload)
        grpc_byte_buffer_destroy(c->payload);
    c->payload = NULL;
    grpc_metadata_array_destroy(&c->md);
}

/* Unpack a received buffer and destroy it. */
static int unpack(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *desc,
                  ProtobufCMessage **out)
{
    grpc_byte_buffer_reader r;
    *out = NULL;
    if (!grpc_byte_buffer_reader_init(&r, bb)) {
        grpc_byte_buffer_destroy(bb);
        return ST_EINVAL;
    }
    grpc_slice s = grpc_byte_buffer_reader_readall(&r);
    grpc_byte_buffer_reader_destroy(&r);
    grpc_byte_buffer_destroy(bb);
    int rc = pbcheck_unpack(desc, GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s), out);
    grpc_slice_unref(s);
    return rc;
}

int call_request(struct call *c, const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out)
{
    grpc_byte_buffer *bb = c->payload;
    *out = NULL;
    c->payload = NULL;
    if (!bb)
        return ST_EINVAL;
    return unpack(bb, desc, out);
}

int call_read_request(struct call *c, const ProtobufCMessageDescriptor *desc, void *out)
{
    ProtobufCMessage *msg = NULL;
    int rc = call_request(c, desc, &msg);
    if (rc)
        call_fail(c, rc,
                  "%s: missing or malformed request message (strings must not contain NUL bytes)",
                  desc->short_name);
    memcpy(out, &msg, sizeof(msg));
    return rc;
}

/* Add SEND_INITIAL_METADATA to `ops` if it was not sent yet. */
static size_t add_initial_md(struct call *c, grpc_op *ops)
{
    if (c->md_sent)
        return 0;
    memset(ops, 0, sizeof(*ops));
    ops->op = GRPC_OP_SEND_INITIAL_METADATA;
    c->md_sent = true;
    return 1;
}

int call_recv(struct call *c, const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out)
{
    grpc_op ops[2];
    grpc_byte_buffer *bb = NULL;
    *out = NULL;
    memset(ops, 0, sizeof(ops));
    size_t n = add_initial_md(c, ops);
    ops[n].op = GRPC_OP_RECV_MESSAGE;
    ops[n].data.recv_message.recv_message = &bb;
    int rc = run_batch(c, ops, n + 1);
    if (rc) {
        if (bb)
            grpc_byte_buffer_destroy(bb);
        return ST_ECANCELLED;
    }
    if (!bb) {
        /* No message with success is both a half-close and, in 1.51, what a
         * client cancel (RST_STREAM) looks like. A cancel completes the
         * RECV_CLOSE op at the same moment; a half-close leaves it pending
         * until the status is sent. A short wait tells them apart, so a
         * cut stream is never taken for a complete upload. */
        if (!c->end_expected)
            wait_close(c, CLOSE_GRACE_MS);
        return c->close_done && c->cancelled ? ST_ECANCELLED : 0;
    }
    return unpack(bb, desc, out);
}

static grpc_byte_buffer *make_buffer(const void *data, size_t len)
{
    grpc_slice s = grpc_slice_from_copied_buffer(data, len);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return bb;
}

static grpc_byte_buffer *pack(const ProtobufCMessage *msg)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    grpc_slice s = grpc_slice_malloc(len);
    protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(s));
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return bb;
}

static int send_buffer(struct call *c, grpc_byte_buffer *bb)
{
    grpc_op ops[2];
    memset(ops, 0, sizeof(ops));
    size_t n = add_initial_md(c, ops);
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n].data.send_message.send_message = bb;
    int rc = run_batch(c, ops, n + 1);
    grpc_byte_buffer_destroy(bb);
    return rc ? ST_ECANCELLED : 0;
}

int call_send(struct call *c, const ProtobufCMessage *msg)
{
    return send_buffer(c, pack(msg));
}

int call_send_raw(struct call *c, const void *data, size_t len)
{
    return send_buffer(c, make_buffer(data, len));
}

/* The ops of the final batch: [initial md] [message] status; `details`
 * must live until the batch completed. 0 if the call was answered already. */
static size_t final_ops(struct call *c, grpc_op *ops, grpc_byte_buffer *bb, int code,
                        const char *msg, grpc_slice *details)
{
    if (c->finished)
        return 0;
    c->finished = true;
    c->status = code;
    snprintf(c->status_msg, sizeof(c->status_msg), "%s", msg ? msg : "");
    memset(ops, 0, 3 * sizeof(*ops));
    size_t n = add_initial_md(c, ops);
    if (bb) {
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n++].data.send_message.send_message = bb;
    }
    *details = grpc_slice_from_copied_string(msg ? msg : "");
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = (grpc_status_code)code;
    ops[n++].data.send_status_from_server.status_details = code ? details : NULL;
    return n;
}

static int finish(struct call *c, grpc_byte_buffer *bb, int code, const char *msg)
{
    grpc_op ops[3];
    grpc_slice details;
    size_t n = final_ops(c, ops, bb, code, msg, &details);
    if (n == 0) {
        if (bb)
            grpc_byte_buffer_destroy(bb);
        return ST_EINTERNAL;
    }
    int rc = run_batch(c, ops, n);
    grpc_slice_unref(details);
    if (bb)
        grpc_byte_buffer_destroy(bb);
    return rc;
}

int call_reply(struct call *c, const ProtobufCMessage *msg)
{
    return finish(c, msg ? pack(msg) : NULL, GRPC_STATUS_OK, NULL);
}

int call_reply_take(struct call *c, void *data, size_t len)
{
    /* the slice frees `data` when gRPC is done with it: no copy */
    grpc_slice s = data ? grpc_slice_new(data, len, free) : grpc_empty_slice();
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return finish(c, bb, GRPC_STATUS_OK, NULL);
}

int call_status(struct call *c, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return finish(c, NULL, code, msg);
}

int call_fail(struct call *c, int err, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return finish(c, NULL, st_err_grpc_status(err), msg);
}

int64_t call_ms_left(const struct call *c)
{
    if (c->deadline.tv_sec == INT64_MAX) /* the client set none */
        return INT64_MAX;
    gpr_timespec d = gpr_convert_clock_type(c->deadline, GPR_CLOCK_MONOTONIC);
    gpr_timespec left = gpr_time_sub(d, gpr_now(GPR_CLOCK_MONOTONIC));
    return (int64_t)left.tv_sec * 1000 + left.tv_nsec / 1000000;
}

const char *call_metadata(const struct call *c, const char *key, size_t *len)
{
    size_t klen = strlen(key);
    for (size_t i = 0; i < c->md.count; i++) {
        const grpc_metadata *m = &c->md.metadata[i];
        if (GRPC_SLICE_LENGTH(m->key) == klen &&
            memcmp(GRPC_SLICE_START_PTR(m->key), key, klen) == 0) {
            *len = GRPC_SLICE_LENGTH(m->value);
            return (const char *)GRPC_SLICE_START_PTR(m->value);
        }
    }
    *len = 0;
    return NULL;
}

const char *call_peer(struct call *c)
{
    if (!c->peer[0]) {
        char *p = grpc_call_get_peer(c->call);
        snprintf(c->peer, sizeof(c->peer), "%s", p ? p : "?");
        gpr_free(p);
    }
    return c->peer;
}

/* ------------------------------------------------------------ without a fiber */

static int start_async(struct call *c, grpc_op *ops, size_t n, call_done_fn *done)
{
    if (c->broken)
        return ST_EINTERNAL;
    c->batch_tag.fn = on_batch;
    c->async_done = done;
    grpc_call_error e = grpc_call_start_batch(c->call, ops, n, &c->batch_tag, NULL);
    if (e != GRPC_CALL_OK) {
        log_error("req=%" PRIu64 " start_batch failed: grpc_call_error %d", c->req, (int)e);
        async_release(c);
        grpc_call_cancel(c->call, NULL);
        c->broken = true;
        return ST_EINTERNAL;
    }
    return 0;
}

int call_send_start(struct call *c, const ProtobufCMessage *msg, call_done_fn *done)
{
    grpc_op ops[2];
    memset(ops, 0, sizeof(ops));
    size_t n = add_initial_md(c, ops);
    c->async_bb = pack(msg);
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n].data.send_message.send_message = c->async_bb;
    return start_async(c, ops, n + 1, done);
}

int call_finish_start(struct call *c, int code, const char *msg, call_done_fn *done)
{
    grpc_op ops[3];
    size_t n = final_ops(c, ops, NULL, code, msg, &c->async_details);
    if (n == 0)
        return ST_EINTERNAL;
    c->async_has_details = true;
    return start_async(c, ops, n, done);
}

static void closed_later(void *arg)
{
    struct call *c = arg;
    if (c->on_closed)
        c->on_closed(c, true);
}

void call_on_close(struct call *c, call_done_fn *fn)
{
    c->on_closed = fn;
    if (fn && (c->close_done || !c->close_started))
        loop_post(closed_later, c);
}
