/* stagebench.c - load generator for tests/bench/run.sh: call rates, latency
 * percentiles and stream figures measured in C, so the client is not the
 * bottleneck (a Python loop tops out well below the server).
 *
 *   stagebench poll   --job ID [--clients N] [--seconds S]   GetJob
 *   stagebench health [--clients N] [--seconds S]            Health/Check
 *   stagebench qlat   [--count N]     UploadFile (1 KiB, wait=false) return
 *                                     -> GetJob says SUCCEEDED, per job
 *   stagebench watch  --job ID --streams N [--channels C] [--timeout S]
 *                     N WatchJob streams held to the job's end + GetJob
 *                     latency meanwhile (sb_watch.c)
 *   stagebench slowup --location L --seconds S --rate B
 *                     one upload at B bytes/s that keeps its job RUNNING
 *                     for S seconds; prints job=ID early (sb_upload.c)
 *   stagebench uploads --slow N --slow-rate B --fast F --size BYTES
 *                     [--seconds S] [--channels C] [--timeout S]
 *                     F full-speed uploads alone, then beside N slow ones
 *   stagebench push   --location L --size BYTES     one upload (wait=true)
 *   stagebench pushsink --server ADDR --size BYTES  the same to a sink
 *   stagebench sink   --listen ADDR   bare gRPC server counting bytes (sb_sink.c)
 *
 * Server: STAGE_SERVER; credentials as stagectl (STAGE_TOKEN, STAGE_USER +
 * STAGE_PASSWORD, the token file; not for sink and pushsink). Each mode
 * prints one line of key=value figures for scripts to parse ("calls=...
 * rate=... p50_us=... p99_us=..." for poll, health and qlat, where each
 * client thread has its own channel and runs one call at a time). The
 * stream modes run every stream from one thread on one completion queue.
 * Refusals by the server are figures, not failures: the exit code is
 * non-zero only when the tool itself could not do its job. */
#include "creds.h"
#include "rpc.h"
#include "sb.h"

#include "grpc/health/v1/health.pb-c.h"
#include "stage/v1/stage.pb-c.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CLIENTS 256
#define MAX_SAMPLES (1 << 22)

struct client {
    pthread_t t;
    const char *mode, *job;
    double seconds;
    int64_t *lat; /* ns, one per call */
    size_t n, cap;
    int err;
    char msg[512];
};

const char *g_server;
char g_auth[1200];

