/* svc.h - the logic of a unary RPC as a plain function (a service
 * function), and the dispatcher that runs one for a gRPC call.
 *
 * A service function `int f(struct svc *s, ProtobufCMessage *req)` gets the
 * unpacked request and a `struct svc` saying who asks, and returns 0 after
 * svc_reply() with its response, or a negative st_err after svc_fail() with
 * the message for the client. It never sees gRPC: a test builds a `struct
 * svc` with a synchronous `struct db` (db.h), calls the function and reads
 * s->msg or unpacks s->resp.
 *
 * The dispatcher (svc_call, the handler of every unary method with a
 * service function in the method table) unpacks the request with the
 * method's descriptor (refusing a malformed one, or one whose strings hide a
 * NUL, as INVALID_ARGUMENT), runs the function, answers OK with the packed
 * response or the gRPC status of the returned code with s->msg, copies the
 * fields of the log line (user, location, job) to the call and frees the
 * request.
 *
 * Threads: a service function runs where its caller runs: on the call's
 * fiber under the dispatcher (its Redis commands and job waits yield), or on
 * any thread with a synchronous db (tests). A `struct svc` belongs to one
 * caller. */
#ifndef STAGE_FE_SVC_H
#define STAGE_FE_SVC_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct auth_extra;
struct call;
struct config;
struct db;
struct job;
struct redisReply;
struct svc;

/* Whether a wait on a job should end early: 0 to go on, or ST_EUNAVAIL
 * (the server is cancelling calls; the text in db->err), ST_ECANCELLED (the
 * client went away), ST_ETIMEOUT (the call's deadline passed). */
typedef int(svc_stop_fn)(void *arg);

/* Authenticate the caller and run `x` in the same Redis round trip; on
 * success set s->user and s->admin and return x's reply in *r (owned by
 * the caller). On failure the caller was answered already. */
typedef int(svc_auth_fn)(void *arg, struct svc *s, const struct auth_extra *x,
                         struct redisReply **r);

struct svc {
    /* in: set by the dispatcher (or a test) before the function runs */
    struct db *db; /* the caller's Redis */
    const struct config *cfg;
    char user[72]; /* the authenticated caller ("" until then; Login sets it) */
    bool admin;
    int64_t user_since;       /* the caller's incarnation (authz_owns) */
    char peer[128];           /* "ipv4:127.0.0.1:5555": failed logins are counted by address */
    bool draining, saturated; /* the server's state, for Health */
    svc_stop_fn *stop;        /* NULL: a job wait never ends early */
    void *stop_arg;
    svc_auth_fn *auth; /* methods that authenticate themselves; NULL: see svc_auth_with() */
    void *auth_arg;
    /* out: for the call's log line */
    char location[160];
    char job[40];
    /* out: the outcome */
    char msg[512]; /* the client's message when the function fails */
    int status;    /* > 0: the gRPC status to answer instead of the code's (a job's own) */
    bool replied;  /* svc_reply() was called */
    void *resp;    /* the packed response (malloc'ed, owned by s) */
    size_t resp_len;
};

/* A unary RPC's logic. `req` belongs to the caller, who frees it; the
 * function may overwrite secrets in it (passwords are wiped). */
typedef int(svc_fn)(struct svc *s, ProtobufCMessage *req);

/* An empty svc for `db` and `cfg`; release with svc_cleanup(). */
void svc_init(struct svc *s, struct db *db, const struct config *cfg);

/* Free the response. NULL-safe. */
void svc_cleanup(struct svc *s);

/* Pack `resp` (which may live on the caller's stack) into s->resp. 0, or
 * ST_ENOMEM with s->msg set. */
int svc_reply(struct svc *s, const ProtobufCMessage *resp);

/* Write the client's message and return `rc` (a negative st_err), so a
 * function ends with `return svc_fail(s, rc, "...", ...)`. */
int svc_fail(struct svc *s, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* svc_fail() with db->err, or the code's name if it is empty. */
int svc_db_fail(struct svc *s, int rc);

/* stage_locate() (stage.h) for the caller of `s`. */
int svc_locate(struct svc *s, const char *location, bool need_file, unsigned need, struct job *j,
               char *err, size_t errlen);

/* xfer_wait() (xfer.h) for the caller of `s`: re-read `j` until ready(j,
 * arg), the job ended, or s->stop says to give up. */
int svc_wait_job(struct svc *s, struct job *j, bool (*ready)(const struct job *, long), long arg);

/* Fail with the outcome of terminal job `j` (its own status and message);
 * 0 without a message for a SUCCEEDED job. */
int svc_job_outcome(struct svc *s, const struct job *j);

/* Fail after svc_wait_job() returned `rc` (the job goes on without us). */
int svc_wait_fail(struct svc *s, const struct job *j, int rc);

/* The GetJob round trip: authenticate through s->auth and run `x`; without
 * a hook the caller is s->user already and `x` runs alone. */
int svc_auth_with(struct svc *s, const struct auth_extra *x, struct redisReply **r);

/* The handler of a unary method with a service function (server.h):
 * unpack, run c->m->svc, answer, free. Loop thread, the call's fiber. */
void svc_call(struct call *c);

#endif
