/* Unit tests for the S3 writer's requests that the emulator cannot check
 * (s3rver 5 has no AbortMultipartUpload, never sends a CompleteMultipartUpload
 * 200 with an <Error> body, and never checks x-amz-content-sha256): the real
 * backend on an event_base talks to a scripted HTTP server on a loopback
 * socket in this process, which records every request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend.h"
#include "backend_s3.h"
#include "bstats.h"
#include "err.h"
#include "netguard.h"
#include "promtext.h"
#include "sigv4.h"
#include "storspec.h"

#define MIB   (1024 * 1024)
#define MAXRQ 64

/* ---- the scripted server ---- */

struct rq {
    char method[8];
    char target[512]; /* path?query */
    char sha_hdr[80]; /* x-amz-content-sha256 */
    char body_sha[80];
    char auth[512];
    char copy_src[600];  /* x-amz-copy-source */
    char copy_range[64]; /* x-amz-copy-source-range */
    bool if_none_match;
    char *body; /* kept for POSTs only */
    size_t len;
};

enum mode { M_OK, M_PART2_403, M_COMPLETE_200_ERROR, M_COPY_200_ERROR, M_REDIRECT };

static struct {
    pthread_mutex_t mu;
    int lfd, port;
    enum mode mode;
    struct rq rq[MAXRQ];
    int n;
} srv = {.mu = PTHREAD_MUTEX_INITIALIZER};

static bool read_line(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    char c;
    while (read(fd, &c, 1) == 1) {
        if (c == '\n') {
            if (n && buf[n - 1] == '\r')
                n--;
            buf[n] = '\0';
            return true;
        }
        if (n + 1 < cap)
            buf[n++] = c;
    }
    return false;
}

static void reply(int fd, int status, const char *extra, const char *body)
{
    char head[512];
    int n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\n%sContent-Length: %zu\r\n\r\n", status,
                     extra, strlen(body));
    if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0)
        return;
}

/* The script: what the server answers to each request. */
static void answer(int fd, const struct rq *r)
{
    const char *pn = strstr(r->target, "partNumber=");
    char body[256];
    if (r->copy_src[0] && pn) { /* UploadPartCopy: the ETag is in the body */
        if (srv.mode == M_PART2_403 && strstr(r->target, "partNumber=2&")) {
            reply(fd, 403, "",
                  "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>");
            return;
        }
        snprintf(body, sizeof(body), "<CopyPartResult><ETag>\"cp-%d\"</ETag></CopyPartResult>",
                 atoi(pn + 11));
        reply(fd, 200, "", body);
    } else if (r->copy_src[0]) { /* CopyObject */
        if (srv.mode == M_COPY_200_ERROR)
            reply(fd, 200, "",
                  "<Error><Code>InternalError</Code><Message>We encountered an internal "
                  "error.</Message></Error>");
        else
            reply(fd, 200, "", "<CopyObjectResult><ETag>\"c\"</ETag></CopyObjectResult>");
    } else if (strcmp(r->method, "POST") == 0 && strstr(r->target, "?uploads")) {
        reply(fd, 200, "",
              "<InitiateMultipartUploadResult><Bucket>bkt</Bucket><Key>k</Key>"
              "<UploadId>UP-1</UploadId></InitiateMultipartUploadResult>");
    } else if (strcmp(r->method, "PUT") == 0 && strstr(r->target, "partNumber=")) {
        if (srv.mode == M_PART2_403 && strstr(r->target, "partNumber=2&"))
            reply(fd, 403, "",
                  "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>");
        else
            reply(fd, 200, "ETag: \"etag-of-part\"\r\n", "");
    } else if (strcmp(r->method, "POST") == 0 && strstr(r->target, "?uploadId=")) {
        if (srv.mode == M_COMPLETE_200_ERROR)
            reply(fd, 200, "",
                  "<?xml version=\"1.0\"?>\n<Error><Code>InternalError</Code>"
                  "<Message>We encountered an internal error.</Message></Error>");
        else
            reply(fd, 200, "",
                  "<CompleteMultipartUploadResult><ETag>\"x-3\"</ETag>"
                  "</CompleteMultipartUploadResult>");
    } else if (strcmp(r->method, "DELETE") == 0) {
        reply(fd, 204, "", "");
    } else if (srv.mode == M_REDIRECT && !strstr(r->target, "/elsewhere")) {
        snprintf(body, sizeof(body), "Location: http://127.0.0.1:%d/elsewhere\r\n", srv.port);
        reply(fd, 302, body, "");
    } else {
        reply(fd, 200, "ETag: \"e\"\r\n", "");
    }
}

