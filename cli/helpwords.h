/* helpwords.h - the words a command's --help text offers, for the
 * completion script (completion.h): its subcommands (the words after
 * "stagectl CMD" on the usage lines: "job get|watch|list") and its options
 * (every --long and -x the text names). Read off the help so that the
 * completion offers what the help shows. Pure; any thread. */
#ifndef STAGECTL_HELPWORDS_H
#define STAGECTL_HELPWORDS_H

#include <stddef.h>

/* Append word `w` (`len` bytes) to the space-separated list `buf` (n
 * bytes) unless it is there already; a word that does not fit is left out. */
void helpwords_add(char *buf, size_t n, const char *w, size_t len);

/* The subcommands of command `name` in its `usage` text, space-separated
 * into `buf` ("" if it has none). */
void helpwords_subcommands(const char *usage, const char *name, char *buf, size_t n);

/* The options `usage` names ("--wait -r ..."), space-separated, each once. */
void helpwords_options(const char *usage, char *buf, size_t n);

#endif
