/* cmd_rm.c - stagectl rm @loc [-r | --pattern RE] [--dry-run] [--force]
 * [--no-wait] [--idempotency-key K]: RemoveFiles, then GetJob until the job
 * ends and a report of how many files matched and were removed.
 *
 * The API removes a key prefix (Databend); a person typing `rm @~/2024`
 * means the file 2024, not 2024.csv too. So without -r or --pattern the
 * location names one file: its directory is sent as the location and its
 * escaped base name as the pattern (rmloc.h), one job that matches that key
 * or nothing, with no window between a check and the removal. "No files
 * matched" is an error (exit 1) unless --force, as for rm(1) -f. A dry run
 * lists every file that would go (GetJobResults, page by page: bounded
 * memory) and says it is a dry run. */
#include "admin.h"
#include "cli.h"
#include "err.h"
#include "filter.h"
#include "jobpoll.h"
#include "out.h"
#include "rmloc.h"

#include "stage/v1/stage.pb-c.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: stagectl rm @LOCATION [-r | --pattern RE | --include/--exclude GLOB]\n"
    "                   [--dry-run] [--force] [--no-wait] [--idempotency-key KEY]\n"
    "\n"
    "Remove one file: @~/2024/users.csv removes that file only. With -r, every\n"
    "file under the key prefix LOCATION (as for ls: @~/2024 is 2024/... and\n"
    "2024.csv); with --pattern or globs, those under it whose name matches. Waits for\n"
    "the job and reports how many files matched and were removed; no file\n"
    "matched is an error (exit 1) unless --force.\n"
    "\n"
    "  -r, --recursive        everything under the prefix LOCATION\n"
    "  --dry-run              list what would be removed, one line per file;\n"
    "                         remove nothing\n"
    "  -f, --force            no files matched is not an error\n"
    "  --no-wait              print the queued job and return ('stagectl job get\n"
    "                         JOB_ID' tells the counts later)\n"
    "  --idempotency-key KEY  the same KEY again (1-128 printable characters, no\n"
    "                         spaces) returns the first job instead of a new one\n" FILTER_HELP;

struct rm_opts {
    struct admin_jobopts job; /* --wait: the default now; still accepted */
    bool recursive, dry, force, no_wait;
};

static int parse(struct cli *cli, int argc, char **argv, struct rm_opts *o)
{
    const struct admin_switch sw[] = {{"recursive", 'r', &o->recursive},
                                      {"dry-run", 0, &o->dry},
                                      {"force", 'f', &o->force},
                                      {"no-wait", 0, &o->no_wait},
                                      {NULL, 0, NULL}};
    return admin_jobopts_parse(cli, argc, argv, sw, &o->job);
}

/* Every file the dry run matched, one line (or JSON document) each. */
static int list_matches(struct cli *cli, const char *job_id)
{
    Stage__V1__GetJobResultsRequest req = STAGE__V1__GET_JOB_RESULTS_REQUEST__INIT;
    char next[128] = "";
    int rc = 0;
    req.job_id = (char *)job_id;
    do {
        Stage__V1__GetJobResultsResponse *resp = NULL;
        req.page_token = next;
        rc = admin_call(cli, "GetJobResults", &req.base,
                        &stage__v1__get_job_results_response__descriptor, job_id,
                        (ProtobufCMessage **)&resp);
        if (rc)
            return rc;
        for (size_t i = 0; i < resp->n_results; i++) {
            if (cli->json)
                out_print_json(
                    json_pack("{s:s,s:b}", "name", resp->results[i]->name, "dry_run", 1));
            else
                printf("would remove %s\n", resp->results[i]->name);
        }
        snprintf(next, sizeof(next), "%s", resp->n_results ? resp->next_page_token : "");
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    } while (next[0]);
    return 0;
}

