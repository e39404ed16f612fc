/* rpcstats.c - per-method call counters and histograms (rpcstats.h). */
#include "rpcstats.h"

#include "promtext.h"
#include "server.h"
#include "err.h"
#include "stage_commit.h" /* generated at build time: STAGE_COMMIT */

#include <stdio.h>

#define MAX_METHODS 48 /* the table has ~30; one more for unknown methods */
#define CODES       17 /* gRPC status codes 0..16 */

static struct {
    const struct method *methods;
    int n;
    uint64_t calls[MAX_METHODS][CODES];
    uint64_t bytes[MAX_METHODS];
    struct promtext_hist ms[MAX_METHODS];
} S;

void rpcstats_init(const struct method *methods, int n)
{
    S.methods = methods;
    S.n = n < MAX_METHODS - 1 ? n : MAX_METHODS - 1;
}

static int index_of(const struct method *m)
{
    if (m && S.methods && m >= S.methods && m < S.methods + S.n)
        return (int)(m - S.methods);
    return S.n; /* unknown */
}

void rpcstats_record(const struct method *m, int code, int64_t ms, int64_t bytes)
{
    int i = index_of(m);
    S.calls[i][code >= 0 && code < CODES ? code : 2 /* UNKNOWN */]++;
    S.bytes[i] += bytes > 0 ? (uint64_t)bytes : 0;
    promtext_observe(&S.ms[i], (double)ms / 1000.0);
}

static const char *name_of(int i)
{
    return i < S.n ? S.methods[i].rpc : "unknown";
}

void rpcstats_render(struct promtext_buf *b)
{
    char labels[160];
    promtext_head(b, "stage_build_info", "gauge", "The build: version and git commit.");
    promtext_printf(b, "stage_build_info{component=\"frontend\",version=\"%s\",commit=\"%s\"} 1\n",
                    STAGE_VERSION, STAGE_COMMIT);
    promtext_head(b, "stage_rpc_total", "counter",
                  "Calls this frontend ended, by method and gRPC status.");
    for (int i = 0; i <= S.n; i++)
        for (int c = 0; c < CODES; c++)
            if (S.calls[i][c]) {
                snprintf(labels, sizeof(labels), "method=\"%s\",code=\"%s\"", name_of(i),
                         st_grpc_status_name(c));
                promtext_value(b, "stage_rpc_total", labels, (double)S.calls[i][c]);
            }
    promtext_head(b, "stage_rpc_duration_seconds", "histogram",
                  "How long calls took, from arrival to status, by method.");
    for (int i = 0; i <= S.n; i++)
        if (S.ms[i].count) {
            snprintf(labels, sizeof(labels), "method=\"%s\"", name_of(i));
            promtext_hist(b, "stage_rpc_duration_seconds", labels, &S.ms[i]);
        }
    promtext_head(b, "stage_rpc_bytes_total", "counter",
                  "File bytes calls moved through this frontend, by method.");
    for (int i = 0; i <= S.n; i++)
        if (S.bytes[i]) {
            snprintf(labels, sizeof(labels), "method=\"%s\"", name_of(i));
            promtext_value(b, "stage_rpc_bytes_total", labels, (double)S.bytes[i]);
        }
}
