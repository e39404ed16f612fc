/* cmd_user.c - stagectl user create|drop|alter|list (admins; a user may
 * change their own password). */
#include "admin.h"
#include "cli.h"
#include "out.h"
#include "quota.h"
#include "table.h"

#include "stage/v1/stage.pb-c.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    O_PASSWORD = CLI_OPT_FIRST_CMD,
    O_PW_STDIN,
    O_ADMIN,
    O_NO_ADMIN,
    O_IF,
    O_CURRENT,
    O_QBYTES,
    O_QFILES,
    O_RESET_QUOTA
};

static const char usage[] =
    "usage: stagectl user create NAME (--password PW | --password-stdin) [--admin]\n"
    "                            [--if-not-exists]\n"
    "       stagectl user drop NAME [--if-exists]\n"
    "       stagectl user alter NAME [--password PW | --password-stdin] [--admin | --no-admin]\n"
    "                            [--current-password PW]\n"
    "                            [--quota-bytes SIZE] [--quota-files N] [--reset-quota]\n"
    "       stagectl user list\n"
    "\n"
    "Manage users (admins only; a user may change their own password). A password\n"
    "change or a drop revokes every token of the user. A user who is not an admin\n"
    "changes their own password with the current one: --current-password, else\n"
    "$STAGE_CURRENT_PASSWORD. --quota-bytes/--quota-files set the quota of the\n"
    "user's @~ (SIZE like 500MiB; 0 = no limit; one alone leaves the other\n"
    "without limit); --reset-quota: back to the server's default.\n";

/* The `user` of a CreateUser or AlterUser reply. */
static int print_user(struct cli *cli, const ProtobufCMessage *resp)
{
    const Stage__V1__User *u =
        (const Stage__V1__User *)out_msg_sub(resp, "user", &stage__v1__user__descriptor);
    char t[32];
    (void)cli;
    if (!u)
        return CLI_EXIT_OK;
    admin_kv("name:", u->name);
    admin_kv("admin:", u->admin ? "yes" : "no");
    admin_kv("created_on:", out_time(t, u->created_on));
    if (u->quota_bytes || u->quota_files || u->used_bytes || u->used_files) {
        char v[64], h[32];
        quota_fmt_limit(u->quota_bytes, true, h, sizeof(h));
        admin_kv("quota_bytes:", h);
        quota_fmt_limit(u->quota_files, false, v, sizeof(v));
        admin_kv("quota_files:", v);
        quota_fmt_bytes(u->used_bytes, h, sizeof(h));
        snprintf(v, sizeof(v), "%s (%lld) in %lld files", h, (long long)u->used_bytes,
                 (long long)u->used_files);
        admin_kv("used:", v);
    }
    return CLI_EXIT_OK;
}

static int print_users(struct cli *cli, const ProtobufCMessage *resp)
{
    static const char *const heads[] = {"NAME", "ADMIN", "CREATED"};
    const Stage__V1__ListUsersResponse *r = (const Stage__V1__ListUsersResponse *)resp;
    struct table *tb = table_new(3, heads);
    char t[32];
    int rc = 0;
    for (size_t i = 0; tb && !rc && i < r->n_users; i++) {
        const Stage__V1__User *u = r->users[i];
        const char *cells[] = {u->name, u->admin ? "yes" : "no", out_time(t, u->created_on)};
        rc = table_add(tb, cells);
    }
    return admin_table_done(cli, "users", tb, rc);
}

/* Options shared by create and alter. */
struct uopts {
    const char *password, *current;
    bool pw_stdin, admin, no_admin, cond;
    struct cli_quota q;
};

static int parse(struct cli *cli, int argc, char **argv, struct uopts *o, const char *cond)
{
    const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                  {"password", required_argument, NULL, O_PASSWORD},
                                  {"password-stdin", no_argument, NULL, O_PW_STDIN},
                                  {"admin", no_argument, NULL, O_ADMIN},
                                  {"no-admin", no_argument, NULL, O_NO_ADMIN},
                                  {"current-password", required_argument, NULL, O_CURRENT},
                                  {"quota-bytes", required_argument, NULL, O_QBYTES},
                                  {"quota-files", required_argument, NULL, O_QFILES},
                                  {"reset-quota", no_argument, NULL, O_RESET_QUOTA},
                                  {cond, no_argument, NULL, O_IF}, /* NULL: ends the list */
                                  {NULL, 0, NULL, 0}};
    int c, rc;
    memset(o, 0, sizeof(*o));
    while ((c = cli_getopt(cli, argc, argv, opts)) >= 0) {
        if (c == O_PASSWORD)
            o->password = optarg;
        else if (c == O_PW_STDIN)
            o->pw_stdin = true;
        else if (c == O_ADMIN)
            o->admin = true;
        else if (c == O_NO_ADMIN)
            o->no_admin = true;
        else if (c == O_IF)
            o->cond = true;
        else if (c == O_CURRENT)
            o->current = optarg;
        else if ((c == O_QBYTES || c == O_QFILES) &&
                 (rc = cli_quota_opt(cli, &o->q, c == O_QBYTES, optarg)) != 0)
            return rc;
        else if (c == O_RESET_QUOTA)
            o->q.reset = true;
    }
    if (c != -1)
        return CLI_OPT_EXIT(c);
    if (argc - optind != 1)
        return cli_usage(cli, "expected one user NAME");
    if (o->admin && o->no_admin)
        return cli_usage(cli, "--admin and --no-admin exclude each other");
    if ((o->current || o->q.set || o->q.reset) && cond)
        return cli_usage(cli, "--current-password and the quota options belong to 'user alter'");
    return -1;
}

