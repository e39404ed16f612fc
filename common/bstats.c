/* bstats.c - object-store request counters (bstats.h). */
#include "bstats.h"

#include "promtext.h"

#include <stdatomic.h>
#include <stdio.h>
#include <strings.h>

static const char *const backend_names[BSTATS_BACKENDS] = {"s3", "azblob"};
static const char *const op_names[BSTATS_OPS] = {"get", "head", "put", "post", "delete"};
static const char *const outcome_names[BSTATS_OUTCOMES] = {
    "ok", "not_found", "client_error", "server_error", "network", "refused"};

static struct {
    _Atomic uint64_t requests[BSTATS_BACKENDS][BSTATS_OPS][BSTATS_OUTCOMES];
    _Atomic uint64_t retries[BSTATS_BACKENDS][BSTATS_OPS];
    _Atomic uint64_t errors[BSTATS_BACKENDS][BSTATS_OPS];
} S;

enum bstats_op bstats_op_of(const char *method)
{
    for (int i = 0; i < BSTATS_OPS; i++)
        if (method && strcasecmp(method, op_names[i]) == 0)
            return (enum bstats_op)i;
    return BSTATS_GET;
}

enum bstats_outcome bstats_outcome_of(int curl_code, long status, bool expected, bool transient,
                                      bool refused)
{
    if (refused)
        return BSTATS_REFUSED;
    if (curl_code)
        return BSTATS_NETWORK;
    if (expected)
        return BSTATS_OK;
    if (transient)
        return BSTATS_SERVER_ERROR;
    if (status == 404 || status == 416)
        return BSTATS_NOT_FOUND;
    return BSTATS_CLIENT_ERROR;
}

/* Out-of-range values land in the first slot: a miscounted label, never a
 * write outside the tables. */
static int clamp(int v, int n)
{
    return v >= 0 && v < n ? v : 0;
}

void bstats_request(enum bstats_backend be, enum bstats_op op, enum bstats_outcome o)
{
    atomic_fetch_add_explicit(&S.requests[clamp((int)be, BSTATS_BACKENDS)][clamp(
                                  (int)op, BSTATS_OPS)][clamp((int)o, BSTATS_OUTCOMES)],
                              1, memory_order_relaxed);
}

void bstats_retry(enum bstats_backend be, enum bstats_op op)
{
    atomic_fetch_add_explicit(
        &S.retries[clamp((int)be, BSTATS_BACKENDS)][clamp((int)op, BSTATS_OPS)], 1,
        memory_order_relaxed);
}

void bstats_error(enum bstats_backend be, enum bstats_op op)
{
    atomic_fetch_add_explicit(
        &S.errors[clamp((int)be, BSTATS_BACKENDS)][clamp((int)op, BSTATS_OPS)], 1,
        memory_order_relaxed);
}

static uint64_t get(_Atomic uint64_t *v)
{
    return atomic_load_explicit(v, memory_order_relaxed);
}

void bstats_render(struct promtext_buf *b)
{
    char labels[96];
    promtext_head(b, "stage_worker_backend_requests_total", "counter",
                  "Object-store HTTP requests (each attempt), by backend, method and outcome.");
    for (int be = 0; be < BSTATS_BACKENDS; be++)
        for (int op = 0; op < BSTATS_OPS; op++)
            for (int o = 0; o < BSTATS_OUTCOMES; o++) {
                uint64_t n = get(&S.requests[be][op][o]);
                if (!n)
                    continue;
                snprintf(labels, sizeof(labels), "backend=\"%s\",op=\"%s\",outcome=\"%s\"",
                         backend_names[be], op_names[op], outcome_names[o]);
                promtext_value(b, "stage_worker_backend_requests_total", labels, (double)n);
            }
    promtext_head(b, "stage_worker_backend_retries_total", "counter",
                  "Object-store requests sent again after a transient failure.");
    for (int be = 0; be < BSTATS_BACKENDS; be++)
        for (int op = 0; op < BSTATS_OPS; op++) {
            uint64_t n = get(&S.retries[be][op]);
            if (!n)
                continue;
            snprintf(labels, sizeof(labels), "backend=\"%s\",op=\"%s\"", backend_names[be],
                     op_names[op]);
            promtext_value(b, "stage_worker_backend_retries_total", labels, (double)n);
        }
    promtext_head(b, "stage_worker_backend_errors_total", "counter",
                  "Object-store operations that failed after their retries (not found and "
                  "already exists are answers, not counted).");
    for (int be = 0; be < BSTATS_BACKENDS; be++)
        for (int op = 0; op < BSTATS_OPS; op++) {
            uint64_t n = get(&S.errors[be][op]);
            if (!n)
                continue;
            snprintf(labels, sizeof(labels), "backend=\"%s\",op=\"%s\"", backend_names[be],
                     op_names[op]);
            promtext_value(b, "stage_worker_backend_errors_total", labels, (double)n);
        }
}

void bstats_reset(void)
{
    for (int be = 0; be < BSTATS_BACKENDS; be++)
        for (int op = 0; op < BSTATS_OPS; op++) {
            for (int o = 0; o < BSTATS_OUTCOMES; o++)
                atomic_store(&S.requests[be][op][o], 0);
            atomic_store(&S.retries[be][op], 0);
            atomic_store(&S.errors[be][op], 0);
        }
}