static bool serve_one(int fd)
{
    struct rq r = {0};
    char line[2048], path[512] = "";
    size_t len = 0;
    if (!read_line(fd, line, sizeof(line)) || sscanf(line, "%7s %511s", r.method, path) != 2)
        return false;
    memcpy(r.target, path, sizeof(r.target));
    while (read_line(fd, line, sizeof(line)) && line[0]) {
        if (strncasecmp(line, "content-length:", 15) == 0)
            len = strtoul(line + 15, NULL, 10);
        else if (strncasecmp(line, "x-amz-content-sha256:", 21) == 0)
            snprintf(r.sha_hdr, sizeof(r.sha_hdr), "%.*s", (int)sizeof(r.sha_hdr) - 1, line + 22);
        else if (strncasecmp(line, "x-amz-copy-source:", 18) == 0)
            snprintf(r.copy_src, sizeof(r.copy_src), "%.*s", (int)sizeof(r.copy_src) - 1,
                     line + 19);
        else if (strncasecmp(line, "x-amz-copy-source-range:", 24) == 0)
            snprintf(r.copy_range, sizeof(r.copy_range), "%.*s", (int)sizeof(r.copy_range) - 1,
                     line + 25);
        else if (strncasecmp(line, "if-none-match:", 14) == 0)
            r.if_none_match = true;
        else if (strncasecmp(line, "authorization:", 14) == 0)
            snprintf(r.auth, sizeof(r.auth), "%.*s", (int)sizeof(r.auth) - 1, line + 15);
    }
    char *body = malloc(len + 1);
    size_t got = 0;
    while (body && got < len) {
        ssize_t k = read(fd, body + got, len - got);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    if (!body || got < len) {
        free(body);
        return false;
    }
    body[len] = '\0';
    sigv4_sha256_hex(body, len, r.body_sha);
    r.len = len;
    if (strcmp(r.method, "POST") == 0)
        r.body = body;
    else
        free(body);
    pthread_mutex_lock(&srv.mu);
    if (srv.n < MAXRQ)
        srv.rq[srv.n++] = r;
    else
        free(r.body);
    pthread_mutex_unlock(&srv.mu);
    answer(fd, &r);
    return true;
}

static void *conn_main(void *arg)
{
    int fd = (int)(intptr_t)arg;
    while (serve_one(fd)) {
    }
    close(fd);
    return NULL;
}

static void *accept_main(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(srv.lfd, NULL, NULL);
        if (fd < 0)
            return NULL;
        pthread_t t;
        if (pthread_create(&t, NULL, conn_main, (void *)(intptr_t)fd) == 0)
            pthread_detach(t);
        else
            close(fd);
    }
}

static int start_server(void **state)
{
    (void)state;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    srv.lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (srv.lfd < 0 || bind(srv.lfd, (struct sockaddr *)&a, sizeof(a)) || listen(srv.lfd, 16) ||
        getsockname(srv.lfd, (struct sockaddr *)&a, &al))
        return -1;
    srv.port = ntohs(a.sin_port);
    pthread_t t;
    if (pthread_create(&t, NULL, accept_main, NULL))
        return -1;
    pthread_detach(t);
    return 0;
}

static void reset(enum mode m)
{
    pthread_mutex_lock(&srv.mu);
    for (int i = 0; i < srv.n; i++)
        free(srv.rq[i].body);
    memset(srv.rq, 0, sizeof(srv.rq));
    srv.n = 0;
    srv.mode = m;
    pthread_mutex_unlock(&srv.mu);
}

/* Requests whose method is `m` and target contains `needle`. */
static int count(const char *m, const char *needle)
{
    int c = 0;
    pthread_mutex_lock(&srv.mu);
    for (int i = 0; i < srv.n; i++)
        c += strcmp(srv.rq[i].method, m) == 0 && strstr(srv.rq[i].target, needle) != NULL;
    pthread_mutex_unlock(&srv.mu);
    return c;
}

static const struct rq *find(const char *m, const char *needle)
{
    for (int i = 0; i < srv.n; i++)
        if (strcmp(srv.rq[i].method, m) == 0 && strstr(srv.rq[i].target, needle))
            return &srv.rq[i];
    return NULL;
}

/* ---- driving the backend ---- */

struct res {
    int calls, rc;
    char msg[BACKEND_MSG_MAX];
    struct backend_writer *w;
};

