/* completion.h - `stagectl completion bash`: a bash completion script made
 * from the command table (commands.h) and each command's --help text, so
 * that it offers what the help shows and cannot drift from it: the
 * commands; a command's subcommands (the words after "stagectl CMD" on the
 * usage lines, e.g. job get|watch|list); its options (every --long and -x
 * the help names) and the global ones (the getopt table). */
#ifndef STAGECTL_COMPLETION_H
#define STAGECTL_COMPLETION_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

/* Write the script; `global_opts`: the global options' getopt table. */
void completion_bash(FILE *out, const struct option *global_opts);

#endif