static int u_create(struct cli *cli, int argc, char **argv)
{
    Stage__V1__CreateUserRequest req = STAGE__V1__CREATE_USER_REQUEST__INIT;
    struct uopts o;
    char pw[256];
    int rc = parse(cli, argc, argv, &o, "if-not-exists");
    if (rc >= 0)
        return rc;
    if ((rc = admin_password(cli, o.password, o.pw_stdin, pw, sizeof(pw))) != 0)
        return rc;
    if (!pw[0])
        return cli_usage(cli, "a new user needs --password or --password-stdin");
    req.name = argv[optind];
    req.password = pw;
    req.admin = o.admin;
    req.if_not_exists = o.cond;
    rc = admin_call_print(cli, "CreateUser", &req.base,
                          &stage__v1__create_user_response__descriptor, req.name, print_user);
    OPENSSL_cleanse(pw, sizeof(pw));
    return rc;
}

static int u_alter(struct cli *cli, int argc, char **argv)
{
    Stage__V1__AlterUserRequest req = STAGE__V1__ALTER_USER_REQUEST__INIT;
    struct uopts o;
    char pw[256];
    int rc = parse(cli, argc, argv, &o, NULL);
    if (rc >= 0)
        return rc;
    if ((rc = admin_password(cli, o.password, o.pw_stdin, pw, sizeof(pw))) != 0)
        return rc;
    if (!pw[0] && !o.admin && !o.no_admin && !o.q.set && !o.q.reset)
        return cli_usage(cli, "nothing to change: give a password, --admin, --no-admin or a "
                              "quota option");
    req.name = argv[optind];
    req.password = pw;
    req.set_admin = o.admin || o.no_admin;
    req.admin = o.admin;
    req.set_quota = o.q.set;
    req.quota_bytes = o.q.bytes;
    req.quota_files = o.q.files;
    req.reset_quota = o.q.reset;
    /* the server asks for it only when a non-admin changes their own password */
    req.current_password = (char *)(o.current ? o.current : "");
    if (!o.current && pw[0] && getenv("STAGE_CURRENT_PASSWORD"))
        req.current_password = getenv("STAGE_CURRENT_PASSWORD");
    rc = admin_call_print(cli, "AlterUser", &req.base, &stage__v1__alter_user_response__descriptor,
                          req.name, print_user);
    OPENSSL_cleanse(pw, sizeof(pw));
    return rc;
}

static int u_drop(struct cli *cli, int argc, char **argv)
{
    Stage__V1__DropUserRequest req = STAGE__V1__DROP_USER_REQUEST__INIT;
    Stage__V1__DropUserResponse *resp = NULL;
    struct uopts o;
    int rc = parse(cli, argc, argv, &o, "if-exists");
    if (rc >= 0)
        return rc;
    req.name = argv[optind];
    req.if_exists = o.cond;
    rc = admin_call(cli, "DropUser", &req.base, &stage__v1__drop_user_response__descriptor,
                    req.name, (ProtobufCMessage **)&resp);
    if (rc)
        return rc;
    if (cli->json)
        out_print_json(json_pack("{s:s,s:s}", "result", "dropped", "user", req.name));
    else if (cli_talk(cli))
        printf("user %s dropped\n", req.name);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return 0;
}

static int u_list(struct cli *cli, int argc, char **argv)
{
    Stage__V1__ListUsersRequest req = STAGE__V1__LIST_USERS_REQUEST__INIT;
    int rc = cli_getopt_global(cli, argc, argv);
    if (rc >= 0)
        return rc;
    if (argc - optind != 0)
        return cli_usage(cli, "user list takes no arguments");
    return admin_call_print(cli, "ListUsers", &req.base,
                            &stage__v1__list_users_response__descriptor, "users", print_users);
}

static int run(struct cli *cli, int argc, char **argv)
{
    static const struct admin_sub subs[] = {{"create", u_create}, {"drop", u_drop},
                                            {"alter", u_alter},   {"list", u_list},
                                            {"ls", u_list},       {NULL, NULL}};
    return admin_dispatch(cli, argc, argv, subs);
}

const struct cli_cmd cmd_user = {"user", run, "create, drop, alter, list users", usage};
