/* main.c - stagectl: global options and command dispatch (docs/design.md §8). */
#include "cli.h"
#include "commands.h"
#include "creds.h"
#include "memtune.h"
#include "stage_commit.h" /* generated at build time: STAGE_COMMIT */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: %s [--server HOST:PORT] [--profile NAME] [--json] [-q] COMMAND [ARGS]\n"
            "\n"
            "The command-line client of the stage service (Databend-style stages over gRPC).\n"
            "\n"
            "commands:\n",
            CLI_PROG);
    for (size_t i = 0; i < commands_count; i++)
        fprintf(f, "  %-10s %s\n", commands_all[i]->name, commands_all[i]->summary);
    fprintf(f,
            "\n"
            "global options (also accepted after the command):\n"
            "  --server HOST:PORT  the frontend; default $STAGE_SERVER, else the server of\n"
            "                      the profile (the last login: ~/.config/stagectl/server),\n"
            "                      else %s\n"
            "  --profile NAME      the saved session to use ($STAGECTL_PROFILE): each\n"
            "                      'stagectl login USER' keeps one per user and server,\n"
            "                      named USER@SERVER ('--profile USER' finds it), and\n"
            "                      the last login is the default profile\n"
            "  --token TOKEN       the bearer token to send (visible in ps: prefer\n"
            "                      STAGE_TOKEN or 'stagectl login')\n"
            "  --tls               TLS to the frontend, checked against the system's CAs\n"
            "  --ca FILE           ... against this CA instead (PEM; implies --tls)\n"
            "  --cert FILE --key FILE  this client's certificate for mTLS (PEM)\n"
            "  --json              machine-readable output on stdout: one JSON document\n"
            "                      per command, or one JSON object per line for streams\n"
            "                      (ls, job watch, job results, put/get of several files)\n"
            "  -q, --quiet         no progress bars or informational lines: only errors\n"
            "                      and the output asked for (ls still lists)\n"
            "  -h, --help          this help; 'stagectl COMMAND --help' for a command\n"
            "  --version           the version and commit of this stagectl\n"
            "\n"
            "settings, first found: flags; the environment (STAGE_SERVER, STAGE_TOKEN,\n"
            "STAGE_USER + STAGE_PASSWORD, STAGE_TLS=1, STAGE_TLS_CA, STAGE_TLS_CERT,\n"
            "STAGE_TLS_KEY, STAGECTL_PROFILE); the files of 'stagectl login' in\n"
            "~/.config/stagectl/ ($XDG_CONFIG_HOME/stagectl/): server, token (mode 0600),\n"
            "and profiles/NAME/server, profiles/NAME/token for each profile.\n"
            "\n"
            "errors: one line on stderr, 'stagectl CMD OBJECT: STATUS: message', where\n"
            "STATUS is the gRPC status name (NOT_FOUND, PERMISSION_DENIED, ...). With\n"
            "--json the error is also printed on stdout as one JSON object:\n"
            "  {\"error\": {\"code\": \"NOT_FOUND\", \"message\": \"...\", \"object\": \"@~/a\"}}\n"
            "exit codes: 0 ok, 1 error, 2 usage (bad command, option or argument).\n",
            CLI_DEFAULT_SERVER);
}

/* Global options before the command; returns -1 to go on, or an exit code. */
static int parse_global(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_GLOBAL_OPTIONS, {"version", no_argument, NULL, CLI_OPT_VERSION}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "+:hq", opts, NULL)) != -1) {
        if (cli_global_opt(cli, c, optarg))
            continue;
        if (c == CLI_OPT_VERSION) {
            printf("%s %s (commit %s)\n", CLI_PROG, STAGE_VERSION, STAGE_COMMIT);
            return CLI_EXIT_OK;
        }
        if (c == 'h' || c == CLI_OPT_HELP) {
            usage(stdout);
            return CLI_EXIT_OK;
        } else {
            fprintf(stderr, "%s: %s '%s'\n", CLI_PROG,
                    c == ':' ? "missing value for option" : "unknown option", argv[optind - 1]);
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    return -1;
}

static void tls_from_env(struct cli *cli)
{
    const char *on = getenv("STAGE_TLS"), *ca = getenv("STAGE_TLS_CA");
    const char *cert = getenv("STAGE_TLS_CERT"), *key = getenv("STAGE_TLS_KEY");
    cli->ca = ca && *ca ? ca : NULL;
    cli->cert = cert && *cert ? cert : NULL;
    cli->key = key && *key ? key : NULL;
    cli->tls = (on && (strcmp(on, "1") == 0 || strcasecmp(on, "true") == 0)) || cli->ca ||
               cli->cert || cli->key;
}

int main(int argc, char **argv)
{
    memtune_init(MEMTUNE_RELAY); /* `get -` and `put -` relay 1 MiB messages */
    struct cli cli;
    memset(&cli, 0, sizeof(cli));
    const char *env = getenv("STAGE_SERVER"), *prof = getenv("STAGECTL_PROFILE");
    cli.server = env && *env ? env : NULL; /* else the profile's: cli_resolve */
    cli.profile = prof && *prof ? prof : NULL;
    tls_from_env(&cli);
    opterr = 0;
    int rc = parse_global(&cli, argc, argv);
    if (rc >= 0)
        return rc;
    if (optind >= argc) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    cli.cmd = commands_find(argv[optind]);
    if (!cli.cmd) {
        const char *near = commands_closest(argv[optind]);
        fprintf(stderr, "%s: unknown command '%s'%s%s%s\ntry '%s --help' for the commands\n",
                CLI_PROG, argv[optind], near ? "; did you mean '" : "", near ? near : "",
                near ? "'?" : "", CLI_PROG);
        return CLI_EXIT_USAGE;
    }
    rpc_global_init();
    int cargc = argc - optind;
    char **cargv = argv + optind;
    optind = 0; /* GNU getopt: start over on the command's arguments */
    rc = cli.cmd->run(&cli, cargc, cargv);
    if (cli.connected)
        rpc_conn_cleanup(&cli.conn);
    rpc_global_cleanup();
    fflush(stdout);
    return rc;
}
