/* cmd_rm.c - stagectl rm @loc [--pattern RE] [--dry-run] [--wait]
 * [--idempotency-key K]: RemoveFiles queues a REMOVE job; --wait polls
 * GetJob until it ends. */
#include "admin.h"
#include "cli.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: stagectl rm @LOCATION [--pattern RE] [--dry-run] [--wait]\n"
    "                   [--idempotency-key KEY]\n"
    "\n"
    "Remove files: every file under the key prefix LOCATION (as for ls), or\n"
    "only those matching RE. Queues a job and prints it; 'stagectl job results\n"
    "JOB_ID' lists what each file became.\n"
    "\n"
    "  --pattern RE           only names matching the PCRE2 pattern RE (as for ls)\n"
    "  --dry-run              count what would be removed; remove nothing\n"
    "  --wait                 poll the job until it ends; exit 1 unless it SUCCEEDED\n"
    "  --idempotency-key KEY  the same KEY again (1-128 printable characters, no\n"
    "                         spaces) returns the first job instead of a new one\n";

static int run(struct cli *cli, int argc, char **argv)
{
    Stage__V1__RemoveFilesRequest req = STAGE__V1__REMOVE_FILES_REQUEST__INIT;
    struct admin_jobopts o;
    int rc = admin_jobopts_parse(cli, argc, argv, "dry-run", &o);
    if (rc >= 0)
        return rc;
    if ((rc = cli_location_arg(cli, argc, argv, &req.location)) != 0)
        return rc;
    if (o.pattern)
        req.pattern = o.pattern;
    if (o.idem)
        req.idempotency_key = o.idem;
    req.dry_run = o.flag;
    return admin_call_job(cli, "RemoveFiles", &req.base,
                          &stage__v1__remove_files_response__descriptor, req.location, o.wait);
}

const struct cli_cmd cmd_rm = {"rm", run, "remove files (prefix, optional pattern)", usage};
