/* sb_upload.c - upload streams driven from one thread on one completion
 * queue (sb.h): `stagebench slowup`, `uploads`, `push` and `pushsink`.
 *
 * An upload is a client stream: the header, then chunk messages, then the
 * half-close and the reply. A fast stream sends its next chunk (1 MiB of
 * data) as soon as the previous send completed; a paced one sends rate/4
 * bytes every 250 ms (the first tick spread over the first interval) and,
 * without a size, until told to stop. The status op is posted first; should
 * it arrive while a send is pending, the call is cancelled (cli/rpc.c does
 * the same); a failed send half-closes so that the status arrives.
 *
 *   slowup --location L --seconds S --rate B   one upload (wait=false) of
 *            S x B bytes at B bytes/s; prints "job=ID" as soon as ListJobs
 *            shows the job (the newest upload to L since we started), then
 *            "state=... bytes=... seconds=..." once UploadFile answered.
 *   uploads --slow N --slow-rate B --fast F --size BYTES [--seconds S]
 *            3 rounds of F uploads of BYTES at full speed alone, then N
 *            uploads at B bytes/s each (no size) for S seconds, and rounds of
 *            the F beside them: up to 3, launched while the slow ones run
 *            (a round that waits for them ends after them and says so by
 *            its time). All wait=false: a round lasts until UploadFile
 *            returned for all F (the service holds every byte); the jobs of
 *            a round alone are waited for before the next. In the end GetJob
 *            until every job ended. Prints "slow=N slow_ok=.. slow_refused=..
 *            fast=F fast_ok=.. fast_total=.. fast_refused=.. fast_mibs=..
 *            fast_alone_mibs=.. ... rounds_beside_slow=.." (mibs: the
 *            median round; ok: GetJob says SUCCEEDED; refused:
 *            RESOURCE_EXHAUSTED).
 *   push --location L --size BYTES             one upload, wait=true
 *   pushsink --server ADDR --size BYTES        the same bytes to `sink`
 *            both print "bytes=.. seconds=.. mibs=..". */
#include "sb.h"

#include "rpc.h"

#include "stage/v1/stage.pb-c.h"

#include <grpc/status.h>
#include <grpc/support/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define K_SEND   0
#define K_FIN    1
#define K_STATUS 2

#define BIG_CHUNK      (1 << 20)
#define TICKS_PER_S    4
#define SINK_METHOD    "/bench.Sink/Upload"
#define ROUNDS         3
#define STEP_MS        5
#define MAX_SLOW_CHUNK (1 << 20)

struct up {
    grpc_call *call;
    grpc_byte_buffer *out, *in;
    grpc_metadata_array imd, tmd;
    grpc_status_code status;
    grpc_slice details;
    int pending;
    bool sending, closed, status_done, started, done, stop;
    long long size; /* bytes to send; -1: until `stop` */
    long long rate; /* bytes/s; 0: full speed */
    long long sent;
    int64_t next_ns, interval_ns, t0, t1;
    char loc[128];
    char job[48];
    int state; /* of the reply's job; -1 none */
    char err[240];
} __attribute__((aligned(8)));

struct ueng {
    grpc_completion_queue *cq;
    grpc_channel **ch;
    int nch, next_ch;
    grpc_metadata md;
    size_t nmd;
    const char *method;
    bool wait;
    grpc_slice big, slow; /* packed chunk messages of BIG_CHUNK / slow_len bytes */
    size_t slow_len;
    uint8_t *data; /* BIG_CHUNK random bytes: every chunk's data */
    int live;
    struct up **paced;
    int npaced;
};

static int eng_init(struct ueng *e, const char *target, int nch, const char *method, bool auth,
                    long long slow_rate)
{
    memset(e, 0, sizeof(*e));
    e->cq = grpc_completion_queue_create_for_next(NULL);
    e->ch = sb_channels(target, nch);
    e->nch = nch;
    e->method = method;
    e->nmd = auth ? sb_auth_md(&e->md) : 0;
    e->data = malloc(BIG_CHUNK);
    if (!e->cq || !e->ch || !e->data)
        return -1;
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(e->data, 1, BIG_CHUNK, f) : 0;
    if (f)
        fclose(f);
    if (got != BIG_CHUNK)
        return -1;
    Stage__V1__UploadFileRequest m = STAGE__V1__UPLOAD_FILE_REQUEST__INIT;
    m.msg_case = STAGE__V1__UPLOAD_FILE_REQUEST__MSG_CHUNK;
    m.chunk.data = e->data;
    m.chunk.len = BIG_CHUNK;
    e->big = sb_pack_slice(&m.base);
    long long sl = slow_rate / TICKS_PER_S;
    e->slow_len = (size_t)(sl < 1 ? 1 : sl > MAX_SLOW_CHUNK ? MAX_SLOW_CHUNK : sl);
    m.chunk.len = e->slow_len;
    e->slow = sb_pack_slice(&m.base);
    return 0;
}

