/* xfer_upload.c - UPLOAD jobs: the consumer end of the part pipe
 * (docs/redis.md). For part n: wait until parts_ready > n, GET it, write it
 * to the backend writer, then MULTI DEL part / HINCRBY parts_done /
 * HINCRBY bytes_done EXEC and wake the frontend. When parts_done ==
 * parts_total: check the SHA-256 (if the client gave one) and commit, which
 * makes the file visible atomically. Any failure aborts the writer (in
 * runner_finish), so no partial file is ever visible. */
#include "backend.h"
#include "config.h"
#include "err.h"
#include "keys.h"
#include "runner.h"
#include "worker.h"
#include "xfer.h"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct up {
    long n;    /* next part to consume */
    char *buf; /* copy of part n while the backend writes it */
    size_t cap;
    size_t len;
    EVP_MD_CTX *sha; /* NULL unless the client gave a sha256 */
};

static void next_part(struct run *r);

static void up_cleanup(struct run *r)
{
    struct up *u = r->x;
    if (!u)
        return;
    if (u->sha)
        EVP_MD_CTX_free(u->sha);
    free(u->buf);
    free(u);
    r->x = NULL;
}

static const char *stage_name(struct run *r)
{
    static char st[80];
    return runner_stage(r, st, sizeof(st));
}

static void on_committed(int rc, const char *msg, void *ud)
{
    struct run *r = ud;
    if (!runner_resume(r))
        return;
    if (rc == ST_EEXIST)
        runner_finish(r, rc, "file '%s' already exists in stage %s (use overwrite)", r->j.path,
                      stage_name(r));
    else if (rc)
        xfer_fail_backend(r, rc, "cannot store", msg);
    else {
        /* Sent before the state change on the same connection: a poller
         * that sees SUCCEEDED also sees the file counted. */
        runner_cmdf(r, NULL, "HSET", r->hkey, "files_done", "1", "files_total", "1", NULL);
        runner_finish(r, 0, "%s", "");
    }
}

/* The digest matches the client's, or the job failed. */
static bool sha_ok(struct run *r)
{
    struct up *u = r->x;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1] = "";
    if (!u->sha)
        return true;
    EVP_DigestFinal_ex(u->sha, md, &mdlen);
    for (unsigned int i = 0; i < mdlen; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    if (strcasecmp(hex, r->j.sha256) == 0)
        return true;
    runner_finish(r, ST_EINVAL,
                  "sha256 mismatch for '%s': the client said %s, the data hashes to %s", r->j.path,
                  r->j.sha256, hex);
    return false;
}

static void commit(struct run *r)
{
    if (!sha_ok(r))
        return;
    struct backend_writer *w = r->writer;
    r->writer = NULL;
    int rc = backend_write_commit(w, on_committed, r);
    if (rc) {
        r->writer = w; /* still ours: runner_finish aborts it */
        xfer_fail_backend(r, rc, "cannot store", NULL);
        return;
    }
    runner_begin(r);
}

static void on_consumed(struct run *r, redisReply *rep)
{
    struct up *u = r->x;
    runner_wake_fe(r);
    u->n++;
    next_part(r);
}

static void on_written(int rc, const char *msg, void *ud)
{
    struct run *r = ud;
    struct up *u = r->x;
    char key[KEY_MAX], len[24];
    if (!runner_resume(r))
        return;
    if (rc) {
        xfer_fail_backend(r, rc, "cannot write", msg);
        return;
    }
    r->parts++;
    r->bytes += (int64_t)u->len;
    keys_job_part(key, sizeof(key), r->j.id, u->n);
    snprintf(len, sizeof(len), "%zu", u->len);
    runner_cmdf(r, NULL, "MULTI", NULL);
    runner_cmdf(r, NULL, "DEL", key, NULL);
    runner_cmdf(r, NULL, "HINCRBY", r->hkey, "parts_done", "1", NULL);
    runner_cmdf(r, NULL, "HINCRBY", r->hkey, "bytes_done", len, NULL);
    runner_cmdf(r, on_consumed, "EXEC", NULL);
}