static int call_once(struct rpc_conn *c, const char *mode, const char *job, struct rpc_status *st)
{
    ProtobufCMessage *resp = NULL;
    int rc;
    if (strcmp(mode, "poll") == 0) {
        Stage__V1__GetJobRequest req = STAGE__V1__GET_JOB_REQUEST__INIT;
        req.job_id = (char *)job;
        rc = rpc_unary(c, RPC_SERVICE "GetJob", &req.base, &stage__v1__get_job_response__descriptor,
                       &resp, st);
    } else {
        Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
        rc = rpc_unary(c, "/grpc.health.v1.Health/Check", &req.base,
                       &grpc__health__v1__health_check_response__descriptor, &resp, st);
    }
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

static void *client_run(void *arg)
{
    struct client *cl = arg;
    struct rpc_conn c;
    struct rpc_status st;
    if (rpc_conn_init(&c, g_server, g_auth)) {
        cl->err = -1;
        snprintf(cl->msg, sizeof(cl->msg), "cannot make a channel");
        return NULL;
    }
    c.timeout_ms = 10000;
    /* one warm-up call opens the connection outside the measurement */
    if (call_once(&c, cl->mode, cl->job, &st)) {
        cl->err = -1;
        snprintf(cl->msg, sizeof(cl->msg), "%s", st.msg);
        rpc_conn_cleanup(&c);
        return NULL;
    }
    int64_t end = sb_now_ns() + (int64_t)(cl->seconds * 1e9);
    while (cl->n < cl->cap) {
        int64_t t0 = sb_now_ns();
        if (t0 >= end)
            break;
        if (call_once(&c, cl->mode, cl->job, &st)) {
            cl->err = -1;
            snprintf(cl->msg, sizeof(cl->msg), "%s", st.msg);
            break;
        }
        cl->lat[cl->n++] = sb_now_ns() - t0;
    }
    rpc_conn_cleanup(&c);
    return NULL;
}

static void report(int64_t *all, size_t n, double seconds, int64_t unit, const char *u)
{
    qsort(all, n, sizeof(*all), sb_cmp64);
    printf("calls=%zu rate=%.0f p50_%s=%.1f p99_%s=%.1f\n", n, (double)n / seconds, u,
           (double)sb_pct(all, n, 0.50) / (double)unit, u,
           (double)sb_pct(all, n, 0.99) / (double)unit);
}

static int rate_bench(const char *mode, const char *job, int nclients, double seconds)
{
    static struct client cls[MAX_CLIENTS];
    size_t cap = MAX_SAMPLES / (size_t)nclients;
    for (int i = 0; i < nclients; i++) {
        cls[i] = (struct client){.mode = mode, .job = job, .seconds = seconds, .cap = cap};
        cls[i].lat = malloc(cap * sizeof(int64_t));
        if (!cls[i].lat || pthread_create(&cls[i].t, NULL, client_run, &cls[i]) != 0) {
            fprintf(stderr, "stagebench: cannot start client %d\n", i);
            return 1;
        }
    }
    int64_t t0 = sb_now_ns();
    size_t total = 0;
    int bad = 0;
    for (int i = 0; i < nclients; i++) {
        pthread_join(cls[i].t, NULL);
        total += cls[i].n;
        if (cls[i].err) {
            fprintf(stderr, "stagebench: client %d: %s\n", i, cls[i].msg);
            bad = 1;
        }
    }
    double elapsed = (double)(sb_now_ns() - t0) / 1e9;
    int64_t *all = malloc((total ? total : 1) * sizeof(int64_t));
    size_t k = 0;
    for (int i = 0; i < nclients; i++) {
        memcpy(all + k, cls[i].lat, cls[i].n * sizeof(int64_t));
        k += cls[i].n;
        free(cls[i].lat);
    }
    report(all, total, elapsed > seconds ? elapsed : seconds, 1000, "us");
    free(all);
    return bad;
}

struct list_prod {
    const ProtobufCMessage *const *m;
    int i, n;
};

static int list_produce(const ProtobufCMessage **msg, void *ud, struct rpc_status *st)
{
    struct list_prod *p = ud;
    (void)st;
    if (p->i >= p->n)
        return 0;
    *msg = p->m[p->i++];
    return 1;
}

/* Upload 1 KiB without waiting, then GetJob back to back until SUCCEEDED:
 * the time the job spent in the queue and on a worker, as a caller sees it. */
static int qlat_one(struct rpc_conn *c, int i, int64_t *out_ns)
{
    static uint8_t kib[1024];
    char loc[64];
    struct rpc_status st;
    snprintf(loc, sizeof(loc), "@~/bench-qlat/f%06d", i);
    Stage__V1__UploadHeader hdr = STAGE__V1__UPLOAD_HEADER__INIT;
    hdr.location = loc;
    hdr.size = sizeof(kib);
    hdr.has_size = true;
    hdr.overwrite = true;
    Stage__V1__UploadFileRequest m1 = STAGE__V1__UPLOAD_FILE_REQUEST__INIT,
                                 m2 = STAGE__V1__UPLOAD_FILE_REQUEST__INIT;
    m1.msg_case = STAGE__V1__UPLOAD_FILE_REQUEST__MSG_HEADER;
    m1.header = &hdr;
    m2.msg_case = STAGE__V1__UPLOAD_FILE_REQUEST__MSG_CHUNK;
    m2.chunk.data = kib;
    m2.chunk.len = sizeof(kib);
    const ProtobufCMessage *msgs[2] = {&m1.base, &m2.base};
    struct list_prod prod = {msgs, 0, 2};
    Stage__V1__UploadFileResponse *resp = NULL;
    int rc = rpc_client_stream(c, RPC_SERVICE "UploadFile", list_produce, &prod,
                               &stage__v1__upload_file_response__descriptor,
                               (ProtobufCMessage **)&resp, &st);
    if (rc || !resp->job) {
        fprintf(stderr, "stagebench: upload %s: %s\n", loc, st.msg);
        return 1;
    }
    int64_t t0 = sb_now_ns();
    char id[64];
    snprintf(id, sizeof(id), "%s", resp->job->id);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    for (;;) {
        Stage__V1__GetJobRequest req = STAGE__V1__GET_JOB_REQUEST__INIT;
        Stage__V1__GetJobResponse *gj = NULL;
        req.job_id = id;
        if (rpc_unary(c, RPC_SERVICE "GetJob", &req.base, &stage__v1__get_job_response__descriptor,
                      (ProtobufCMessage **)&gj, &st)) {
            fprintf(stderr, "stagebench: GetJob %s: %s\n", id, st.msg);
            return 1;
        }
        int state = gj->job ? (int)gj->job->state : 0;
        protobuf_c_message_free_unpacked(&gj->base, NULL);
        if (state == STAGE__V1__JOB_STATE__SUCCEEDED)
            break;
        if (state == STAGE__V1__JOB_STATE__FAILED || state == STAGE__V1__JOB_STATE__CANCELLED) {
            fprintf(stderr, "stagebench: job %s ended in state %d\n", id, state);
            return 1;
        }
    }
    *out_ns = sb_now_ns() - t0;
    return 0;
}

static int qlat_bench(int count)
{
    struct rpc_conn c;
    if (rpc_conn_init(&c, g_server, g_auth))
        return 1;
    c.timeout_ms = 30000;
    int64_t *lat = calloc((size_t)count, sizeof(int64_t));
    int64_t t0 = sb_now_ns();
    int rc = lat ? 0 : 1;
    for (int i = 0; !rc && i < count; i++)
        rc = qlat_one(&c, i, &lat[i]);
    if (!rc)
        report(lat, (size_t)count, (double)(sb_now_ns() - t0) / 1e9, 1000000, "ms");
    free(lat);
    rpc_conn_cleanup(&c);
    return rc;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: stagebench poll --job ID [--clients N] [--seconds S]\n"
            "       stagebench health [--clients N] [--seconds S]\n"
            "       stagebench qlat [--count N]\n"
            "       stagebench watch --job ID --streams N [--channels C] [--timeout S]\n"
            "       stagebench slowup --location L --seconds S --rate BYTES_PER_S\n"
            "       stagebench uploads --slow N --slow-rate BYTES_PER_S --fast F --size BYTES\n"
            "                          [--seconds S] [--channels C] [--timeout S]\n"
            "       stagebench push --location L --size BYTES\n"
            "       stagebench pushsink --server ADDR --size BYTES\n"
            "       stagebench sink --listen ADDR\n");
}

