/* admin.c - shared helpers of the catalog commands (see admin.h). */
#include "admin.h"

#include "out.h"

#include <stdio.h>
#include <string.h>

int admin_call(struct cli *cli, const char *rpc, const ProtobufCMessage *req,
               const ProtobufCMessageDescriptor *resp_desc, const char *object,
               ProtobufCMessage **resp)
{
    char method[128];
    struct rpc_status st;
    int rc = cli_connect(cli, true);
    if (rc)
        return rc;
    snprintf(method, sizeof(method), "%s%s", RPC_SERVICE, rpc);
    rc = rpc_unary(&cli->conn, method, req, resp_desc, resp, &st);
    if (rc)
        return cli_fail_rpc(cli, object, rc, &st);
    return 0;
}

bool admin_json(struct cli *cli, const ProtobufCMessage *m)
{
    if (!cli->json)
        return false;
    out_print_json(out_msg_json(m));
    return true;
}

void admin_kv(const char *key, const char *value)
{
    if (value)
        printf("%-18s %s\n", key, value);
}

int admin_password(struct cli *cli, const char *arg, bool from_stdin, char *out, size_t n)
{
    out[0] = '\0';
    if (arg) {
        if (strlen(arg) >= n)
            return cli_usage(cli, "the password is too long");
        snprintf(out, n, "%s", arg);
        return 0;
    }
    if (!from_stdin)
        return 0;
    if (!fgets(out, (int)n, stdin))
        return cli_usage(cli, "no password on stdin");
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

int admin_dispatch(struct cli *cli, int argc, char **argv, const struct admin_sub *subs)
{
    if (argc < 2 || argv[1][0] == '-') {
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            fputs(cli->cmd->usage, stdout);
            return CLI_EXIT_OK;
        }
        return cli_usage(cli, "expected a subcommand");
    }
    for (const struct admin_sub *s = subs; s->name; s++)
        if (strcmp(s->name, argv[1]) == 0)
            return s->run(cli, argc - 1, argv + 1);
    return cli_usage(cli, "unknown subcommand '%s'", argv[1]);
}
