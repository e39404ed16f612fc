/* job.h - the job model: kinds, the state machine, the Redis job hash.
 *
 * A job lives in the Redis hash st:job:<id> (fields: docs/redis.md). Its
 * state changes only through job_set_state() / job_set_state_async(), which
 * run one Lua script: it checks the transition atomically, stamps the time,
 * drops data parts on a terminal state, publishes the change on st:ev:<id>,
 * wakes the worker (st:wake:<id>) and the frontend (st:job:<id>:fe) and logs
 * "job=<id> QUEUED -> RUNNING".
 *
 *   QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED
 *   QUEUED -> FAILED | CANCELLED        (refused or cancelled before a worker took it)
 *   RUNNING -> QUEUED                   (retry, reclaim, or the park of a paused upload)
 *
 * Enum values equal the stage.v1 proto enums. Everything but the two
 * set_state functions is pure and thread-safe. */
#ifndef STAGE_JOB_H
#define STAGE_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct redisContext;
struct redisAsyncContext;
struct redisReply;

enum job_kind {
    JOB_KIND_NONE = 0,
    JOB_UPLOAD = 1,     /* frontend -> parts in Redis -> worker -> backend */
    JOB_DOWNLOAD = 2,   /* backend -> worker -> parts in Redis -> frontend */
    JOB_LIST = 3,       /* worker writes packed ListFilesResponse pages as parts */
    JOB_REMOVE = 4,     /* worker deletes matching files */
    JOB_COPY = 5,       /* worker copies matching files to the dst_* place */
    JOB_DROP_STAGE = 6, /* worker deletes every file of a stage */
    JOB_STAT = 7,       /* worker fills the file_* fields */
    JOB_KIND_LAST
};

enum job_state {
    JOB_STATE_NONE = 0,
    JOB_QUEUED = 1,    /* in the stream, no worker runs it */
    JOB_RUNNING = 2,   /* a worker owns it */
    JOB_SUCCEEDED = 3, /* terminal: done */
    JOB_FAILED = 4,    /* terminal: error_code/error_message say why */
    JOB_CANCELLED = 5, /* terminal: CancelJob */
    JOB_STATE_LAST
};

#define JOB_ID_LEN 32 /* hex chars: 48-bit ms time + 80 random bits */

/* A job hash, decoded. Strings are NUL-terminated and truncated to fit. */
struct job {
    char id[JOB_ID_LEN + 1];
    enum job_kind kind;
    enum job_state state;
    char user[72];
    char stage[72];      /* "~" for the user stage */
    char location[1100]; /* as the client wrote it: "@~/dir/f.csv" */
    /* an external stage's URL ("fs:///dir/", "s3://b/p/"); "" = the configured storage */
    char storage[1100];
    /* its connection options, sealed (storspec_seal()); "" = none */
    char storage_conn[16384];
    char root[1100]; /* backend key prefix of the stage: "stage/user/root/" */
    char path[1100]; /* key relative to root: "dir/f.csv" (a prefix for LIST/REMOVE) */
    int64_t bytes_done, bytes_total, files_done, files_total;
    int64_t attempts;
    char error_code[32]; /* gRPC status name, "" when none */
    char error_message[512];
    int64_t created_at, started_at, finished_at; /* Unix ms, 0 = not yet */
    char worker[72];
    char frontend[96];   /* UPLOAD, DOWNLOAD, LIST: the frontend relaying the parts (st:fe:<id>) */
    int64_t lease_until; /* Unix ms: the owner renews it while it runs the job */
    /* the part pipe (docs/redis.md "Data in flight") */
    int64_t part_size, parts_ready, parts_done;
    int64_t parts_total; /* -1 until the producer knows it */
    int64_t window;
    /* request parameters */
    int64_t overwrite, abort, dry_run, page_size;
    int64_t offset, length;
    char pattern[1100];
    char start_after[1100];
    char content_type[128];
    char sha256[72];
    /* results of STAT and DOWNLOAD */
    char file_name[1100];
    int64_t file_size, file_mtime;
    char file_etag[72];
    char file_md5[40];
    char file_sha256[72];
    char file_creator[72];
    /* COPY: the target, filled like stage, location, storage, storage_conn,
     * root and path are for the source (dst_path ending in '/' or "": a
     * directory); ckpt_bytes is bytes_done at the last finished file, whose
     * name relative to the source root is kept in start_after (resume) */
    char dst_stage[72];
    char dst_location[1100];
    char dst_storage[1100];
    char dst_storage_conn[16384];
    char dst_root[1100];
    char dst_path[1100];
    int64_t ckpt_bytes;
    /* the quota of the stage the job writes into (UPLOAD: stage; COPY:
     * dst_stage), as the frontend resolved it at creation; 0 = none */
    int64_t quota_bytes, quota_files;
    /* UPLOAD: the resumable client went away; the job waits for `put
     * --resume` until this Unix ms time (0 = not paused; docs/jobs.md) */
    int64_t paused_until;
};

