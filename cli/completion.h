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

/* The subcommands of command `name` in its `usage` text, space-separated
 * into `buf` ("" if it has none). */
void completion_subcommands(const char *usage, const char *name, char *buf, size_t n);

/* The options `usage` names ("--wait -r ..."), space-separated, each once. */
void completion_options(const char *usage, char *buf, size_t n);

/* Write the script; `global_opts`: the global options' getopt table. */
void completion_bash(FILE *out, const struct option *global_opts);

#endif
