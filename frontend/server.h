/* server.h - the gRPC server of the frontend: one dispatcher thread on the
 * server completion queue, a bounded pool of handler threads running
 * synchronous handlers (the model of gRPC C++'s sync server on the C core).
 *
 * Threads: server_new/start/stop/free are called by main only. The
 * dispatcher posts request slots (one set per registered method plus one
 * generic slot for unknown methods) and queues arrived calls; handler
 * threads take calls off the queue, authenticate, run the method's
 * handler, log one line per call and release it. When the queue is full the
 * dispatcher answers RESOURCE_EXHAUSTED "server busy" itself. */
#ifndef STAGE_FE_SERVER_H
#define STAGE_FE_SERVER_H

#include <stdbool.h>
#include <stddef.h>

struct call;
struct config;
struct server;

/* A handler answers its call (call_reply/call_status/call_fail) exactly once. */
typedef void(handler_fn)(struct call *c);

enum method_shape { SHAPE_UNARY, SHAPE_CLIENT_STREAM, SHAPE_SERVER_STREAM };

struct method {
    const char *path; /* "/stage.v1.StageService/Login" */
    const char *rpc;  /* short name for logs: "Login" */
    enum method_shape shape;
    bool auth; /* authenticate before the handler runs */
    handler_fn *fn;
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

#endif
