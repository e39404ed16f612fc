/* main.c - stagectl: global options and command dispatch (DESIGN §8). */
#include "cli.h"
#include "creds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_cmd *const commands[] = {
    &cmd_login, &cmd_put, &cmd_get, &cmd_ls, &cmd_rm, &cmd_stat, &cmd_job,
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
    fprintf(f,
            "usage: %s [--server HOST:PORT] [--json] COMMAND [ARGS]\n"
            "\n"
            "The command-line client of the stage service (Databend-style stages over gRPC).\n"
            "\n"
            "commands:\n",
            CLI_PROG);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-7s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f,
            "\n"
            "global options (also accepted after the command):\n"
            "  --server HOST:PORT  the frontend; default $STAGE_SERVER, else the server of\n"
            "                      the last login (~/.config/stagectl/server), else %s\n"
            "  --json              one JSON document per result on stdout\n"
            "  -h, --help          this help; 'stagectl COMMAND --help' for a command\n"
            "\n"
            "credentials, first found: STAGE_TOKEN; STAGE_USER + STAGE_PASSWORD;\n"
            "the token saved by 'stagectl login' (~/.config/stagectl/token).\n"
            "exit codes: 0 ok, 1 error, 2 usage.\n",
            CLI_DEFAULT_SERVER);
}

static const struct cli_cmd *find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

/* Global options before the command; returns -1 to go on, or an exit code. */
static int parse_global(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
        if (c == CLI_OPT_SERVER) {
            cli->server = optarg;
        } else if (c == CLI_OPT_JSON) {
            cli->json = true;
        } else if (c == 'h' || c == CLI_OPT_HELP) {
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

int main(int argc, char **argv)
{
    struct cli cli;
    memset(&cli, 0, sizeof(cli));
    static char saved[256];
    const char *env = getenv("STAGE_SERVER");
    cli.server = env && *env                                    ? env
                 : creds_read_server(saved, sizeof(saved)) == 0 ? saved
                                                                : CLI_DEFAULT_SERVER;
    opterr = 0;
    int rc = parse_global(&cli, argc, argv);
    if (rc >= 0)
        return rc;
    if (optind >= argc) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    cli.cmd = find(argv[optind]);
    if (!cli.cmd) {
        fprintf(stderr, "%s: unknown command '%s'\n", CLI_PROG, argv[optind]);
        usage(stderr);
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
