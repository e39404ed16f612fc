/* sb_watch.c - `stagebench watch --job ID --streams N [--channels C]`.
 *
 * Opens N WatchJob streams on one job from this thread (one completion
 * queue, calls spread over C channels) and holds them until each has had
 * its terminal message and its status. Meanwhile a second thread calls
 * GetJob back to back (one client as fast as it goes) and keeps the
 * latencies of the calls that succeeded. A stream the server ends with
 * RESOURCE_EXHAUSTED ("server busy") counts as refused, any other non-OK
 * status or an OK status without a terminal message as an error: figures,
 * not a failure of the tool. Prints one line:
 *   streams=N refused=R got_terminal=G terminal_lag_ms_max=... getjob_p50_us=...
 *   getjob_p99_us=... (then held_max, errors, unfinished, open_ms, getjob_calls,
 *   getjob_failed, terminal_lag_ms_p50)
 * terminal_lag: the job's finished_at (Unix ms, from the Job message) to the
 * arrival of the terminal message here ("-" when no stream had one). */
#include "sb.h"

#include "rpc.h"

#include "stage/v1/stage.pb-c.h"

#include <grpc/status.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define K_START  0
#define K_MSG    1
#define K_STATUS 2

#define MAX_POLL_SAMPLES (1 << 22)

struct wcall {
    grpc_call *call;
    grpc_byte_buffer *out, *in;
    grpc_metadata_array imd, tmd;
    grpc_status_code status;
    grpc_slice details;
    int pending; /* batches in flight */
    bool status_done, got_terminal, held, opened, done;
    int64_t lag_ms;
} __attribute__((aligned(8)));

struct watch {
    const struct sb_opts *o;
    struct wcall *w;
    int live, held, held_max, refused, errors, terminal, unfinished;
    int64_t open_ns; /* until every stream had its first message or ended */
    int opened;
    char first_err[300];
};

struct poller {
    pthread_t t;
    const char *job;
    atomic_bool stop;
    int64_t *lat;
    size_t n, cap, failed;
};

static void *poll_main(void *arg)
{
    struct poller *p = arg;
    struct rpc_conn c;
    if (rpc_conn_init(&c, g_server, g_auth))
        return NULL;
    c.timeout_ms = 10000;
    while (!atomic_load(&p->stop)) {
        int64_t t0 = sb_now_ns();
        int state = sb_job_state(&c, p->job);
        int64_t dt = sb_now_ns() - t0;
        if (state < 0) {
            p->failed++;
            usleep(1000); /* refused: do not spin on the dispatcher */
        } else if (p->n < p->cap)
            p->lat[p->n++] = dt;
    }
    rpc_conn_cleanup(&c);
    return NULL;
}

static bool terminal(int state)
{
    return state == STAGE__V1__JOB_STATE__SUCCEEDED || state == STAGE__V1__JOB_STATE__FAILED ||
           state == STAGE__V1__JOB_STATE__CANCELLED;
}

static void post_recv(struct wcall *w)
{
    grpc_op op;
    memset(&op, 0, sizeof(op));
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &w->in;
    if (grpc_call_start_batch(w->call, &op, 1, SB_TAG(w, K_MSG), NULL) == GRPC_CALL_OK)
        w->pending++;
    else
        grpc_call_cancel(w->call, NULL);
}

static int start_call(struct watch *s, struct wcall *w, grpc_channel *ch, grpc_completion_queue *cq,
                      grpc_slice req, grpc_metadata *md, size_t nmd)
{
    grpc_op ops[4];
    memset(ops, 0, sizeof(ops));
    grpc_metadata_array_init(&w->imd);
    grpc_metadata_array_init(&w->tmd);
    w->details = grpc_empty_slice();
    w->call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
                                       grpc_slice_from_static_string(RPC_SERVICE "WatchJob"), NULL,
                                       gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (!w->call)
        return -1;
    w->out = sb_bb(req);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = nmd;
    ops[0].data.send_initial_metadata.metadata = nmd ? md : NULL;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = w->out;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &w->imd;
    if (grpc_call_start_batch(w->call, ops, 4, SB_TAG(w, K_START), NULL) != GRPC_CALL_OK)
        return -1;
    w->pending++;
    grpc_op sop;
    memset(&sop, 0, sizeof(sop));
    sop.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    sop.data.recv_status_on_client.trailing_metadata = &w->tmd;
    sop.data.recv_status_on_client.status = &w->status;
    sop.data.recv_status_on_client.status_details = &w->details;
    if (grpc_call_start_batch(w->call, &sop, 1, SB_TAG(w, K_STATUS), NULL) != GRPC_CALL_OK)
        return -1;
    w->pending++;
    post_recv(w);
    s->live++;
    return 0;
}