const char *job_kind_name(enum job_kind k);    /* "UPLOAD"; "NONE" if invalid */
enum job_kind job_kind_parse(const char *s);   /* JOB_KIND_NONE if unknown */
const char *job_state_name(enum job_state s);  /* "QUEUED"; "NONE" if invalid */
enum job_state job_state_parse(const char *s); /* JOB_STATE_NONE if unknown */
bool job_state_terminal(enum job_state s);
bool job_transition_valid(enum job_state from, enum job_state to);
/* A park (job_change with park_entry: a paused upload leaves its worker) is
 * RUNNING -> QUEUED only. */
bool job_park_valid(enum job_state from, enum job_state to);

/* Where a paused resumable upload continues: the bytes of its complete
 * parts in Redis or stored (parts_ready * part_size); 0 unless `j` is a
 * non-terminal UPLOAD with paused_until set. */
int64_t job_resume_offset(const struct job *j);

/* Whether `j` is an upload paused within its resume window at `now_ms`
 * (Unix ms): a non-terminal UPLOAD whose paused_until has not passed. */
bool job_paused(const struct job *j, int64_t now_ms);

/* A fresh job id: JOB_ID_LEN hex chars, time-ordered, from OpenSSL's RNG.
 * Returns 0 or ST_EINTERNAL if the RNG failed. */
int job_new_id(char out[JOB_ID_LEN + 1]);

/* Milliseconds since the Unix epoch. */
int64_t job_now_ms(void);

/* Set `j` to an empty job: numbers 0, parts_total -1, strings "". */
void job_init(struct job *j);

/* Decode an HGETALL reply into `j` (job_init() first). Unknown fields are
 * ignored. ST_ENOTFOUND for an empty reply, ST_EINVAL if not a flat array. */
int job_from_reply(struct job *j, const struct redisReply *r);

/* The hash fields of `j` as argv pairs (name, value) for HSET, skipping empty
 * strings. `argv`/`lens` have room for `max` entries; values are written into
 * `scratch` (JOB_SCRATCH bytes). Returns the number of entries or ST_ELIMIT. */
#define JOB_SCRATCH  1024
#define JOB_MAX_ARGS 128
int job_to_argv(const struct job *j, const char **argv, size_t *lens, int max,
                char scratch[JOB_SCRATCH]);

/* Change a job's state if it is `from` (JOB_STATE_NONE: any non-terminal state).
 * `worker` names the new owner on RUNNING (may be NULL); `err`/`msg` describe a
 * failure (0/NULL otherwise); `retention_s` is the TTL set on a terminal state.
 * Returns 0 when changed, ST_EPRECOND if the job was in another state (someone
 * else won), ST_ENOTFOUND if no such job, ST_EINVAL for an invalid transition,
 * ST_EUNAVAIL if Redis failed. Logs the transition. Blocking; any thread that
 * owns `c`. */
int job_set_state(struct redisContext *c, const char *id, enum job_state from, enum job_state to,
                  const char *worker, int err, const char *msg, long retention_s);

/* A state change with every option; job_set_state() is the short form.
 * `owner` (may be NULL): change only if the job's `worker` field equals it,
 * else ST_EPRECOND; a worker passes its own name so that once another worker
 * reclaimed the job (lease expired) its late writes change nothing. An `err`
 * on a change to QUEUED (a retry) is stored as the last error. */
struct job_change {
    const char *id;
    enum job_state from, to; /* from JOB_STATE_NONE: any non-terminal state */
    const char *worker;      /* the new owner on RUNNING */
    const char *owner;       /* fencing, see above */
    int err;
    const char *msg;
    long retention_s;
    /* Park a paused resumable upload (docs/jobs.md): RUNNING -> QUEUED only
     * while its `paused_until` stands (else ST_EPRECOND), filed in the
     * paused set (KEY_PAUSED) by that deadline, and its stream entry
     * `park_entry` acknowledged and deleted in the same script, so no worker
     * holds or claims it until a resume queues it again. NULL: no park. */
    const char *park_entry;
    /* Fencing of a paused-upload sweep (worker/psclaim.h): change only if
     * the job's `sweep_claim` field equals it, else ST_EPRECOND, so a
     * sweeper whose lease lapsed cannot end a job another claim holds.
     * NULL or "": no such check. */
    const char *sweep_claim;
};
int job_change(struct redisContext *c, const struct job_change *ch);

/* Async twin on a hiredis async context. `cb` runs exactly once, never inside
 * this call, with the same result codes as job_set_state(). If this returns
 * an error, `cb` is never called. Runs on the context's event loop thread. */
typedef void(job_state_fn)(int rc, void *ud);
int job_set_state_async(struct redisAsyncContext *ac, const char *id, enum job_state from,
                        enum job_state to, const char *worker, int err, const char *msg,
                        long retention_s, job_state_fn *cb, void *ud);
int job_change_async(struct redisAsyncContext *ac, const struct job_change *ch, job_state_fn *cb,
                     void *ud);

#endif