static void on_done(int rc, const char *msg, void *ud)
{
    struct res *r = ud;
    r->calls++;
    r->rc = rc;
    snprintf(r->msg, sizeof(r->msg), "%s", msg ? msg : "");
}

static void on_open(int rc, const char *msg, struct backend_writer *w, void *ud)
{
    on_done(rc, msg, ud);
    ((struct res *)ud)->w = w;
}

/* Run the loop until `r` saw `calls` callbacks, for at most about 20 s. */
static void wait_for(struct event_base *base, const struct res *r, int calls)
{
    for (int i = 0; i < 200000 && r->calls < calls; i++) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        if (r->calls < calls)
            usleep(100);
    }
    if (r->calls != calls) {
        pthread_mutex_lock(&srv.mu);
        for (int i = 0; i < srv.n; i++)
            fprintf(stderr, "request %d: %s %s\n", i, srv.rq[i].method, srv.rq[i].target);
        pthread_mutex_unlock(&srv.mu);
    }
    assert_int_equal(r->calls, calls);
}

struct fx {
    struct event_base *base;
    struct backend *b;
    int64_t copy_max;  /* 0: S3's 5 GiB */
    const char *token; /* session_token, NULL: none */
    const struct netguard *guard;
    const char *host; /* of the endpoint, NULL: 127.0.0.1 */
};

static void fx_open(struct fx *f)
{
    struct storspec sp = {.type = STORSPEC_S3};
    char err[256] = "";
    snprintf(sp.bucket, sizeof(sp.bucket), "bkt");
    snprintf(sp.root, sizeof(sp.root), "root/");
    snprintf(sp.endpoint_url, sizeof(sp.endpoint_url), "http://%s:%d",
             f->host ? f->host : "127.0.0.1", srv.port);
    snprintf(sp.region, sizeof(sp.region), "us-east-1");
    snprintf(sp.access_key_id, sizeof(sp.access_key_id), "AKID");
    snprintf(sp.secret_access_key, sizeof(sp.secret_access_key), "SECRET");
    if (f->token)
        snprintf(sp.session_token, sizeof(sp.session_token), "%s", f->token);
    struct backend_s3_opts o = {
        .part_size = 5 * MIB, .parallel_parts = 2, .copy_max = f->copy_max, .guard = f->guard};
    f->base = event_base_new();
    assert_non_null(f->base);
    assert_int_equal(backend_s3_new(&f->b, f->base, &sp, &o, err, sizeof(err)), 0);
}

static void fx_close(struct fx *f)
{
    backend_free(f->b);
    event_base_free(f->base);
}

/* Open a writer for "k" and feed it `mib` MiB in 1 MiB parts. */
static struct backend_writer *feed(struct fx *f, int mib)
{
    static char chunk[MIB];
    struct res r = {0};
    memset(chunk, 'a', sizeof(chunk));
    assert_int_equal(backend_write_open(f->b, "k", NULL, on_open, &r), 0);
    wait_for(f->base, &r, 1);
    assert_int_equal(r.rc, 0);
    struct backend_writer *w = r.w;
    for (int i = 0; i < mib; i++) {
        struct res p = {0};
        assert_int_equal(backend_write_part(w, i, chunk, sizeof(chunk), on_done, &p), 0);
        wait_for(f->base, &p, 1);
        if (p.rc)
            break; /* a failed part is reported by a later call; the caller stops */
    }
    return w;
}

static void test_multipart_requests(void **state)
{
    (void)state;
    struct fx f = {0};
    struct res c = {0};
    reset(M_OK);
    fx_open(&f);
    struct backend_writer *w = feed(&f, 12); /* parts of 5, 5 and 2 MiB */
    assert_int_equal(backend_write_commit(w, on_done, &c), 0);
    wait_for(f.base, &c, 1);
    assert_int_equal(c.rc, 0);
    assert_int_equal(count("POST", "/bkt/root/k?uploads"), 1);
    /* the canonical (sorted) query: partNumber before uploadId */
    assert_int_equal(count("PUT", "/bkt/root/k?partNumber=1&uploadId=UP-1"), 1);
    assert_int_equal(count("PUT", "/bkt/root/k?partNumber=3&uploadId=UP-1"), 1);
    assert_int_equal(count("PUT", "?partNumber="), 3);
    assert_int_equal(count("DELETE", ""), 0);
    /* every request was recorded before its answer: no lock needed (nor wanted, as a
     * failed assertion would leave it held) */
    for (int i = 0; i < srv.n; i++) { /* s3rver never checks these */
        assert_string_equal(srv.rq[i].sha_hdr, srv.rq[i].body_sha);
        assert_non_null(strstr(srv.rq[i].auth, "AWS4-HMAC-SHA256 Credential=AKID/"));
        assert_non_null(strstr(srv.rq[i].auth, "host;x-amz-content-sha256;x-amz-date, Signature="));
        assert_null(strstr(srv.rq[i].auth, "SECRET"));
    }
    const struct rq *done = find("POST", "?uploadId=UP-1");
    assert_non_null(done);
    assert_non_null(
        strstr(done->body,
               "<Part><PartNumber>1</PartNumber><ETag>&quot;etag-of-part&quot;</ETag></Part>"));
    assert_non_null(strstr(done->body, "<PartNumber>3</PartNumber>"));
    assert_true(strstr(done->body, "<PartNumber>2</PartNumber>") <
                strstr(done->body, "<PartNumber>3</PartNumber>"));
    fx_close(&f);
}

