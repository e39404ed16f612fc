/* h_reflect.c - gRPC server reflection: grpc.reflection.v1 and the older
 * v1alpha name (same messages) on one handler, so grpcurl and similar tools
 * work without the .proto files. The schema is the descriptor set protoc
 * builds from proto/ at build time (proto/CMakeLists.txt), embedded in the
 * binary and indexed once at start-up (descset.h); reflect.h answers each
 * request.
 *
 * The stream is bidirectional: each request is answered in order, and the
 * stream ends OK when the client half-closes. It runs on the call's fiber, so
 * a client that holds it open holds no thread; it counts against
 * server.max_streams like any stream, is cancelled after
 * server.stream_idle_timeout_s without a message, and ends
 * RESOURCE_EXHAUSTED after REFLECT_MAX_REQUESTS requests. No
 * authentication: the answers are the API's schema, the same for every
 * caller and in the public repository (docs/security.md); an operator who
 * still wants it hidden sets server.reflection: false (UNIMPLEMENTED). */
#include "call.h"
#include "config.h"
#include "descset.h"
#include "err.h"
#include "handlers.h"
#include "log.h"
#include "reflect.h"

#include <grpc/status.h>
#include <stdlib.h>

/* proto/embed.cmake writes these (library stage_descset) */
extern const unsigned char stage_descset[];
extern const unsigned long stage_descset_len;

/* A client asks a few dozen questions at most (grpcurl describe: one per
 * file); the bound keeps one stream from being a free load generator. */
#define REFLECT_MAX_REQUESTS 1024

/* Built before the loop starts, read-only after: no lock. */
static struct descset *the_set;

int h_reflect_init(void)
{
    int rc = descset_new(stage_descset, (size_t)stage_descset_len, &the_set);
    if (rc)
        log_error("the embedded descriptor set does not parse: %d %s", rc, st_strerror(rc));
    return rc;
}

void h_reflect_cleanup(void)
{
    the_set = descset_free(the_set);
}

/* Answer one request. 0, or an st_err after the call was answered. */
static int answer(struct call *c, const Grpc__Reflection__V1__ServerReflectionRequest *req)
{
    uint8_t *buf;
    size_t len;
    int rc = reflect_answer(the_set, req, &buf, &len);
    if (rc) {
        call_fail(c, rc, "reflection: out of memory");
        return rc;
    }
    rc = call_send_raw(c, buf, len);
    free(buf);
    /* c->bytes stays 0: it counts file bytes (stage_rpc_bytes_total) */
    if (rc) /* a status for the log line: the client will not see it */
        call_fail(c, rc, "reflection stream cancelled by the client");
    return rc;
}

void h_reflect(struct call *c)
{
    if (c->cfg && !c->cfg->server.reflection) { /* what clients take for "not offered" */
        call_status(c, GRPC_STATUS_UNIMPLEMENTED, "server reflection is off (server.reflection)");
        return;
    }
    if (!the_set) {
        call_fail(c, ST_EUNAVAIL, "reflection is not initialised");
        return;
    }
    /* c->end_expected stays false: the end of the requests then waits
     * CLOSE_GRACE_MS (call.c) to tell a half-close, the normal end, from a
     * client's cancel, which 1.51 delivers the same way; without it a
     * cancelled stream was logged OK */
    for (int n = 0;; n++) {
        ProtobufCMessage *m;
        int rc = call_recv(c, &grpc__reflection__v1__server_reflection_request__descriptor, &m);
        if (rc == ST_EINVAL) {
            call_fail(c, rc, "ServerReflectionInfo: malformed request message");
            return;
        }
        if (rc) { /* the client went away, or the stream idled */
            if (c->idle)
                call_fail(c, ST_ETIMEOUT, "reflection stream idle (server.stream_idle_timeout_s)");
            else
                call_fail(c, rc, "reflection stream cancelled by the client");
            return;
        }
        if (!m) {
            call_reply(c, NULL);
            return;
        }
        if (n == REFLECT_MAX_REQUESTS) {
            protobuf_c_message_free_unpacked(m, NULL);
            call_status(c, GRPC_STATUS_RESOURCE_EXHAUSTED,
                        "more than %d requests on one reflection stream; open another",
                        REFLECT_MAX_REQUESTS);
            return;
        }
        rc = answer(c, (const Grpc__Reflection__V1__ServerReflectionRequest *)m);
        protobuf_c_message_free_unpacked(m, NULL);
        if (rc)
            return;
    }
}
