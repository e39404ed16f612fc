/* resume.c - pausing and taking over resumable uploads (see resume.h). */
#include "resume.h"

#include "alive.h"
#include "db.h"
#include "err.h"
#include "job.h"
#include "jobs.h"
#include "keys.h"

#include "stage/v1/stage.pb-c.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fenced by the relaying frontend so that a call that lost the job to a
 * resume (or a job that ended) changes nothing. The part being filled is
 * incomplete: the resumed stream writes it again from its start. */
static const char pause_lua[] =
    "local st = redis.call('HGET', KEYS[1], 'state')\n"
    "if st ~= 'RUNNING' and st ~= 'QUEUED' then return 0 end\n"
    "if redis.call('HGET', KEYS[1], 'frontend') ~= ARGV[1] then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'paused_until', ARGV[2], 'error_message', ARGV[3])\n"
    "redis.call('DEL', KEYS[2])\n"
    "if redis.call('GET', KEYS[3]) == ARGV[4] then redis.call('DEL', KEYS[3]) end\n"
    "return 1\n";

/* Fenced by the paused_until the caller checked: of two resumes one wins.
 * KEYS: the job hash, the paused set, the queue stream; ARGV: paused_until,
 * this frontend, the job id. A job a worker's sweep claimed (`sweeper`: its
 * window passed on the worker's clock) is refused, so a job is either
 * resumed or expired, never both. A parked job (in the paused set: QUEUED,
 * no stream entry, no worker) is queued again in the same step, so that any
 * worker takes it and resumes its writer; a paused job that is still
 * running (or queued) just gets its next part. */
static const char take_lua[] =
    "local st = redis.call('HGET', KEYS[1], 'state')\n"
    "if st ~= 'RUNNING' and st ~= 'QUEUED' then return 0 end\n"
    "if redis.call('HGET', KEYS[1], 'paused_until') ~= ARGV[1] then return 0 end\n"
    "if redis.call('HEXISTS', KEYS[1], 'sweeper') == 1 then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'paused_until', '0', 'frontend', ARGV[2], 'error_message', '')\n"
    "if redis.call('ZREM', KEYS[2], ARGV[3]) == 1 then\n"
    "  redis.call('XADD', KEYS[3], '*', 'job', ARGV[3])\n"
    "end\n"
    "return 1\n";

/* A fenced script's answer: 1 = done, 0 = someone else won (ST_EPRECOND). */
static int flag_of(int rc, redisReply *r)
{
    if (!rc)
        rc = r && r->type == REDIS_REPLY_INTEGER && r->integer == 1 ? 0 : ST_EPRECOND;
    freeReplyObject(r);
    return rc;
}

int resume_pause(struct db *db, const struct job *j, long parts, long long done, int window_s,
                 const char *idem)
{
    char key[KEY_MAX], part[KEY_MAX], ikey[KEY_MAX + 200], until[32], msg[300];
    redisReply *r = NULL;
    if (keys_job(key, sizeof(key), j->id) < 0 ||
        keys_job_part(part, sizeof(part), j->id, parts) < 0)
        return ST_EINVAL;
    /* the key jobs_create_idem() set; "st:idem:" alone never exists */
    snprintf(ikey, sizeof(ikey), "st:idem:%s%s%s", *idem ? j->user : "", *idem ? ":" : "", idem);
    snprintf(until, sizeof(until), "%lld", (long long)(job_now_ms() + (int64_t)window_s * 1000));
    snprintf(msg, sizeof(msg),
             "client went away after %.1f MiB (%lld bytes stored); resume with stagectl put "
             "--resume within %d s",
             (double)done / (1024.0 * 1024.0), (long long)parts * (long long)j->part_size,
             window_s);
    int rc = db_cmd(db, &r, "EVAL", pause_lua, "3", key, part, ikey, j->frontend, until, msg, j->id,
                    NULL);
    return flag_of(rc, r);
}

static int take_check(const struct job *j, const char *user, const Stage__V1__UploadHeader *h,
                      char *err, size_t errlen)
{
    if (strcmp(j->user, user) != 0 || j->kind != JOB_UPLOAD)
        return st_fail(ST_ENOTFOUND, err, errlen, "no upload job '%s'", h->resume_job_id);
    if (job_state_terminal(j->state) || j->paused_until <= 0)
        return st_fail(ST_EPRECOND, err, errlen, "job '%s' is not a paused upload (%s%s%s)", j->id,
                       job_state_name(j->state), j->error_message[0] ? ": " : "", j->error_message);
    if (j->paused_until < job_now_ms())
        return st_fail(ST_EPRECOND, err, errlen,
                       "job '%s': the resume window (upload.resume_window_s) has passed", j->id);
    if (strcmp(j->location, h->location) != 0 || !h->has_size || h->size != j->bytes_total ||
        strcasecmp(j->sha256, h->sha256) != 0)
        return st_fail(ST_EPRECOND, err, errlen,
                       "job '%s' uploads another file: location, size and sha256 must be those "
                       "of the interrupted upload",
                       j->id);
    if (h->resume_offset != job_resume_offset(j))
        return st_fail(ST_EPRECOND, err, errlen, "job '%s' resumes at byte %lld, not %lld", j->id,
                       (long long)job_resume_offset(j), (long long)h->resume_offset);
    return 0;
}

int resume_take(struct db *db, const char *user, const Stage__V1__UploadHeader *h, struct job *j,
                char *err, size_t errlen)
{
    char key[KEY_MAX], until[32];
    if (!*h->resume_job_id || keys_job(key, sizeof(key), h->resume_job_id) < 0)
        return st_fail(ST_ENOTFOUND, err, errlen, "no upload job '%s'", h->resume_job_id);
    int rc = jobs_get(db, h->resume_job_id, j);
    if (rc == ST_ENOTFOUND)
        return st_fail(rc, err, errlen, "no upload job '%s'", h->resume_job_id);
    if (rc)
        return st_fail(rc, err, errlen, "%s", db->err);
    if ((rc = take_check(j, user, h, err, errlen)) != 0)
        return rc;
    snprintf(until, sizeof(until), "%lld", (long long)j->paused_until);
    redisReply *r = NULL;
    rc = db_cmd(db, &r, "EVAL", take_lua, "3", key, KEY_PAUSED, KEY_QUEUE, until, alive_id(), j->id,
                NULL);
    rc = flag_of(rc, r);
    if (rc == ST_EPRECOND)
        return st_fail(rc, err, errlen, "job '%s' was resumed or ended meanwhile", j->id);
    if (rc)
        return st_fail(rc, err, errlen, "%s", db->err);
    snprintf(j->frontend, sizeof(j->frontend), "%s", alive_id());
    j->paused_until = 0;
    return 0;
}
