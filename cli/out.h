/* out.h - how stagectl prints results: human tables and key/value blocks, or
 * one JSON document per result (--json), plus a progress line on a terminal.
 *
 * JSON of a protobuf message uses the .proto field names (snake_case), enum
 * value names ("SUCCEEDED"), int64 as JSON numbers (exact below 2^53), and
 * times as Unix milliseconds, like the API. Oneof fields appear only when set.
 * Pure formatting except the out_print_* functions, which write to stdout. */
#ifndef STAGECTL_OUT_H
#define STAGECTL_OUT_H

#include "stage/v1/stage.pb-c.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* "0 B", "1023 B", "1.0 KiB", "5.0 MiB", "1.5 GiB". Returns `buf`. */
const char *out_size(char buf[16], int64_t bytes);

/* Unix ms -> "2024-11-25 06:10:03" in local time; "-" for 0. Returns `buf`. */
const char *out_time(char buf[32], int64_t ms);

/* Name of an enum value of `d` ("SUCCEEDED"), or the number as text. */
const char *out_enum_name(const ProtobufCEnumDescriptor *d, int value, char buf[16]);

/* A protobuf message as a new JSON object (NULL only on OOM). */
json_t *out_msg_json(const ProtobufCMessage *m);

/* The singular message field `name` of `m` when it is set and of type `d`;
 * NULL otherwise (no such field, another type, repeated, unset). Lets one
 * helper read the `job` (or `user`, `stage`) of replies of different types. */
const ProtobufCMessage *out_msg_sub(const ProtobufCMessage *m, const char *name,
                                    const ProtobufCMessageDescriptor *d);

/* The singular string field `name` of `m`; "" when there is none. */
const char *out_msg_string(const ProtobufCMessage *m, const char *name);

/* Print `doc` compactly as one line on stdout and release it. */
void out_print_json(json_t *doc);

/* A job: a key/value block, or its JSON. */
void out_print_job(bool json, const Stage__V1__Job *j);

/* A file's details: a key/value block, or its JSON. */
void out_print_file(bool json, const Stage__V1__FileInfo *f);

/* Progress of a transfer (a bar, bytes, rate, ETA, files), redrawn on stderr
 * at most every 200 ms when stderr is a terminal and `enabled`; nothing on a
 * pipe. One thread at a time per struct progress. */
struct progress {
    bool on;
    const char *label;
    int64_t total; /* < 0: unknown */
    int64_t start_ms, last_ms;
    int64_t files_done, files_total; /* shown when files_total > 0 */
    int64_t base;                    /* bytes done before start_ms (not in the rate) */
};
void progress_init(struct progress *p, bool enabled, const char *label, int64_t total);
/* --quiet: progress_init never turns a bar on. */
void out_set_quiet(bool quiet);
void progress_update(struct progress *p, int64_t done);
void progress_end(struct progress *p); /* clears the line */

int64_t out_now_ms(void);

#endif
