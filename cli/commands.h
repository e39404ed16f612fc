/* commands.h - stagectl's command table: what the global help lists, what
 * main dispatches to, what "did you mean" and the completion script offer.
 * One table, so that none of them can drift from the others. */
#ifndef STAGECTL_COMMANDS_H
#define STAGECTL_COMMANDS_H

#include "cli.h"

#include <stddef.h>

extern const struct cli_cmd *const commands_all[];
extern const size_t commands_count;

/* The command called `name` ("list" is ls), or NULL. */
const struct cli_cmd *commands_find(const char *name);

/* The command within two edits of `name`, or NULL. */
const char *commands_closest(const char *name);

#endif
