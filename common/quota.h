/* quota.h - byte and file quotas of a stage (docs/quotas.md): the pure
 * decision, its message, and the Lua scripts that keep the usage in Redis.
 *
 * Usage of a stage lives in st:usage:<root> (hash: bytes, files), keyed by
 * the stage's backend root, which is unique per user stage and per internal
 * stage incarnation ("stage/internal/<name>/<inc>/"), so a stage dropped and
 * created again starts from zero. Uploads in flight hold a reservation in
 * st:qres:<root> (hash: job id -> "<bytes>:<expiry ms>"). Scripts (run with
 * EVAL by the frontend and the worker; the reserve, sent once per upload
 * or copied file, by EVALSHA: quota_reserve_args()):
 *
 *   quota_reserve_lua  KEYS usage, reservations. ARGV job id, need, ask,
 *                      limit bytes, limit files, now ms, ttl ms, the prefix
 *                      of job hashes (KEY_JOB_PREFIX). Drops the
 *                      reservations of jobs that ended or vanished and the
 *                      expired ones, then reserves min(ask, room) >= need
 *                      bytes (and one file) for the job. Reply {status,
 *                      bytes, files, reserved bytes of others, their count,
 *                      granted}; status 1 granted, 0 no room for `need`
 *                      bytes, -1 no room for one more file. Job id "": only
 *                      clean up and report (DescribeStage).
 *   quota_commit_lua   KEYS usage, reservations, job hash. ARGV job id,
 *                      size, old size (-1: no file was replaced). Once per
 *                      job (the job's quota_counted field): the stored file
 *                      replaces its reservation in the usage.
 *   quota_add_lua      KEYS usage[, reservations]. ARGV bytes, files
 *                      (signed)[, job id: its reservation goes]. Never below
 *                      0 (files stored before quotas existed are not counted).
 *
 * Pure otherwise; any thread. */
#ifndef STAGE_QUOTA_H
#define STAGE_QUOTA_H

#include "keys.h"

#include <stdbool.h>
#include <stddef.h>

/* Limits of a stage; 0 = none. */
struct quota_lim {
    long long bytes, files;
};

/* What a stage holds, and what uploads in flight have reserved. */
struct quota_use {
    long long bytes, files;         /* stored */
    long long res_bytes, res_files; /* reserved by other uploads */
};

/* Reservations of a job that did not end or renew them expire after this. */
#define QUOTA_RES_TTL_MS (24LL * 3600 * 1000)

extern const char quota_reserve_lua[];
extern const char quota_commit_lua[];
extern const char quota_add_lua[];

/* One quota_reserve_lua call as an argv: EVALSHA <sha1> 2 usage res id need
 * max(ask, need) limit-bytes limit-files now ttl job-prefix. The script's
 * text is sent only when Redis lacks it: on a NOSCRIPT error reply (an
 * empty script cache after a restart or SCRIPT FLUSH) send the same argv
 * after quota_reserve_eval(). argv points into the struct: keep it alive
 * until the command is sent. */
#define QUOTA_RESERVE_ARGC 13
struct quota_reserve_cmd {
    const char *argv[QUOTA_RESERVE_ARGC];
    char usage[KEY_ROOT_MAX], res[KEY_ROOT_MAX];
    char sha[41];
    char num[6][24];
};

/* Fill `c` for job `id` ("": clean up and report only) on the stage at
 * `root`. 0, ST_EINVAL if the root is too long for a key, or ST_EINTERNAL
 * if OpenSSL refuses the SHA1. */
int quota_reserve_args(struct quota_reserve_cmd *c, const char *root, const char *id,
                       long long need, long long ask, const struct quota_lim *l, long long now_ms);

/* Turn `c` into the EVAL fallback (the script's text in place of its SHA1). */
void quota_reserve_eval(struct quota_reserve_cmd *c);

/* True when a Redis error reply `msg` says the script cache lacks the script. */
bool quota_noscript(const char *msg);

/* True when `l` limits nothing. */
bool quota_unlimited(const struct quota_lim *l);

/* May `add_bytes` more bytes and `add_files` more files go into stage
 * `stage` (its name as the user writes it: "sales", "~")? 0, or ST_ELIMIT
 * with a message a person can act on in `msg`. */
int quota_check(const char *stage, const struct quota_lim *l, const struct quota_use *u,
                long long add_bytes, long long add_files, char *msg, size_t n);

/* A size for people: "512 B", "600 KiB", "1.5 MiB", "2.0 GiB". */
void quota_fmt_bytes(long long bytes, char *buf, size_t n);

/* Parse a size ("1500000", "1.5MiB", "600 KiB", "2G"; binary units) into
 * *out (>= 0). 0 or ST_EINVAL. */
int quota_parse_size(const char *s, long long *out);

/* A limit for people: "unlimited" for 0, else quota_fmt_bytes() / the count. */
void quota_fmt_limit(long long limit, bool bytes, char *buf, size_t n);

#endif
