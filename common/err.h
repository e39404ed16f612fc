/* err.h - the one error convention of the project.
 *
 * Functions return 0 on success or a negative `enum st_err`. st_strerror()
 * names a code; detail text goes in a caller-provided buffer or the log.
 * Each code maps to exactly one gRPC status (st_err_grpc_status()), which is
 * also the name stored in a job's `error_code` field (st_err_status_name()).
 * Thread-safe: everything here is pure. */
#ifndef STAGE_ERR_H
#define STAGE_ERR_H

#include <stddef.h>

enum st_err {
    ST_OK = 0,
    ST_EINVAL = -1,      /* bad argument: INVALID_ARGUMENT */
    ST_ENOTFOUND = -2,   /* stage, file, job, user missing: NOT_FOUND */
    ST_EEXIST = -3,      /* ALREADY_EXISTS */
    ST_EPERM = -4,       /* PERMISSION_DENIED */
    ST_EAUTH = -5,       /* UNAUTHENTICATED */
    ST_EPRECOND = -6,    /* backend refuses or unreachable: FAILED_PRECONDITION */
    ST_ELIMIT = -7,      /* too big, queue full, quota: RESOURCE_EXHAUSTED */
    ST_EUNAVAIL = -8,    /* Redis down, retry later: UNAVAILABLE */
    ST_ETIMEOUT = -9,    /* DEADLINE_EXCEEDED */
    ST_ECANCELLED = -10, /* CANCELLED */
    ST_ENOMEM = -11,     /* out of memory: RESOURCE_EXHAUSTED */
    ST_EIO = -12,        /* local I/O failure: INTERNAL */
    ST_EUNIMPL = -13,    /* UNIMPLEMENTED */
    ST_EINTERNAL = -14,  /* a bug: INTERNAL */
    ST_EAGAIN = -15,     /* transient backend failure, retry: UNAVAILABLE */
    ST_ERR_MIN = -15
};

/* Human name of an error code ("not found"); never NULL. */
const char *st_strerror(int err);

/* gRPC status code (numeric value of grpc_status_code) for an error. */
int st_err_grpc_status(int err);

/* gRPC status name ("NOT_FOUND") for an error; "OK" for 0. */
const char *st_err_status_name(int err);

/* Name of a numeric gRPC status code ("UNAVAILABLE"); "UNKNOWN" if out of range. */
const char *st_grpc_status_name(int code);

/* Inverse of st_grpc_status_name(); -1 if the name is unknown. */
int st_grpc_status_from_name(const char *name);

/* The st_err whose status name is `name` (as stored in a job); ST_EINTERNAL if unknown. */
int st_err_from_status_name(const char *name);

/* Write a message for the caller into `err` (may be NULL or of size 0) and
 * return `rc`: `return st_fail(ST_EINVAL, err, errlen, "bad '%s'", x);`. */
int st_fail(int rc, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
