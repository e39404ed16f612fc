/* stagefmt.h - a catalog record as a stage.v1.Stage message (docs/design.md §2
 * columns). The message points into copies the stagefmt owns, so the record
 * may be reused at once. Pure; any thread. */
#ifndef STAGE_FE_STAGEFMT_H
#define STAGE_FE_STAGEFMT_H

#include "stage/v1/stage.pb-c.h"

#include <stddef.h>

struct stage_rec;

struct stagefmt {
    Stage__V1__Stage s;
    Stage__V1__Stage__StorageParamsEntry *e;
    Stage__V1__Stage__StorageParamsEntry **pe;
    char **strs;  /* keys and values, 2 per entry */
    char *own[8]; /* copies of the record's strings */
    size_t n;
};

void stagefmt_init(struct stagefmt *f);

/* Fill f->s from `rec` (storage_params from its masked JSON). 0 or ST_ENOMEM. */
int stagefmt_fill(struct stagefmt *f, const struct stage_rec *rec);

void stagefmt_cleanup(struct stagefmt *f);

#endif
