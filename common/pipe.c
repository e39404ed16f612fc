/* pipe.c - the part pipe's commands (see pipe.h). */
#include "pipe.h"

#include "err.h"

#include <stdio.h>
#include <string.h>

static struct pipe_cmd *add(struct pipe_cmds *p)
{
    struct pipe_cmd *c = &p->cmd[p->n++];
    memset(c, 0, sizeof(*c));
    return c;
}

static void arg(struct pipe_cmd *c, const void *v, size_t len)
{
    c->argv[c->argc] = v;
    c->lens[c->argc++] = len;
}

static void args(struct pipe_cmd *c, const char *const *v, int n)
{
    for (int i = 0; i < n; i++)
        arg(c, v[i], strlen(v[i]));
}

static int start(struct pipe_cmds *p, const char *id, long n)
{
    p->n = 0;
    if (!id || !*id || keys_job(p->hash, sizeof(p->hash), id) < 0 ||
        keys_job_wake(p->wake, sizeof(p->wake), id) < 0 ||
        (n >= 0 && keys_job_part(p->part, sizeof(p->part), id, n) < 0))
        return ST_EINVAL;
    snprintf(p->ttl, sizeof(p->ttl), "%d", PIPE_PART_TTL_S);
    return 0;
}

int pipe_append(struct pipe_cmds *p, const char *id, long n, const void *data, size_t len,
                bool first)
{
    if (n < 0 || start(p, id, n))
        return ST_EINVAL;
    struct pipe_cmd *c = add(p);
    args(c, (const char *const[]){"APPEND", p->part}, 2);
    arg(c, data, len);
    if (first)
        args(add(p), (const char *const[]){"EXPIRE", p->part, p->ttl}, 3);
    return 0;
}

int pipe_put(struct pipe_cmds *p, const char *id, long n, const void *data, size_t len)
{
    if (n < 0 || start(p, id, n))
        return ST_EINVAL;
    struct pipe_cmd *c = add(p);
    args(c, (const char *const[]){"SET", p->part}, 2);
    arg(c, data, len);
    args(c, (const char *const[]){"EX", p->ttl}, 2);
    return 0;
}

int pipe_ready(struct pipe_cmds *p, const char *id, long ready, bool end, long long bytes)
{
    if (ready < 0 || start(p, id, -1))
        return ST_EINVAL;
    snprintf(p->num[0], sizeof(p->num[0]), "%ld", ready);
    snprintf(p->num[1], sizeof(p->num[1]), "%lld", bytes);
    struct pipe_cmd *c = add(p);
    args(c, (const char *const[]){"HSET", p->hash, "parts_ready", p->num[0]}, 4);
    if (end)
        args(c, (const char *const[]){"parts_total", p->num[0], "bytes_total", p->num[1]}, 4);
    args(add(p), (const char *const[]){"PUBLISH", p->wake, "x"}, 3);
    return 0;
}

int pipe_done(struct pipe_cmds *p, const char *id, long n)
{
    if (n < 0 || start(p, id, n))
        return ST_EINVAL;
    args(add(p), (const char *const[]){"DEL", p->part}, 2);
    args(add(p), (const char *const[]){"HINCRBY", p->hash, "parts_done", "1"}, 4);
    args(add(p), (const char *const[]){"PUBLISH", p->wake, "x"}, 3);
    return 0;
}
