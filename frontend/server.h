/* server.h - the gRPC server of the frontend: one completion queue for
 * every call, drained by one thread that hands each event to the event loop
 * (loop.h), where every call runs as a fiber.
 *
 * Threads: server_new/start/stop/free are called by main only. Request
 * slots (several per registered method plus one generic slot for unknown
 * methods) are posted and re-armed on the loop; an arrived call is
 * authenticated, counted against server.max_streams and
 * server.max_streams_per_user if it is a stream (unary calls always have
 * room), handled, logged in one line and released, all on its fiber. */
#ifndef STAGE_FE_SERVER_H
#define STAGE_FE_SERVER_H

#include "svc.h"

#include <stdbool.h>
#include <stddef.h>

struct call;
struct config;
struct server;

/* A handler answers its call (call_reply/call_status/call_fail) exactly once.
 * Unary methods with a service function (svc.h) have svc_call as handler. */
typedef void(handler_fn)(struct call *c);

/* A client or bidi stream gets no request with the call: its handler reads
 * the requests itself (call_recv). */
enum method_shape { SHAPE_UNARY, SHAPE_CLIENT_STREAM, SHAPE_SERVER_STREAM, SHAPE_BIDI_STREAM };

struct method {
    const char *path; /* "/stage.v1.StageService/Login" */
    const char *rpc;  /* short name for logs: "Login" */
    enum method_shape shape;
    bool auth; /* authenticate before the handler runs */
    handler_fn *fn;
    /* with fn = svc_call: the request's type and the service function */
    const ProtobufCMessageDescriptor *req;
    svc_fn *svc;
};

/* Create a server for `methods[0..n)`; the table and `cfg` must outlive it.
 * Returns NULL and a message in `err` on failure. */
struct server *server_new(const struct config *cfg, const struct method *methods, int n, char *err,
                          size_t errlen);

/* Bind, start the threads and post the request slots. 0 or ST_EUNAVAIL. */
int server_start(struct server *s, char *err, size_t errlen);

/* Graceful stop: NOT_SERVING, stop taking calls, let live calls finish for
 * server.drain_timeout_s, then cancel the rest and wait for them. */
void server_stop(struct server *s);

/* NULL-safe; after server_stop(). Returns NULL. */
struct server *server_free(struct server *s);

/* True while draining (health reports NOT_SERVING). Any thread. */
bool server_draining(const struct server *s);

/* True once remaining calls are being cancelled: handlers waiting on Redis
 * should give up. Any thread. */
bool server_cancelling(const struct server *s);

/* Log and release a call that a state machine took over (call->detached),
 * once it was answered and its close op completed. Loop thread. */
void server_call_end(struct call *c);

/* The call left its first phase (it waits on its client, or ended): the
 * next waiting call may start. Once per call; loop thread. */
void server_call_settled(struct call *c);

/* Streaming calls open now. Any thread. */
int server_streams(const struct server *s);

/* True while server.max_streams streams are open: new streams are refused,
 * so readiness says NOT_SERVING (unary calls still have room). Any thread. */
bool server_saturated(const struct server *s);

#endif
