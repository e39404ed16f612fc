/* h_health.c - grpc.health.v1.Health: Check answers for the whole server
 * ("", liveness: SERVING unless draining) and for stage.v1.StageService
 * (readiness: NOT_SERVING also while server.max_streams streams are open,
 * so a load balancer sends new streams elsewhere; a saturated frontend is
 * not dead, so liveness stays SERVING), NOT_FOUND for any other name.
 * Watch sends the same status at once and again whenever it changes (checked
 * every WATCH_CHECK_MS on the loop; the fiber holds no thread), and
 * SERVICE_UNKNOWN without ending for an unknown name, as the health
 * protocol says; while the server drains it sends NOT_SERVING and ends the
 * stream UNAVAILABLE, so a watcher never holds the drain up. */
#include "call.h"
#include "err.h"
#include "handlers.h"
#include "loop.h"
#include "server.h"
#include "svc.h"

#include "grpc/health/v1/health.pb-c.h"

#include <grpc/status.h>
#include <stdio.h>
#include <string.h>

static bool known_service(const char *name)
{
    return !*name || strcmp(name, "stage.v1.StageService") == 0;
}

#define WATCH_CHECK_MS 1000

typedef Grpc__Health__V1__HealthCheckResponse__ServingStatus serving_status;

static serving_status status_of(bool draining, bool saturated, const char *service)
{
    if (!known_service(service))
        return GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN;
    bool ready = !draining && (!*service || !saturated);
    return ready ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                 : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
}

int svc_health_check(struct svc *s, ProtobufCMessage *msg)
{
    const Grpc__Health__V1__HealthCheckRequest *req =
        (const Grpc__Health__V1__HealthCheckRequest *)msg;
    Grpc__Health__V1__HealthCheckResponse resp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
    if (!known_service(req->service))
        return svc_fail(s, ST_ENOTFOUND, "unknown service '%.128s'", req->service);
    resp.status = status_of(s->draining, s->saturated, req->service);
    return svc_reply(s, &resp.base);
}

void h_health_watch(struct call *c)
{
    Grpc__Health__V1__HealthCheckRequest *req;
    if (call_read_request(c, &grpc__health__v1__health_check_request__descriptor, &req))
        return;
    char service[128];
    snprintf(service, sizeof(service), "%s", req->service);
    protobuf_c_message_free_unpacked(&req->base, NULL);
    int last = -1;
    for (;;) {
        serving_status st = status_of(server_draining(c->srv), server_saturated(c->srv), service);
        if ((int)st != last) {
            Grpc__Health__V1__HealthCheckResponse resp =
                GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
            resp.status = st;
            if (call_send(c, &resp.base))
                return; /* the client went away */
            last = (int)st;
        }
        if (server_draining(c->srv)) {
            call_fail(c, ST_EUNAVAIL, "the server is shutting down");
            return;
        }
        struct waiter w = {0};
        loop_wait(&w, WATCH_CHECK_MS);
        if (call_cancelled(c))
            return;
    }
}
