/* cmd_cat.c - stagectl cat @loc: one file's bytes to stdout, as `aws s3 cp
 * s3://b/k -`, `gsutil cat` and `rclone cat` do. The download and its
 * digest check are get's (get.h), so cat verifies exactly as `get -` does. */
#include "cli.h"
#include "get.h"

#include <string.h>

static const char usage[] =
    "usage: stagectl cat @LOCATION\n"
    "\n"
    "Write the file LOCATION names to stdout (as 'stagectl get @LOCATION -').\n"
    "What arrives is checked against the SHA-256 (else MD5) the server recorded:\n"
    "a mismatch exits 1 (DATA_LOSS), the bytes already written.\n";

static int run(struct cli *cli, int argc, char **argv)
{
    char *loc = NULL;
    int rc = cli_getopt_global(cli, argc, argv);
    if (rc >= 0)
        return rc;
    if ((rc = cli_location_arg(cli, argc, argv, &loc)) != 0)
        return rc;
    /* a prefix would be every file under it, concatenated: not what cat means */
    if (!strchr(loc, '/') || loc[strlen(loc) - 1] == '/')
        return cli_usage(cli, "'%s' names no file; give one like @~/dir/a.csv", loc);
    return get_to_stdout(cli, loc);
}

const struct cli_cmd cmd_cat = {"cat", run, "write a file to stdout (digest checked)", usage};