/* The value of the series `series` (name{labels}) in the worker's
 * backend metrics, -1 if absent. */
static double backend_metric(const char *series)
{
    struct promtext_buf b;
    promtext_buf_init(&b, 1 << 16);
    bstats_render(&b);
    assert_false(b.full);
    char key[256];
    snprintf(key, sizeof(key), "\n%s ", series);
    const char *p = strstr(b.p, key);
    double v = p ? strtod(p + strlen(key), NULL) : -1;
    free(b.p);
    return v;
}

static void test_part_failure_aborts(void **state)
{
    (void)state;
    struct fx f = {0};
    struct res c = {0};
    reset(M_PART2_403);
    fx_open(&f);
    struct backend_writer *w = feed(&f, 12);
    assert_int_equal(backend_write_commit(w, on_done, &c), 0);
    wait_for(f.base, &c, 1);
    assert_int_equal(c.rc, ST_EPRECOND);
    assert_non_null(strstr(c.msg, "AccessDenied"));
    assert_int_equal(count("DELETE", "/bkt/root/k?uploadId=UP-1"), 1);
    assert_int_equal(count("POST", "?uploadId="), 0); /* never completed */
    fx_close(&f);
    /* a 403 is a client error, not retried */
    assert_true(backend_metric("stage_worker_backend_requests_total{backend=\"s3\",op=\"put\","
                               "outcome=\"client_error\"}") >= 1);
}

static void test_complete_200_error_fails_and_aborts(void **state)
{
    (void)state;
    struct fx f = {0};
    struct res c = {0};
    reset(M_COMPLETE_200_ERROR);
    bstats_reset();
    fx_open(&f);
    struct backend_writer *w = feed(&f, 11);
    assert_int_equal(backend_write_commit(w, on_done, &c), 0);
    wait_for(f.base, &c, 1);
    assert_int_not_equal(c.rc, 0);
    assert_non_null(strstr(c.msg, "InternalError"));
    assert_int_equal(count("DELETE", "/bkt/root/k?uploadId=UP-1"), 1);
    /* The metrics: an InternalError in a 200 is retried (each attempt a
     * server_error request, all but the last a retry), then the operation
     * fails once; the parts and the abort went through. */
    int posts = count("POST", "?uploadId=");
    assert_true(posts > 1);
    assert_true(backend_metric("stage_worker_backend_requests_total{backend=\"s3\",op=\"post\","
                               "outcome=\"server_error\"}") == posts);
    assert_true(backend_metric("stage_worker_backend_retries_total{backend=\"s3\",op=\"post\"}") ==
                posts - 1);
    assert_true(backend_metric("stage_worker_backend_errors_total{backend=\"s3\",op=\"post\"}") ==
                1);
    assert_true(backend_metric("stage_worker_backend_requests_total{backend=\"s3\",op=\"put\","
                               "outcome=\"ok\"}") == count("PUT", "partNumber="));
    assert_true(backend_metric("stage_worker_backend_requests_total{backend=\"s3\",op=\"delete\","
                               "outcome=\"ok\"}") == 1);
    assert_true(backend_metric("stage_worker_backend_retries_total{backend=\"s3\",op=\"put\"}") ==
                -1);
    fx_close(&f);
}

static void test_write_abort_sends_abort(void **state)
{
    (void)state;
    struct fx f = {0};
    struct res a = {0};
    reset(M_OK);
    fx_open(&f);
    struct backend_writer *w = feed(&f, 7); /* one 5 MiB part sent, 2 MiB buffered */
    assert_int_equal(backend_write_abort(w, on_done, &a), 0);
    wait_for(f.base, &a, 1);
    assert_int_equal(a.rc, 0);
    assert_int_equal(count("DELETE", "/bkt/root/k?uploadId=UP-1"), 1);
    assert_int_equal(count("POST", "?uploadId="), 0);
    fx_close(&f);
}

