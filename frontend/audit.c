/* audit.c - the audit log (audit.h). */
#include "audit.h"

#include "err.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <grpc/status.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int g_fd = -1;
static bool g_warned;

/* Calls that change state, hand out a capability, or authenticate. */
static const char *const changing[] = {
    "Login", "CreateUser", "DropUser",   "AlterUser",   "CreateStage", "DropStage", "AlterStage",
    "Grant", "Revoke",     "UploadFile", "RemoveFiles", "CopyFiles",   "CancelJob", "PresignFile"};

bool audit_wanted(const char *rpc, int code)
{
    if (code != GRPC_STATUS_OK && code != GRPC_STATUS_NOT_FOUND && code != GRPC_STATUS_CANCELLED &&
        code != GRPC_STATUS_DEADLINE_EXCEEDED)
        return true; /* refused: PERMISSION_DENIED, UNAUTHENTICATED, INVALID_ARGUMENT, ... */
    for (size_t i = 0; i < sizeof(changing) / sizeof(changing[0]); i++)
        if (rpc && strcmp(rpc, changing[i]) == 0)
            return true;
    return false;
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

int audit_line(const struct audit_rec *r, char *out, size_t n)
{
    char ts[32];
    time_t secs = (time_t)(r->ts_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t k = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + k, sizeof(ts) - k, ".%03dZ", (int)(r->ts_ms % 1000));
    json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ts", ts, "req",
                          (json_int_t)r->req, "rpc", or_empty(r->rpc), "user",
                          r->user && *r->user ? r->user : "-", "peer", or_empty(r->peer), "object",
                          or_empty(r->location), "job", or_empty(r->job), "status",
                          st_grpc_status_name(r->code), "message", or_empty(r->msg));
    if (!o)
        return -1;
    /* compact, one line: JSON escapes any newline or control character */
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    int len = s ? snprintf(out, n, "%s\n", s) : -1;
    free(s);
    return len < 0 || (size_t)len >= n ? -1 : len;
}

int audit_open(const char *path, char *err, size_t errlen)
{
    if (!path || !*path)
        return 0;
    g_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (g_fd < 0) {
        snprintf(err, errlen, "log.audit_file '%s': %s", path, strerror(errno));
        return ST_EINVAL;
    }
    return 0;
}

bool audit_enabled(void)
{
    return g_fd >= 0;
}

void audit_record(const struct audit_rec *r)
{
    char line[4096];
    if (g_fd < 0 || !audit_wanted(r->rpc, r->code))
        return;
    int n = audit_line(r, line, sizeof(line));
    if (n > 0 && write(g_fd, line, (size_t)n) == n)
        return;
    if (!g_warned) /* once: a full disk must not also flood the log */
        log_error("audit: cannot write a line (%s); audit lines are being lost",
                  n > 0 ? strerror(errno) : "line too long");
    g_warned = true;
}

void audit_close(void)
{
    if (g_fd >= 0)
        close(g_fd);
    g_fd = -1;
}
