/* audit.h - the audit log (log.audit_file): one JSON line per call that
 * changes something (users, stages, grants, files, jobs), per Login and
 * per presign, and per refused call of any kind (a status other than OK,
 * NOT_FOUND, or a cancelled or timed-out stream): who, from where, what,
 * on which object, and the outcome. Never a password, token or key: the
 * fields are names and statuses, and status messages carry no secrets.
 *
 * The file is opened for appending (mode 0600) at start; each line is one
 * write(2), so lines of several frontends on one file stay whole. Loop
 * thread (where calls end). */
#ifndef STAGE_FE_AUDIT_H
#define STAGE_FE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct audit_rec {
    int64_t ts_ms;
    uint64_t req;
    const char *rpc, *user, *peer, *location, *job;
    int code; /* gRPC status */
    const char *msg;
};

/* Whether a call of `rpc` with status `code` goes into the audit log. */
bool audit_wanted(const char *rpc, int code);

/* The JSON line of `r` (with the newline) into `out`: its length, or -1 if
 * it does not fit. Pure. */
int audit_line(const struct audit_rec *r, char *out, size_t n);

/* Open `path` ("" = no audit log). 0, or ST_EINVAL with the reason. */
int audit_open(const char *path, char *err, size_t errlen);

/* True when a file is open. */
bool audit_enabled(void);

/* Append `r` if audit_wanted(); a write that fails is logged once. */
void audit_record(const struct audit_rec *r);

void audit_close(void);

#endif
