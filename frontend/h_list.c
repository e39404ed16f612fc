/* h_list.c - ListFiles (server stream): a LIST job whose worker writes each
 * page as one packed ListFilesResponse part; this handler relays the parts
 * as they are, in order, and consumes them like a download. */
#include "alive.h"
#include "authz.h"
#include "call.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "handlers.h"
#include "job.h"
#include "jobs.h"
#include "keys.h"
#include "location.h"
#include "pattern.h"
#include "stage.h"
#include "xfer.h"

#include "stage/v1/stage.pb-c.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>

#define ANSWERED          1
#define PAGE_SIZE_DEFAULT 1000
#define PAGE_SIZE_MAX     10000

static int list_create(struct call *c, const Stage__V1__ListFilesRequest *req, struct job *j)
{
    char err[400];
    job_init(j);
    j->kind = JOB_LIST;
    snprintf(j->user, sizeof(j->user), "%s", c->user);
    snprintf(c->location, sizeof(c->location), "%s", req->location);
    int rc = stage_locate(c, req->location, false, AUTHZ_READ, j, err, sizeof(err));
    if (!rc)
        rc = pattern_check(req->pattern, err, sizeof(err));
    if (!rc && req->start_after[0])
        rc = location_path_check(req->start_after, false, err, sizeof(err));
    if (!rc && req->page_size < 0) {
        rc = ST_EINVAL;
        snprintf(err, sizeof(err), "page_size %d is negative", req->page_size);
    }
    if (rc)
        return call_fail(c, rc, "%s", err), ANSWERED;
    j->page_size = req->page_size == 0              ? PAGE_SIZE_DEFAULT
                   : req->page_size > PAGE_SIZE_MAX ? PAGE_SIZE_MAX
                                                    : req->page_size;
    snprintf(j->pattern, sizeof(j->pattern), "%s", req->pattern);
    snprintf(j->start_after, sizeof(j->start_after), "%s", req->start_after);
    j->part_size = c->cfg->upload.part_size;
    j->window = c->cfg->upload.window;
    snprintf(j->frontend, sizeof(j->frontend), "%s", alive_id()); /* relays the parts */
    rc = jobs_create(c->db, c->cfg, j, err, sizeof(err));
    if (rc)
        return call_fail(c, rc, "%s", err), ANSWERED;
    snprintf(c->job, sizeof(c->job), "%s", j->id);
    return 0;
}

static int send_page(struct call *c, const struct job *j, long n)
{
    char key[KEY_MAX];
    redisReply *r = NULL;
    keys_job_part(key, sizeof(key), j->id, n);
    int rc = db_cmd(c->db, &r, "GET", key, NULL);
    if (rc)
        return rc;
    if (r->type != REDIS_REPLY_STRING) {
        snprintf(c->db->err, sizeof(c->db->err), "page %ld of job '%s' is missing", n, j->id);
        rc = ST_EINTERNAL;
    } else {
        rc = call_send_raw(c, r->str, r->len);
        c->bytes += (int64_t)r->len;
    }
    freeReplyObject(r);
    return rc;
}

static int list_relay(struct call *c, struct job *j)
{
    int rc = 0;
    for (long n = 0; !rc; n++) {
        rc = xfer_wait(c, j, xfer_part_ready, n);
        if (rc || (j->parts_total >= 0 && n >= j->parts_total))
            break;
        rc = send_page(c, j, n);
        if (!rc)
            rc = jobs_part_done(c->db, j->id, n);
    }
    return rc;
}

void h_list(struct call *c)
{
    Stage__V1__ListFilesRequest *req;
    struct job j;
    if (call_read_request(c, &stage__v1__list_files_request__descriptor, &req))
        return;
    int rc = list_create(c, req, &j);
    protobuf_c_message_free_unpacked(&req->base, NULL);
    if (rc)
        return;
    rc = list_relay(c, &j);
    xfer_finish(c, &j, rc);
}
