/* qacct.c - usage accounting for stage quotas (see qacct.h). */
#include "qacct.h"

#include "err.h"
#include "job.h"
#include "keys.h"
#include "quota.h"
#include "runner.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

bool qacct_counted(const char *storage)
{
    return storage[0] == '\0';
}

void qacct_stored(struct run *r, int64_t size, int64_t old_size)
{
    char uk[KEY_ROOT_MAX], rk[KEY_ROOT_MAX], sz[24], old[24];
    if (!qacct_counted(r->j.storage) || keys_usage(uk, sizeof(uk), r->j.root) < 0 ||
        keys_quota_res(rk, sizeof(rk), r->j.root) < 0)
        return;
    snprintf(sz, sizeof(sz), "%" PRId64, size);
    snprintf(old, sizeof(old), "%" PRId64, old_size);
    runner_cmdf(r, NULL, "EVAL", quota_commit_lua, "3", uk, rk, r->hkey, r->j.id, sz, old, NULL);
}

void qacct_add(struct run *r, const char *root, int64_t bytes, int64_t files)
{
    char uk[KEY_ROOT_MAX], b[24], f[24];
    if ((bytes == 0 && files == 0) || keys_usage(uk, sizeof(uk), root) < 0)
        return;
    snprintf(b, sizeof(b), "%" PRId64, bytes);
    snprintf(f, sizeof(f), "%" PRId64, files);
    runner_cmdf(r, NULL, "EVAL", quota_add_lua, "1", uk, b, f, NULL);
}

static long long elem(const redisReply *rep, size_t i)
{
    if (i >= rep->elements)
        return 0;
    const redisReply *e = rep->element[i];
    return e->type == REDIS_REPLY_INTEGER  ? e->integer
           : e->type == REDIS_REPLY_STRING ? strtoll(e->str, NULL, 10)
                                           : 0;
}

int qacct_reserved(const struct run *r, const struct redisReply *rep, int64_t size, char *msg,
                   size_t n)
{
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 6) {
        snprintf(msg, n, "quota script: unexpected reply%s%s",
                 rep->type == REDIS_REPLY_ERROR ? ": " : "",
                 rep->type == REDIS_REPLY_ERROR ? rep->str : "");
        return ST_EINTERNAL;
    }
    if (elem(rep, 0) == 1)
        return 0;
    struct quota_lim l = {r->j.quota_bytes, r->j.quota_files};
    struct quota_use u = {elem(rep, 1), elem(rep, 2), elem(rep, 3), elem(rep, 4)};
    if (quota_check(r->j.dst_stage, &l, &u, size, 1, msg, n) == 0)
        snprintf(msg, n, "stage '%s' is over its quota", r->j.dst_stage);
    return ST_ELIMIT;
}

bool qacct_reserve_copy(struct run *r, int64_t size, run_reply_fn *cb)
{
    struct quota_reserve_cmd c;
    struct quota_lim l = {r->j.quota_bytes, r->j.quota_files};
    if (quota_unlimited(&l) || !qacct_counted(r->j.dst_storage) ||
        quota_reserve_args(&c, r->j.dst_root, r->j.id, size, size, &l, job_now_ms()) < 0)
        return false;
    runner_evalsha(r, cb, QUOTA_RESERVE_ARGC, c.argv, quota_reserve_lua);
    return true;
}

void qacct_copied(struct run *r, int64_t size, int64_t old_size)
{
    char uk[KEY_ROOT_MAX], rk[KEY_ROOT_MAX], b[24];
    if (!qacct_counted(r->j.dst_storage) || keys_usage(uk, sizeof(uk), r->j.dst_root) < 0 ||
        keys_quota_res(rk, sizeof(rk), r->j.dst_root) < 0)
        return;
    snprintf(b, sizeof(b), "%" PRId64, old_size >= 0 ? size - old_size : size);
    runner_cmdf(r, NULL, "EVAL", quota_add_lua, "2", uk, rk, b, old_size >= 0 ? "0" : "1", r->j.id,
                NULL);
}
