/* admin.h - helpers shared by the stagectl commands that make unary calls
 * (the catalog: user, stage, grant; and cp, rm, stat, presign, job): one
 * unary call with error reporting, printing a reply as JSON, "key: value"
 * lines or a table, and the job a call queued. Single-threaded, like the
 * rest of the CLI. */
#ifndef STAGECTL_ADMIN_H
#define STAGECTL_ADMIN_H

#include "cli.h"
#include "filter.h"
#include "table.h"

#include "stage/v1/stage.pb-c.h"

#include <protobuf-c/protobuf-c.h>

/* Connect (with credentials) and call `rpc` ("CreateStage"). 0 and *resp
 * (free with protobuf_c_message_free_unpacked), or the error is reported
 * about `object` and CLI_EXIT_ERR returned. */
int admin_call(struct cli *cli, const char *rpc, const ProtobufCMessage *req,
               const ProtobufCMessageDescriptor *resp_desc, const char *object,
               ProtobufCMessage **resp);

/* Prints a reply `resp` for people. Returns an exit code. */
typedef int(admin_print_fn)(struct cli *cli, const ProtobufCMessage *resp);

/* admin_call, then the reply printed: with --json as one JSON document, else
 * by `print`. Frees the reply. Returns an exit code. */
int admin_call_print(struct cli *cli, const char *rpc, const ProtobufCMessage *req,
                     const ProtobufCMessageDescriptor *resp_desc, const char *object,
                     admin_print_fn *print);

/* The end of a table built row by row (`rc`: the first table_add error):
 * print `t`, or when it could not be built (`t` NULL or `rc` set) report
 * running out of memory about `object`. Frees `t`. Returns an exit code. */
int admin_table_done(struct cli *cli, const char *object, struct table *t, int rc);

/* With --json: print `m` as one JSON document and return true. */
bool admin_json(struct cli *cli, const ProtobufCMessage *m);

/* "  key: value" for people; skipped when value is NULL. */
void admin_kv(const char *key, const char *value);

/* Read a password: `arg` if not NULL, else the first line of stdin when
 * `from_stdin`. 0, or CLI_EXIT_USAGE after a message. `out` has `n` bytes. */
int admin_password(struct cli *cli, const char *arg, bool from_stdin, char *out, size_t n);

/* The job a call queued (`j`, about `object`): printed as it is, or with
 * `wait` polled until it ends and printed then. Returns CLI_EXIT_OK, or
 * CLI_EXIT_ERR when the polling fails or the job ended FAILED / CANCELLED
 * (the error named on stderr). */
int admin_job(struct cli *cli, const char *object, const Stage__V1__Job *j, bool wait);

/* GetJob until job `id` ends; 0 if it SUCCEEDED (its files_done into
 * `*done` unless NULL), else the job or the error is reported about
 * `object` and an exit code returned. */
int admin_job_wait(struct cli *cli, const char *id, const char *object, int64_t *done);

/* A job that ended FAILED or CANCELLED (`j`, about `object`): printed, and
 * "job ID ended FAILED: CODE: message" on stderr. Returns CLI_EXIT_ERR. */
int admin_job_failed(struct cli *cli, const char *object, const Stage__V1__Job *j);

/* admin_call of an RPC that queues a job (the reply's `job` field), then
 * admin_job. Returns an exit code. */
int admin_call_job(struct cli *cli, const char *rpc, const ProtobufCMessage *req,
                   const ProtobufCMessageDescriptor *resp_desc, const char *object, bool wait);

/* The options of the commands that queue a job over a prefix (cp, rm):
 * the filter (filter.h: --pattern, --include, --exclude), --wait,
 * --idempotency-key, and the command's own switches. */
struct admin_jobopts {
    const char *pattern; /* the filter's pattern; NULL when none */
    char *idem;          /* NULL when not given */
    struct filter filter;
    bool wait;
};

/* A command's own switch: --name, and -short_name unless that is 0, sets
 * *set (false when not given). */
struct admin_switch {
    const char *name;
    int short_name;
    bool *set;
};
#define ADMIN_SWITCHES_MAX 8

/* Parse them into `o`, with `sw` (up to ADMIN_SWITCHES_MAX, ended by a
 * NULL name) the command's own switches. Returns -1 to go on (`optind` at
 * the first argument), or the exit code the command returns. */
int admin_jobopts_parse(struct cli *cli, int argc, char **argv, const struct admin_switch *sw,
                        struct admin_jobopts *o);

/* Subcommand dispatch: argv[1] names one of `subs` (NULL-terminated pairs of
 * name and function); the function gets argc-1, argv+1. */
struct admin_sub {
    const char *name;
    cli_cmd_fn *run;
};
int admin_dispatch(struct cli *cli, int argc, char **argv, const struct admin_sub *subs);

#endif