static void test_small_file_is_one_put(void **state)
{
    (void)state;
    struct fx f = {0};
    struct res c = {0};
    reset(M_OK);
    fx_open(&f);
    struct backend_writer *w = feed(&f, 3);
    assert_int_equal(backend_write_commit(w, on_done, &c), 0);
    wait_for(f.base, &c, 1);
    assert_int_equal(c.rc, 0);
    assert_int_equal(count("PUT", "/bkt/root/k"), 1);
    assert_int_equal(count("POST", ""), 0);
    fx_close(&f);
}

static void test_state_text(void **state)
{
    (void)state;
    char buf[256];
    const char *etags[] = {"\"e1\"", "\"e2\""};
    struct backend_s3_state st;
    assert_int_equal(backend_s3_state_format(buf, sizeof(buf), 8 * MIB, "UP-1", etags, 2), 0);
    assert_string_equal(buf, "s3w1 8388608 UP-1 2\n\"e1\"\n\"e2\"\n");
    assert_int_equal(backend_s3_state_parse(buf, &st), 0);
    assert_int_equal(st.part_size, 8 * MIB);
    assert_string_equal(st.upload_id, "UP-1");
    assert_int_equal(st.k, 2);
    assert_string_equal(st.etags[1], "\"e2\"");
    backend_s3_state_free(&st);
    /* no multipart upload yet */
    assert_int_equal(backend_s3_state_format(buf, sizeof(buf), 5 * MIB, "", NULL, 0), 0);
    assert_string_equal(buf, "s3w1 5242880 - 0\n");
    assert_int_equal(backend_s3_state_parse(buf, &st), 0);
    assert_string_equal(st.upload_id, "");
    backend_s3_state_free(&st);
    /* refused: blanks, parts without an upload, short buffers, damaged text */
    const char *bad[] = {"\"e 1\""};
    assert_int_equal(backend_s3_state_format(buf, sizeof(buf), 8 * MIB, "UP", bad, 1), ST_EINVAL);
    assert_int_equal(backend_s3_state_format(buf, sizeof(buf), 8 * MIB, "", etags, 1), ST_EINVAL);
    assert_int_equal(backend_s3_state_format(buf, 20, 8 * MIB, "UP-1", etags, 2), ST_ELIMIT);
    assert_int_equal(backend_s3_state_parse("s3w1 8388608 UP-1 3\n\"e1\"\n\"e2\"\n", &st),
                     ST_EINVAL);
    assert_int_equal(backend_s3_state_parse("s3w1 8388608 UP-1 1\n\"e1\"\nextra", &st), ST_EINVAL);
    assert_int_equal(backend_s3_state_parse("s3w1 1024 UP-1 0\n", &st), ST_EINVAL);
    assert_int_equal(backend_s3_state_parse("w-1234", &st), ST_EINVAL);
    assert_int_equal(backend_s3_state_parse("s3w1 8388608 - 1\n\"e1\"\n", &st), ST_EINVAL);
}

static void test_part_align(void **state)
{
    (void)state;
    assert_int_equal(backend_s3_part_align(8 * MIB, 0), 8 * MIB);
    assert_int_equal(backend_s3_part_align(8 * MIB, MIB), 8 * MIB);
    assert_int_equal(backend_s3_part_align(8 * MIB, 3 * MIB), 9 * MIB);
    assert_int_equal(backend_s3_part_align(5 * MIB, 8 * MIB), 8 * MIB);
    assert_int_equal(backend_s3_part_align(8 * MIB, 64 * 1024), 8 * MIB);
}

/* Run the loop until the writer's state says `want` bytes are stored. */
static void wait_durable(struct fx *f, struct backend_writer *w, int64_t want, char *st, size_t n)
{
    int64_t d = -1;
    for (int i = 0; i < 200000; i++) {
        assert_int_equal(backend_write_state(w, st, n, &d), 0);
        if (d == want)
            return;
        event_base_loop(f->base, EVLOOP_NONBLOCK);
        usleep(100);
    }
    assert_int_equal(d, want);
}

static void feed_more(struct fx *f, struct backend_writer *w, int from, int mib)
{
    static char chunk[MIB];
    memset(chunk, 'b', sizeof(chunk));
    for (int i = from; i < from + mib; i++) {
        struct res p = {0};
        assert_int_equal(backend_write_part(w, i, chunk, sizeof(chunk), on_done, &p), 0);
        wait_for(f->base, &p, 1);
        assert_int_equal(p.rc, 0);
    }
}

