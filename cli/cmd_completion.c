/* cmd_completion.c - stagectl completion bash: print the completion script
 * (completion.h). */
#include "cli.h"
#include "completion.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: stagectl completion bash\n"
    "\n"
    "Print a bash completion script for stagectl: commands, subcommands and\n"
    "options, as the --help texts name them. Load it in the current shell\n"
    "with\n"
    "  source <(stagectl completion bash)\n"
    "or for every shell, e.g.\n"
    "  stagectl completion bash > ~/.local/share/bash-completion/completions/stagectl\n";

static int run(struct cli *cli, int argc, char **argv)
{
    static const struct option globals[] = {
        CLI_GLOBAL_OPTIONS, {"version", no_argument, NULL, CLI_OPT_VERSION}, {NULL, 0, NULL, 0}};
    int c = cli_getopt_global(cli, argc, argv);
    if (c != -1)
        return c;
    if (argc - optind != 1 || strcmp(argv[optind], "bash") != 0)
        return cli_usage(cli, "expected 'bash' (the only shell supported)");
    completion_bash(stdout, globals);
    return CLI_EXIT_OK;
}

const struct cli_cmd cmd_completion = {"completion", run, "print a bash completion script", usage};
