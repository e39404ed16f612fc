/* filter.c - see filter.h. */
#include "filter.h"

#include "err.h"

bool filter_opt(struct filter *f, int c, const char *arg)
{
    if (c == FILTER_OPT_PATTERN)
        f->pattern = arg;
    else if (c == FILTER_OPT_INCLUDE && f->ni < FILTER_MAX_GLOBS)
        f->inc[f->ni++] = arg;
    else if (c == FILTER_OPT_EXCLUDE && f->ne < FILTER_MAX_GLOBS)
        f->exc[f->ne++] = arg;
    else if (c == FILTER_OPT_INCLUDE || c == FILTER_OPT_EXCLUDE)
        f->too_many = true;
    else
        return false;
    return true;
}

int filter_pattern(struct cli *cli, struct filter *f, const char **pattern)
{
    char err[256] = "";
    *pattern = f->pattern;
    if (!f->ni && !f->ne && !f->too_many)
        return 0;
    if (f->pattern)
        return cli_usage(cli, "--pattern and --include/--exclude do not combine: use one or the "
                              "other");
    if (f->too_many)
        return cli_usage(cli, "at most %d --include and %d --exclude", FILTER_MAX_GLOBS,
                         FILTER_MAX_GLOBS);
    if (globre_build(f->inc, f->ni, f->exc, f->ne, f->re, sizeof(f->re), err, sizeof(err)) != 0)
        return cli_usage(cli, "%s", err);
    *pattern = f->re;
    return 0;
}