/* A writer detached after two stored parts (and 1 MiB buffered) is resumed
 * from its state by a new writer: it creates no second upload, re-sends
 * nothing stored, and completes parts 1..3. */
static void test_resume_after_detach(void **state)
{
    (void)state;
    struct fx f = {0};
    struct res o = {0}, c = {0};
    char st[4096];
    int64_t d = 0;
    reset(M_OK);
    fx_open(&f);
    struct backend_writer *w = feed(&f, 11);
    wait_durable(&f, w, 10 * MIB, st, sizeof(st));
    assert_non_null(strstr(st, "s3w1 5242880 UP-1 2\n"));
    backend_write_detach(w);
    for (int i = 0; i < 100; i++)
        event_base_loop(f.base, EVLOOP_NONBLOCK);
    assert_int_equal(count("DELETE", ""), 0); /* detach keeps the upload */
    assert_int_equal(count("PUT", "?partNumber="), 2);
    /* resuming at a byte S3 does not hold is refused */
    assert_int_equal(backend_write_resume(f.b, "k", NULL, st, 11, 11 * MIB, on_open, &o),
                     ST_EINVAL);
    assert_int_equal(backend_write_resume(f.b, "k", NULL, st, 7, 7 * MIB, on_open, &o), ST_EINVAL);
    assert_int_equal(backend_write_resume(f.b, "k", NULL, st, 10, 10 * MIB, on_open, &o), 0);
    wait_for(f.base, &o, 1);
    assert_int_equal(o.rc, 0);
    assert_int_equal(backend_write_state(o.w, st, sizeof(st), &d), 0);
    assert_int_equal(d, 10 * MIB);
    feed_more(&f, o.w, 10, 2);
    assert_int_equal(backend_write_commit(o.w, on_done, &c), 0);
    wait_for(f.base, &c, 1);
    assert_int_equal(c.rc, 0);
    assert_int_equal(count("POST", "?uploads"), 1);
    assert_int_equal(count("PUT", "?partNumber=3&uploadId=UP-1"), 1);
    assert_int_equal(count("PUT", "?partNumber="), 3);
    const struct rq *done = find("POST", "?uploadId=UP-1");
    assert_non_null(done);
    assert_non_null(strstr(done->body, "<PartNumber>1</PartNumber>"));
    assert_non_null(strstr(done->body, "<PartNumber>3</PartNumber>"));
    assert_null(strstr(done->body, "<PartNumber>4</PartNumber>"));
    fx_close(&f);
}

/* Resuming before the first stored part of a recorded upload, then
 * aborting: how a job drops the write of an attempt that stored nothing. */
static void test_resume_at_zero_then_abort(void **state)
{
    (void)state;
    struct fx f = {0};
    struct res o = {0}, a = {0};
    reset(M_OK);
    fx_open(&f);
    assert_int_equal(
        backend_write_resume(f.b, "k", NULL, "s3w1 5242880 UP-9 1\n\"e1\"\n", 0, 0, on_open, &o),
        0);
    wait_for(f.base, &o, 1);
    assert_int_equal(o.rc, 0);
    assert_int_equal(backend_write_abort(o.w, on_done, &a), 0);
    wait_for(f.base, &a, 1);
    assert_int_equal(a.rc, 0);
    assert_int_equal(count("DELETE", "/bkt/root/k?uploadId=UP-9"), 1);
    fx_close(&f);
}

static void test_copy_object(void **state)
{
    (void)state;
    struct fx f = {0};
    struct res c = {0};
    struct backend_write_opts o = {.no_overwrite = true};
    reset(M_OK);
    fx_open(&f);
    assert_int_equal(backend_copy(f.b, "src/a b.csv", "dst/x.csv", 1234, &o, on_done, &c), 0);
    assert_int_equal(c.calls, 0); /* never inside the call */
    wait_for(f.base, &c, 1);
    assert_int_equal(c.rc, 0);
    assert_int_equal(srv.n, 1);
    const struct rq *rq = find("PUT", "/bkt/root/dst/x.csv");
    assert_non_null(rq);
    assert_string_equal(rq->copy_src, "/bkt/root/src/a%20b.csv");
    assert_true(rq->if_none_match);
    assert_non_null(strstr(rq->auth, "x-amz-copy-source")); /* signed */
    assert_string_equal(rq->sha_hdr, SIGV4_EMPTY_SHA256);   /* no body */
    fx_close(&f);
}

