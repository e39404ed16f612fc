/* pipe.h - the part pipe (docs/redis.md): the Redis commands that move a
 * transfer's data between its producer and its consumer, in one place for
 * the frontend's gRPC relay, its presigned-URL relay and the worker.
 *
 * A transfer's bytes travel as parts st:job:<id>:part:<n>; the job hash
 * counts parts_ready (written by the producer), parts_done (taken by the
 * consumer) and, once the producer knows the end, parts_total and
 * bytes_total. The producer keeps n - parts_done < window. Each side wakes
 * the other after every step: the consumer of an upload (a worker) waits
 * on st:wake:<id>, a gRPC call on st:ev:<id> (frontend/hub.h), a presigned
 * relay on the list st:job:<id>:fe.
 *
 * Every function here is pure: it fills a `struct pipe_cmds` (argv arrays
 * that point into it and into the caller's data) that the caller sends as
 * one pipeline on its own connection, sync or async. Data is not copied:
 * it must live until the commands are sent. */
#ifndef STAGE_PIPE_H
#define STAGE_PIPE_H

#include "keys.h"

#include <stdbool.h>
#include <stddef.h>

/* Seconds a part lives if nobody consumes it (a dead peer's leftovers). */
#define PIPE_PART_TTL_S 86400

#define PIPE_MAX_CMDS 4
#define PIPE_MAX_ARGS 8

struct pipe_cmd {
    int argc;
    const char *argv[PIPE_MAX_ARGS];
    size_t lens[PIPE_MAX_ARGS];
};

struct pipe_cmds {
    int n;
    struct pipe_cmd cmd[PIPE_MAX_CMDS];
    /* storage the argv point into */
    char part[KEY_MAX], hash[KEY_MAX], wake[KEY_MAX];
    char num[3][24], ttl[24];
};

/* Producer: add `len` bytes to part n (APPEND, so a part is built from
 * several messages; `first` sets the part's TTL with its first bytes).
 * 0, or ST_EINVAL for a bad id. */
int pipe_append(struct pipe_cmds *p, const char *id, long n, const void *data, size_t len,
                bool first);

/* Producer: store part n whole (SET ... EX), for a producer that has the
 * whole part at once. */
int pipe_put(struct pipe_cmds *p, const char *id, long n, const void *data, size_t len);

/* Producer of an upload (the frontend's relays): parts 0..ready-1 are
 * complete; with `end`, they are all there is (parts_total = ready,
 * bytes_total = `bytes`). Wakes the consumer (st:wake:<id>). */
int pipe_ready(struct pipe_cmds *p, const char *id, long ready, bool end, long long bytes);

/* Consumer (the frontend's side of a download or listing): part n was
 * delivered: DEL it, parts_done += 1, wake the producer. */
int pipe_done(struct pipe_cmds *p, const char *id, long n);

#endif
