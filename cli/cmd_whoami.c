/* cmd_whoami.c - stagectl whoami: who the saved credentials are, on which
 * server, until when, and whether the server still takes them. */
#include "cli.h"
#include "creds.h"
#include "err.h"
#include "out.h"
#include "rpc.h"

#include "stage/v1/stage.pb-c.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: stagectl whoami\n"
    "\n"
    "Print the user the credentials name (the token of 'stagectl login',\n"
    "STAGE_TOKEN or --token; or STAGE_USER), the server, when the token expires,\n"
    "the profile the token came from (--profile, STAGECTL_PROFILE, else\n"
    "'default'), and whether the server accepts them.\n";

/* The claims of a token "v1.<base64url(user|gen|expires_ms)>.<sig>": user
 * and expiry. Read without the key: only the server can tell it is valid. */
static int token_claims(const char *tok, char *user, size_t n, long long *expires_ms)
{
    const char *p = strchr(tok, '.'), *q = p ? strchr(p + 1, '.') : NULL;
    if (strncmp(tok, "v1.", 3) != 0 || !q || q - p - 1 > 400)
        return ST_EINVAL;
    char b64[420], raw[320];
    size_t len = (size_t)(q - p - 1);
    memcpy(b64, p + 1, len);
    for (size_t i = 0; i < len; i++) /* base64url to base64, padded */
        b64[i] = b64[i] == '-' ? '+' : b64[i] == '_' ? '/' : b64[i];
    while (len % 4)
        b64[len++] = '=';
    b64[len] = '\0';
    int m = EVP_DecodeBlock((unsigned char *)raw, (const unsigned char *)b64, (int)len);
    if (m <= 0)
        return ST_EINVAL;
    raw[m] = '\0';
    char *bar = strchr(raw, '|'), *bar2 = bar ? strchr(bar + 1, '|') : NULL;
    if (!bar || !bar2 || (size_t)(bar - raw) >= n)
        return ST_EINVAL;
    snprintf(user, n, "%.*s", (int)(bar - raw), raw);
    *expires_ms = atoll(bar2 + 1);
    return 0;
}

static int run(struct cli *cli, int argc, char **argv)
{
    char hdr[1200], err[300] = "", user[80] = "", when[32] = "";
    long long expires_ms = 0;
    int c = cli_getopt_global(cli, argc, argv);
    if (c != -1)
        return c;
    if (argc - optind != 0)
        return cli_usage(cli, "whoami takes no arguments");
    if (cli_resolve(cli, false))
        return CLI_EXIT_ERR;
    int rc = creds_authorization(cli->token, cli->profile_name, hdr, sizeof(hdr), err, sizeof(err));
    if (rc)
        return cli_fail(cli, "credentials", st_err_status_name(rc), "%s", err);
    /* the profile only when its token file is what is sent */
    const char *env_token = getenv("STAGE_TOKEN");
    const char *profile = cli->token || (env_token && *env_token) || strncmp(hdr, "Basic ", 6) == 0
                              ? NULL
                              : cli->profile_name;
    if (strncmp(hdr, "Bearer ", 7) == 0 && token_claims(hdr + 7, user, sizeof(user), &expires_ms))
        snprintf(user, sizeof(user), "?");
    else if (strncmp(hdr, "Basic ", 6) == 0)
        snprintf(user, sizeof(user), "%s", getenv("STAGE_USER") ? getenv("STAGE_USER") : "?");
    memset(hdr, 0, sizeof(hdr));
    if (cli_connect(cli, true))
        return CLI_EXIT_ERR;
    /* a cheap authenticated call: NOT_FOUND means the credentials passed */
    Stage__V1__GetJobRequest req = STAGE__V1__GET_JOB_REQUEST__INIT;
    req.job_id = "00000000000000000000000000000000";
    ProtobufCMessage *resp = NULL;
    struct rpc_status st;
    rpc_unary(&cli->conn, RPC_SERVICE "GetJob", &req.base, &stage__v1__get_job_response__descriptor,
              &resp, &st);
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    bool ok = st.code == 0 || st.code == 5 /* NOT_FOUND */;
    if (expires_ms)
        out_time(when, expires_ms);
    if (cli->json) {
        json_t *o = json_pack("{s:s,s:s,s:b}", "user", user, "server", cli->server, "accepted", ok);
        if (o && expires_ms)
            json_object_set_new(o, "expires_at", json_integer(expires_ms));
        if (o && profile)
            json_object_set_new(o, "profile", json_string(profile));
        out_print_json(o);
    } else {
        printf("%s on %s%s%s%s%s%s\n", user, cli->server, expires_ms ? " (token expires " : "",
               expires_ms ? when : "", expires_ms ? ")" : "", profile ? ", profile " : "",
               profile ? profile : "");
    }
    if (!ok)
        return cli_fail(cli, user, "UNAUTHENTICATED", "the server refuses these credentials: %s",
                        st.msg);
    return CLI_EXIT_OK;
}

const struct cli_cmd cmd_whoami = {"whoami", run, "show who you are logged in as, and where",
                                   usage};
