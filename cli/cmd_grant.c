/* cmd_grant.c - stagectl grant|revoke PRIVILEGE [STAGE] USER, and
 * stagectl grants (--stage NAME | --user NAME). */
#include "admin.h"
#include "cli.h"
#include "out.h"
#include "table.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

enum { O_STAGE = CLI_OPT_FIRST_CMD, O_USER };

static const char grant_usage[] =
    "usage: stagectl grant READ|WRITE|ALL STAGE USER\n"
    "       stagectl grant CREATE_STAGE USER\n"
    "\n"
    "Give USER a privilege on the named stage (READ: list, download, stat;\n"
    "WRITE: upload, remove; ALL: both, plus drop and alter), or the global\n"
    "privilege to create stages (admins only). The stage's owner and admins grant.\n";

static const char revoke_usage[] = "usage: stagectl revoke READ|WRITE|ALL STAGE USER\n"
                                   "       stagectl revoke CREATE_STAGE USER\n"
                                   "\n"
                                   "Take a privilege back (see 'stagectl grant --help').\n";

static const char grants_usage[] = "usage: stagectl grants (--stage NAME | --user NAME)\n"
                                   "\n"
                                   "Show the grants on a stage (its owner and admins) or of a\n"
                                   "user (the user and admins).\n";

static int parse_priv(const char *s)
{
    static const char *const names[] = {"READ", "WRITE", "ALL", "CREATE_STAGE"};
    static const int values[] = {STAGE__V1__PRIVILEGE__READ, STAGE__V1__PRIVILEGE__WRITE,
                                 STAGE__V1__PRIVILEGE__ALL, STAGE__V1__PRIVILEGE__CREATE_STAGE};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(s, names[i]) == 0)
            return values[i];
    return 0;
}

static int change(struct cli *cli, int argc, char **argv, bool grant)
{
    int rc = cli_getopt_global(cli, argc, argv);
    if (rc >= 0)
        return rc;
    int n = argc - optind;
    int priv = n >= 1 ? parse_priv(argv[optind]) : 0;
    if (!priv)
        return cli_usage(cli, "expected a privilege: READ, WRITE, ALL or CREATE_STAGE");
    bool global = priv == STAGE__V1__PRIVILEGE__CREATE_STAGE;
    if (n != (global ? 2 : 3))
        return cli_usage(cli,
                         global ? "expected CREATE_STAGE USER" : "expected PRIVILEGE STAGE USER");
    char *stage = global ? "" : argv[optind + 1];
    char *user = argv[optind + n - 1];
    /* Grant and Revoke take the same three fields */
    Stage__V1__GrantRequest g = STAGE__V1__GRANT_REQUEST__INIT;
    Stage__V1__RevokeRequest r = STAGE__V1__REVOKE_REQUEST__INIT;
    g.privilege = r.privilege = priv;
    g.stage = r.stage = stage;
    g.user = r.user = user;
    ProtobufCMessage *resp = NULL;
    rc = grant ? admin_call(cli, "Grant", &g.base, &stage__v1__grant_response__descriptor, user,
                            &resp)
               : admin_call(cli, "Revoke", &r.base, &stage__v1__revoke_response__descriptor, user,
                            &resp);
    if (rc)
        return rc;
    char b[16];
    const char *pname = out_enum_name(&stage__v1__privilege__descriptor, priv, b);
    if (cli->json)
        out_print_json(json_pack("{s:s,s:s,s:s,s:s}", "result", grant ? "granted" : "revoked",
                                 "privilege", pname, "stage", stage, "user", user));
    else if (cli_talk(cli))
        printf("%s %s%s%s%s %s\n", grant ? "granted" : "revoked", pname, global ? "" : " on ",
               global ? "" : stage, grant ? " to" : " from", user);
    protobuf_c_message_free_unpacked(resp, NULL);
    return 0;
}

static int run_grant(struct cli *cli, int argc, char **argv)
{
    return change(cli, argc, argv, true);
}

static int run_revoke(struct cli *cli, int argc, char **argv)
{
    return change(cli, argc, argv, false);
}

static int print_grants(struct cli *cli, const ProtobufCMessage *resp)
{
    static const char *const heads[] = {"PRIVILEGE", "STAGE", "USER"};
    const Stage__V1__ShowGrantsResponse *r = (const Stage__V1__ShowGrantsResponse *)resp;
    struct table *t = table_new(3, heads);
    char b[16];
    int rc = 0;
    for (size_t i = 0; t && !rc && i < r->n_grants; i++) {
        const Stage__V1__GrantEntry *g = r->grants[i];
        const char *cells[] = {
            out_enum_name(&stage__v1__privilege__descriptor, (int)g->privilege, b),
            g->stage[0] ? g->stage : "*", g->user};
        rc = table_add(t, cells);
    }
    return admin_table_done(cli, "grants", t, rc);
}

static int run_grants(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"stage", required_argument, NULL, O_STAGE},
                                         {"user", required_argument, NULL, O_USER},
                                         {NULL, 0, NULL, 0}};
    Stage__V1__ShowGrantsRequest req = STAGE__V1__SHOW_GRANTS_REQUEST__INIT;
    int c;
    while ((c = cli_getopt(cli, argc, argv, opts)) >= 0) {
        if (c == O_STAGE)
            req.stage = optarg;
        else if (c == O_USER)
            req.user = optarg;
    }
    if (c != -1)
        return CLI_OPT_EXIT(c);
    if (argc - optind != 0 || !req.stage[0] == !req.user[0])
        return cli_usage(cli, "give exactly one of --stage NAME or --user NAME");
    return admin_call_print(cli, "ShowGrants", &req.base,
                            &stage__v1__show_grants_response__descriptor,
                            req.stage[0] ? req.stage : req.user, print_grants);
}

const struct cli_cmd cmd_grant = {"grant", run_grant, "give a privilege", grant_usage};
const struct cli_cmd cmd_revoke = {"revoke", run_revoke, "take a privilege back", revoke_usage};
const struct cli_cmd cmd_grants = {"grants", run_grants, "show grants of a stage or user",
                                   grants_usage};
