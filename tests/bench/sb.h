/* sb.h - what the parts of stagebench share (tests/bench/stagebench.c).
 *
 * The stream modes (sb_watch.c, sb_upload.c, sb_sink.c) drive many calls
 * from one thread on one completion queue with the gRPC C core's async API,
 * multiplexed over a few channels: no thread per stream. A tag is the call's
 * struct address with the batch kind in its low bits (SB_TAG). */
#ifndef STAGEBENCH_SB_H
#define STAGEBENCH_SB_H

#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern const char *g_server; /* "host:port" of the stage frontend */
extern char g_auth[1200];    /* `authorization` value, "" for none */

/* Options of every mode; main() fills what the command line gives. */
struct sb_opts {
    const char *job, *location, *listen, *server;
    int streams, channels, slow, fast;
    long long size, rate, slow_rate;
    double seconds, timeout;
    bool wait;
};

int64_t sb_now_ns(void);  /* CLOCK_MONOTONIC */
int64_t sb_wall_ms(void); /* CLOCK_REALTIME, Unix ms: the clock of Job.finished_at */
int sb_cmp64(const void *a, const void *b);
int64_t sb_pct(const int64_t *sorted, size_t n, double p);

/* Tags: the low 2 bits of a (>= 4-aligned) struct address name the batch. */
#define SB_TAG(p, kind) ((void *)((uintptr_t)(p) | (uintptr_t)(kind)))
#define SB_TAG_PTR(t)   ((void *)((uintptr_t)(t) & ~(uintptr_t)3))
#define SB_TAG_KIND(t)  ((int)((uintptr_t)(t)&3))

/* `n` insecure channels to `target`, each with its own TCP connection (a
 * local subchannel pool: channels with equal arguments otherwise share one).
 * Same receive window and message limit as stagectl (cli/rpc.c). */
grpc_channel **sb_channels(const char *target, int n);
void sb_channels_free(grpc_channel **ch, int n);

/* The `authorization` metadata of g_auth: count 0 or 1. */
size_t sb_auth_md(grpc_metadata *md);

/* A packed message as a slice (refcounted; shared by many sends). */
grpc_slice sb_pack_slice(const ProtobufCMessage *m);
/* A byte buffer over `s` (no copy). The caller destroys it after the batch. */
grpc_byte_buffer *sb_bb(grpc_slice s);
/* Unpack a received buffer; NULL if it does not. */
ProtobufCMessage *sb_unpack(const ProtobufCMessageDescriptor *d, grpc_byte_buffer *bb);

/* GetJob state of `id` (a Stage__V1__JobState) on a blocking connection
 * (cli/rpc.h); -1 when the call failed. */
struct rpc_conn;
int sb_job_state(struct rpc_conn *c, const char *id);

int sb_watch(const struct sb_opts *o);
int sb_slowup(const struct sb_opts *o);
int sb_uploads(const struct sb_opts *o);
int sb_push(const struct sb_opts *o, bool sink);
int sb_sink(const struct sb_opts *o);

#endif
