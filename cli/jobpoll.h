/* jobpoll.h - GetJob, once or until the job ends (polling with backoff:
 * 100 ms doubling to 1 s). Blocking. Returned jobs belong to the caller
 * (protobuf_c_message_free_unpacked on the GetJobResponse). */
#ifndef STAGECTL_JOBPOLL_H
#define STAGECTL_JOBPOLL_H

#include "rpc.h"

#include "stage/v1/stage.pb-c.h"

#include <stdbool.h>

/* One GetJob. On 0, `*resp` holds the reply (resp->job is the job). */
int jobpoll_get(struct rpc_conn *c, const char *id, Stage__V1__GetJobResponse **resp,
                struct rpc_status *st);

/* GetJob until the job is SUCCEEDED, FAILED or CANCELLED. */
int jobpoll_wait(struct rpc_conn *c, const char *id, Stage__V1__GetJobResponse **resp,
                 struct rpc_status *st);

/* True for SUCCEEDED, FAILED and CANCELLED. */
bool jobpoll_terminal(const Stage__V1__Job *j);

#endif
