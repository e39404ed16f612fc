#include "job.h"

#include "err.h"
#include "keys.h"
#include "log.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const kind_names[JOB_KIND_LAST] = {"NONE",   "UPLOAD", "DOWNLOAD",   "LIST",
                                                      "REMOVE", "COPY",   "DROP_STAGE", "STAT"};
static const char *const state_names[JOB_STATE_LAST] = {"NONE",      "QUEUED", "RUNNING",
                                                        "SUCCEEDED", "FAILED", "CANCELLED"};

/* Kinds and states share a shape: value 0 is "NONE", names[v] for 0 < v < n. */
static const char *enum_name(const char *const *names, int n, int v)
{
    return (v > 0 && v < n) ? names[v] : "NONE";
}

static int enum_parse(const char *const *names, int n, const char *s)
{
    for (int v = 1; s && v < n; v++)
        if (strcmp(s, names[v]) == 0)
            return v;
    return 0;
}

const char *job_kind_name(enum job_kind k)
{
    return enum_name(kind_names, JOB_KIND_LAST, (int)k);
}

enum job_kind job_kind_parse(const char *s)
{
    return (enum job_kind)enum_parse(kind_names, JOB_KIND_LAST, s);
}

const char *job_state_name(enum job_state s)
{
    return enum_name(state_names, JOB_STATE_LAST, (int)s);
}

enum job_state job_state_parse(const char *s)
{
    return (enum job_state)enum_parse(state_names, JOB_STATE_LAST, s);
}

bool job_state_terminal(enum job_state s)
{
    return s == JOB_SUCCEEDED || s == JOB_FAILED || s == JOB_CANCELLED;
}

bool job_transition_valid(enum job_state from, enum job_state to)
{
    switch (from) {
    case JOB_QUEUED:
        return to == JOB_RUNNING || to == JOB_FAILED || to == JOB_CANCELLED;
    case JOB_RUNNING:
        return to == JOB_QUEUED || job_state_terminal(to);
    default:
        return false;
    }
}

bool job_park_valid(enum job_state from, enum job_state to)
{
    return from == JOB_RUNNING && to == JOB_QUEUED;
}

int64_t job_resume_offset(const struct job *j)
{
    if (j->kind != JOB_UPLOAD || j->paused_until <= 0 || job_state_terminal(j->state) ||
        j->parts_ready <= 0 || j->part_size <= 0)
        return 0;
    return j->parts_ready * j->part_size;
}

bool job_paused(const struct job *j, int64_t now_ms)
{
    return j->kind == JOB_UPLOAD && !job_state_terminal(j->state) && j->paused_until > 0 &&
           j->paused_until >= now_ms;
}

int64_t job_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int job_new_id(char out[JOB_ID_LEN + 1])
{
    unsigned char rnd[10];
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return ST_EINTERNAL;
    uint64_t ms = (uint64_t)job_now_ms() & 0xffffffffffffULL;
    int n = snprintf(out, JOB_ID_LEN + 1, "%012" PRIx64, ms);
    for (size_t i = 0; i < sizeof(rnd); i++)
        n += snprintf(out + n, (size_t)(JOB_ID_LEN + 1 - n), "%02x", rnd[i]);
    return 0;
}

/* ------------------------------------------------------------ hash codec */

enum ftype { F_STR, F_INT, F_KIND, F_STATE };

struct field {
    const char *name;
    enum ftype type;
    size_t off;
    size_t size; /* F_STR: buffer size */
};

#define S(f)                                                                                       \
    {                                                                                              \
#f, F_STR, offsetof(struct job, f), sizeof(((struct job *)0)->f)                           \
    }
#define I(f)                                                                                       \
    {                                                                                              \
#f, F_INT, offsetof(struct job, f), 0                                                      \
    }

