#include "log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int log_threshold = LOG_LVL_INFO;

static char prog_name[32] = "stage";
static int json_format;

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

void log_init(const char *prog, int level, int json)
{
    if (prog)
        snprintf(prog_name, sizeof(prog_name), "%s", prog);
    if (level >= LOG_LVL_DEBUG && level <= LOG_LVL_OFF)
        log_threshold = level;
    json_format = json;
}

int log_level_parse(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i <= LOG_LVL_OFF; i++)
        if (strcasecmp(name, level_names[i]) == 0)
            return i;
    if (strcasecmp(name, "warning") == 0)
        return LOG_LVL_WARN;
    return -1;
}

static void write_all(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, buf, len);
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

void log_write(int level, const char *fmt, ...)
{
    char msg[2048], stamp[40], line[2400];
    struct timeval tv;
    struct tm tm;
    va_list ap;

    if (level < LOG_LVL_DEBUG || level >= LOG_LVL_OFF)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* One line per record, whatever the message holds. */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    size_t k = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp + k, sizeof(stamp) - k, ".%03dZ", (int)(tv.tv_usec / 1000));

    int n;
    if (json_format) {
        json_t *o = json_pack("{s:s,s:s,s:s,s:i,s:s}", "ts", stamp, "level", level_names[level],
                              "prog", prog_name, "pid", (int)getpid(), "msg", msg);
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        n = snprintf(line, sizeof(line), "%s\n", s ? s : "{}");
        free(s);
        json_decref(o);
    } else {
        n = snprintf(line, sizeof(line), "%s %-5s %s[%d] %s\n", stamp, level_names[level],
                     prog_name, (int)getpid(), msg);
    }
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line)) {
        n = sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    write_all(line, (size_t)n);
}
