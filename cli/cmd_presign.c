/* cmd_presign.c - stagectl presign @loc [--upload] [--expire S]
 * [--content-type T]: PresignFile, a URL that reads (or writes) one file
 * without credentials until it expires. */
#include "admin.h"
#include "cli.h"
#include "out.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { O_UPLOAD = CLI_OPT_FIRST_CMD, O_EXPIRE, O_CONTENT_TYPE };

#define EXPIRE_MAX 604800 /* 7 days, as S3 */

static const char usage[] =
    "usage: stagectl presign @LOCATION [--upload] [--expire SECONDS]\n"
    "                        [--content-type TYPE]\n"
    "\n"
    "Print a presigned URL for one file: anyone holding it may download (or with\n"
    "--upload, upload with HTTP PUT) that file until it expires, with no\n"
    "credentials. Needs READ on the stage (WRITE with --upload). Prints the URL\n"
    "on the first line, then the headers the request must carry and the expiry;\n"
    "--json: {\"method\", \"url\", \"headers\", \"expires_at\"}.\n"
    "Stages on the fs backend have no presigned URLs (FAILED_PRECONDITION).\n"
    "\n"
    "  --upload             a URL for PUT instead of GET\n"
    "  --expire SECONDS     lifetime, 1-604800 (default 3600)\n"
    "  --content-type TYPE  the Content-Type the upload must send (with --upload)\n";

static void print_presign(struct cli *cli, const Stage__V1__PresignFileResponse *r, int64_t exp_ms)
{
    char t[32];
    if (cli->json) {
        json_t *o = out_msg_json(&r->base);
        if (o)
            json_object_set_new(o, "expires_at", json_integer(exp_ms));
        out_print_json(o);
        return;
    }
    printf("%s\n", r->url);
    printf("%-10s %s\n",
           "method:", r->method == STAGE__V1__PRESIGN_METHOD__UPLOAD_METHOD ? "PUT" : "GET");
    for (size_t i = 0; i < r->n_headers; i++)
        printf("%-10s %s: %s\n", "header:", r->headers[i]->key, r->headers[i]->value);
    printf("%-10s %s\n", "expires:", out_time(t, exp_ms));
}

static int presign(struct cli *cli, const Stage__V1__PresignFileRequest *req)
{
    Stage__V1__PresignFileResponse *resp = NULL;
    int64_t now_ms = (int64_t)time(NULL) * 1000;
    int rc =
        admin_call(cli, "PresignFile", &req->base, &stage__v1__presign_file_response__descriptor,
                   req->location, (ProtobufCMessage **)&resp);
    if (rc)
        return rc;
    print_presign(cli, resp, now_ms + (req->expire_seconds ? req->expire_seconds : 3600) * 1000);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return CLI_EXIT_OK;
}

static int run(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"upload", no_argument, NULL, O_UPLOAD},
                                         {"expire", required_argument, NULL, O_EXPIRE},
                                         {"content-type", required_argument, NULL, O_CONTENT_TYPE},
                                         {NULL, 0, NULL, 0}};
    Stage__V1__PresignFileRequest req = STAGE__V1__PRESIGN_FILE_REQUEST__INIT;
    req.method = STAGE__V1__PRESIGN_METHOD__DOWNLOAD_METHOD;
    int c, rc;
    while ((c = cli_getopt(cli, argc, argv, opts)) >= 0) {
        char *end;
        if (c == O_UPLOAD) {
            req.method = STAGE__V1__PRESIGN_METHOD__UPLOAD_METHOD;
        } else if (c == O_CONTENT_TYPE) {
            req.content_type = optarg;
        } else if (c == O_EXPIRE) {
            long v = strtol(optarg, &end, 10);
            if (!*optarg || *end || v < 1 || v > EXPIRE_MAX)
                return cli_usage(cli, "--expire expects 1-%d seconds, not '%s'", EXPIRE_MAX,
                                 optarg);
            req.expire_seconds = v;
        }
    }
    if (c != -1)
        return CLI_OPT_EXIT(c);
    if ((rc = cli_location_arg(cli, argc, argv, &req.location)) != 0)
        return rc;
    if (req.content_type[0] && req.method != STAGE__V1__PRESIGN_METHOD__UPLOAD_METHOD)
        return cli_usage(cli, "--content-type goes with --upload");
    return presign(cli, &req);
}

const struct cli_cmd cmd_presign = {"presign", run, "a presigned URL to download/upload a file",
                                    usage};