static const struct field fields[] = {
    S(id),
    {"kind", F_KIND, offsetof(struct job, kind), 0},
    {"state", F_STATE, offsetof(struct job, state), 0},
    S(user),
    S(stage),
    S(location),
    S(storage),
    S(storage_conn),
    S(root),
    S(path),
    I(bytes_done),
    I(bytes_total),
    I(files_done),
    I(files_total),
    I(attempts),
    S(error_code),
    S(error_message),
    I(created_at),
    I(started_at),
    I(finished_at),
    S(worker),
    S(frontend),
    I(lease_until),
    I(part_size),
    I(parts_ready),
    I(parts_done),
    I(parts_total),
    I(window),
    I(overwrite),
    I(abort),
    I(dry_run),
    I(page_size),
    I(offset),
    I(length),
    S(pattern),
    S(start_after),
    S(content_type),
    S(sha256),
    S(file_name),
    I(file_size),
    I(file_mtime),
    S(file_etag),
    S(file_md5),
    S(file_sha256),
    S(file_creator),
    S(dst_stage),
    S(dst_location),
    S(dst_storage),
    S(dst_storage_conn),
    S(dst_root),
    S(dst_path),
    I(ckpt_bytes),
    I(quota_bytes),
    I(quota_files),
    I(paused_until),
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

void job_init(struct job *j)
{
    memset(j, 0, sizeof(*j));
    j->parts_total = -1;
}

static void field_set(struct job *j, const struct field *f, const char *v, size_t len)
{
    char *base = (char *)j + f->off;
    char num[32];
    switch (f->type) {
    case F_STR:
        if (len >= f->size)
            len = f->size - 1;
        memcpy(base, v, len);
        base[len] = '\0';
        break;
    case F_INT:
        if (len >= sizeof(num))
            len = sizeof(num) - 1;
        memcpy(num, v, len);
        num[len] = '\0';
        *(int64_t *)(void *)base = strtoll(num, NULL, 10);
        break;
    case F_KIND:
        *(enum job_kind *)(void *)base = job_kind_parse(v);
        break;
    case F_STATE:
        *(enum job_state *)(void *)base = job_state_parse(v);
        break;
    }
}

int job_from_reply(struct job *j, const struct redisReply *r)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements % 2)
        return ST_EINVAL;
    if (r->elements == 0)
        return ST_ENOTFOUND;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            return ST_EINVAL;
        for (size_t f = 0; f < NFIELDS; f++)
            if (strcmp(fields[f].name, k->str) == 0) {
                field_set(j, &fields[f], v->str, v->len);
                break;
            }
    }
    return 0;
}

int job_to_argv(const struct job *j, const char **argv, size_t *lens, int max,
                char scratch[JOB_SCRATCH])
{
    int n = 0;
    size_t used = 0;
    for (size_t f = 0; f < NFIELDS; f++) {
        const char *base = (const char *)j + fields[f].off;
        const char *val;
        switch (fields[f].type) {
        case F_STR:
            val = base;
            if (!*val)
                continue;
            break;
        case F_INT: {
            int w = snprintf(scratch + used, JOB_SCRATCH - used, "%" PRId64,
                             *(const int64_t *)(const void *)base);
            if (w < 0 || used + (size_t)w + 1 > JOB_SCRATCH)
                return ST_ELIMIT;
            val = scratch + used;
            used += (size_t)w + 1;
            break;
        }
        case F_KIND:
            val = job_kind_name(*(const enum job_kind *)(const void *)base);
            break;
        default:
            val = job_state_name(*(const enum job_state *)(const void *)base);
            break;
        }
        if (n + 2 > max)
            return ST_ELIMIT;
        argv[n] = fields[f].name;
        lens[n++] = strlen(fields[f].name);
        argv[n] = val;
        lens[n++] = strlen(val);
    }
    return n;
}

/* ------------------------------------------------------------ state machine */

/* KEYS[1] job hash, KEYS[2] the paused set, KEYS[3] the queue stream.
 * ARGV: id, from ("*" = any non-terminal), to, now_ms, worker, error_code,
 * error_message, retention_s, owner ("" = anyone), park entry ("" = no
 * park), the queue's group, sweep claim ("" = none: the `sweep_claim` a
 * paused-upload sweeper must still hold). Returns 1 changed, 0 wrong
 * state, transition, owner, sweep claim or pause, -1 no such job. A non-empty
 * owner fences a worker that lost its lease: only the job's current `worker`
 * may move it. An error on a change to QUEUED (a retry) is kept as the last
 * error, visible while the job waits. A park (RUNNING -> QUEUED of a paused
 * upload) happens only while `paused_until` still stands, so a resume that
 * cleared it first wins; it files the job in the paused set by its deadline
 * and acknowledges and deletes its stream entry in the same step, so no
 * worker claims it and nothing holds it until a resume re-queues it; it
 * gives back the attempt its run counted (a pause is no failed attempt).
 * The table repeats job_transition_valid() so a
 * concurrent writer cannot slip an invalid transition in between. */
