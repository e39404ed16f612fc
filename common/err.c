#include "err.h"

#include <stdarg.h>
#include <stdio.h>

#include <string.h>

struct err_row {
    const char *text;
    int status; /* grpc_status_code */
};

/* Indexed by -err. gRPC numeric codes are part of the wire protocol. */
static const struct err_row rows[] = {
    [0] = {"ok", 0},
    [1] = {"invalid argument", 3},
    [2] = {"not found", 5},
    [3] = {"already exists", 6},
    [4] = {"permission denied", 7},
    [5] = {"unauthenticated", 16},
    [6] = {"failed precondition", 9},
    [7] = {"resource exhausted", 8},
    [8] = {"unavailable", 14},
    [9] = {"deadline exceeded", 4},
    [10] = {"cancelled", 1},
    [11] = {"out of memory", 8},
    [12] = {"i/o error", 13},
    [13] = {"unimplemented", 12},
    [14] = {"internal error", 13},
    [15] = {"temporary failure", 14},
};

static const char *const status_names[] = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

#define NSTATUS ((int)(sizeof(status_names) / sizeof(status_names[0])))

static const struct err_row *row(int err)
{
    if (err > 0 || err < ST_ERR_MIN)
        return &rows[14];
    return &rows[-err];
}

const char *st_strerror(int err)
{
    if (err > 0 || err < ST_ERR_MIN)
        return "unknown error";
    return row(err)->text;
}

int st_err_grpc_status(int err)
{
    return row(err)->status;
}

const char *st_err_status_name(int err)
{
    return st_grpc_status_name(st_err_grpc_status(err));
}

const char *st_grpc_status_name(int code)
{
    if (code < 0 || code >= NSTATUS)
        return "UNKNOWN";
    return status_names[code];
}

int st_grpc_status_from_name(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < NSTATUS; i++)
        if (strcmp(status_names[i], name) == 0)
            return i;
    return -1;
}

int st_err_from_status_name(const char *name)
{
    int code = st_grpc_status_from_name(name);
    if (code == 0)
        return ST_OK;
    /* First error whose status matches: the table lists the canonical one first. */
    for (int e = -1; e >= ST_ERR_MIN; e--)
        if (row(e)->status == code)
            return e;
    return ST_EINTERNAL;
}

int st_fail(int rc, char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}
