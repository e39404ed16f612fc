/* cmd_login.c - stagectl login USER: Login, then keep the token (mode 0600). */
#include "cli.h"
#include "creds.h"
#include "err.h"
#include "out.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { O_PASSWORD = CLI_OPT_FIRST_CMD, O_PRINT_TOKEN, O_PASSWORD_STDIN };

static const char usage[] =
    "usage: stagectl login USER [--password PASSWORD | --password-stdin] [--print-token]\n"
    "                           [--profile NAME]\n"
    "\n"
    "Log in and keep the bearer token (mode 0600) in profile USER@SERVER\n"
    "(~/.config/stagectl/profiles/USER@SERVER/; $XDG_CONFIG_HOME/stagectl/ if\n"
    "set) and in the default profile (~/.config/stagectl/token), which later\n"
    "commands use. Logging in as another user keeps the first session: use it\n"
    "with --profile USER (or STAGECTL_PROFILE). With --profile NAME the token\n"
    "goes to profile NAME only, and the default profile stays as it was.\n"
    "The password comes from --password or --password-stdin, else $STAGE_PASSWORD,\n"
    "else a prompt on the terminal (echo off).\n"
    "\n"
    "  --password PASSWORD  the password (visible in `ps`: prefer the others)\n"
    "  --password-stdin     read the password from the first line of stdin\n"
    "  --print-token        also print the token on stdout (for STAGE_TOKEN=...)\n";

static int get_password(struct cli *cli, const char *opt, char *buf, size_t n)
{
    char err[200];
    const char *env = getenv("STAGE_PASSWORD");
    const char *p = opt ? opt : (env && *env ? env : NULL);
    if (p) {
        snprintf(buf, n, "%s", p);
        return 0;
    }
    int rc = creds_prompt_password("password: ", buf, n, err, sizeof(err));
    if (rc)
        return cli_fail(cli, "password", "INVALID_ARGUMENT", "%s", err);
    return 0;
}

static void print_result(struct cli *cli, const char *user, const Stage__V1__LoginResponse *r,
                         const char *profile, const char *path, bool print_token)
{
    char t[32];
    if (cli->json) {
        json_t *o = json_pack("{s:s,s:I,s:s,s:s}", "user", user, "expires_at",
                              (json_int_t)r->expires_at, "token_file", path, "profile", profile);
        if (o && print_token)
            json_object_set_new(o, "token", json_string(r->token));
        out_print_json(o);
        return;
    }
    if (print_token)
        printf("%s\n", r->token);
    if (!cli->quiet)
        fprintf(print_token ? stderr : stdout,
                "logged in as %s; token saved to %s (profile %s, expires %s)\n", user, path,
                profile, out_time(t, r->expires_at));
}

/* Keep the session: in its own profile (--profile, else USER@SERVER) and,
 * unless --profile named one, as the default too. `path`: the token file
 * printed, the default one when it was written. */
static int save(struct cli *cli, const char *user, const char *token, char *profile, size_t n,
                char *path, size_t pathlen, char *err, size_t errlen)
{
    bool named = cli->profile != NULL;
    if (named)
        snprintf(profile, n, "%s", cli->profile_name);
    else
        creds_profile_default_name(user, cli->server, profile, n);
    int rc = creds_save_token(profile, token, path, pathlen, err, errlen);
    if (!rc)
        rc = creds_save_server(profile, cli->server, err, errlen);
    if (!rc && !named)
        rc = creds_save_token(NULL, token, path, pathlen, err, errlen);
    if (!rc && !named)
        rc = creds_save_server(NULL, cli->server, err, errlen);
    return rc;
}

static int login(struct cli *cli, const char *user, const char *password, bool print_token)
{
    Stage__V1__LoginRequest req = STAGE__V1__LOGIN_REQUEST__INIT;
    Stage__V1__LoginResponse *resp = NULL;
    struct rpc_status st;
    char path[1024], err[300], profile[CREDS_PROFILE_MAX + 1];
    req.user = (char *)user;
    req.password = (char *)password;
    if (cli_resolve(cli, true) || cli_connect(cli, false))
        return CLI_EXIT_ERR;
    int rc = rpc_unary(&cli->conn, RPC_SERVICE "Login", &req.base,
                       &stage__v1__login_response__descriptor, (ProtobufCMessage **)&resp, &st);
    if (rc)
        return cli_fail_rpc(cli, user, rc, &st);
    rc = save(cli, user, resp->token, profile, sizeof(profile), path, sizeof(path), err,
              sizeof(err));
    if (rc)
        rc = cli_fail(cli, "token file", st_err_status_name(rc), "%s", err);
    else
        print_result(cli, user, resp, profile, path, print_token);
    memset(resp->token, 0, strlen(resp->token));
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return rc ? CLI_EXIT_ERR : CLI_EXIT_OK;
}

static int run(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"password", required_argument, NULL, O_PASSWORD},
                                         {"print-token", no_argument, NULL, O_PRINT_TOKEN},
                                         {"password-stdin", no_argument, NULL, O_PASSWORD_STDIN},
                                         {NULL, 0, NULL, 0}};
    const char *password = NULL;
    bool print_token = false, from_stdin = false;
    char pw[512];
    int c;
    while ((c = cli_getopt(cli, argc, argv, opts)) >= 0) {
        if (c == O_PASSWORD)
            password = optarg;
        else if (c == O_PRINT_TOKEN)
            print_token = true;
        else if (c == O_PASSWORD_STDIN)
            from_stdin = true;
    }
    if (c != -1)
        return CLI_OPT_EXIT(c);
    if (argc - optind != 1)
        return cli_usage(cli, "expected one USER");
    const char *user = argv[optind];
    if (from_stdin) {
        if (password)
            return cli_usage(cli, "--password and --password-stdin: give one");
        if (!fgets(pw, sizeof(pw), stdin))
            return cli_fail(cli, "password", "INVALID_ARGUMENT", "no password on stdin");
        pw[strcspn(pw, "\r\n")] = '\0';
        password = pw;
    }
    if (password != pw && get_password(cli, password, pw, sizeof(pw)))
        return CLI_EXIT_ERR;
    int rc = login(cli, user, pw, print_token);
    memset(pw, 0, sizeof(pw));
    return rc;
}

const struct cli_cmd cmd_login = {"login", run, "log in; keep the token for later commands", usage};