static int keep_part(struct up *u, const redisReply *rep)
{
    if (rep->len > u->cap) {
        char *p = realloc(u->buf, rep->len);
        if (!p)
            return ST_ENOMEM;
        u->buf = p;
        u->cap = rep->len;
    }
    memcpy(u->buf, rep->str, rep->len);
    u->len = rep->len;
    if (u->sha)
        EVP_DigestUpdate(u->sha, u->buf, u->len);
    return 0;
}

static void on_missing(struct run *r, redisReply *rep)
{
    struct up *u = r->x;
    if (runner_live(r))
        runner_finish(r, ST_EINTERNAL, "part %ld of the upload is missing from Redis", u->n);
}

static void on_part(struct run *r, redisReply *rep)
{
    struct up *u = r->x;
    if (rep->type != REDIS_REPLY_STRING) { /* gone: the job probably ended */
        runner_read_counters(r, on_missing);
        return;
    }
    int rc = keep_part(u, rep);
    if (rc) {
        runner_finish(r, rc, "out of memory for a part of %zu bytes", (size_t)rep->len);
        return;
    }
    runner_progress(r);
    rc = backend_write_part(r->writer, u->n, u->buf, u->len, on_written, r);
    if (rc)
        xfer_fail_backend(r, rc, "cannot write", NULL);
    else
        runner_begin(r);
}

static void on_counters(struct run *r, redisReply *rep)
{
    struct up *u = r->x;
    char key[KEY_MAX];
    if (!runner_live(r))
        return;
    if (r->j.parts_total >= 0 && u->n >= r->j.parts_total) {
        commit(r);
    } else if (r->j.parts_ready > u->n) {
        keys_job_part(key, sizeof(key), r->j.id, u->n);
        runner_cmdf(r, on_part, "GET", key, NULL);
    } else if (runner_stalled(r)) {
        runner_finish(r, ST_ETIMEOUT, "upload stalled: no data from the client for %d s",
                      runner_stall_s(r));
    } else {
        runner_wait(r);
    }
}

static void next_part(struct run *r)
{
    runner_read_counters(r, on_counters);
}

static void on_open(int rc, const char *msg, struct backend_writer *w, void *ud)
{
    struct run *r = ud;
    r->writer = w; /* before resume: a finishing run aborts it */
    if (!runner_resume(r))
        return;
    if (rc)
        xfer_fail_backend(r, rc, "cannot write", msg);
    else
        next_part(r);
}

static void open_writer(struct run *r)
{
    struct backend_write_opts o = {.content_type = r->j.content_type,
                                   .no_overwrite = !r->j.overwrite};
    int rc = backend_write_open(r->backend, r->bkey, &o, on_open, r);
    if (rc)
        xfer_fail_backend(r, rc, "cannot write", NULL);
    else
        runner_begin(r);
}

static void on_exists(int rc, const char *msg, const struct backend_entry *e, void *ud)
{
    struct run *r = ud;
    if (!runner_resume(r))
        return;
    if (rc == 0)
        runner_finish(r, ST_EEXIST, "file '%s' already exists in stage %s (use overwrite)",
                      r->j.path, stage_name(r));
    else if (rc != ST_ENOTFOUND)
        xfer_fail_backend(r, rc, "cannot check", msg);
    else
        open_writer(r);
}

static void up_start(struct run *r)
{
    struct up *u = calloc(1, sizeof(*u));
    if (!u) {
        runner_finish(r, ST_ENOMEM, "out of memory");
        return;
    }
    r->x = u;
    if (r->j.sha256[0] &&
        (!(u->sha = EVP_MD_CTX_new()) || EVP_DigestInit_ex(u->sha, EVP_sha256(), NULL) != 1)) {
        runner_finish(r, ST_ENOMEM, "cannot set up SHA-256");
        return;
    }
    if (r->j.overwrite) {
        open_writer(r);
        return;
    }
    int rc = backend_stat(r->backend, r->bkey, on_exists, r);
    if (rc)
        xfer_fail_backend(r, rc, "cannot check", NULL);
    else
        runner_begin(r);
}

static void up_poll(struct run *r)
{
    next_part(r);
}

const struct xfer_kind xfer_upload = {"UPLOAD", up_start, up_poll, up_cleanup};
