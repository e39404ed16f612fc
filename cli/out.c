/* out.c - human and JSON output, progress line (see out.h). */
#include "out.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ formatting */

const char *out_size(char buf[16], int64_t bytes)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024) {
        snprintf(buf, 16, "%d B", bytes < 0 ? 0 : (int)bytes);
        return buf;
    }
    double v = (double)bytes / 1024.0;
    size_t u = 0;
    while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, 16, "%.1f %s", v, units[u]);
    return buf;
}

const char *out_time(char buf[32], int64_t ms)
{
    struct tm tm;
    time_t t = (time_t)(ms / 1000);
    if (ms <= 0 || !localtime_r(&t, &tm) || !strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm))
        snprintf(buf, 32, "-");
    return buf;
}

const char *out_enum_name(const ProtobufCEnumDescriptor *d, int value, char buf[16])
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
    if (v)
        return v->name;
    snprintf(buf, 16, "%d", value);
    return buf;
}

int64_t out_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ JSON */

/* A JSON string even for bytes that are not UTF-8 (file names may not be):
 * invalid bytes become '?'. */
static json_t *jstr(const char *s)
{
    json_t *j = json_string(s ? s : "");
    if (j)
        return j;
    char *copy = strdup(s);
    if (!copy)
        return NULL;
    for (unsigned char *p = (unsigned char *)copy; *p; p++)
        if (*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

static json_t *jbytes(const ProtobufCBinaryData *b)
{
    size_t n = 4 * ((b->len + 2) / 3) + 1;
    unsigned char *out = malloc(n);
    if (!out)
        return NULL;
    EVP_EncodeBlock(out, b->data, (int)b->len);
    json_t *j = json_string((const char *)out);
    free(out);
    return j;
}

static json_t *scalar_json(const ProtobufCFieldDescriptor *f, const void *p)
{
    char buf[16];
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_integer(*(const int32_t *)p);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *)p);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return json_integer(*(const int64_t *)p);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return json_integer((json_int_t) * (const uint64_t *)p);
    case PROTOBUF_C_TYPE_FLOAT:
        return json_real(*(const float *)p);
    case PROTOBUF_C_TYPE_DOUBLE:
        return json_real(*(const double *)p);
    case PROTOBUF_C_TYPE_BOOL:
        return json_boolean(*(const protobuf_c_boolean *)p);
    case PROTOBUF_C_TYPE_ENUM:
        return json_string(out_enum_name(f->descriptor, *(const int *)p, buf));
    case PROTOBUF_C_TYPE_STRING:
        return jstr(*(char *const *)p);
    case PROTOBUF_C_TYPE_BYTES:
        return jbytes((const ProtobufCBinaryData *)p);
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *m = *(ProtobufCMessage *const *)p;
        return m ? out_msg_json(m) : json_null();
    }
    }
    return json_null();
}

static size_t elt_size(const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return 8;
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_ENUM:
        return sizeof(int);
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    default:
        return 4;
    }
}

/* A map<,> field is a repeated *Entry message with fields key and value. */
static bool is_map(const ProtobufCFieldDescriptor *f)
{
    if (f->type != PROTOBUF_C_TYPE_MESSAGE || !f->descriptor)
        return false;
    const ProtobufCMessageDescriptor *d = f->descriptor;
    size_t n = strlen(d->name);
    return n > 5 && strcmp(d->name + n - 5, "Entry") == 0 && d->n_fields == 2 &&
           strcmp(d->fields[0].name, "key") == 0 && strcmp(d->fields[1].name, "value") == 0;
}

static json_t *repeated_json(const ProtobufCFieldDescriptor *f, const char *base)
{
    size_t n = *(const size_t *)(base + f->quantifier_offset);
    const char *arr = *(char *const *)(base + f->offset);
    bool map = is_map(f);
    json_t *out = map ? json_object() : json_array();
    for (size_t i = 0; out && i < n; i++) {
        const void *elt = arr + i * elt_size(f);
        if (map) {
            const ProtobufCMessage *e = *(ProtobufCMessage *const *)elt;
            json_t *kv = out_msg_json(e);
            json_t *k = json_object_get(kv, "key");
            if (json_is_string(k))
                json_object_set(out, json_string_value(k), json_object_get(kv, "value"));
            json_decref(kv);
        } else {
            json_array_append_new(out, scalar_json(f, elt));
        }
    }
    return out;
}

/* Is field `f` present in the message at `base`? */
static bool present(const ProtobufCFieldDescriptor *f, const char *base)
{
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
    if (f->label != PROTOBUF_C_LABEL_OPTIONAL)
        return true;
    if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)
        return *(void *const *)(base + f->offset) != NULL;
    return *(const protobuf_c_boolean *)(base + f->quantifier_offset);
}

json_t *out_msg_json(const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    json_t *o = json_object();
    for (unsigned i = 0; o && i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!present(f, base))
            continue;
        json_t *v = f->label == PROTOBUF_C_LABEL_REPEATED ? repeated_json(f, base)
                                                          : scalar_json(f, base + f->offset);
        json_object_set_new(o, f->name, v ? v : json_null());
    }
    return o;
}

const ProtobufCMessage *out_msg_sub(const ProtobufCMessage *m, const char *name,
                                    const ProtobufCMessageDescriptor *d)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
    if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE || f->label == PROTOBUF_C_LABEL_REPEATED ||
        f->descriptor != d)
        return NULL;
    return *(ProtobufCMessage *const *)((const char *)m + f->offset);
}

const char *out_msg_string(const ProtobufCMessage *m, const char *name)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
    if (!f || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED)
        return "";
    const char *s = *(char *const *)((const char *)m + f->offset);
    return s ? s : "";
}

