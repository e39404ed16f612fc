/* commands.c - the command table, finding a command, "did you mean" (see commands.h). */
#include "commands.h"

#include <string.h>

const struct cli_cmd *const commands_all[] = {
    &cmd_login, &cmd_put,   &cmd_get,    &cmd_cat,    &cmd_ls,      &cmd_du,         &cmd_rm,
    &cmd_cp,    &cmd_mv,    &cmd_sync,   &cmd_stat,   &cmd_presign, &cmd_job,        &cmd_user,
    &cmd_stage, &cmd_grant, &cmd_revoke, &cmd_grants, &cmd_whoami,  &cmd_completion,
};
const size_t commands_count = sizeof(commands_all) / sizeof(commands_all[0]);

const struct cli_cmd *commands_find(const char *name)
{
    if (strcmp(name, "list") == 0) /* files use ls; stages and users take both */
        name = "ls";
    for (size_t i = 0; i < commands_count; i++)
        if (strcmp(commands_all[i]->name, name) == 0)
            return commands_all[i];
    return NULL;
}

/* Edit distance (insertions, deletions, substitutions, adjacent swaps) of
 * two short words, for "did you mean". */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), d[20][20];
    if (la >= 20 || lb >= 20)
        return 99;
    for (size_t i = 0; i <= la; i++)
        for (size_t j = 0; j <= lb; j++) {
            if (!i || !j) {
                d[i][j] = i + j;
                continue;
            }
            size_t v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[la][lb];
}

const char *commands_closest(const char *name)
{
    const char *best = NULL;
    size_t bd = 3; /* two edits at most */
    for (size_t i = 0; i < commands_count; i++) {
        size_t dd = distance(name, commands_all[i]->name);
        if (dd < bd)
            bd = dd, best = commands_all[i]->name;
    }
    return best;
}
