/* rmbatch.h - remove exactly the named files of one stage, many at a time:
 * names are gathered into an anchored alternation of escaped names
 * (rmloc_alt_add), one RemoveFiles job per RMLOC_PATTERN_MAX bytes of
 * pattern, each waited for. What `mv` removes after its copy and what
 * `sync --delete` removes from a stage. Single-threaded (the command's
 * connection). */
#ifndef STAGECTL_RMBATCH_H
#define STAGECTL_RMBATCH_H

#include "cli.h"
#include "rmloc.h"

#include <stdint.h>

struct rmbatch {
    struct cli *cli;
    const char *object;              /* what errors are reported about */
    char root[160];                  /* "@stage/": the names are below it */
    char pat[RMLOC_PATTERN_MAX + 1]; /* the batch not yet removed */
    int64_t removed;                 /* files the jobs so far removed */
};

/* Start a batch for the stage of location `loc` ("@st/dir/x" -> "@st/").
 * 0, or ST_ELIMIT if the stage name is too long. */
int rmbatch_init(struct rmbatch *b, struct cli *cli, const char *loc, const char *object);

/* Add `name` (the path in the stage, as ListFiles and job results give it),
 * removing the batch first when it is full. 0; an exit code when that
 * removal failed (reported); ST_ELIMIT when `name` alone is too long for a
 * pattern (not reported: the caller says what that means). */
int rmbatch_add(struct rmbatch *b, const char *name);

/* Remove what is gathered (nothing if empty) and wait for it. 0 or an exit
 * code (reported). */
int rmbatch_flush(struct rmbatch *b);

#endif
