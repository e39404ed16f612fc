/* admin.h - helpers shared by the catalog commands of stagectl (user, stage,
 * grant): one unary call with error reporting, and printing a reply as
 * JSON or as "key: value" lines. Single-threaded, like the rest of the CLI. */
#ifndef STAGECTL_ADMIN_H
#define STAGECTL_ADMIN_H

#include "cli.h"

#include "stage/v1/stage.pb-c.h"

#include <protobuf-c/protobuf-c.h>

/* Connect (with credentials) and call `rpc` ("CreateStage"). 0 and *resp
 * (free with protobuf_c_message_free_unpacked), or the error is reported
 * about `object` and CLI_EXIT_ERR returned. */
int admin_call(struct cli *cli, const char *rpc, const ProtobufCMessage *req,
               const ProtobufCMessageDescriptor *resp_desc, const char *object,
               ProtobufCMessage **resp);

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

/* Subcommand dispatch: argv[1] names one of `subs` (NULL-terminated pairs of
 * name and function); the function gets argc-1, argv+1. */
struct admin_sub {
    const char *name;
    cli_cmd_fn *run;
};
int admin_dispatch(struct cli *cli, int argc, char **argv, const struct admin_sub *subs);

#endif
