/* s3http.c - libcurl multi socket API driven by libevent (see s3http.h),
 * after curl's hiperfifo.c example. */
#include "s3http.h"

#include "err.h"
#include "httphdr.h"
#include "netguard.h"
#include "netguard_url.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

struct s3http {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    int running;
    const struct netguard *guard; /* NULL: connect anywhere */
};

/* Per-socket state, attached with curl_multi_assign. */
struct sock {
    struct event *ev;
    curl_socket_t fd;
};

static void check_info(struct s3http *h)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(h->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *e = m->easy_handle;
        CURLcode res = m->data.result;
        struct s3http_req *r = NULL;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&r);
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
        curl_off_t cl = -1, ft = -1;
        curl_easy_getinfo(e, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
        curl_easy_getinfo(e, CURLINFO_FILETIME_T, &ft);
        r->content_length = cl;
        r->mtime_ms = ft >= 0 ? (int64_t)ft * 1000 : -1;
        r->curl_code = (int)res;
        if (res == CURLE_WRITE_ERROR && r->too_big) {
            r->curl_code = 0; /* a body larger than asked for: keep what fits */
        }
        r->refused = res && r->refused; /* another address may have answered */
        if (r->refused)
            snprintf(r->error, sizeof(r->error), "%s", r->refusal);
        if (res && !r->error[0])
            snprintf(r->error, sizeof(r->error), "%s", curl_easy_strerror(res));
        curl_multi_remove_handle(h->multi, e);
        curl_easy_cleanup(e);
        curl_slist_free_all(r->slist);
        r->easy = NULL;
        r->slist = NULL;
        r->done(r);
    }
}

static void on_event(evutil_socket_t fd, short what, void *arg)
{
    struct s3http *h = arg;
    int action =
        ((what & EV_READ) ? CURL_CSELECT_IN : 0) | ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    curl_multi_socket_action(h->multi, fd, action, &h->running);
    check_info(h);
    /* The timer is not dropped when nothing runs: `done` callbacks in
     * check_info may have added handles whose timeout it now carries; curl
     * removes it through timer_cb(-1). */
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct s3http *h = arg;
    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &h->running);
    check_info(h);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    struct s3http *h = userp;
    if (timeout_ms < 0) {
        evtimer_del(h->timer);
        return 0;
    }
    /* A 0 timeout runs from the loop, never inside curl_multi_add_handle. */
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    evtimer_add(h->timer, &tv);
    return 0;
}

static int sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *sockp)
{
    struct s3http *h = userp;
    struct sock *sk = sockp;
    if (what == CURL_POLL_REMOVE) {
        if (sk) {
            event_free(sk->ev);
            free(sk);
            curl_multi_assign(h->multi, s, NULL);
        }
        return 0;
    }
    short kind = (short)(((what & CURL_POLL_IN) ? EV_READ : 0) |
                         ((what & CURL_POLL_OUT) ? EV_WRITE : 0) | EV_PERSIST);
    if (!sk) {
        sk = calloc(1, sizeof(*sk));
        if (!sk)
            return -1;
        sk->fd = s;
        curl_multi_assign(h->multi, s, sk);
    } else {
        event_free(sk->ev);
    }
    sk->ev = event_new(h->base, s, kind, on_event, h);
    if (!sk->ev)
        return -1;
    event_add(sk->ev, NULL);
    return 0;
}

struct s3http *s3http_new(struct event_base *base)
{
    static bool global;
    if (!global) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        global = true;
    }
    struct s3http *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->base = base;
    h->multi = curl_multi_init();
    h->timer = evtimer_new(base, on_timer, h);
    if (!h->multi || !h->timer)
        return s3http_free(h);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 32L);
    return h;
}

void s3http_set_guard(struct s3http *h, const struct netguard *g)
{
    h->guard = g;
}

