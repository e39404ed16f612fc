/* jobs.c - jobs in Redis from the frontend's side (see jobs.h). */
#include "jobs.h"

#include "config.h"
#include "db.h"
#include "err.h"
#include "job.h"
#include "fiber.h"
#include "hub.h"
#include "keys.h"
#include "log.h"
#include "loop.h"
#include "pipe.h"
#include "primary.h"

#include <grpc/status.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define WAIT_MS      1000
#define IDEM_WAIT_MS 2000

static int queue_room(struct db *db, const struct config *cfg, char *err, size_t errlen)
{
    redisReply *r = NULL;
    int rc = db_cmd(db, &r, "XLEN", KEY_QUEUE, NULL);
    if (rc) {
        snprintf(err, errlen, "%s", db->err);
        return rc;
    }
    long long len = db_reply_int(r, 0);
    freeReplyObject(r);
    if (cfg->jobs.max_queue > 0 && len >= cfg->jobs.max_queue) {
        snprintf(err, errlen,
                 "job queue is full: %lld jobs waiting (jobs.max_queue %d), retry later", len,
                 cfg->jobs.max_queue);
        return ST_ELIMIT;
    }
    return 0;
}

/* Count the ids of `ids` (a SMEMBERS reply) whose job has not ended, a chunk
 * of HGETs per round trip; drop the ended ones from the set as we go. */
#define ACTIVE_CHUNK 128
static long long active_chunk(struct db *db, const char *akey, redisReply **ids, size_t n)
{
    redisReply *st[ACTIVE_CHUNK] = {0};
    const char *srem[ACTIVE_CHUNK + 2] = {"SREM", akey};
    size_t at[ACTIVE_CHUNK];
    int queued = 0, nrem = 2;
    long long live = 0;
    for (size_t i = 0; i < n; i++) {
        char key[KEY_MAX];
        if (keys_job(key, sizeof(key), ids[i]->str) < 0)
            continue;
        if (db_append(db, "HGET", key, "state", NULL) != 0)
            break; /* what was queued is still read below */
        at[queued++] = i;
    }
    db_exec_each(db, queued, st); /* a failed reply is NULL: neither counted nor dropped */
    for (int q = 0; q < queued; q++) {
        if (!st[q])
            continue;
        if (st[q]->type == REDIS_REPLY_STRING && !job_state_terminal(job_state_parse(st[q]->str)))
            live++;
        else
            srem[nrem++] = ids[at[q]]->str;
        freeReplyObject(st[q]);
    }
    if (nrem > 2)
        db_cmd_argv(db, NULL, nrem, srem, NULL);
    return live;
}

static long long active_count(struct db *db, const char *akey)
{
    redisReply *m = NULL;
    long long n = 0;
    if (db_cmd(db, &m, "SMEMBERS", akey, NULL) || m->type != REDIS_REPLY_ARRAY) {
        if (m)
            freeReplyObject(m);
        return 0;
    }
    for (size_t i = 0; i < m->elements; i += ACTIVE_CHUNK) {
        size_t k = m->elements - i < ACTIVE_CHUNK ? m->elements - i : ACTIVE_CHUNK;
        n += active_chunk(db, akey, m->element + i, k);
    }
    freeReplyObject(m);
    return n;
}

/* jobs.max_active_per_user: RESOURCE_EXHAUSTED naming it at the limit. The
 * set is only read in full when its size reaches the limit. */
static int user_room(struct db *db, const struct config *cfg, const char *user, char *err,
                     size_t errlen)
{
    char akey[KEY_MAX];
    redisReply *r = NULL;
    int max = cfg->jobs.max_active_per_user;
    if (max <= 0 || keys_user_active(akey, sizeof(akey), user) < 0)
        return 0;
    int rc = db_cmd(db, &r, "SCARD", akey, NULL);
    if (rc)
        return snprintf(err, errlen, "%s", db->err), rc;
    long long n = db_reply_int(r, 0);
    freeReplyObject(r);
    if (n >= max && (n = active_count(db, akey)) >= max) {
        snprintf(err, errlen,
                 "user '%s' has %lld jobs not ended (jobs.max_active_per_user %d): wait for some "
                 "to end, or cancel them",
                 user, n, max);
        return ST_ELIMIT;
    }
    return 0;
}

