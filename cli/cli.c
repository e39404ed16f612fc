/* cli.c - shared command plumbing: options, connecting, errors (see cli.h). */
#include "cli.h"

#include "creds.h"
#include "err.h"
#include "out.h"
#include "pool.h"
#include "quota.h"

#include <errno.h>
#include <grpc/status.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ":h" plus the short forms the command declares (an option whose value
 * is a letter, like {"recursive", no_argument, NULL, 'r'}); -q is --quiet
 * everywhere. */
static void short_opts(const struct option *opts, char *out, size_t n)
{
    size_t k = 0;
    out[k++] = ':';
    out[k++] = 'h';
    out[k++] = 'q'; /* --quiet */
    for (; opts->name && k + 3 < n; opts++) {
        if (opts->val > 0 && opts->val < 128 && opts->val != 'h' && opts->val != 'q' &&
            ((opts->val >= 'a' && opts->val <= 'z') || (opts->val >= 'A' && opts->val <= 'Z'))) {
            out[k++] = (char)opts->val;
            if (opts->has_arg == required_argument)
                out[k++] = ':';
        }
    }
    out[k] = '\0';
}

bool cli_global_opt(struct cli *cli, int c, const char *arg)
{
    switch (c) {
    case CLI_OPT_SERVER:
        cli->server = arg;
        return true;
    case CLI_OPT_JSON:
        cli->json = true;
        return true;
    case CLI_OPT_TOKEN:
        cli->token = arg;
        return true;
    case CLI_OPT_PROFILE:
        cli->profile = arg;
        return true;
    case 'q':
    case CLI_OPT_QUIET:
        cli->quiet = true;
        out_set_quiet(true);
        return true;
    case CLI_OPT_TLS:
        cli->tls = true;
        return true;
    case CLI_OPT_CA: /* each of these means TLS */
        cli->tls = true, cli->ca = arg;
        return true;
    case CLI_OPT_CERT:
        cli->tls = true, cli->cert = arg;
        return true;
    case CLI_OPT_KEY:
        cli->tls = true, cli->key = arg;
        return true;
    default:
        return false;
    }
}

int cli_getopt(struct cli *cli, int argc, char **argv, const struct option *opts)
{
    char shorts[64];
    short_opts(opts, shorts, sizeof(shorts));
    for (;;) {
        int c = getopt_long(argc, argv, shorts, opts, NULL);
        if (cli_global_opt(cli, c, optarg))
            continue;
        switch (c) {
        case 'h':
        case CLI_OPT_HELP:
            fputs(cli->cmd->usage, stdout);
            return CLI_OPT_STOP(CLI_EXIT_OK);
        case ':':
            cli_usage(cli, "option '%s' needs a value", argv[optind - 1]);
            return CLI_OPT_STOP(CLI_EXIT_USAGE);
        case '?':
            cli_usage(cli, "unknown option '%s'", argv[optind - 1]);
            return CLI_OPT_STOP(CLI_EXIT_USAGE);
        default:
            return c;
        }
    }
}

int cli_getopt_global(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS, {NULL, 0, NULL, 0}};
    int c;
    while ((c = cli_getopt(cli, argc, argv, opts)) >= 0)
        ;
    return c == -1 ? -1 : CLI_OPT_EXIT(c);
}

int cli_check_location(struct cli *cli, const char *loc)
{
    if (loc[0] != '@')
        return cli_usage(cli, "'%s' is not a stage location (they start with '@')", loc);
    return 0;
}

int cli_location_arg(struct cli *cli, int argc, char **argv, char **loc)
{
    if (argc - optind != 1)
        return cli_usage(cli, "expected one @LOCATION");
    *loc = argv[optind];
    return cli_check_location(cli, *loc);
}

bool cli_talk(const struct cli *cli)
{
    return !cli->json && !cli->quiet;
}

int cli_usage(struct cli *cli, const char *fmt, ...)
{
    va_list ap;
    const char *name = cli->cmd ? cli->cmd->name : NULL;
    fprintf(stderr, "%s%s%s: ", CLI_PROG, name ? " " : "", name ? name : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\ntry '%s%s%s --help'\n", CLI_PROG, name ? " " : "", name ? name : "");
    return CLI_EXIT_USAGE;
}

int cli_parse_parallel(struct cli *cli, const char *arg, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < 1 || v > POOL_MAX_THREADS)
        return cli_usage(cli, "--parallel expects 1-%d, got '%s'", POOL_MAX_THREADS, arg);
    *out = (int)v;
    return 0;
}