static void on_read_done(int rc, const char *msg, size_t nread, void *ud)
{
    (void)nread;
    on_done(rc, msg, ud);
}

/* Header injection (issue 14 #5): a CR/LF in a value the backend puts in a
 * header is refused before anything is sent, and no callback runs. */
static void test_header_injection_refused(void **state)
{
    (void)state;
    struct fx f = {0};
    struct res r = {0};
    char buf[16];
    struct backend_write_opts o = {.content_type = "text/plain\r\nX-Evil: 1"};
    reset(M_OK);
    fx_open(&f);
    assert_int_equal(backend_write_open(f.b, "k", &o, on_open, &r), ST_EINVAL);
    o.content_type = "text/plain\x01";
    assert_int_equal(backend_write_open(f.b, "k", &o, on_open, &r), ST_EINVAL);
    event_base_loop(f.base, EVLOOP_NONBLOCK);
    assert_int_equal(r.calls, 0);
    fx_close(&f);
    /* A session token from a stage's connection options goes into
     * x-amz-security-token: every request is refused, none is sent. */
    f.token = "tok\r\nX-Evil: 1";
    fx_open(&f);
    assert_int_equal(backend_read(f.b, "k", 0, sizeof(buf), buf, on_read_done, &r), ST_EINVAL);
    assert_int_equal(backend_copy(f.b, "a", "b", 10, NULL, on_done, &r), ST_EINVAL);
    event_base_loop(f.base, EVLOOP_NONBLOCK);
    assert_int_equal(r.calls, 0);
    fx_close(&f);
    pthread_mutex_lock(&srv.mu);
    assert_int_equal(srv.n, 0);
    pthread_mutex_unlock(&srv.mu);
}

static void on_stat_done(int rc, const char *msg, const struct backend_entry *st, void *ud)
{
    (void)st;
    on_done(rc, msg, ud);
}

static int requests(void)
{
    pthread_mutex_lock(&srv.mu);
    int n = srv.n;
    pthread_mutex_unlock(&srv.mu);
    return n;
}

/* SSRF (issue 14 #2): a guarded backend (an external stage's) does not
 * connect to a loopback endpoint: the call fails ST_EPERM at once with the
 * guard's reason, not retried, and no request reaches the server; by name
 * too (localhost resolves at connect time). An allow rule lets it through. */
static void test_guard_refuses_at_connect(void **state)
{
    (void)state;
    struct netguard g;
    char err[200], buf[16];
    netguard_init(&g);
    assert_int_equal(netguard_allow(&g, "192.0.2.0/24, minio.internal", err, sizeof(err)), 0);
    reset(M_OK);
    struct fx f = {.guard = &g};
    fx_open(&f);
    struct res r = {0};
    assert_int_equal(backend_read(f.b, "k", 0, sizeof(buf), buf, on_read_done, &r), 0);
    wait_for(f.base, &r, 1);
    assert_int_equal(r.rc, ST_EPERM);
    assert_string_equal(r.msg,
                        "S3 GET root/k: endpoint 127.0.0.1 is a loopback address; allow it with "
                        "storage.endpoint_allow");
    struct res s = {0};
    assert_int_equal(backend_stat(f.b, "k", on_stat_done, &s), 0);
    wait_for(f.base, &s, 1);
    assert_int_equal(s.rc, ST_EPERM);
    assert_null(strstr(s.msg, "curl error"));
    fx_close(&f);
    f.host = "localhost";
    fx_open(&f);
    memset(&r, 0, sizeof(r));
    assert_int_equal(backend_read(f.b, "k", 0, sizeof(buf), buf, on_read_done, &r), 0);
    wait_for(f.base, &r, 1);
    assert_int_equal(r.rc, ST_EPERM);
    assert_non_null(strstr(r.msg, "endpoint localhost ("));
    assert_non_null(strstr(r.msg, ") is a loopback address; allow it with storage.endpoint_allow"));
    fx_close(&f);
    assert_int_equal(requests(), 0);
    /* allowed: the same calls reach the server */
    assert_int_equal(netguard_allow(&g, "127.0.0.1 ::1", err, sizeof(err)), 0);
    f.host = NULL;
    fx_open(&f);
    memset(&r, 0, sizeof(r));
    assert_int_equal(backend_read(f.b, "k", 0, sizeof(buf), buf, on_read_done, &r), 0);
    wait_for(f.base, &r, 1);
    assert_int_equal(r.rc, 0);
    fx_close(&f);
    assert_int_equal(count("GET", "/bkt/root/k"), 1);
}

