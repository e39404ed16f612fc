/* jobstats.c - job run counters and histograms of a worker (jobstats.h). */
#include "jobstats.h"

#include "job.h"
#include "promtext.h"

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

void jobstats_render(struct promtext_buf *b)
{
    char k[24], labels[96];
    promtext_head(b, "stage_build_info", "gauge", "The build: version and git commit.");
    promtext_printf(b, "stage_build_info{component=\"worker\",version=\"%s\",commit=\"%s\"} 1\n",
                    STAGE_VERSION, STAGE_COMMIT);
    promtext_head(b, "stage_worker_job_runs_total", "counter",
                  "Job runs this worker ended, by kind and outcome.");
    for (int i = 0; i < JOB_KIND_LAST; i++)
        for (int o = 0; o < JOBSTATS_OUTCOMES; o++)
            if (S.runs[i][o]) {
                kind_label(i, k, sizeof(k));
                snprintf(labels, sizeof(labels), "kind=\"%s\",outcome=\"%s\"", k, outcome_names[o]);
                promtext_value(b, "stage_worker_job_runs_total", labels, (double)S.runs[i][o]);
            }
    promtext_head(b, "stage_worker_job_duration_seconds", "histogram",
                  "How long job runs took on this worker, by kind.");
    for (int i = 0; i < JOB_KIND_LAST; i++)
        if (S.secs[i].count) {
            kind_label(i, k, sizeof(k));
            snprintf(labels, sizeof(labels), "kind=\"%s\"", k);
            promtext_hist(b, "stage_worker_job_duration_seconds", labels, &S.secs[i]);
        }
    promtext_head(b, "stage_worker_job_bytes_total", "counter",
                  "Bytes successful job runs moved, by kind.");
    for (int i = 0; i < JOB_KIND_LAST; i++)
        if (S.bytes[i]) {
            kind_label(i, k, sizeof(k));
            snprintf(labels, sizeof(labels), "kind=\"%s\"", k);
            promtext_value(b, "stage_worker_job_bytes_total", labels, (double)S.bytes[i]);
        }
    promtext_head(b, "stage_worker_job_files_total", "counter",
                  "Files successful job runs handled, by kind.");
    for (int i = 0; i < JOB_KIND_LAST; i++)
        if (S.files[i]) {
            kind_label(i, k, sizeof(k));
            snprintf(labels, sizeof(labels), "kind=\"%s\"", k);
            promtext_value(b, "stage_worker_job_files_total", labels, (double)S.files[i]);
        }
}
