/* rmbatch.c - see rmbatch.h. */
#include "rmbatch.h"

#include "admin.h"
#include "err.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <string.h>

int rmbatch_init(struct rmbatch *b, struct cli *cli, const char *loc, const char *object)
{
    size_t sl = strcspn(loc, "/");
    memset(b, 0, sizeof(*b));
    b->cli = cli;
    b->object = object;
    if (sl + 2 > sizeof(b->root))
        return ST_ELIMIT;
    snprintf(b->root, sizeof(b->root), "%.*s/", (int)sl, loc);
    return 0;
}

int rmbatch_flush(struct rmbatch *b)
{
    Stage__V1__RemoveFilesRequest req = STAGE__V1__REMOVE_FILES_REQUEST__INIT;
    Stage__V1__RemoveFilesResponse *resp = NULL;
    int64_t done = 0;
    if (!b->pat[0])
        return 0;
    req.location = b->root;
    req.pattern = b->pat;
    int rc =
        admin_call(b->cli, "RemoveFiles", &req.base, &stage__v1__remove_files_response__descriptor,
                   b->object, (ProtobufCMessage **)&resp);
    if (rc)
        return rc;
    rc = resp->job ? admin_job_wait(b->cli, resp->job->id, b->object, &done)
                   : cli_fail(b->cli, b->object, "INTERNAL", "the server returned no job");
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    b->removed += done;
    b->pat[0] = '\0';
    return rc;
}

int rmbatch_add(struct rmbatch *b, const char *name)
{
    if (rmloc_alt_add(b->pat, sizeof(b->pat), name) == 0)
        return 0;
    int rc = rmbatch_flush(b); /* full: remove this batch, start the next with the name */
    if (rc)
        return rc;
    return rmloc_alt_add(b->pat, sizeof(b->pat), name) == 0 ? 0 : ST_ELIMIT;
}