void out_print_json(json_t *doc)
{
    if (!doc)
        return;
    char *s = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (s)
        printf("%s\n", s);
    free(s);
    json_decref(doc);
    fflush(stdout);
}

/* ------------------------------------------------------------ key/value blocks */

static void kv(const char *k, const char *v)
{
    printf("%-13s %s\n", k, v);
}

static void kv_time(const char *k, int64_t ms)
{
    char t[32];
    if (ms > 0)
        kv(k, out_time(t, ms));
}

void out_print_job(bool json, const Stage__V1__Job *j)
{
    char a[16], b[16], line[700];
    if (json) {
        out_print_json(out_msg_json(&j->base));
        return;
    }
    kv("job", j->id);
    kv("kind", out_enum_name(&stage__v1__job_kind__descriptor, j->kind, a));
    kv("state", out_enum_name(&stage__v1__job_state__descriptor, j->state, a));
    kv("location", j->location);
    /* a total the job does not know (stdin, a copy) is not shown as "0 B":
     * only what moved, and the total once it is there */
    if (j->bytes_total > 0) {
        snprintf(line, sizeof(line), "%s / %s (%lld / %lld)", out_size(a, j->bytes_done),
                 out_size(b, j->bytes_total), (long long)j->bytes_done, (long long)j->bytes_total);
        kv("bytes", line);
    } else if (j->bytes_done > 0) {
        snprintf(line, sizeof(line), "%s (%lld)", out_size(a, j->bytes_done),
                 (long long)j->bytes_done);
        kv("bytes", line);
    }
    if (j->files_total > 0 || j->files_done > 0) {
        snprintf(line, sizeof(line), j->files_total > 0 ? "%lld / %lld" : "%lld",
                 (long long)j->files_done, (long long)j->files_total);
        kv("files", line);
    }
    kv_time("created", j->created_at);
    kv_time("started", j->started_at);
    kv_time("finished", j->finished_at);
    if (j->attempts > 1) {
        snprintf(line, sizeof(line), "%d", j->attempts);
        kv("attempts", line);
    }
    if (j->worker[0])
        kv("worker", j->worker);
    if (j->resume_until > 0) { /* a paused resumable upload: error_message says why */
        snprintf(line, sizeof(line), "PAUSED at %s (%lld): %s", out_size(a, j->resume_offset),
                 (long long)j->resume_offset, j->error_message);
        kv("resume", line);
        kv_time("resume until", j->resume_until);
    }
    if (j->error_code[0]) {
        printf("%-13s %s: %s\n", "error", j->error_code, j->error_message);
    }
    fflush(stdout);
}

void out_print_file(bool json, const Stage__V1__FileInfo *f)
{
    char a[16], line[80];
    if (json) {
        out_print_json(out_msg_json(&f->base));
        return;
    }
    kv("name", f->name);
    snprintf(line, sizeof(line), "%s (%lld bytes)", out_size(a, f->size), (long long)f->size);
    kv("size", line);
    kv_time("last_modified", f->last_modified);
    if (f->md5[0])
        kv("md5", f->md5);
    if (f->sha256[0])
        kv("sha256", f->sha256);
    if (f->etag[0])
        kv("etag", f->etag);
    if (f->creator[0])
        kv("creator", f->creator);
    fflush(stdout);
}

/* ------------------------------------------------------------ progress */

/* --quiet is global (stagectl runs one command per process): no bar anywhere. */
static bool g_quiet;

void out_set_quiet(bool quiet)
{
    g_quiet = quiet;
}

void progress_init(struct progress *p, bool enabled, const char *label, int64_t total)
{
    memset(p, 0, sizeof(*p));
    p->on = enabled && !g_quiet && isatty(STDERR_FILENO);
    p->label = label;
    p->total = total;
    p->start_ms = out_now_ms();
}

/* "[=========>          ]" for `pct` percent in `w` columns. */
static void bar(char *out, int w, int pct)
{
    int fill = pct * w / 100;
    out[0] = '[';
    for (int i = 0; i < w; i++)
        out[1 + i] = i < fill ? '=' : i == fill ? '>' : ' ';
    out[w + 1] = ']';
    out[w + 2] = '\0';
}

void progress_update(struct progress *p, int64_t done)
{
    char a[16], b[16], c[16], br[40], eta[32] = "", files[48] = "";
    if (!p->on)
        return;
    int64_t now = out_now_ms();
    if (now - p->last_ms < 200)
        return;
    p->last_ms = now;
    double secs = (double)(now - p->start_ms) / 1000.0;
    int64_t rate = secs > 0 && done > p->base ? (int64_t)((double)(done - p->base) / secs) : 0;
    if (p->files_total > 0)
        snprintf(files, sizeof(files), "  %lld/%lld files", (long long)p->files_done,
                 (long long)p->files_total);
    flockfile(stderr);
    if (p->total > 0) {
        int pct = (int)(done * 100 / p->total);
        bar(br, 24, pct > 100 ? 100 : pct);
        if (rate > 0 && done < p->total)
            snprintf(eta, sizeof(eta), "  ETA %llds", (long long)((p->total - done) / rate));
        fprintf(stderr, "\r\033[K%s %s %3d%%  %s / %s  %s/s%s%s", p->label, br, pct,
                out_size(a, done), out_size(b, p->total), out_size(c, rate), eta, files);
    } else {
        fprintf(stderr, "\r\033[K%s  %s  %s/s%s", p->label, out_size(a, done), out_size(c, rate),
                files);
    }
    funlockfile(stderr);
}

void progress_end(struct progress *p)
{
    if (p->on && p->last_ms)
        fprintf(stderr, "\r\033[K");
}