static const char set_state_lua[] =
    "local cur = redis.call('HGET', KEYS[1], 'state')\n"
    "if not cur then return -1 end\n"
    "local term = {SUCCEEDED=1, FAILED=1, CANCELLED=1}\n"
    "if ARGV[2] == '*' then if term[cur] then return 0 end\n"
    "elseif cur ~= ARGV[2] then return 0 end\n"
    "local ok = {QUEUED={RUNNING=1, FAILED=1, CANCELLED=1},\n"
    "            RUNNING={QUEUED=1, SUCCEEDED=1, FAILED=1, CANCELLED=1}}\n"
    "local to = ARGV[3]\n"
    "if not (ok[cur] and ok[cur][to]) then return 0 end\n"
    "if ARGV[9] ~= '' and redis.call('HGET', KEYS[1], 'worker') ~= ARGV[9] then return 0 end\n"
    "if ARGV[12] ~= '' and redis.call('HGET', KEYS[1], 'sweep_claim') ~= ARGV[12] then\n"
    "  return 0\n"
    "end\n"
    "local pu = 0\n"
    "if ARGV[10] ~= '' then\n"
    "  pu = tonumber(redis.call('HGET', KEYS[1], 'paused_until') or '0') or 0\n"
    "  if to ~= 'QUEUED' or pu <= 0 then return 0 end\n"
    "  redis.call('ZADD', KEYS[2], pu, ARGV[1])\n"
    "  redis.call('XACK', KEYS[3], ARGV[11], ARGV[10])\n"
    "  redis.call('XDEL', KEYS[3], ARGV[10])\n"
    "  redis.call('HINCRBY', KEYS[1], 'attempts', -1)\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'state', to)\n"
    "if to == 'RUNNING' then\n"
    "  redis.call('HSET', KEYS[1], 'started_at', ARGV[4], 'worker', ARGV[5])\n"
    "  redis.call('HINCRBY', KEYS[1], 'attempts', 1)\n"
    "end\n"
    "if to == 'QUEUED' and ARGV[6] ~= '' then\n"
    "  redis.call('HSET', KEYS[1], 'error_code', ARGV[6], 'error_message', ARGV[7])\n"
    "end\n"
    "if term[to] then\n"
    "  redis.call('HSET', KEYS[1], 'finished_at', ARGV[4], 'error_code', ARGV[6],\n"
    "             'error_message', ARGV[7])\n"
    "  local lo = tonumber(redis.call('HGET', KEYS[1], 'parts_durable') or\n"
    "                      redis.call('HGET', KEYS[1], 'parts_done') or '0') or 0\n"
    "  local hi = tonumber(redis.call('HGET', KEYS[1], 'parts_ready') or '0') or 0\n"
    "  for n = lo, hi do redis.call('DEL', KEYS[1] .. ':part:' .. n) end\n"
    "  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[8]))\n"
    "  local u = redis.call('HGET', KEYS[1], 'user')\n"
    "  if u then redis.call('SREM', 'st:active:' .. u, ARGV[1]) end\n"
    "end\n"
    "redis.call('PUBLISH', 'st:ev:' .. ARGV[1], to)\n"
    "redis.call('PUBLISH', 'st:wake:' .. ARGV[1], to)\n"
    "local fe = KEYS[1] .. ':fe'\n"
    "redis.call('RPUSH', fe, to)\n"
    "redis.call('LTRIM', fe, -16, -1)\n"
    "redis.call('EXPIRE', fe, 600)\n"
    "return 1\n";

#define NARGV 18

struct set_state_cmd {
    const char *argv[NARGV];
    size_t lens[NARGV];
    char key[KEY_MAX], now[24], ret[24];
    char id[JOB_ID_LEN + 1];
    enum job_state from, to;
};

static int build_cmd(struct set_state_cmd *c, const struct job_change *ch)
{
    enum job_state from = ch->from, to = ch->to;
    const char *id = ch->id;
    if (from != JOB_STATE_NONE && !job_transition_valid(from, to))
        return ST_EINVAL;
    if (to <= JOB_STATE_NONE || to >= JOB_STATE_LAST || !id || strlen(id) > JOB_ID_LEN)
        return ST_EINVAL;
    if (keys_job(c->key, sizeof(c->key), id) < 0)
        return ST_EINVAL;
    snprintf(c->id, sizeof(c->id), "%s", id);
    snprintf(c->now, sizeof(c->now), "%" PRId64, job_now_ms());
    snprintf(c->ret, sizeof(c->ret), "%ld", ch->retention_s > 0 ? ch->retention_s : 1);
    c->from = from;
    c->to = to;
    if (ch->park_entry && (!job_park_valid(from, to) || !*ch->park_entry))
        return ST_EINVAL;
    const char *v[NARGV] = {"EVAL",
                            set_state_lua,
                            "3",
                            c->key,
                            KEY_PAUSED,
                            KEY_QUEUE,
                            id,
                            from == JOB_STATE_NONE ? "*" : job_state_name(from),
                            job_state_name(to),
                            c->now,
                            ch->worker ? ch->worker : "",
                            ch->err ? st_err_status_name(ch->err) : "",
                            ch->msg ? ch->msg : "",
                            c->ret,
                            ch->owner ? ch->owner : "",
                            ch->park_entry ? ch->park_entry : "",
                            KEY_QUEUE_GROUP,
                            ch->sweep_claim ? ch->sweep_claim : ""};
    for (int i = 0; i < NARGV; i++) {
        c->argv[i] = v[i];
        c->lens[i] = strlen(v[i]);
    }
    return 0;
}

