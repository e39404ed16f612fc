/* endpoint.h - CreateStage and AlterStage refuse an external stage whose
 * endpoint_url names an internal address (issue 14 #2; netguard.h).
 *
 * This is the early, friendly check: a literal address, or every address
 * the name resolves to now, against storage.endpoint_allow of this
 * frontend. The guard that counts runs in the workers when they connect
 * (s3http.h), because a name may resolve elsewhere later. Runs in a call's
 * fiber: the name is resolved on a pool thread (loop_offload) while the
 * fiber waits. */
#ifndef STAGE_FE_ENDPOINT_H
#define STAGE_FE_ENDPOINT_H

#include <stddef.h>

struct config;

/* 0 if `url` ("" = the scheme's default, a public cloud) may be stored, or a
 * name that does not resolve (the probe will say so); ST_EINVAL with
 * "endpoint 127.0.0.1 is a loopback address; allow it with
 * storage.endpoint_allow" in `err` if not; ST_ENOMEM. */
int endpoint_check(const struct config *cfg, const char *url, char *err, size_t errlen);

#endif