/* Queue MULTI, HSET, ZADD, XADD, EXEC. */
static int append_create(struct db *db, const struct job *j)
{
    const char *argv[JOB_MAX_ARGS + 2];
    size_t lens[JOB_MAX_ARGS + 2];
    char scratch[JOB_SCRATCH], key[KEY_MAX], ukey[KEY_MAX], akey[KEY_MAX], score[24];
    if (keys_job(key, sizeof(key), j->id) < 0 || keys_user_jobs(ukey, sizeof(ukey), j->user) < 0 ||
        keys_user_active(akey, sizeof(akey), j->user) < 0)
        return ST_EINVAL;
    int n = job_to_argv(j, argv + 2, lens + 2, JOB_MAX_ARGS, scratch);
    if (n < 0)
        return n;
    argv[0] = "HSET";
    lens[0] = 4;
    argv[1] = key;
    lens[1] = strlen(key);
    snprintf(score, sizeof(score), "%" PRId64, j->created_at);
    int rc = db_append(db, "MULTI", NULL);
    if (!rc)
        rc = db_append_argv(db, n + 2, argv, lens);
    if (!rc)
        rc = db_append(db, "ZADD", ukey, score, j->id, NULL);
    if (!rc) /* every user's jobs, for admins' ListJobs */
        rc = db_append(db, "ZADD", KEY_ALL_JOBS, score, j->id, NULL);
    if (!rc)
        rc = db_append(db, "XADD", KEY_QUEUE, "*", "job", j->id, NULL);
    if (!rc) /* until the state script sees it end */
        rc = db_append(db, "SADD", akey, j->id, NULL);
    if (!rc)
        rc = db_append(db, "EXEC", NULL);
    return rc;
}

static int exec_ok(struct db *db, const redisReply *r)
{
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        snprintf(db->err, sizeof(db->err), "redis error: the job transaction was not run");
        return ST_EINTERNAL;
    }
    for (size_t i = 0; i < r->elements; i++)
        if (r->element[i]->type == REDIS_REPLY_ERROR) {
            snprintf(db->err, sizeof(db->err), "redis error: %s", r->element[i]->str);
            return strncmp(r->element[i]->str, "OOM", 3) == 0 ? ST_ELIMIT : ST_EINTERNAL;
        }
    return 0;
}

/* Replication is asynchronous: a job the primary stored and this call
 * acknowledged can be missing on a replica that a failover promotes a moment
 * later. WAIT holds this call (and the commands pipelined behind it on its
 * shared connection) until `n` replicas have the job or wait_timeout_ms
 * passed. When they did not answer in time (the replica is down or far
 * behind), the job is still answered - the primary has it, on disk with AOF -
 * and the next WAITs are skipped for WAIT_BACKOFF_MS, so that a dead replica
 * costs one timeout per few seconds, not one per job. */
#define WAIT_BACKOFF_MS 5000

static void wait_replicas(struct db *db, const struct config *cfg, const char *id)
{
    static _Atomic int64_t skip_until; /* presign relays may create jobs off the loop */
    int n = primary_wait_replicas(cfg);
    int64_t now = job_now_ms();
    if (n <= 0 || now < skip_until)
        return;
    char nbuf[16], ms[16];
    snprintf(nbuf, sizeof(nbuf), "%d", n);
    snprintf(ms, sizeof(ms), "%d", cfg->redis.wait_timeout_ms);
    redisReply *r = NULL;
    int rc = db_cmd(db, &r, "WAIT", nbuf, ms, NULL);
    long long got = rc ? -1 : db_reply_int(r, -1);
    if (r)
        freeReplyObject(r);
    if (got >= n)
        return;
    skip_until = now + WAIT_BACKOFF_MS;
    log_warn("job=%s created but %lld of %d replicas confirmed it within %d ms (%s); a failover "
             "now could lose it; not waiting for replicas for %d s",
             id, got < 0 ? 0 : got, n, cfg->redis.wait_timeout_ms, rc ? st_strerror(rc) : "timeout",
             WAIT_BACKOFF_MS / 1000);
}

int jobs_create(struct db *db, const struct config *cfg, struct job *j, char *err, size_t errlen)
{
    redisReply *r = NULL;
    int rc = queue_room(db, cfg, err, errlen);
    if (!rc)
        rc = user_room(db, cfg, j->user, err, errlen);
    if (rc)
        return rc;
    rc = j->id[0] ? 0 : job_new_id(j->id);
    if (rc) {
        snprintf(err, errlen, "cannot make a job id");
        return rc;
    }
    j->state = JOB_QUEUED;
    j->created_at = job_now_ms();
    j->attempts = 0;
    j->parts_ready = 0;
    j->parts_done = 0;
    rc = append_create(db, j);
    if (!rc)
        rc = db_exec(db, 7, &r);
    if (!rc)
        rc = exec_ok(db, r);
    if (r)
        freeReplyObject(r);
    if (rc)
        snprintf(err, errlen, "%s", db->err);
    else
        wait_replicas(db, cfg, j->id);
    return rc;
}