int cli_quota_opt(struct cli *cli, struct cli_quota *q, bool bytes, const char *arg)
{
    char *end;
    q->set = true;
    if (bytes && quota_parse_size(arg, &q->bytes) == 0)
        return 0;
    if (!bytes) {
        errno = 0;
        q->files = strtoll(arg, &end, 10);
        if (!errno && end != arg && !*end && q->files >= 0)
            return 0;
    }
    return cli_usage(cli, "--quota-%s wants %s, not '%s'", bytes ? "bytes" : "files",
                     bytes ? "a size such as 500MiB" : "a number of files", arg);
}

int cli_resolve(struct cli *cli, bool new_ok)
{
    char err[300];
    if (cli->resolved)
        return 0;
    int rc = creds_profile_find(cli->profile, cli->server, cli->profile_name,
                                sizeof(cli->profile_name), err, sizeof(err));
    if (rc == ST_ENOTFOUND && new_ok) {
        snprintf(cli->profile_name, sizeof(cli->profile_name), "%s", cli->profile);
        rc = 0;
    }
    if (rc)
        return cli_fail(cli, "profile", st_err_status_name(rc), "%s", err);
    if (!cli->server)
        cli->server =
            creds_read_server(cli->profile_name, cli->saved_server, sizeof(cli->saved_server)) == 0
                ? cli->saved_server
                : CLI_DEFAULT_SERVER;
    cli->resolved = true;
    return 0;
}

int cli_connect(struct cli *cli, bool auth)
{
    char hdr[1200], err[300] = "";
    if (cli->connected)
        return 0;
    if (cli_resolve(cli, false))
        return CLI_EXIT_ERR;
    int rc = auth ? creds_authorization(cli->token, cli->profile_name, hdr, sizeof(hdr), err,
                                        sizeof(err))
                  : 0;
    if (rc && cli->cert) /* no token or password: the certificate may name the user (mTLS) */
        rc = 0, auth = false;
    if (!rc && auth && !hdr[0] && !cli->cert)
        return cli_fail(cli, "credentials", "UNAUTHENTICATED",
                        "not logged in: run 'stagectl login USER' (or set STAGE_TOKEN, or "
                        "STAGE_USER and STAGE_PASSWORD)");
    if (rc)
        return cli_fail(cli, "credentials", st_err_status_name(rc), "%s", err);
    if (cli->tls && rpc_tls_set(cli->ca, cli->cert, cli->key, err, sizeof(err)) != 0)
        return cli_fail(cli, "tls", "INVALID_ARGUMENT", "%s", err);
    rc = rpc_conn_init(&cli->conn, cli->server, auth ? hdr : NULL);
    memset(hdr, 0, sizeof(hdr));
    if (rc)
        return cli_fail(cli, cli->server, st_err_status_name(rc), "cannot create a channel: %s",
                        st_strerror(rc));
    cli->conn.timeout_ms = CLI_UNARY_TIMEOUT;
    cli->connected = true;
    return 0;
}

/* Both lines of a report stay together when pool threads report at once. */
static void report(struct cli *cli, const char *object, const char *code, const char *msg)
{
    flockfile(stderr);
    /* as the help and the README show it: "stagectl put @~/a.csv: NOT_FOUND: ..." */
    fprintf(stderr, "%s%s%s%s%s: %s: %s\n", CLI_PROG, cli->cmd ? " " : "",
            cli->cmd ? cli->cmd->name : "", object && *object ? " " : "", object ? object : "",
            code, msg);
    if (cli->json) {
        json_t *e = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
        if (e && object)
            json_object_set_new(json_object_get(e, "error"), "object", json_string(object));
        out_print_json(e);
    }
    funlockfile(stderr);
}

int cli_fail_rpc(struct cli *cli, const char *object, int err, const struct rpc_status *st)
{
    const char *code = err == ST_EPRECOND ? st_grpc_status_name(st->code) : st_err_status_name(err);
    const char *msg = st->msg[0] ? st->msg : st_strerror(err);
    report(cli, object, code, msg);
    if (err == ST_EPRECOND && st->code == GRPC_STATUS_UNAVAILABLE)
        fprintf(stderr, "%s: is the server at %s running? (--server, STAGE_SERVER, %s)\n", CLI_PROG,
                cli->server, "~/.config/stagectl/server");
    return CLI_EXIT_ERR;
}

int cli_fail(struct cli *cli, const char *object, const char *code, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    report(cli, object, code, msg);
    return CLI_EXIT_ERR;
}

int cli_errno_err(int e)
{
    switch (e) {
    case ENOENT:
        return ST_ENOTFOUND;
    case EACCES:
    case EPERM:
    case EROFS:
        return ST_EPERM;
    case EISDIR:
    case ENOTDIR:
    case ENAMETOOLONG:
    case EINVAL:
        return ST_EINVAL;
    case EEXIST:
        return ST_EEXIST;
    case ENOSPC:
    case EDQUOT:
        return ST_ELIMIT;
    default:
        return ST_EIO;
    }
}