/* A stream is open once it had its first message, or over once it ended. */
static void note_open(struct watch *s, struct wcall *w)
{
    if (w->opened)
        return;
    w->opened = true;
    if (++s->opened == s->o->streams)
        s->open_ns = sb_now_ns();
}

static void on_msg(struct watch *s, struct wcall *w)
{
    Stage__V1__WatchJobResponse *m =
        (Stage__V1__WatchJobResponse *)sb_unpack(&stage__v1__watch_job_response__descriptor, w->in);
    int64_t at = sb_wall_ms();
    grpc_byte_buffer_destroy(w->in);
    w->in = NULL;
    if (m && m->job) {
        note_open(s, w);
        if (terminal((int)m->job->state)) {
            if (!w->got_terminal) {
                w->got_terminal = true;
                w->lag_ms = at - m->job->finished_at;
                s->terminal++;
            }
            if (w->held)
                s->held--;
            w->held = false;
        } else if (!w->held && !w->got_terminal) {
            w->held = true;
            if (++s->held > s->held_max)
                s->held_max = s->held;
        }
    }
    if (m)
        protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void finish_call(struct watch *s, struct wcall *w)
{
    if (w->held)
        s->held--;
    w->held = false;
    if (!w->got_terminal && w->status != GRPC_STATUS_OK) {
        if (w->status == GRPC_STATUS_RESOURCE_EXHAUSTED) {
            s->refused++;
        } else {
            s->errors++;
        }
        note_open(s, w);
        if (!s->first_err[0] && w->status != GRPC_STATUS_RESOURCE_EXHAUSTED)
            snprintf(s->first_err, sizeof(s->first_err), "status %d: %.*s", (int)w->status,
                     (int)GRPC_SLICE_LENGTH(w->details),
                     (const char *)GRPC_SLICE_START_PTR(w->details));
    } else if (!w->got_terminal) {
        s->errors++;
        note_open(s, w);
        if (!s->first_err[0])
            snprintf(s->first_err, sizeof(s->first_err), "a stream ended without a terminal state");
    }
    grpc_call_unref(w->call);
    w->call = NULL;
    if (w->out)
        grpc_byte_buffer_destroy(w->out);
    w->out = NULL;
    grpc_metadata_array_destroy(&w->imd);
    grpc_metadata_array_destroy(&w->tmd);
    grpc_slice_unref(w->details);
    w->done = true;
    s->live--;
}

static void on_event(struct watch *s, grpc_event ev)
{
    struct wcall *w = SB_TAG_PTR(ev.tag);
    w->pending--;
    switch (SB_TAG_KIND(ev.tag)) {
    case K_START:
        grpc_byte_buffer_destroy(w->out);
        w->out = NULL;
        break;
    case K_MSG:
        if (ev.success && w->in) {
            on_msg(s, w);
            post_recv(w);
        }
        break;
    case K_STATUS:
        w->status_done = true;
        break;
    }
    if (w->pending == 0 && w->status_done)
        finish_call(s, w);
}

static void print_result(struct watch *s, struct poller *p, int64_t t0)
{
    const struct sb_opts *o = s->o;
    int64_t *lags = malloc(((size_t)o->streams + 1) * sizeof(int64_t));
    size_t nl = 0;
    for (int i = 0; lags && i < o->streams; i++)
        if (s->w[i].got_terminal)
            lags[nl++] = s->w[i].lag_ms;
    char lag_max[32] = "-", lag_p50[32] = "-";
    if (nl) {
        qsort(lags, nl, sizeof(*lags), sb_cmp64);
        snprintf(lag_max, sizeof(lag_max), "%lld", (long long)lags[nl - 1]);
        snprintf(lag_p50, sizeof(lag_p50), "%lld", (long long)sb_pct(lags, nl, 0.5));
    }
    free(lags);
    qsort(p->lat, p->n, sizeof(int64_t), sb_cmp64);
    printf("streams=%d refused=%d got_terminal=%d terminal_lag_ms_max=%s getjob_p50_us=%.1f "
           "getjob_p99_us=%.1f held_max=%d errors=%d unfinished=%d open_ms=%.0f getjob_calls=%zu "
           "getjob_failed=%zu terminal_lag_ms_p50=%s\n",
           o->streams, s->refused, s->terminal, lag_max, (double)sb_pct(p->lat, p->n, 0.5) / 1e3,
           (double)sb_pct(p->lat, p->n, 0.99) / 1e3, s->held_max, s->errors, s->unfinished,
           s->open_ns ? (double)(s->open_ns - t0) / 1e6 : -1.0, p->n, p->failed, lag_p50);
    if (s->first_err[0])
        fprintf(stderr, "stagebench watch: first error: %s\n", s->first_err);
}

int sb_watch(const struct sb_opts *o)
{
    struct watch s;
    memset(&s, 0, sizeof(s));
    s.o = o;
    s.w = calloc((size_t)o->streams, sizeof(*s.w));
    grpc_channel **ch = sb_channels(g_server, o->channels);
    grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
    struct poller p = {.job = o->job, .cap = MAX_POLL_SAMPLES};
    p.lat = malloc(p.cap * sizeof(int64_t));
    if (!s.w || !ch || !cq || !p.lat) {
        fprintf(stderr, "stagebench watch: out of memory\n");
        return 1;
    }
    atomic_init(&p.stop, false);
    Stage__V1__WatchJobRequest req = STAGE__V1__WATCH_JOB_REQUEST__INIT;
    req.job_id = (char *)o->job;
    grpc_slice reqs = sb_pack_slice(&req.base);
    grpc_metadata md;
    size_t nmd = sb_auth_md(&md);
    int64_t t0 = sb_now_ns();
    int rc = 0;
    for (int i = 0; i < o->streams; i++)
        if (start_call(&s, &s.w[i], ch[i % o->channels], cq, reqs, &md, nmd)) {
            fprintf(stderr, "stagebench watch: cannot start stream %d\n", i);
            return 1;
        }
    grpc_slice_unref(reqs);
    if (pthread_create(&p.t, NULL, poll_main, &p)) {
        fprintf(stderr, "stagebench watch: cannot start the GetJob thread\n");
        return 1;
    }
    int64_t deadline = t0 + (int64_t)(o->timeout * 1e9);
    bool cancelled = false;
    while (s.live > 0) {
        grpc_event ev = grpc_completion_queue_next(
            cq, gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(200, GPR_TIMESPAN)),
            NULL);
        if (ev.type == GRPC_OP_COMPLETE)
            on_event(&s, ev);
        if (!cancelled && sb_now_ns() > deadline) {
            cancelled = true;
            s.unfinished = s.live;
            fprintf(stderr, "stagebench watch: %d streams still open after %.0f s: cancelled\n",
                    s.live, o->timeout);
            for (int i = 0; i < o->streams; i++)
                if (!s.w[i].done)
                    grpc_call_cancel(s.w[i].call, NULL);
        }
    }
    atomic_store(&p.stop, true);
    pthread_join(p.t, NULL);
    print_result(&s, &p, t0);
    grpc_completion_queue_shutdown(cq);
    while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
           GRPC_QUEUE_SHUTDOWN)
        ;
    grpc_completion_queue_destroy(cq);
    sb_channels_free(ch, o->channels);
    free(p.lat);
    free(s.w);
    return rc;
}