bool jobs_idem_key_valid(const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)key[i] <= 0x20 || key[i] == 0x7f)
            return false;
    return true;
}

/* The job an idempotency key names. Its creator may still be between its
 * SET NX and the EXEC that stores the job (concurrent calls with one key):
 * wait up to IDEM_WAIT_MS for it before calling it missing. */
static int idem_job(struct db *db, const char *id, struct job *j)
{
    int rc = jobs_get(db, id, j);
    for (int waited = 0; rc == ST_ENOTFOUND && waited < IDEM_WAIT_MS; waited += 20) {
        loop_sleep_ms(20);
        rc = jobs_get(db, id, j);
    }
    return rc;
}

int jobs_create_idem(struct db *db, const struct config *cfg, struct job *j, const char *idem,
                     bool *existing, char *err, size_t errlen)
{
    char key[KEY_MAX + 200], ttl[24];
    redisReply *r = NULL;
    *existing = false;
    if (!idem || !*idem)
        return jobs_create(db, cfg, j, err, errlen);
    if (!jobs_idem_key_valid(idem)) {
        snprintf(err, errlen,
                 "idempotency_key must be 1 to 128 printable characters without spaces");
        return ST_EINVAL;
    }
    snprintf(key, sizeof(key), "st:idem:%s:%s", j->user, idem);
    snprintf(ttl, sizeof(ttl), "%d", cfg->jobs.retention_s);
    if (job_new_id(j->id)) {
        snprintf(err, errlen, "cannot make a job id");
        return ST_EINTERNAL;
    }
    int rc = db_cmd(db, &r, "SET", key, j->id, "NX", "EX", ttl, "GET", NULL);
    if (rc) {
        snprintf(err, errlen, "%s", db->err);
        return rc;
    }
    if (r->type == REDIS_REPLY_STRING && r->len == JOB_ID_LEN) { /* the key's first job */
        char id[JOB_ID_LEN + 1];
        snprintf(id, sizeof(id), "%s", r->str);
        freeReplyObject(r);
        rc = idem_job(db, id, j);
        if (rc == 0) {
            *existing = true;
            return 0;
        }
        if (rc != ST_ENOTFOUND) {
            snprintf(err, errlen, "%s", db->err);
            return rc;
        }
        /* its creator failed (or the job expired first): a new request */
        if (job_new_id(j->id) || db_cmd(db, NULL, "SET", key, j->id, "EX", ttl, NULL)) {
            snprintf(err, errlen, "cannot record idempotency key '%s'", idem);
            return ST_EUNAVAIL;
        }
    } else {
        freeReplyObject(r);
    }
    rc = jobs_create(db, cfg, j, err, errlen);
    if (rc)
        db_cmd(db, NULL, "DEL", key, NULL); /* nothing was queued: free the key */
    return rc;
}

int jobs_from_reply(struct db *db, const char *id, const struct redisReply *r, struct job *j)
{
    struct job tmp; /* `j` is left alone on failure; `id` may point into it */
    job_init(&tmp);
    int rc = job_from_reply(&tmp, r);
    if (rc == ST_EINVAL) {
        snprintf(db->err, sizeof(db->err), "job %.64s: the hash is malformed", id);
        rc = ST_EINTERNAL;
    }
    if (!rc)
        *j = tmp;
    return rc;
}

int jobs_get(struct db *db, const char *id, struct job *j)
{
    char key[KEY_MAX];
    redisReply *r = NULL;
    if (!*id || keys_job(key, sizeof(key), id) < 0)
        return ST_ENOTFOUND;
    int rc = db_cmd(db, &r, "HGETALL", key, NULL);
    if (rc)
        return rc;
    rc = jobs_from_reply(db, id, r, j);
    freeReplyObject(r);
    return rc;
}

