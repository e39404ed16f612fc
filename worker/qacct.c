/* qacct.c - usage accounting for stage quotas (see qacct.h). */
#include "qacct.h"

#include "keys.h"
#include "quota.h"
#include "runner.h"

#include <inttypes.h>
#include <stdio.h>

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