static bool is(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

/* Is the mode given what it needs? */
static bool opts_ok(const char *mode, const struct sb_opts *o, int clients, int count)
{
    if (is(mode, "health") || is(mode, "poll"))
        return (!is(mode, "poll") || o->job) && clients >= 1 && clients <= MAX_CLIENTS &&
               o->seconds > 0;
    if (is(mode, "qlat"))
        return count >= 1;
    if (o->channels < 1 || o->channels > 1024 || o->timeout <= 0)
        return false;
    if (is(mode, "watch"))
        return o->job && o->streams >= 1;
    if (is(mode, "slowup"))
        return o->location && o->seconds > 0 && o->rate > 0;
    if (is(mode, "uploads"))
        return o->slow >= 0 && o->slow_rate > 0 && o->fast >= 1 && o->size >= 0 && o->seconds > 0;
    if (is(mode, "push"))
        return o->location && o->size >= 0;
    if (is(mode, "pushsink"))
        return o->server && o->size >= 0;
    if (is(mode, "sink"))
        return o->listen != NULL;
    return false;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    int clients = 1, count = 200;
    struct sb_opts o = {.channels = 16, .seconds = 3, .timeout = 600, .size = -1};
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (is(k, "--job"))
            o.job = v;
        else if (is(k, "--clients"))
            clients = atoi(v);
        else if (is(k, "--seconds"))
            o.seconds = atof(v);
        else if (is(k, "--count"))
            count = atoi(v);
        else if (is(k, "--streams"))
            o.streams = atoi(v);
        else if (is(k, "--channels"))
            o.channels = atoi(v);
        else if (is(k, "--timeout"))
            o.timeout = atof(v);
        else if (is(k, "--location"))
            o.location = v;
        else if (is(k, "--rate"))
            o.rate = atoll(v);
        else if (is(k, "--slow"))
            o.slow = atoi(v);
        else if (is(k, "--slow-rate"))
            o.slow_rate = atoll(v);
        else if (is(k, "--fast"))
            o.fast = atoi(v);
        else if (is(k, "--size"))
            o.size = atoll(v);
        else if (is(k, "--server"))
            o.server = v;
        else if (is(k, "--listen"))
            o.listen = v;
        else {
            usage();
            return 2;
        }
    }
    if ((argc % 2) != 0 || !opts_ok(mode, &o, clients, count)) {
        usage();
        return 2;
    }
    bool bare = is(mode, "sink") || is(mode, "pushsink");
    char err[256];
    g_server = getenv("STAGE_SERVER") ? getenv("STAGE_SERVER") : "127.0.0.1:7070";
    if (!bare && creds_authorization(NULL, NULL, g_auth, sizeof(g_auth), err, sizeof(err))) {
        fprintf(stderr, "stagebench: %s\n", err);
        return 1;
    }
    rpc_global_init();
    int rc;
    if (is(mode, "qlat"))
        rc = qlat_bench(count);
    else if (is(mode, "watch"))
        rc = sb_watch(&o);
    else if (is(mode, "slowup"))
        rc = sb_slowup(&o);
    else if (is(mode, "uploads"))
        rc = sb_uploads(&o);
    else if (is(mode, "push") || is(mode, "pushsink"))
        rc = sb_push(&o, is(mode, "pushsink"));
    else if (is(mode, "sink"))
        rc = sb_sink(&o);
    else
        rc = rate_bench(mode, o.job, clients, o.seconds);
    rpc_global_cleanup();
    return rc;
}