static void eng_free(struct ueng *e)
{
    if (e->cq) {
        grpc_completion_queue_shutdown(e->cq);
        while (grpc_completion_queue_next(e->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
               GRPC_QUEUE_SHUTDOWN)
            ;
        grpc_completion_queue_destroy(e->cq);
    }
    sb_channels_free(e->ch, e->nch);
    grpc_slice_unref(e->big);
    grpc_slice_unref(e->slow);
    free(e->data);
    free(e->paced);
}

static bool batch(struct up *u, grpc_op *ops, size_t n, int kind)
{
    if (grpc_call_start_batch(u->call, ops, n, SB_TAG(u, kind), NULL) != GRPC_CALL_OK) {
        snprintf(u->err, sizeof(u->err), "gRPC refused a batch");
        grpc_call_cancel(u->call, NULL);
        return false;
    }
    u->pending++;
    return true;
}

static void post_fin(struct up *u)
{
    grpc_op ops[3];
    memset(ops, 0, sizeof(ops));
    ops[0].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[1].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[1].data.recv_initial_metadata.recv_initial_metadata = &u->imd;
    ops[2].op = GRPC_OP_RECV_MESSAGE;
    ops[2].data.recv_message.recv_message = &u->in;
    u->closed = true;
    batch(u, ops, 3, K_FIN);
}

static grpc_slice header_slice(const struct ueng *e, const struct up *u)
{
    Stage__V1__UploadHeader h = STAGE__V1__UPLOAD_HEADER__INIT;
    Stage__V1__UploadFileRequest m = STAGE__V1__UPLOAD_FILE_REQUEST__INIT;
    h.location = (char *)u->loc;
    h.has_size = u->size >= 0;
    h.size = u->size >= 0 ? u->size : 0;
    h.overwrite = true;
    h.wait = e->wait;
    m.msg_case = STAGE__V1__UPLOAD_FILE_REQUEST__MSG_HEADER;
    m.header = &h;
    return sb_pack_slice(&m.base);
}

/* Open the call: the status op, then the metadata and the header. */
static void up_start(struct ueng *e, struct up *u)
{
    grpc_metadata_array_init(&u->imd);
    grpc_metadata_array_init(&u->tmd);
    u->details = grpc_empty_slice();
    u->state = -1;
    u->started = true;
    u->t0 = sb_now_ns();
    e->live++;
    if (u->rate) {
        long long len = (long long)e->slow_len;
        u->interval_ns = (int64_t)((double)len * 1e9 / (double)u->rate);
        u->next_ns = u->t0 + (int64_t)(drand48() * (double)u->interval_ns);
    }
    u->call = grpc_channel_create_call(e->ch[e->next_ch++ % e->nch], NULL, GRPC_PROPAGATE_DEFAULTS,
                                       e->cq, grpc_slice_from_static_string(e->method), NULL,
                                       gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (!u->call) {
        fprintf(stderr, "stagebench: cannot create a call\n");
        exit(1);
    }
    grpc_op sop;
    memset(&sop, 0, sizeof(sop));
    sop.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    sop.data.recv_status_on_client.trailing_metadata = &u->tmd;
    sop.data.recv_status_on_client.status = &u->status;
    sop.data.recv_status_on_client.status_details = &u->details;
    if (!batch(u, &sop, 1, K_STATUS)) {
        fprintf(stderr, "stagebench: gRPC refused the status op\n");
        exit(1);
    }
    grpc_op ops[2];
    memset(ops, 0, sizeof(ops));
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = e->nmd;
    ops[0].data.send_initial_metadata.metadata = e->nmd ? &e->md : NULL;
    grpc_slice h = header_slice(e, u);
    u->out = sb_bb(h);
    grpc_slice_unref(h);
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = u->out;
    u->sending = batch(u, ops, 2, K_SEND);
}

/* Send the next chunk if it is due, or half-close once all is sent. */
static void up_pump(struct ueng *e, struct up *u, int64_t now)
{
    if (!u->started || u->sending || u->closed || u->status_done)
        return;
    long long left = u->size < 0 ? (u->stop ? 0 : BIG_CHUNK) : u->size - u->sent;
    if (left == 0) {
        post_fin(u);
        return;
    }
    if (u->rate && now < u->next_ns)
        return;
    size_t len = u->rate ? e->slow_len : BIG_CHUNK;
    if ((long long)len > left) {
        Stage__V1__UploadFileRequest m = STAGE__V1__UPLOAD_FILE_REQUEST__INIT;
        m.msg_case = STAGE__V1__UPLOAD_FILE_REQUEST__MSG_CHUNK;
        m.chunk.data = e->data;
        m.chunk.len = (size_t)left;
        grpc_slice s = sb_pack_slice(&m.base);
        u->out = sb_bb(s);
        grpc_slice_unref(s);
        len = (size_t)left;
    } else {
        u->out = sb_bb(u->rate ? e->slow : e->big);
    }
    grpc_op op;
    memset(&op, 0, sizeof(op));
    op.op = GRPC_OP_SEND_MESSAGE;
    op.data.send_message.send_message = u->out;
    u->sending = batch(u, &op, 1, K_SEND);
    u->sent += (long long)len;
    if (u->rate) {
        u->next_ns += u->interval_ns;
        if (u->next_ns < now)
            u->next_ns = now; /* late: no burst to catch up */
    }
}

static void up_finish(struct ueng *e, struct up *u)
{
    u->t1 = sb_now_ns();
    if (u->status == GRPC_STATUS_OK) {
        Stage__V1__UploadFileResponse *r = (Stage__V1__UploadFileResponse *)sb_unpack(
            &stage__v1__upload_file_response__descriptor, u->in);
        if (r && r->job) {
            snprintf(u->job, sizeof(u->job), "%s", r->job->id);
            u->state = (int)r->job->state;
        }
        if (!r)
            snprintf(u->err, sizeof(u->err), "the reply does not unpack");
        if (r)
            protobuf_c_message_free_unpacked(&r->base, NULL);
    } else if (!u->err[0]) {
        snprintf(u->err, sizeof(u->err), "status %d: %.*s", (int)u->status,
                 (int)GRPC_SLICE_LENGTH(u->details),
                 (const char *)GRPC_SLICE_START_PTR(u->details));
    }
    if (u->in)
        grpc_byte_buffer_destroy(u->in);
    u->in = NULL;
    grpc_call_unref(u->call);
    u->call = NULL;
    grpc_metadata_array_destroy(&u->imd);
    grpc_metadata_array_destroy(&u->tmd);
    grpc_slice_unref(u->details);
    u->done = true;
    e->live--;
}

static void on_event(struct ueng *e, grpc_event ev)
{
    struct up *u = SB_TAG_PTR(ev.tag);
    u->pending--;
    switch (SB_TAG_KIND(ev.tag)) {
    case K_SEND:
        grpc_byte_buffer_destroy(u->out);
        u->out = NULL;
        u->sending = false;
        if (!ev.success && !u->closed && !u->status_done)
            post_fin(u); /* the stream broke: the status comes after our half-close */
        else if (ev.success && !u->rate)
            up_pump(e, u, sb_now_ns());
        break;
    case K_FIN:
        break;
    case K_STATUS:
        u->status_done = true;
        if (u->sending)
            grpc_call_cancel(u->call, NULL); /* the server answered early */
        break;
    }
    if (u->pending == 0 && u->status_done)
        up_finish(e, u);
}

/* Handle what completes within `wait_ms`, then pace the slow streams. */
static void eng_step(struct ueng *e, int wait_ms)
{
    grpc_event ev = grpc_completion_queue_next(
        e->cq,
        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(wait_ms, GPR_TIMESPAN)),
        NULL);
    while (ev.type == GRPC_OP_COMPLETE) {
        on_event(e, ev);
        ev = grpc_completion_queue_next(e->cq, gpr_inf_past(GPR_CLOCK_MONOTONIC), NULL);
    }
    int64_t now = sb_now_ns();
    for (int i = 0; i < e->npaced; i++)
        if (!e->paced[i]->done)
            up_pump(e, e->paced[i], now);
}

static void eng_add_paced(struct ueng *e, struct up *u)
{
    struct up **p = realloc(e->paced, (size_t)(e->npaced + 1) * sizeof(*p));
    if (!p) {
        fprintf(stderr, "stagebench: out of memory\n");
        exit(1);
    }
    e->paced = p;
    e->paced[e->npaced++] = u;
}

static double mibs(long long bytes, int64_t ns)
{
    return ns > 0 ? (double)bytes / 1048576.0 / ((double)ns / 1e9) : 0;
}

/* ------------------------------------------------------------ push, pushsink */

int sb_push(const struct sb_opts *o, bool sink)
{
    struct ueng e;
    static struct up u;
    const char *target = sink ? o->server : g_server;
    if (eng_init(&e, target, 1, sink ? SINK_METHOD : RPC_SERVICE "UploadFile", !sink, 65536)) {
        fprintf(stderr, "stagebench: cannot set up the channel\n");
        return 1;
    }
    e.wait = true;
    snprintf(u.loc, sizeof(u.loc), "%s", sink ? "sink" : o->location);
    u.size = o->size;
    up_start(&e, &u);
    while (e.live > 0)
        eng_step(&e, 1000);
    int rc = 0;
    if (u.status != GRPC_STATUS_OK || u.err[0]) {
        fprintf(stderr, "stagebench: upload to %s: %s\n", target, u.err);
        rc = 1;
    } else if (!sink && u.state != STAGE__V1__JOB_STATE__SUCCEEDED) {
        fprintf(stderr, "stagebench: upload job %s ended in state %d\n", u.job, u.state);
        rc = 1;
    }
    if (!rc)
        printf("bytes=%lld seconds=%.3f mibs=%.1f\n", u.sent, (double)(u.t1 - u.t0) / 1e9,
               mibs(u.sent, u.t1 - u.t0));
    eng_free(&e);
    return rc;
}

/* ------------------------------------------------------------ slowup */

/* The newest job of ours on `loc` created since `since_ms`, from ListJobs
 * (newest first): the upload's job before UploadFile answers. 0 and its id
 * in `id`, or -1 (not there yet, or the call failed). */
static int find_job(struct rpc_conn *c, const char *loc, int64_t since_ms, char *id, size_t idlen)
{
    Stage__V1__ListJobsRequest req = STAGE__V1__LIST_JOBS_REQUEST__INIT;
    Stage__V1__ListJobsResponse *resp = NULL;
    struct rpc_status st;
    req.page_size = 100;
    if (rpc_unary(c, RPC_SERVICE "ListJobs", &req.base, &stage__v1__list_jobs_response__descriptor,
                  (ProtobufCMessage **)&resp, &st))
        return -1;
    int rc = -1;
    for (size_t i = 0; rc && i < resp->n_jobs; i++) {
        const Stage__V1__Job *j = resp->jobs[i];
        if (j->kind == STAGE__V1__JOB_KIND__UPLOAD && strcmp(j->location, loc) == 0 &&
            j->created_at >= since_ms) {
            snprintf(id, idlen, "%s", j->id);
            rc = 0;
        }
    }
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return rc;
}

int sb_slowup(const struct sb_opts *o)
{
    struct ueng e;
    struct rpc_conn c;
    static struct up u;
    if (eng_init(&e, g_server, 1, RPC_SERVICE "UploadFile", true, o->rate) ||
        rpc_conn_init(&c, g_server, g_auth)) {
        fprintf(stderr, "stagebench: cannot set up the channel\n");
        return 1;
    }
    c.timeout_ms = 10000;
    e.wait = false;
    snprintf(u.loc, sizeof(u.loc), "%s", o->location);
    u.size = (long long)((double)o->rate * o->seconds);
    u.rate = o->rate;
    int64_t since = sb_wall_ms() - 1000; /* created_at is the frontend's clock: the same */
    up_start(&e, &u);
    eng_add_paced(&e, &u);
    bool told = false;
    int64_t next_try = 0;
    while (e.live > 0) {
        eng_step(&e, STEP_MS);
        if (!told && sb_now_ns() >= next_try) {
            char id[48];
            next_try = sb_now_ns() + 50000000;
            if (find_job(&c, u.loc, since, id, sizeof(id)) == 0) {
                printf("job=%s\n", id);
                fflush(stdout);
                told = true;
            }
        }
    }
    int rc = u.status != GRPC_STATUS_OK || u.err[0] || !told;
    if (u.err[0])
        fprintf(stderr, "stagebench slowup: %s\n", u.err);
    else if (!told)
        fprintf(stderr, "stagebench slowup: the job never showed in ListJobs\n");
    printf("state=%d bytes=%lld seconds=%.3f\n", u.state, u.sent, (double)(u.t1 - u.t0) / 1e9);
    rpc_conn_cleanup(&c);
    eng_free(&e);
    return rc;
}

/* ------------------------------------------------------------ uploads */

static bool all_done(const struct up *u, int n)
{
    for (int i = 0; i < n; i++)
        if (!u[i].done)
            return false;
    return true;
}

/* Each stream sent its first chunk, or ended (refused). */
static bool all_open(const struct up *u, int n)
{
    for (int i = 0; i < n; i++)
        if (!u[i].done && u[i].sent == 0)
            return false;
    return true;
}

static void launch(struct ueng *e, struct up *u, int n, const char *what, int round, long long size)
{
    for (int i = 0; i < n; i++) {
        snprintf(u[i].loc, sizeof(u[i].loc), "@~/bench-up/fast-%s%d-%03d", what, round, i);
        u[i].size = size;
        up_start(e, &u[i]);
    }
}

/* MiB/s of a round: the bytes of its uploads that succeeded over the time
 * from `t0` to the last reply. */
static double round_mibs(const struct up *u, int n, int64_t t0)
{
    long long bytes = 0;
    int64_t end = t0;
    for (int i = 0; i < n; i++) {
        if (u[i].status == GRPC_STATUS_OK && !u[i].err[0])
            bytes += u[i].sent;
        if (u[i].t1 > end)
            end = u[i].t1;
    }
    return mibs(bytes, end - t0);
}

static double median(double *v, int n)
{
    for (int i = 0; i < n; i++)
        for (int k = i + 1; k < n; k++)
            if (v[k] < v[i]) {
                double t = v[i];
                v[i] = v[k];
                v[k] = t;
            }
    return n ? v[n / 2] : 0;
}

/* GetJob until each job that got one ended (or `deadline`); its state in
 * u->state (-1: unknown). */
static void wait_jobs(struct rpc_conn *c, struct up *u, int n, int64_t deadline)
{
    for (int i = 0; i < n; i++) {
        if (!u[i].job[0])
            continue;
        for (;;) {
            u[i].state = sb_job_state(c, u[i].job);
            if (u[i].state >= STAGE__V1__JOB_STATE__SUCCEEDED || sb_now_ns() > deadline)
                break;
            usleep(20000);
        }
    }
}

struct tally {
    int ok, refused, errors;
    char first_err[240];
};

static void tally(const struct up *u, int n, struct tally *t)
{
    memset(t, 0, sizeof(*t));
    for (int i = 0; i < n; i++) {
        if (u[i].state == STAGE__V1__JOB_STATE__SUCCEEDED)
            t->ok++;
        else if (u[i].status == GRPC_STATUS_RESOURCE_EXHAUSTED)
            t->refused++;
        else {
            t->errors++;
            if (!t->first_err[0])
                snprintf(t->first_err, sizeof(t->first_err), "%.60s: %.120s (job %.40s state %d)",
                         u[i].loc, u[i].err[0] ? u[i].err : "-", u[i].job[0] ? u[i].job : "-",
                         u[i].state);
        }
    }
}

static void stop_all(struct up *u, int n)
{
    for (int i = 0; i < n; i++)
        u[i].stop = true;
}

/* Step until the `n` calls at `u` ended; past `deadline` they are cancelled. */
static void run_round(struct ueng *e, struct up *u, int n, int64_t deadline)
{
    bool cancelled = false;
    while (!all_done(u, n)) {
        eng_step(e, STEP_MS);
        if (!cancelled && sb_now_ns() > deadline) {
            fprintf(stderr, "stagebench uploads: timeout: uploads cancelled\n");
            for (int i = 0; i < n; i++)
                if (u[i].call && !u[i].done)
                    grpc_call_cancel(u[i].call, NULL);
            cancelled = true;
        }
    }
}

int sb_uploads(const struct sb_opts *o)
{
    const int nf = o->fast, ns = o->slow;
    const int64_t slow_ns = (int64_t)(o->seconds * 1e9);
    struct ueng e;
    struct rpc_conn c;
    struct up *fast = calloc((size_t)(2 * ROUNDS * nf), sizeof(*fast));
    struct up *slow = calloc((size_t)(ns ? ns : 1), sizeof(*slow));
    if (!fast || !slow ||
        eng_init(&e, g_server, o->channels, RPC_SERVICE "UploadFile", true, o->slow_rate) ||
        rpc_conn_init(&c, g_server, g_auth)) {
        fprintf(stderr, "stagebench uploads: cannot set up\n");
        return 1;
    }
    e.wait = false;
    c.timeout_ms = 10000;
    int64_t deadline = sb_now_ns() + (int64_t)(o->timeout * 1e9);
    double alone[ROUNDS], with[ROUNDS];

    for (int r = 0; r < ROUNDS; r++) { /* the fast ones alone */
        struct up *fr = fast + r * nf;
        int64_t t0 = sb_now_ns();
        launch(&e, fr, nf, "a", r, o->size);
        run_round(&e, fr, nf, deadline);
        alone[r] = round_mibs(fr, nf, t0);
        wait_jobs(&c, fr, nf, deadline); /* workers idle again before the next */
    }

    int64_t ts = sb_now_ns();
    for (int i = 0; i < ns; i++) {
        snprintf(slow[i].loc, sizeof(slow[i].loc), "@~/bench-up/slow-%05d", i);
        slow[i].size = -1;
        slow[i].rate = o->slow_rate;
        up_start(&e, &slow[i]);
        eng_add_paced(&e, &slow[i]);
    }
    while (!all_open(slow, ns) && sb_now_ns() - ts < slow_ns)
        eng_step(&e, STEP_MS);
    int64_t open_ns = sb_now_ns() - ts;
    int nwith = 0; /* rounds launched while the slow ones run */
    while (nwith < ROUNDS && (nwith == 0 || sb_now_ns() - ts < slow_ns)) {
        struct up *fr = fast + (ROUNDS + nwith) * nf;
        int64_t t0 = sb_now_ns();
        launch(&e, fr, nf, "b", nwith, o->size);
        while (!all_done(fr, nf) && sb_now_ns() < deadline) {
            eng_step(&e, STEP_MS);
            if (sb_now_ns() - ts >= slow_ns)
                stop_all(slow, ns); /* on time, even if the round waits for them */
        }
        run_round(&e, fr, nf, deadline);
        with[nwith++] = round_mibs(fr, nf, t0);
    }
    while (sb_now_ns() - ts < slow_ns)
        eng_step(&e, STEP_MS);
    stop_all(slow, ns);
    int unfinished = 0;
    while (e.live > 0) {
        eng_step(&e, STEP_MS);
        if (!unfinished && e.live > 0 && sb_now_ns() > deadline) {
            unfinished = e.live;
            fprintf(stderr, "stagebench uploads: timeout: %d uploads cancelled\n", e.live);
            for (int i = 0; i < ns; i++)
                if (slow[i].call && !slow[i].done)
                    grpc_call_cancel(slow[i].call, NULL);
        }
    }
    int64_t slow_end = sb_now_ns();
    long long slow_bytes = 0;
    for (int i = 0; i < ns; i++)
        slow_bytes += slow[i].sent;

    wait_jobs(&c, slow, ns, deadline);
    wait_jobs(&c, fast + ROUNDS * nf, nwith * nf, deadline);
    struct tally tsl, tf;
    tally(slow, ns, &tsl);
    tally(fast, (ROUNDS + nwith) * nf, &tf);
    printf("slow=%d slow_ok=%d slow_refused=%d fast=%d fast_ok=%d fast_total=%d fast_refused=%d "
           "fast_mibs=%.1f fast_alone_mibs=%.1f errors=%d unfinished=%d slow_open_ms=%.0f "
           "slow_seconds=%.1f slow_mib=%.1f rounds_beside_slow=%d\n",
           ns, tsl.ok, tsl.refused, nf, tf.ok, (ROUNDS + nwith) * nf, tf.refused,
           median(with, nwith), median(alone, ROUNDS), tsl.errors + tf.errors, unfinished,
           (double)open_ns / 1e6, (double)(slow_end - ts) / 1e9, (double)slow_bytes / 1048576.0,
           nwith);
    if (tsl.first_err[0])
        fprintf(stderr, "stagebench uploads: first slow error: %s\n", tsl.first_err);
    if (tf.first_err[0])
        fprintf(stderr, "stagebench uploads: first fast error: %s\n", tf.first_err);
    rpc_conn_cleanup(&c);
    eng_free(&e);
    free(fast);
    free(slow);
    return 0;
}
