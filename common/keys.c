#include "keys.h"

#include <stdio.h>

static int fit(int len, size_t n)
{
    return (len < 0 || (size_t)len >= n) ? -1 : len;
}

int keys_job(char *buf, size_t n, const char *id)
{
    return fit(snprintf(buf, n, KEY_JOB_PREFIX "%s", id), n);
}

int keys_job_part(char *buf, size_t n, const char *id, long part)
{
    return fit(snprintf(buf, n, KEY_JOB_PREFIX "%s:part:%ld", id, part), n);
}

int keys_job_fe(char *buf, size_t n, const char *id)
{
    return fit(snprintf(buf, n, KEY_JOB_PREFIX "%s:fe", id), n);
}

int keys_job_wake(char *buf, size_t n, const char *id)
{
    return fit(snprintf(buf, n, "st:wake:%s", id), n);
}

int keys_frontend(char *buf, size_t n, const char *fe)
{
    return fit(snprintf(buf, n, "st:fe:%s", fe), n);
}

int keys_job_events(char *buf, size_t n, const char *id)
{
    return fit(snprintf(buf, n, "st:ev:%s", id), n);
}

int keys_user_jobs(char *buf, size_t n, const char *user)
{
    return fit(snprintf(buf, n, "st:jobs:%s", user), n);
}

int keys_user(char *buf, size_t n, const char *user)
{
    return fit(snprintf(buf, n, "st:user:%s", user), n);
}

int keys_user_purge(char *buf, size_t n, const char *user)
{
    return fit(snprintf(buf, n, "st:purge:%s", user), n);
}

int keys_user_active(char *buf, size_t n, const char *user)
{
    return fit(snprintf(buf, n, "st:active:%s", user), n);
}

int keys_usage(char *buf, size_t n, const char *root)
{
    return fit(snprintf(buf, n, "st:usage:%s", root), n);
}

int keys_quota_res(char *buf, size_t n, const char *root)
{
    return fit(snprintf(buf, n, "st:qres:%s", root), n);
}

int keys_idem(char *buf, size_t n, const char *user, const char *key)
{
    return fit(snprintf(buf, n, "st:idem:%s:%s", user, key), n);
}

int keys_stage(char *buf, size_t n, const char *name)
{
    return fit(snprintf(buf, n, "st:stage:%s", name), n);
}

int keys_grant(char *buf, size_t n, const char *stage)
{
    return fit(snprintf(buf, n, "st:grant:%s", stage), n);
}

int keys_user_grants(char *buf, size_t n, const char *user)
{
    return fit(snprintf(buf, n, "st:grants:user:%s", user), n);
}

int keys_login_fail(char *buf, size_t n, const char *what, const char *who)
{
    return fit(snprintf(buf, n, "st:lfail:%s:%s", what, who), n);
}

int keys_login_pair(char *buf, size_t n, const char *what, const char *user, const char *addr)
{
    return fit(snprintf(buf, n, "st:lfail:%s:%s@%s", what, user, addr), n);
}