static int reply_rc(const redisReply *r)
{
    if (!r || r->type == REDIS_REPLY_ERROR)
        return ST_EUNAVAIL;
    if (r->type != REDIS_REPLY_INTEGER)
        return ST_EINTERNAL;
    return r->integer == 1 ? 0 : r->integer == 0 ? ST_EPRECOND : ST_ENOTFOUND;
}

static void log_change(const struct set_state_cmd *c, int rc, const char *msg)
{
    if (rc == 0)
        log_info("job=%s %s -> %s%s%s", c->id,
                 c->from == JOB_STATE_NONE ? "*" : job_state_name(c->from), job_state_name(c->to),
                 msg && *msg ? ": " : "", msg ? msg : "");
    else
        log_debug("job=%s not changed to %s: %s", c->id, job_state_name(c->to), st_strerror(rc));
}

int job_change(struct redisContext *ctx, const struct job_change *ch)
{
    struct set_state_cmd c;
    int rc = build_cmd(&c, ch);
    if (rc)
        return rc;
    redisReply *r = redisCommandArgv(ctx, NARGV, c.argv, c.lens);
    rc = reply_rc(r);
    if (r)
        freeReplyObject(r);
    log_change(&c, rc, ch->msg);
    return rc;
}

int job_set_state(struct redisContext *ctx, const char *id, enum job_state from, enum job_state to,
                  const char *worker, int err, const char *msg, long retention_s)
{
    struct job_change ch = {.id = id,
                            .from = from,
                            .to = to,
                            .worker = worker,
                            .err = err,
                            .msg = msg,
                            .retention_s = retention_s};
    return job_change(ctx, &ch);
}

struct async_state {
    struct set_state_cmd c;
    job_state_fn *cb;
    void *ud;
    char msg[512];
    char owner[80], worker[80], entry[80];
};

static void async_done(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct async_state *s = privdata;
    int rc = reply_rc(reply);
    log_change(&s->c, rc, s->msg);
    s->cb(rc, s->ud);
    free(s);
}

int job_change_async(struct redisAsyncContext *ac, const struct job_change *ch, job_state_fn *cb,
                     void *ud)
{
    struct async_state *s = calloc(1, sizeof(*s));
    if (!s)
        return ST_ENOMEM;
    snprintf(s->msg, sizeof(s->msg), "%s", ch->msg ? ch->msg : "");
    snprintf(s->owner, sizeof(s->owner), "%s", ch->owner ? ch->owner : "");
    snprintf(s->worker, sizeof(s->worker), "%s", ch->worker ? ch->worker : "");
    struct job_change copy = *ch;
    copy.msg = s->msg;
    copy.owner = s->owner;
    copy.worker = s->worker;
    if (ch->park_entry) {
        snprintf(s->entry, sizeof(s->entry), "%s", ch->park_entry);
        copy.park_entry = s->entry;
    }
    int rc = build_cmd(&s->c, &copy);
    if (rc) {
        free(s);
        return rc;
    }
    s->cb = cb;
    s->ud = ud;
    if (redisAsyncCommandArgv(ac, async_done, s, NARGV, s->c.argv, s->c.lens) != REDIS_OK) {
        free(s);
        return ST_EUNAVAIL;
    }
    return 0;
}

int job_set_state_async(struct redisAsyncContext *ac, const char *id, enum job_state from,
                        enum job_state to, const char *worker, int err, const char *msg,
                        long retention_s, job_state_fn *cb, void *ud)
{
    struct job_change ch = {.id = id,
                            .from = from,
                            .to = to,
                            .worker = worker,
                            .err = err,
                            .msg = msg,
                            .retention_s = retention_s};
    return job_change_async(ac, &ch, cb, ud);
}
