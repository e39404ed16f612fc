/* filter.h - the name filter of the commands over a prefix (ls, du, rm,
 * get, cp): --pattern RE, or --include/--exclude GLOB (repeatable; globre.h
 * says how they combine), all sent as the one `pattern` of the RPC.
 * Mixing --pattern with globs is refused: a regex and a glob set combined
 * by this tool would mean something neither flag says. Single-threaded. */
#ifndef STAGECTL_FILTER_H
#define STAGECTL_FILTER_H

#include "cli.h"
#include "globre.h"

#include <stdbool.h>

/* Option values, clear of each command's own (CLI_OPT_FIRST_CMD + small). */
enum { FILTER_OPT_PATTERN = CLI_OPT_FIRST_CMD + 100, FILTER_OPT_INCLUDE, FILTER_OPT_EXCLUDE };
#define FILTER_OPTIONS                                                                             \
    {"pattern", required_argument, NULL, FILTER_OPT_PATTERN},                                      \
        {"include", required_argument, NULL, FILTER_OPT_INCLUDE},                                  \
    {                                                                                              \
        "exclude", required_argument, NULL, FILTER_OPT_EXCLUDE                                     \
    }
#define FILTER_MAX_GLOBS 32

/* The lines of --help for the three options. */
#define FILTER_HELP                                                                                \
    "  --pattern RE      only names matching the PCRE2 pattern RE (anchored;\n"                    \
    "                    matched against the whole path after the location prefix)\n"              \
    "  --include GLOB    only names matching GLOB ('*' and '?' stop at '/', '**'\n"                \
    "                    does not; [a-z], [!a]); repeatable: any of them\n"                        \
    "  --exclude GLOB    not the names matching GLOB; repeatable; not with --pattern\n"

struct filter {
    const char *pattern; /* --pattern */
    const char *inc[FILTER_MAX_GLOBS], *exc[FILTER_MAX_GLOBS];
    size_t ni, ne;
    bool too_many;
    char re[GLOBRE_MAX + 1]; /* the translated globs */
};

/* Record option `c` (with `arg`) if it is one of FILTER_OPTIONS; false if not. */
bool filter_opt(struct filter *f, int c, const char *arg);

/* The pattern to send: NULL (no filter), --pattern's RE, or the globs'
 * translation. 0, or CLI_EXIT_USAGE after the message (--pattern with
 * globs, a bad glob, too many or too long). */
int filter_pattern(struct cli *cli, struct filter *f, const char **pattern);

#endif