struct s3http *s3http_free(struct s3http *h)
{
    if (!h)
        return NULL;
    if (h->multi)
        curl_multi_cleanup(h->multi);
    if (h->timer)
        event_free(h->timer);
    free(h);
    return NULL;
}

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
    struct s3http_req *r = ud;
    size_t len = size * n;
    if (r->rbuf) {
        size_t room = r->rcap - r->rlen;
        size_t take = len < room ? len : room;
        memcpy((char *)r->rbuf + r->rlen, p, take);
        r->rlen += take;
        if (take < len) {
            r->too_big = true;
            return 0;
        }
        return len;
    }
    if (r->resp_len + len > S3HTTP_RESP_MAX) {
        r->too_big = true;
        return 0;
    }
    char *b = realloc(r->resp, r->resp_len + len + 1);
    if (!b)
        return 0;
    memcpy(b + r->resp_len, p, len);
    r->resp = b;
    r->resp_len += len;
    b[r->resp_len] = '\0';
    return len;
}

static size_t on_read(char *p, size_t size, size_t n, void *ud)
{
    struct s3http_req *r = ud;
    size_t left = r->body_len - r->sent, take = size * n;
    if (take > left)
        take = left;
    if (take)
        memcpy(p, (const char *)r->body + r->sent, take);
    r->sent += take;
    return take;
}

/* curl rewinds the body when it sends the request again itself (a reused
 * connection that the server had closed); without this it fails with
 * CURLE_SEND_FAIL_REWIND instead. */
static int on_seek(void *ud, curl_off_t off, int origin)
{
    struct s3http_req *r = ud;
    if (origin != SEEK_SET || off < 0 || (size_t)off > r->body_len)
        return CURL_SEEKFUNC_CANTSEEK;
    r->sent = (size_t)off;
    return CURL_SEEKFUNC_OK;
}

/* If the header line p[len] is `name` (with its colon), its trimmed value
 * into out[n]; a value that does not fit is left out. */
static void header_value(const char *p, size_t len, const char *name, char *out, size_t n)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(p, name, nl) != 0)
        return;
    const char *v = p + nl;
    size_t vl = len - nl;
    while (vl && (*v == ' ' || *v == '\t'))
        v++, vl--;
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
        vl--;
    if (vl < n) {
        memcpy(out, v, vl);
        out[vl] = '\0';
    }
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct s3http_req *r = ud;
    size_t len = size * n;
    header_value(p, len, "etag:", r->etag, sizeof(r->etag));
    header_value(p, len, "x-amz-meta-md5:", r->meta_md5, sizeof(r->meta_md5));
    header_value(p, len, "x-amz-meta-sha256:", r->meta_sha256, sizeof(r->meta_sha256));
    header_value(p, len, "x-amz-meta-creator:", r->meta_creator, sizeof(r->meta_creator));
    header_value(p, len, "location:", r->location, sizeof(r->location));
    header_value(p, len, "range:", r->range, sizeof(r->range));
    header_value(p, len, "x-ms-meta-md5:", r->meta_md5, sizeof(r->meta_md5));
    header_value(p, len, "x-ms-meta-sha256:", r->meta_sha256, sizeof(r->meta_sha256));
    header_value(p, len, "x-ms-meta-creator:", r->meta_creator, sizeof(r->meta_creator));
    header_value(p, len, "content-md5:", r->content_md5, sizeof(r->content_md5));
    header_value(p, len, "x-ms-copy-status:", r->copy_status, sizeof(r->copy_status));
    return len;
}

/* CURLOPT_OPENSOCKETFUNCTION of a guarded request: curl calls it for each
 * address it tries, after DNS, so the address checked is the one connected
 * to. A refusal makes curl try the next address, then fail. */
