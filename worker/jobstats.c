/* jobstats.c - job run counters and histograms of a worker (jobstats.h). */
#include "jobstats.h"

#include "job.h"
#include "promtext.h"
#include "stage_commit.h" /* generated at build time: STAGE_COMMIT */

#include <ctype.h>
#include <stdio.h>

static const char *const outcome_names[JOBSTATS_OUTCOMES] = {"succeeded", "failed", "retried",
                                                             "given_up"};

static struct {
    uint64_t runs[JOB_KIND_LAST][JOBSTATS_OUTCOMES];
    uint64_t bytes[JOB_KIND_LAST], files[JOB_KIND_LAST];
    struct promtext_hist secs[JOB_KIND_LAST];
} S;

void jobstats_record(int kind, enum jobstats_outcome o, double seconds, int64_t bytes,
                     int64_t files)
{
    if (kind <= 0 || kind >= JOB_KIND_LAST || o < 0 || o >= JOBSTATS_OUTCOMES)
        kind = JOB_KIND_NONE;
    S.runs[kind][o]++;
    S.bytes[kind] += bytes > 0 ? (uint64_t)bytes : 0;
    S.files[kind] += files > 0 ? (uint64_t)files : 0;
    promtext_observe(&S.secs[kind], seconds);
}

/* "upload" for JOB_UPLOAD: label values in lower case. */
static void kind_label(int kind, char *out, size_t n)
{
    snprintf(out, n, "%s", kind ? job_kind_name((enum job_kind)kind) : "none");
    for (char *p = out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
}

/* One metric family by kind: counters read from v[kind * per_kind + o]
 * (o < per_kind; more than one: one series per outcome), or with v NULL the
 * duration histograms. Kinds (and outcomes) that saw nothing are left out. */
static void render_family(struct promtext_buf *b, const char *name, const char *help,
                          const uint64_t *v, int per_kind)
{
    char k[24], labels[96];
    promtext_head(b, name, v ? "counter" : "histogram", help);
    for (int i = 0; i < JOB_KIND_LAST; i++)
        for (int o = 0; o < per_kind; o++) {
            uint64_t n = v ? v[i * per_kind + o] : S.secs[i].count;
            if (!n)
                continue;
            kind_label(i, k, sizeof(k));
            if (per_kind > 1)
                snprintf(labels, sizeof(labels), "kind=\"%s\",outcome=\"%s\"", k, outcome_names[o]);
            else
                snprintf(labels, sizeof(labels), "kind=\"%s\"", k);
            if (v)
                promtext_value(b, name, labels, (double)n);
            else
                promtext_hist(b, name, labels, &S.secs[i]);
        }
}

void jobstats_render(struct promtext_buf *b)
{
    promtext_head(b, "stage_build_info", "gauge", "The build: version and git commit.");
    promtext_printf(b, "stage_build_info{component=\"worker\",version=\"%s\",commit=\"%s\"} 1\n",
                    STAGE_VERSION, STAGE_COMMIT);
    render_family(b, "stage_worker_job_runs_total",
                  "Job runs this worker ended, by kind and outcome.", &S.runs[0][0],
                  JOBSTATS_OUTCOMES);
    render_family(b, "stage_worker_job_duration_seconds",
                  "How long job runs took on this worker, by kind.", NULL, 1);
    render_family(b, "stage_worker_job_bytes_total", "Bytes successful job runs moved, by kind.",
                  S.bytes, 1);
    render_family(b, "stage_worker_job_files_total", "Files successful job runs handled, by kind.",
                  S.files, 1);
}
