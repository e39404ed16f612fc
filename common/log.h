/* log.h - leveled, one-line logging for the service processes.
 *
 * Every line: time, level, program[pid], then the message, which by
 * convention starts with its subject ids ("job=<id> part=3 ...",
 * "req=<id> rpc=UploadFile ..."). The level check happens before the
 * arguments are evaluated. Thread-safe: each line is one write(2).
 * Secrets (passwords, keys, tokens) must never be passed to these macros.
 * common/ library code does not log; it returns errors. */
#ifndef STAGE_LOG_H
#define STAGE_LOG_H

enum log_level { LOG_LVL_DEBUG = 0, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERROR, LOG_LVL_OFF };

/* Current threshold; written by log_init() only, before threads start. */
extern int log_threshold;

/* Set the program name, threshold and format (json = one JSON object per line).
 * Call once at start, before other threads exist. Output goes to stderr. */
void log_init(const char *prog, int level, int json);

/* "debug" | "info" | "warn" | "error" | "off" -> level; -1 if unknown. */
int log_level_parse(const char *name);

void log_write(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG_AT(lvl, ...)                                                                           \
    do {                                                                                           \
        if ((lvl) >= log_threshold)                                                                \
            log_write((lvl), __VA_ARGS__);                                                         \
    } while (0)

#define log_debug(...) LOG_AT(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_info(...)  LOG_AT(LOG_LVL_INFO, __VA_ARGS__)
#define log_warn(...)  LOG_AT(LOG_LVL_WARN, __VA_ARGS__)
#define log_error(...) LOG_AT(LOG_LVL_ERROR, __VA_ARGS__)

#endif
