/* cmd_mv.c - stagectl mv @FROM @TO [-r] [--overwrite]: CopyFiles, wait for
 * the job, then RemoveFiles of what was copied, and only that.
 *
 * The API has no move, and a move must never lose a file: the source goes
 * only after the copy job SUCCEEDED, and then only the files its results
 * say were COPIED (a file SKIPPED because the target exists, or added under
 * the prefix while the copy ran, stays). Those names go to RemoveFiles as
 * an anchored alternation of escaped names (rmbatch.h), one job per page of
 * results or per RMLOC_PATTERN_MAX bytes of pattern, so memory is one page.
 * Without -r FROM names one file, as for rm: a directory target gets the
 * file's directory plus its escaped name (so @~/2024 is not 2024.csv too);
 * a file target already copies only the key FROM (copypath.h). */
#include "admin.h"
#include "cli.h"
#include "err.h"
#include "out.h"
#include "rmbatch.h"
#include "rmloc.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <string.h>

enum { O_OVERWRITE = CLI_OPT_FIRST_CMD };

static const char usage[] =
    "usage: stagectl mv @FROM @TO [-r] [--overwrite]\n"
    "\n"
    "Move files on the server side (within a stage or between stages): copy,\n"
    "wait for the copy to succeed, then remove the files it copied. FROM names\n"
    "one file; with -r, everything under the key prefix FROM (as for ls), and\n"
    "TO must then be a directory (ending in '/'). A failed copy removes\n"
    "nothing and exits 1 with the job's error. A target that exists is not\n"
    "replaced unless --overwrite: that file is not moved (its source stays)\n"
    "and the exit is 1.\n"
    "\n"
    "  -r, --recursive  move everything under the prefix FROM\n"
    "  --overwrite      replace files that exist at TO\n";

struct mv {
    struct cli *cli;
    const char *from, *to;
    struct rmbatch rb; /* the copied names to remove */
    char job[128];     /* the copy job */
    int64_t copied, skipped, failed;
};

static int on_result(struct mv *m, const Stage__V1__JobResult *r)
{
    if (strcmp(r->status, "SKIPPED") == 0) {
        m->skipped++;
        return 0;
    }
    if (strcmp(r->status, "COPIED") != 0) {
        m->failed++;
        return 0;
    }
    m->copied++;
    int rc = rmbatch_add(&m->rb, r->name);
    if (rc == ST_ELIMIT) {
        fprintf(stderr, "%s: mv %s: '%s' copied but not removed: name too long for a pattern\n",
                CLI_PROG, m->from, r->name);
        m->failed++;
        rc = 0;
    }
    return rc;
}

/* Walk the copy's per-file results page by page, removing what was copied. */
static int remove_copied(struct mv *m)
{
    Stage__V1__GetJobResultsRequest req = STAGE__V1__GET_JOB_RESULTS_REQUEST__INIT;
    char next[128] = "";
    int rc = 0;
    req.job_id = m->job;
    do {
        Stage__V1__GetJobResultsResponse *resp = NULL;
        req.page_token = next;
        rc = admin_call(m->cli, "GetJobResults", &req.base,
                        &stage__v1__get_job_results_response__descriptor, m->job,
                        (ProtobufCMessage **)&resp);
        if (rc)
            return rc;
        for (size_t i = 0; !rc && i < resp->n_results; i++)
            rc = on_result(m, resp->results[i]);
        snprintf(next, sizeof(next), "%s", resp->n_results ? resp->next_page_token : "");
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        if (!rc)
            rc = rmbatch_flush(&m->rb);
    } while (!rc && next[0]);
    return rc;
}

static int copy(struct mv *m, Stage__V1__CopyFilesRequest *req)
{
    Stage__V1__CopyFilesResponse *resp = NULL;
    int rc =
        admin_call(m->cli, "CopyFiles", &req->base, &stage__v1__copy_files_response__descriptor,
                   m->from, (ProtobufCMessage **)&resp);
    if (rc)
        return rc;
    if (!resp->job)
        rc = cli_fail(m->cli, m->from, "INTERNAL", "the server returned no job");
    else if (snprintf(m->job, sizeof(m->job), "%s", resp->job->id) >= (int)sizeof(m->job))
        rc = cli_fail(m->cli, m->from, "INTERNAL", "job id too long");
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return rc ? rc : admin_job_wait(m->cli, m->job, m->from, NULL);
}

static int report(struct mv *m)
{
    if (m->skipped || m->failed || m->rb.removed != m->copied)
        return cli_fail(m->cli, m->from, m->skipped ? "ALREADY_EXISTS" : "INTERNAL",
                        "%lld file(s) moved; %lld not: the target exists (--overwrite "
                        "replaces it); %lld other(s) left at the source (copy job %s)",
                        (long long)m->rb.removed, (long long)m->skipped,
                        (long long)(m->copied - m->rb.removed + m->failed), m->job);
    if (m->cli->json)
        out_print_json(json_pack("{s:s,s:s,s:I,s:s}", "from", m->from, "to", m->to, "moved",
                                 (json_int_t)m->rb.removed, "copy_job", m->job));
    else if (cli_talk(m->cli))
        printf("moved %lld file(s) from %s to %s (copy job %s)\n", (long long)m->rb.removed,
               m->from, m->to, m->job);
    return CLI_EXIT_OK;
}

static int parse(struct cli *cli, int argc, char **argv, bool *recursive, bool *overwrite)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"recursive", no_argument, NULL, 'r'},
                                         {"overwrite", no_argument, NULL, O_OVERWRITE},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = cli_getopt(cli, argc, argv, opts)) >= 0) {
        if (c == 'r')
            *recursive = true;
        else if (c == O_OVERWRITE)
            *overwrite = true;
    }
    if (c != -1)
        return CLI_OPT_EXIT(c);
    if (argc - optind != 2)
        return cli_usage(cli, "expected @FROM and @TO");
    int rc = cli_check_location(cli, argv[optind]);
    return rc ? rc : cli_check_location(cli, argv[optind + 1]) ? CLI_EXIT_USAGE : -1;
}

static int run(struct cli *cli, int argc, char **argv)
{
    Stage__V1__CopyFilesRequest req = STAGE__V1__COPY_FILES_REQUEST__INIT;
    struct mv m = {.cli = cli};
    char dir[1200], pat[2400];
    bool recursive = false, overwrite = false;
    int rc = parse(cli, argc, argv, &recursive, &overwrite);
    if (rc >= 0)
        return rc;
    req.overwrite = overwrite;
    m.from = req.from = argv[optind];
    m.to = req.to = argv[optind + 1];
    bool to_dir = !strchr(m.to, '/') || m.to[strlen(m.to) - 1] == '/';
    if (recursive && !to_dir)
        return cli_usage(cli, "with -r, @TO is a directory: end it with '/'");
    if (rmbatch_init(&m.rb, cli, m.from, m.from))
        return cli_usage(cli, "stage name too long in '%s'", m.from);
    if (!recursive && to_dir) {
        rc = rmloc_split(m.from, dir, sizeof(dir), pat, sizeof(pat));
        if (rc == ST_EINVAL)
            return cli_usage(cli, "'%s' names no file: use -r for everything under it", m.from);
        if (rc)
            return cli_usage(cli, "location too long");
        req.from = dir;
        req.pattern = pat;
    }
    if ((rc = copy(&m, &req)) != 0)
        return rc;
    if ((rc = remove_copied(&m)) != 0)
        return rc;
    return report(&m);
}

const struct cli_cmd cmd_mv = {"mv", run, "move files: copy, then remove what was copied", usage};
