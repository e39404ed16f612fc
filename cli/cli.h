/* cli.h - what every stagectl command shares: the context, option parsing,
 * connecting with credentials, and error reporting.
 *
 * Exit codes: 0 ok, 1 error (the server's or a local one), 2 usage.
 * Errors go to stderr as "stagectl: <cmd> <object>: <CODE>: <message>"; with
 * --json the same error is also printed on stdout as one JSON document,
 * {"error": {"code": "<CODE>", "message": "..."}}, so scripts read one stream.
 * Single-threaded. */
#ifndef STAGECTL_CLI_H
#define STAGECTL_CLI_H

#include "creds.h"
#include "rpc.h"

#include <getopt.h>
#include <stdbool.h>

#define CLI_PROG       "stagectl"
#define CLI_EXIT_OK    0
#define CLI_EXIT_ERR   1
#define CLI_EXIT_USAGE 2

#define CLI_DEFAULT_SERVER "127.0.0.1:7070"
#define CLI_UNARY_TIMEOUT  (120 * 1000) /* ms; streams have no deadline */

struct cli;

/* A command: argv[0] is its name. Returns an exit code. */
typedef int(cli_cmd_fn)(struct cli *cli, int argc, char **argv);

struct cli_cmd {
    const char *name;
    cli_cmd_fn *run;
    const char *summary; /* one line for the global help */
    const char *usage;   /* the full --help text */
};

struct cli {
    const char *server;  /* --server, STAGE_SERVER; else, once resolved, the profile's or
                            CLI_DEFAULT_SERVER */
    const char *token;   /* --token: beats every other credential */
    const char *profile; /* --profile, STAGECTL_PROFILE; NULL: the default profile */
    char profile_name[CREDS_PROFILE_MAX + 1]; /* the profile in use, once resolved */
    char saved_server[256];                   /* the profile's server, once resolved */
    bool resolved;
    bool json;
    bool quiet;                  /* --quiet: no progress bars, no informational lines */
    bool tls;                    /* --tls (or one of the next three), STAGE_TLS */
    const char *ca, *cert, *key; /* --ca, --cert, --key: PEM files */
    const struct cli_cmd *cmd;   /* the command running, for messages */
    struct rpc_conn conn;
    bool connected;
};

/* Global options, accepted before the command and after it. */
enum {
    CLI_OPT_SERVER = 1000,
    CLI_OPT_JSON,
    CLI_OPT_HELP,
    CLI_OPT_TOKEN,
    CLI_OPT_TLS,
    CLI_OPT_CA,
    CLI_OPT_CERT,
    CLI_OPT_KEY,
    CLI_OPT_VERSION,
    CLI_OPT_PROFILE,
    CLI_OPT_QUIET,
    CLI_OPT_FIRST_CMD /* commands number their own options from here */
};
#define CLI_GLOBAL_OPTIONS                                                                         \
    {"server", required_argument, NULL, CLI_OPT_SERVER},                                           \
        {"json", no_argument, NULL, CLI_OPT_JSON},                                                 \
        {"token", required_argument, NULL, CLI_OPT_TOKEN},                                         \
        {"tls", no_argument, NULL, CLI_OPT_TLS}, {"ca", required_argument, NULL, CLI_OPT_CA},      \
        {"cert", required_argument, NULL, CLI_OPT_CERT},                                           \
        {"key", required_argument, NULL, CLI_OPT_KEY},                                             \
        {"profile", required_argument, NULL, CLI_OPT_PROFILE},                                     \
        {"quiet", no_argument, NULL, CLI_OPT_QUIET},                                               \
    {                                                                                              \
        "help", no_argument, NULL, CLI_OPT_HELP                                                    \
    }

/* The next option of a command, parsed with getopt_long (reset `optind` to 0
 * before the first call). Handles the global options and -h/--help itself.
 * Returns the option's value for the command, -1 at the end of the options,
 * or CLI_OPT_STOP(exit code) when the command must return that exit code:
 * --help was printed (0) or the option is bad (2, usage printed). */
#define CLI_OPT_STOP(code) (-10 - (code))
#define CLI_OPT_EXIT(rc)   (-10 - (rc)) /* the exit code of a CLI_OPT_STOP value */
int cli_getopt(struct cli *cli, int argc, char **argv, const struct option *opts);

/* Apply global option `c` (with `arg`) to `cli`. False if `c` is not one. */
bool cli_global_opt(struct cli *cli, int c, const char *arg);

/* cli_getopt for a command with only the global options. Returns -1 to go on
 * (`optind` at the first argument), or the exit code the command returns. */
int cli_getopt_global(struct cli *cli, int argc, char **argv);

/* Check that `loc` is a stage location (it starts with '@'). 0, or
 * CLI_EXIT_USAGE after the message. */
int cli_check_location(struct cli *cli, const char *loc);

/* The one argument left after the options, a stage location, into `*loc`.
 * 0, or CLI_EXIT_USAGE after the message. */
int cli_location_arg(struct cli *cli, int argc, char **argv, char **loc);

/* Settle the profile (--profile, STAGECTL_PROFILE, else the default) and
 * the server (--server, STAGE_SERVER, else the profile's, else
 * CLI_DEFAULT_SERVER). `new_ok`: a profile that does not exist yet is fine
 * (login creates it). 0, or CLI_EXIT_ERR after the message. Idempotent. */
int cli_resolve(struct cli *cli, bool new_ok);

/* Connect to the server (after cli_resolve); `auth`: send credentials (--token, then
 * STAGE_TOKEN, then STAGE_USER + STAGE_PASSWORD, then the token file of
 * `stagectl login`).
 * Returns 0, or prints the error and returns CLI_EXIT_ERR. Idempotent. */
int cli_connect(struct cli *cli, bool auth);

/* Whether to print the informational lines people read (what was uploaded,
 * removed, moved): not with --json (documents instead) nor --quiet. */
bool cli_talk(const struct cli *cli);

/* Print a usage error ("stagectl put: <why>" + "try 'stagectl put --help'")
 * and return CLI_EXIT_USAGE. */
int cli_usage(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --parallel N: 0 with *out set, or a usage error (cli_usage()). */
int cli_parse_parallel(struct cli *cli, const char *arg, int *out);

/* The quota options of `stage create/alter` and `user create/alter`. */
struct cli_quota {
    bool set, reset;
    long long bytes, files;
};

/* --quota-bytes SIZE (`bytes` true) or --quota-files N: 0, or a usage error. */
int cli_quota_opt(struct cli *cli, struct cli_quota *q, bool bytes, const char *arg);

/* Report a failed call about `object` ("@~/a.csv"): `err` and `st` as
 * returned by rpc_*. Returns CLI_EXIT_ERR. */
int cli_fail_rpc(struct cli *cli, const char *object, int err, const struct rpc_status *st);

/* Report a local error with the status name `code` ("NOT_FOUND"). Returns CLI_EXIT_ERR. */
int cli_fail(struct cli *cli, const char *object, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* st_err for an errno value (ENOENT -> ST_ENOTFOUND, EACCES -> ST_EPERM ...). */
int cli_errno_err(int e);

/* The commands (cmd_*.c). */
extern const struct cli_cmd cmd_login, cmd_put, cmd_get, cmd_ls, cmd_rm, cmd_stat, cmd_job;
extern const struct cli_cmd cmd_cp, cmd_presign, cmd_whoami, cmd_cat, cmd_du, cmd_mv;
extern const struct cli_cmd cmd_user, cmd_stage, cmd_grant, cmd_revoke, cmd_grants; /* catalog */
extern const struct cli_cmd cmd_completion, cmd_sync;

#endif