int jobs_wait(struct db *db, const char *id)
{
    char key[KEY_MAX];
    if (fiber_current()) { /* an event on st:ev:<id>, or the poll interval */
        hub_wait(&db->sub, id, WAIT_MS);
        return 0;
    }
    if (keys_job_fe(key, sizeof(key), id) < 0)
        return ST_EINVAL;
    return db_cmd_blocking(db, NULL, WAIT_MS, "BLPOP", key, "1", NULL);
}

int jobs_wake(struct db *db, const char *id)
{
    char ch[KEY_MAX];
    if (keys_job_wake(ch, sizeof(ch), id) < 0)
        return ST_EINVAL;
    return db_cmd(db, NULL, "PUBLISH", ch, "x", NULL);
}

int jobs_part_done(struct db *db, const char *id, long n)
{
    struct pipe_cmds p;
    int rc = pipe_done(&p, id, n);
    return rc ? rc : db_send_pipe(db, &p);
}

int jobs_drop_parts(struct db *db, const char *id, long from, long to)
{
    char key[KEY_MAX];
    int n = 0, rc = 0;
    for (long i = from < 0 ? 0 : from; i <= to && !rc; i++, n++) {
        keys_job_part(key, sizeof(key), id, i);
        rc = db_append(db, "DEL", key, NULL);
    }
    if (!rc && n > 0)
        rc = db_exec(db, n, NULL);
    return rc;
}

int jobs_fail(struct db *db, const struct config *cfg, const char *id, int err, const char *msg,
              bool set_abort)
{
    char key[KEY_MAX];
    if (!*id || keys_job(key, sizeof(key), id) < 0)
        return ST_EINVAL;
    /* The state first: a worker that saw `abort` before it would end the
     * job with its own message ("the client went away") instead of `msg`.
     * A client that cancelled its call (Ctrl-C) ended the job as CancelJob
     * does: CANCELLED, not FAILED. */
    enum job_state to = err == ST_ECANCELLED ? JOB_CANCELLED : JOB_FAILED;
    int rc = db_set_state(db, id, JOB_STATE_NONE, to, err, msg, cfg->jobs.retention_s);
    if (set_abort && rc == 0) /* belt and braces for a worker between reads */
        db_cmd(db, NULL, "HSET", key, "abort", "1", NULL);
    return rc;
}

int jobs_status(const struct job *j, char *msg, size_t n)
{
    int code;
    switch (j->state) {
    case JOB_SUCCEEDED:
        snprintf(msg, n, "%s", "");
        return GRPC_STATUS_OK;
    case JOB_CANCELLED:
        snprintf(msg, n, "job '%s' was cancelled", j->id);
        return GRPC_STATUS_CANCELLED;
    case JOB_FAILED:
        code = st_grpc_status_from_name(j->error_code);
        if (code <= 0)
            code = GRPC_STATUS_INTERNAL;
        if (j->error_message[0])
            snprintf(msg, n, "%s", j->error_message);
        else
            snprintf(msg, n, "job '%s' failed", j->id);
        return code;
    default:
        snprintf(msg, n, "job '%s' has not ended", j->id);
        return GRPC_STATUS_INTERNAL;
    }
}

void jobs_to_proto(const struct job *j, Stage__V1__Job *out)
{
    out->id = (char *)j->id;
    out->kind = (Stage__V1__JobKind)j->kind;
    out->state = (Stage__V1__JobState)j->state;
    out->user = (char *)j->user;
    out->stage = (char *)j->stage;
    out->location = (char *)j->location;
    out->bytes_done = j->bytes_done;
    out->bytes_total = j->bytes_total;
    out->files_done = j->files_done;
    out->files_total = j->files_total;
    out->attempts = (int32_t)j->attempts;
    out->error_code = (char *)j->error_code;
    out->error_message = (char *)j->error_message;
    out->created_at = j->created_at;
    out->started_at = j->started_at;
    out->finished_at = j->finished_at;
    out->worker = (char *)j->worker;
    if (j->paused_until > 0 && !job_state_terminal(j->state)) {
        out->resume_offset = job_resume_offset(j);
        out->resume_until = j->paused_until;
    }
}

void jobs_file_info(const struct job *j, Stage__V1__FileInfo *out)
{
    out->name = (char *)(j->file_name[0] ? j->file_name : j->path);
    out->size = j->file_size;
    out->md5 = (char *)j->file_md5;
    out->sha256 = (char *)j->file_sha256;
    out->creator = (char *)j->file_creator;
    out->etag = (char *)j->file_etag;
    out->last_modified = j->file_mtime;
}
