/* cmd_cp.c - stagectl cp @FROM @TO [--pattern RE] [--overwrite] [--wait]
 * [--idempotency-key K]: CopyFiles queues a COPY job, within a stage or
 * across stages and backends; --wait polls GetJob until it ends. */
#include "admin.h"
#include "cli.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: stagectl cp @FROM @TO [--pattern RE | --include/--exclude GLOB]\n"
    "                   [--overwrite] [--wait]\n"
    "                   [--idempotency-key KEY]\n"
    "\n"
    "Copy files on the server side, within a stage or between stages (even on\n"
    "different backends); nothing passes through this machine. FROM is a file\n"
    "or a key prefix (as for ls); TO a file, or a directory ending in '/'.\n"
    "Needs READ on FROM's stage and WRITE on TO's. Queues a job and prints it;\n"
    "'stagectl job results JOB_ID' lists what each file became.\n"
    "\n"
    "  --overwrite            replace files that exist at TO (default: skip them)\n"
    "  --wait                 poll the job until it ends; exit 1 unless it SUCCEEDED\n"
    "  --idempotency-key KEY  the same KEY again returns the first job\n" FILTER_HELP;

static int run(struct cli *cli, int argc, char **argv)
{
    Stage__V1__CopyFilesRequest req = STAGE__V1__COPY_FILES_REQUEST__INIT;
    struct admin_jobopts o;
    bool overwrite;
    const struct admin_switch sw[] = {{"overwrite", 0, &overwrite}, {NULL, 0, NULL}};
    int rc = admin_jobopts_parse(cli, argc, argv, sw, &o);
    if (rc >= 0)
        return rc;
    if (argc - optind != 2)
        return cli_usage(cli, "expected @FROM and @TO");
    req.from = argv[optind];
    req.to = argv[optind + 1];
    for (int i = 0; i < 2; i++) {
        const char *loc = argv[optind + i];
        if (loc[0] != '@')
            return cli_usage(cli,
                             "'%s' is not a stage location (they start with '@'); "
                             "use put and get for local files",
                             loc);
    }
    if (o.pattern)
        req.pattern = (char *)o.pattern;
    if (o.idem)
        req.idempotency_key = o.idem;
    req.overwrite = overwrite;
    return admin_call_job(cli, "CopyFiles", &req.base, &stage__v1__copy_files_response__descriptor,
                          req.from, o.wait);
}

const struct cli_cmd cmd_cp = {"cp", run, "copy files between stage locations (server side)",
                               usage};
