/* jobpoll.c - GetJob polling (see jobpoll.h). */
#include "jobpoll.h"

#include <errno.h>
#include <time.h>

#define POLL_FIRST_MS 100
#define POLL_MAX_MS   1000

bool jobpoll_terminal(const Stage__V1__Job *j)
{
    return j && (j->state == STAGE__V1__JOB_STATE__SUCCEEDED ||
                 j->state == STAGE__V1__JOB_STATE__FAILED ||
                 j->state == STAGE__V1__JOB_STATE__CANCELLED);
}

int jobpoll_get(struct rpc_conn *c, const char *id, Stage__V1__GetJobResponse **resp,
                struct rpc_status *st)
{
    Stage__V1__GetJobRequest req = STAGE__V1__GET_JOB_REQUEST__INIT;
    req.job_id = (char *)id;
    return rpc_unary(c, RPC_SERVICE "GetJob", &req.base, &stage__v1__get_job_response__descriptor,
                     (ProtobufCMessage **)resp, st);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int jobpoll_wait(struct rpc_conn *c, const char *id, Stage__V1__GetJobResponse **resp,
                 struct rpc_status *st)
{
    long delay = POLL_FIRST_MS;
    for (;;) {
        int rc = jobpoll_get(c, id, resp, st);
        if (rc || jobpoll_terminal((*resp)->job))
            return rc;
        protobuf_c_message_free_unpacked(&(*resp)->base, NULL);
        *resp = NULL;
        sleep_ms(delay);
        delay = delay * 2 > POLL_MAX_MS ? POLL_MAX_MS : delay * 2;
    }
}
