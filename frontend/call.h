/* call.h - one gRPC call as seen by its handler: straight-line helpers
 * over the C core that yield the handler's fiber (loop.h) while a batch is
 * in flight.
 *
 * Every call's batches complete on the server's one completion queue; the
 * queue's thread hands each completion to the loop, which runs the tag's
 * function: for a batch, wake the fiber that started it. One message batch
 * is in flight at a time; besides it, a RECV_CLOSE_ON_SERVER op is started
 * when the call begins (call_begin), so call_cancelled() notices a client
 * that went away while the handler waits on Redis or on a job.
 *
 * Every wait on the client has a deadline: the call's own, and
 * server.stream_idle_timeout_s for a message batch (an idle stream is
 * cancelled; `idle` is set and the job's message says so).
 *
 * Ownership: a `struct call` belongs to the fiber running it. Messages
 * passed in are only read; messages returned (call_request/call_recv)
 * belong to the caller (protobuf_c_message_free_unpacked). A failed
 * start_batch is fatal for the call: it is cancelled and every later
 * operation is a no-op error. */
#ifndef STAGE_FE_CALL_H
#define STAGE_FE_CALL_H

#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct db;
struct method;
struct server;

/* A completion-queue tag: the loop calls fn(tag, ok) for its event. */
struct cq_tag {
    void (*fn)(struct cq_tag *tag, bool ok);
};

struct waiter;

struct call {
    grpc_call *call;
    struct cq_tag batch_tag, close_tag;
    struct waiter *batch_w, *close_w; /* the fiber waiting on either */
    bool batch_done, batch_ok;
    gpr_timespec deadline;
    grpc_metadata_array md;
    grpc_byte_buffer *payload; /* request of unary/server-streaming methods, or NULL */
    const struct method *m;
    char path[128]; /* method path as the client sent it */
    struct server *srv;
    struct db *db; /* this call's Redis (fiber mode, db.h) */
    const struct config *cfg;
    uint64_t req; /* request number, for logs */
    int64_t start_ms;
    /* the authenticated caller */
    char user[72];
    bool admin;
    int64_t user_since; /* when the user was created: its incarnation (authz_owns) */
    /* call state */
    bool md_sent, finished, broken, close_started, close_done;
    int cancelled; /* from RECV_CLOSE_ON_SERVER */
    /* set by a handler that has every byte it was told to expect: the end of
     * the stream then needs no grace wait to tell a cancel from a half-close */
    bool end_expected;
    bool idle;     /* cancelled by server.stream_idle_timeout_s */
    bool detached; /* a state machine (watch.c) owns the call now, not its fiber */
    /* batches without a fiber (call_send_start/call_finish_start) */
    void (*async_done)(struct call *c, bool ok);
    void (*on_closed)(struct call *c, bool ok);
    grpc_byte_buffer *async_bb;
    grpc_slice async_details;
    bool async_has_details;
    void *owner;    /* the state machine that owns a detached call */
    bool streaming; /* counted in the stream limits (server.c) */
    bool settled;   /* out of its first phase (server.c admission) */
    struct call *next_pending;
    /* the log line */
    int status;
    char status_msg[160];
    char location[160];
    char job[40];
    int64_t bytes;
    char peer[128]; /* call_peer(): "" until first asked */
};

/* Start watching for the end of the call (RECV_CLOSE_ON_SERVER). */
int call_begin(struct call *c);

/* Release everything the call holds (cancels it if no status was sent). */
void call_cleanup(struct call *c);

/* Unpack the request that came with the call. ST_EINVAL (and no message)
 * if it is missing or not a valid `desc`. */
int call_request(struct call *c, const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out);

/* call_request(), answering INVALID_ARGUMENT itself when it fails.
 * `out` is a pointer to the message pointer. */
int call_read_request(struct call *c, const ProtobufCMessageDescriptor *desc, void *out);

/* Receive the next message of a client stream. 0 and *out (NULL at the end of
 * the stream), ST_EINVAL if it does not parse, ST_ECANCELLED if the call
 * failed (client gone, deadline, message too large). */
int call_recv(struct call *c, const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out);

/* Send one message (server streams). 0 or ST_ECANCELLED. */
int call_send(struct call *c, const ProtobufCMessage *msg);

/* Send already packed bytes as one message. 0 or ST_ECANCELLED. */
int call_send_raw(struct call *c, const void *data, size_t len);

/* Finish with OK and, unless NULL, a last message. */
int call_reply(struct call *c, const ProtobufCMessage *msg);

/* Finish with OK and a message already packed into `data` (malloc'ed, or
 * NULL for an empty one), which the call takes over whatever happens. */
int call_reply_take(struct call *c, void *data, size_t len);

/* Finish with a gRPC status code and a message (printf format). */
int call_status(struct call *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Finish with the status of an st_err code. */
int call_fail(struct call *c, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Batches without a fiber, for state machines on the loop (watch.c).
 * done(c, ok) runs on the loop once the batch completed, never inside the
 * call that started it. One batch at a time. 0, or ST_EINTERNAL (the call
 * is then cancelled and `done` never runs). */
typedef void(call_done_fn)(struct call *c, bool ok);
int call_send_start(struct call *c, const ProtobufCMessage *msg, call_done_fn *done);
int call_finish_start(struct call *c, int code, const char *msg, call_done_fn *done);

/* fn(c, true) runs on the loop once the call's close op completed (the
 * client went away, or the status was sent); at once (deferred) if it did. */
void call_on_close(struct call *c, call_done_fn *fn);

/* True once the client cancelled or the deadline passed (does not block). */
bool call_cancelled(struct call *c);

/* Milliseconds to the call's deadline; INT64_MAX without one, <= 0 if passed. */
int64_t call_ms_left(const struct call *c);

/* Value of request metadata `key` (lower case), or NULL. The pointer lives as
 * long as the call; *len is set. */
const char *call_metadata(const struct call *c, const char *key, size_t *len);

/* The peer address ("ipv4:127.0.0.1:5555"). gRPC builds a new string each
 * time it is asked, and a call needs it up to three times (the handler's
 * svc, basic auth, the audit line): asked once, kept in c->peer. */
const char *call_peer(struct call *c);

#endif
