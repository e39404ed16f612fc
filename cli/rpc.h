/* rpc.h - stagectl's only door to gRPC: blocking client calls over the C core.
 *
 * Every gRPC symbol of the CLI lives in rpc.c (the C core API is not stable;
 * docs/grpc-core.md §3). Messages are protobuf-c messages; the method path is
 * "/stage.v1.StageService/<Rpc>".
 *
 * Each call runs on its own pluck completion queue and blocks the calling
 * thread until the call is over. Results:
 *   - 0: the server answered OK; `st->code` is 0.
 *   - ST_EPRECOND: the call ended with a non-OK gRPC status; `st->code` and
 *     `st->msg` hold the status and the server's message (or the core's, for
 *     UNAVAILABLE / DEADLINE_EXCEEDED).
 *   - another negative st_err: a local failure (OOM, a batch the core
 *     refused, a reply that does not unpack, a callback's error); `st->msg`
 *     says what.
 * Callbacks run on the calling thread, inside the rpc_* call, at most once
 * per message. Messages returned through `resp` belong to the caller
 * (protobuf_c_message_free_unpacked); messages passed to callbacks are freed
 * by rpc.c when the callback returns. Not thread-safe: one call at a time per
 * struct rpc_conn. */
#ifndef STAGECTL_RPC_H
#define STAGECTL_RPC_H

#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>
#include <stdint.h>

#define RPC_SERVICE "/stage.v1.StageService/"

struct rpc_status {
    int code;      /* grpc_status_code; 0 = OK */
    char msg[512]; /* the status message, or a local error */
};

struct rpc_conn {
    void *channel;      /* grpc_channel * */
    char target[256];   /* "host:port" */
    char auth[1200];    /* value of the `authorization` header, "" for none */
    int64_t timeout_ms; /* deadline of unary calls; 0 = none (streams never have one) */
};

/* Process-wide set-up and tear-down of the gRPC library (once each).
 * rpc_global_init() also silences the core's own logging unless the
 * environment variable STAGECTL_DEBUG is set. */
void rpc_global_init(void);
void rpc_global_cleanup(void);

/* The channel arguments of every client of the service (stagectl, the
 * bench): the largest reply, and a fixed receive window instead of BDP
 * probing. Fills out[0..RPC_CHANNEL_ARGS). */
#define RPC_CHANNEL_ARGS 3
void rpc_channel_args(grpc_arg *out);

/* TLS for every channel made after this call (process-wide): `ca` (PEM
 * file; NULL = the system's roots) checks the server; `cert` + `key` (PEM
 * files, both or neither) are this client's certificate for mTLS. 0, or
 * ST_EINVAL / ST_ENOTFOUND with the reason in `err`. */
int rpc_tls_set(const char *ca, const char *cert, const char *key, char *err, size_t errlen);

/* A channel to `target` ("host:port"), with TLS after rpc_tls_set(). `auth` may be NULL. Returns 0
 * or ST_ENOMEM / ST_EINVAL (target too long). The connection is made lazily,
 * by the first call. */
int rpc_conn_init(struct rpc_conn *c, const char *target, const char *auth);
/* (plaintext unless rpc_tls_set() was called) */
void rpc_conn_cleanup(struct rpc_conn *c);

/* Unary call: one batch of six ops. On 0, `*resp` is the unpacked reply. */
int rpc_unary(struct rpc_conn *c, const char *method, const ProtobufCMessage *req,
              const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp,
              struct rpc_status *st);

/* Called for each message of a server stream. Return 0 to go on; a negative
 * st_err cancels the call and becomes the result of rpc_server_stream(),
 * with `st->msg` as the callback left it. */
typedef int(rpc_msg_fn)(const ProtobufCMessage *msg, void *ud, struct rpc_status *st);

/* Server-streaming call: `cb` sees every reply message in order. */
int rpc_server_stream(struct rpc_conn *c, const char *method, const ProtobufCMessage *req,
                      const ProtobufCMessageDescriptor *resp_desc, rpc_msg_fn *cb, void *ud,
                      struct rpc_status *st);

/* Produces the next message of a client stream into `*msg` (a message the
 * producer owns and may reuse; it is packed and sent before the next call).
 * Returns 1: a message is ready; 0: the stream is complete; a negative st_err:
 * give up (the call is cancelled; `st->msg` as the producer left it). */
typedef int(rpc_produce_fn)(const ProtobufCMessage **msg, void *ud, struct rpc_status *st);

/* Client-streaming call. The status op is posted first, so a server that
 * answers early (a bad header) stops the upload at once instead of after the
 * whole file. Memory: one packed message at a time. */
int rpc_client_stream(struct rpc_conn *c, const char *method, rpc_produce_fn *produce, void *ud,
                      const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp,
                      struct rpc_status *st);

#endif