/* The report of an ended job; the exit code. */
static int report(struct cli *cli, const struct rm_opts *o, const char *loc,
                  const Stage__V1__Job *j)
{
    int rc = 0;
    if (j->state != STAGE__V1__JOB_STATE__SUCCEEDED) /* as `job get --wait` says it */
        return admin_job_failed(cli, loc, j);
    /* one document per command: the error alone */
    if (j->files_total == 0 && !o->force)
        return cli_fail(cli, loc, "NOT_FOUND", "no files matched %s%s (job %s)", loc,
                        o->recursive || o->job.pattern ? "" : "; a prefix needs -r", j->id);
    if (o->dry && j->files_total > 0)
        rc = list_matches(cli, j->id);
    if (rc)
        return rc;
    if (cli->json) {
        json_t *r =
            json_pack("{s:s,s:I,s:I,s:b}", "location", loc, "matched", (json_int_t)j->files_total,
                      "removed", (json_int_t)j->files_done, "dry_run", o->dry);
        if (r)
            json_object_set_new(r, "job", out_msg_json(&j->base));
        out_print_json(r);
    } else if (!cli_talk(cli)) {
        /* --quiet: success says nothing */
    } else if (o->dry) {
        printf("dry run: %lld file(s) matched %s; nothing was removed (job %s)\n",
               (long long)j->files_total, loc, j->id);
    } else {
        printf("removed %lld of %lld matched file(s) under %s (job %s)\n", (long long)j->files_done,
               (long long)j->files_total, loc, j->id);
    }
    fflush(stdout);
    return CLI_EXIT_OK;
}

static int remove_and_report(struct cli *cli, const struct rm_opts *o,
                             Stage__V1__RemoveFilesRequest *req, const char *loc)
{
    Stage__V1__RemoveFilesResponse *resp = NULL;
    Stage__V1__GetJobResponse *got = NULL;
    struct rpc_status st;
    int rc =
        admin_call(cli, "RemoveFiles", &req->base, &stage__v1__remove_files_response__descriptor,
                   loc, (ProtobufCMessage **)&resp);
    if (rc)
        return rc;
    if (!resp->job)
        rc = cli_fail(cli, loc, "INTERNAL", "the server returned no job");
    else if (o->no_wait && !cli->json && cli->quiet)
        printf("%s\n", resp->job->id); /* what a script needs to follow the job */
    else if (o->no_wait)
        out_print_job(cli->json, resp->job);
    else if ((rc = jobpoll_wait(&cli->conn, resp->job->id, &got, &st)) != 0)
        rc = cli_fail_rpc(cli, resp->job->id, rc, &st);
    else
        rc = got->job ? report(cli, o, loc, got->job)
                      : cli_fail(cli, loc, "INTERNAL", "the server returned no job");
    if (got)
        protobuf_c_message_free_unpacked(&got->base, NULL);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return rc;
}

static int run(struct cli *cli, int argc, char **argv)
{
    Stage__V1__RemoveFilesRequest req = STAGE__V1__REMOVE_FILES_REQUEST__INIT;
    struct rm_opts o;
    char dir[1200], pat[2400];
    char *loc = NULL;
    int rc = parse(cli, argc, argv, &o);
    if (rc >= 0)
        return rc;
    if ((rc = cli_location_arg(cli, argc, argv, &loc)) != 0)
        return rc;
    req.location = loc;
    if (o.job.pattern) {
        req.pattern = (char *)o.job.pattern;
    } else if (!o.recursive) {
        rc = rmloc_split(loc, dir, sizeof(dir), pat, sizeof(pat));
        if (rc == ST_EINVAL)
            return cli_usage(
                cli, "'%s' names no file: use -r for everything under it, or --pattern", loc);
        if (rc)
            return cli_usage(cli, "location too long");
        req.location = dir;
        req.pattern = pat;
    }
    if (o.job.idem)
        req.idempotency_key = o.job.idem;
    req.dry_run = o.dry;
    return remove_and_report(cli, &o, &req, loc);
}

const struct cli_cmd cmd_rm = {"rm", run, "remove a file (-r: a prefix; --pattern)", usage};
