/* h_health.c - grpc.health.v1.Health: Check answers for the whole server
 * ("", liveness: SERVING unless draining) and for stage.v1.StageService
 * (readiness: NOT_SERVING also while server.max_streams streams are open,
 * so a load balancer sends new streams elsewhere; a saturated frontend is
 * not dead, so liveness stays SERVING), NOT_FOUND for any other name. Watch
 * is not served yet (UNIMPLEMENTED, which clients read as "not supported"). */
#include "call.h"
#include "err.h"
#include "handlers.h"
#include "server.h"

#include "grpc/health/v1/health.pb-c.h"

#include <grpc/status.h>
#include <string.h>

static bool known_service(const char *name)
{
    return !*name || strcmp(name, "stage.v1.StageService") == 0;
}

void h_health_check(struct call *c)
{
    Grpc__Health__V1__HealthCheckRequest *req;
    Grpc__Health__V1__HealthCheckResponse resp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
    if (call_read_request(c, &grpc__health__v1__health_check_request__descriptor, &req))
        return;
    if (!known_service(req->service)) {
        call_fail(c, ST_ENOTFOUND, "unknown service '%.128s'", req->service);
    } else {
        bool ready = !server_draining(c->srv) && (!*req->service || !server_saturated(c->srv));
        resp.status = ready ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                            : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
        call_reply(c, &resp.base);
    }
    protobuf_c_message_free_unpacked(&req->base, NULL);
}

void h_health_watch(struct call *c)
{
    call_status(c, GRPC_STATUS_UNIMPLEMENTED, "Health/Watch is not implemented yet");
}