static curl_socket_t on_open(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct s3http_req *r = ud;
    struct netguard_addr na;
    int port = 0;
    if (purpose != CURLSOCKTYPE_IPCXN ||
        netguard_addr_from_sockaddr(&a->addr, a->addrlen, &na, &port) != 0) {
        snprintf(r->refusal, sizeof(r->refusal), "endpoint %.200s: not an IP address", r->host);
        r->refused = true;
        return CURL_SOCKET_BAD;
    }
    if (netguard_check(r->guard, r->host, &na, port, r->refusal, sizeof(r->refusal)) != 0) {
        r->refused = true;
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

static void setup_guard(struct s3http_req *r, CURL *e)
{
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, r);
    curl_easy_setopt(e, CURLOPT_PROXY, ""); /* not http_proxy & co: the guard sees the peer */
}

static int setup(struct s3http_req *r, CURL *e)
{
    struct curl_slist *sl = NULL;
    for (size_t i = 0; i < r->nheaders; i++) {
        struct curl_slist *t = curl_slist_append(sl, r->headers[i]);
        if (!t) {
            curl_slist_free_all(sl);
            return ST_ENOMEM;
        }
        sl = t;
    }
    /* No 100-continue round trip; no form content type on POST. */
    struct curl_slist *t = curl_slist_append(sl, "Expect:");
    if (t)
        sl = t;
    r->slist = sl;
    curl_easy_setopt(e, CURLOPT_URL, r->url);
    /* An endpoint must not send curl elsewhere: no redirect, no other scheme. */
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (r->guard)
        setup_guard(r, e);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, sl);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    if (getenv("STAGE_CURL_VERBOSE"))
        curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->error);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_FILETIME, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L);
    /* A stalled transfer (under 1 KiB/s for 60 s) fails as a timeout. */
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 256L * 1024);
    if (r->timeout_s > 0)
        curl_easy_setopt(e, CURLOPT_TIMEOUT, r->timeout_s);
    if (strcmp(r->method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (strcmp(r->method, "PUT") == 0) {
        curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(e, CURLOPT_READDATA, r);
        curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(e, CURLOPT_SEEKDATA, r);
        curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->body_len);
    } else if (strcmp(r->method, "POST") == 0) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? (const char *)r->body : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
    } else if (strcmp(r->method, "GET") != 0) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
    }
    return 0;
}

int s3http_start(struct s3http *h, struct s3http_req *r)
{
    if (!h || !r || !r->method || !r->url || !r->done || (!r->headers && r->nheaders))
        return ST_EINVAL;
    for (size_t i = 0; i < r->nheaders; i++) /* one line each: no injected headers */
        if (!r->headers[i] || !httphdr_line_ok(r->headers[i]))
            return ST_EINVAL;
    r->curl_code = 0;
    r->status = 0;
    r->resp = NULL;
    r->resp_len = 0;
    r->rlen = 0;
    r->content_length = -1;
    r->mtime_ms = -1;
    r->etag[0] = '\0';
    r->meta_md5[0] = r->meta_sha256[0] = r->meta_creator[0] = r->content_md5[0] =
        r->copy_status[0] = '\0';
    r->location[0] = r->range[0] = '\0';
    r->error[0] = '\0';
    r->sent = 0;
    r->too_big = false;
    r->refused = false;
    r->refusal[0] = '\0';
    r->guard = h->guard;
    int port;
    if (r->guard && netguard_url_target(r->url, r->host, sizeof(r->host), &port) != 0)
        return ST_EINVAL;
    CURL *e = curl_easy_init();
    if (!e)
        return ST_ENOMEM;
    int rc = setup(r, e);
    if (!rc && curl_multi_add_handle(h->multi, e) != CURLM_OK)
        rc = ST_EINTERNAL;
    if (rc) {
        curl_slist_free_all(r->slist);
        r->slist = NULL;
        curl_easy_cleanup(e);
        return rc;
    }
    r->easy = e;
    return 0;
}

void s3http_req_reset(struct s3http_req *r)
{
    if (!r)
        return;
    free(r->resp);
    r->resp = NULL;
    r->resp_len = 0;
}