/* A redirect from an endpoint is an answer, never followed: it could lead
 * anywhere, past the guard's view of the endpoint. */
static void test_redirect_not_followed(void **state)
{
    (void)state;
    char buf[16];
    reset(M_REDIRECT);
    struct fx f = {0};
    fx_open(&f);
    struct res r = {0};
    assert_int_equal(backend_read(f.b, "k", 0, sizeof(buf), buf, on_read_done, &r), 0);
    wait_for(f.base, &r, 1);
    assert_int_not_equal(r.rc, 0);
    assert_non_null(strstr(r.msg, "HTTP 302"));
    fx_close(&f);
    assert_int_equal(count("GET", "/elsewhere"), 0);
    assert_int_equal(requests(), 1);
}

static void test_copy_200_error_fails(void **state)
{
    (void)state;
    struct fx f = {0};
    struct res c = {0};
    reset(M_COPY_200_ERROR);
    fx_open(&f);
    assert_int_equal(backend_copy(f.b, "a", "b", 10, NULL, on_done, &c), 0);
    wait_for(f.base, &c, 1);
    assert_int_not_equal(c.rc, 0);
    assert_non_null(strstr(c.msg, "InternalError"));
    fx_close(&f);
}

/* Above copy_max (5 GiB on S3, 5 MiB here): UploadPartCopy ranges. */
static void test_copy_multipart(void **state)
{
    (void)state;
    struct fx f = {.copy_max = 5 * MIB};
    struct res c = {0};
    reset(M_OK);
    fx_open(&f);
    assert_int_equal(backend_copy(f.b, "big", "big2", 12 * MIB, NULL, on_done, &c), 0);
    wait_for(f.base, &c, 1);
    assert_int_equal(c.rc, 0);
    assert_int_equal(count("POST", "/bkt/root/big2?uploads"), 1);
    const struct rq *p3 = find("PUT", "/bkt/root/big2?partNumber=3&uploadId=UP-1");
    assert_non_null(p3);
    assert_string_equal(p3->copy_src, "/bkt/root/big");
    assert_string_equal(p3->copy_range, "bytes=10485760-12582911");
    assert_non_null(strstr(p3->auth, "x-amz-copy-source-range"));
    const struct rq *p1 = find("PUT", "?partNumber=1&");
    assert_non_null(p1);
    assert_string_equal(p1->copy_range, "bytes=0-5242879");
    const struct rq *done = find("POST", "/bkt/root/big2?uploadId=UP-1");
    assert_non_null(done);
    assert_non_null(strstr(done->body, "<PartNumber>2</PartNumber><ETag>&quot;cp-2&quot;</ETag>"));
    assert_non_null(strstr(done->body, "<PartNumber>3</PartNumber><ETag>&quot;cp-3&quot;</ETag>"));
    assert_int_equal(count("DELETE", ""), 0);
    fx_close(&f);
}

static void test_copy_part_failure_aborts(void **state)
{
    (void)state;
    struct fx f = {.copy_max = 5 * MIB};
    struct res c = {0};
    reset(M_PART2_403);
    fx_open(&f);
    assert_int_equal(backend_copy(f.b, "big", "big2", 12 * MIB, NULL, on_done, &c), 0);
    wait_for(f.base, &c, 1);
    assert_int_equal(c.rc, ST_EPRECOND);
    assert_non_null(strstr(c.msg, "AccessDenied"));
    assert_int_equal(count("DELETE", "/bkt/root/big2?uploadId=UP-1"), 1);
    assert_int_equal(count("POST", "?uploadId="), 0);
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multipart_requests),
        cmocka_unit_test(test_part_failure_aborts),
        cmocka_unit_test(test_complete_200_error_fails_and_aborts),
        cmocka_unit_test(test_write_abort_sends_abort),
        cmocka_unit_test(test_small_file_is_one_put),
        cmocka_unit_test(test_state_text),
        cmocka_unit_test(test_part_align),
        cmocka_unit_test(test_resume_after_detach),
        cmocka_unit_test(test_resume_at_zero_then_abort),
        cmocka_unit_test(test_copy_object),
        cmocka_unit_test(test_copy_200_error_fails),
        cmocka_unit_test(test_header_injection_refused),
        cmocka_unit_test(test_guard_refuses_at_connect),
        cmocka_unit_test(test_redirect_not_followed),
        cmocka_unit_test(test_copy_multipart),
        cmocka_unit_test(test_copy_part_failure_aborts),
    };
    return cmocka_run_group_tests(tests, start_server, NULL);
}
