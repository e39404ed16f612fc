/* h_users.c - CreateUser, DropUser, AlterUser, ListUsers (admins only; a
 * user may change their own password, giving the current one). */
#include "auth.h"
#include "call.h"
#include "cred.h"
#include "db.h"
#include "err.h"
#include "handlers.h"
#include "location.h"
#include "log.h"
#include "users.h"

#include "stage/v1/stage.pb-c.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool need_admin(struct call *c, const char *what)
{
    if (c->admin)
        return true;
    call_fail(c, ST_EPERM, "permission denied: only admins may %s (user '%s' is not an admin)",
              what, c->user);
    return false;
}

static int check_name(struct call *c, const char *name)
{
    char err[300];
    int rc = location_name_check(name, "user", err, sizeof(err));
    if (rc)
        call_fail(c, rc, "%s", err);
    return rc;
}

static int check_password(struct call *c, const char *pw, bool required)
{
    size_t n = strlen(pw);
    if (required && n == 0)
        return call_fail(c, ST_EINVAL, "password must not be empty"), ST_EINVAL;
    if (n >= CRED_PASS_MAX)
        return call_fail(c, ST_EINVAL, "password is too long (max %d bytes)", CRED_PASS_MAX - 1),
               ST_EINVAL;
    return 0;
}

/* A non-admin changing their own password proves they know the current
 * one, so a stolen token cannot become a permanent takeover. A wrong one
 * counts as a failed login (the same throttle as Login); both refusals are
 * PERMISSION_DENIED: the caller is authenticated but lacks the proof. Admins
 * are not asked: their token can create another admin anyway. */
static int check_current(struct call *c, const char *current)
{
    char peer[128], err[200];
    if (!current[0])
        return call_fail(c, ST_EPERM,
                         "permission denied: changing your own password needs "
                         "current_password"),
               ST_EPERM;
    call_peer(c, peer, sizeof(peer));
    int rc = auth_check_password(c->db, c->user, current, peer, err, sizeof(err));
    if (rc == ST_EAUTH)
        call_fail(c, ST_EPERM, "permission denied: current_password is wrong");
    else if (rc)
        call_fail(c, rc, "%s", err);
    return rc ? (rc == ST_EAUTH ? ST_EPERM : rc) : 0;
}

static void user_proto(const struct user_info *u, Stage__V1__User *out)
{
    out->name = (char *)u->name;
    out->admin = u->admin;
    out->created_on = u->created_on;
}

static void wipe(char *s)
{
    if (s)
        OPENSSL_cleanse(s, strlen(s));
}

void h_create_user(struct call *c)
{
    Stage__V1__CreateUserRequest *req;
    Stage__V1__CreateUserResponse resp = STAGE__V1__CREATE_USER_RESPONSE__INIT;
    Stage__V1__User pu = STAGE__V1__USER__INIT;
    struct user_info u;
    bool created = false;
    if (call_read_request(c, &stage__v1__create_user_request__descriptor, &req))
        return;
    if (!need_admin(c, "create users") || check_name(c, req->name) ||
        check_password(c, req->password, true))
        goto out;
    int rc =
        users_create(c->db, req->name, req->password, req->admin, req->if_not_exists, &created);
    if (!rc)
        rc = users_get(c->db, req->name, &u);
    if (rc) {
        call_fail(c, rc, "%s", c->db->err);
        goto out;
    }
    if (created)
        log_info("user=%s created by %s (admin=%d)", req->name, c->user, req->admin ? 1 : 0);
    user_proto(&u, &pu);
    resp.user = &pu;
    call_reply(c, &resp.base);
out:
    wipe(req->password);
    protobuf_c_message_free_unpacked(&req->base, NULL);
}

void h_drop_user(struct call *c)
{
    Stage__V1__DropUserRequest *req;
    Stage__V1__DropUserResponse resp = STAGE__V1__DROP_USER_RESPONSE__INIT;
    if (call_read_request(c, &stage__v1__drop_user_request__descriptor, &req))
        return;
    if (!need_admin(c, "drop users") || check_name(c, req->name))
        goto out;
    if (strcmp(req->name, AUTH_ROOT_USER) == 0) {
        call_fail(c, ST_EPERM, "user '%s' is the bootstrap admin and cannot be dropped", req->name);
        goto out;
    }
    int rc = users_drop(c->db, req->name, req->if_exists);
    if (rc) {
        call_fail(c, rc, "%s", c->db->err);
        goto out;
    }
    log_info("user=%s dropped by %s", req->name, c->user);
    call_reply(c, &resp.base);
out:
    protobuf_c_message_free_unpacked(&req->base, NULL);
}

void h_alter_user(struct call *c)
{
    Stage__V1__AlterUserRequest *req;
    Stage__V1__AlterUserResponse resp = STAGE__V1__ALTER_USER_RESPONSE__INIT;
    Stage__V1__User pu = STAGE__V1__USER__INIT;
    struct user_info u;
    if (call_read_request(c, &stage__v1__alter_user_request__descriptor, &req))
        return;
    bool self_pw = strcmp(req->name, c->user) == 0 && !req->set_admin;
    if ((!self_pw && !need_admin(c, "alter other users or the admin flag")) ||
        check_name(c, req->name) || check_password(c, req->password, false) ||
        (!c->admin && req->password[0] && check_current(c, req->current_password)))
        goto out;
    if (req->set_admin && !req->admin && strcmp(req->name, AUTH_ROOT_USER) == 0) {
        call_fail(c, ST_EPERM, "user '%s' is the bootstrap admin and stays an admin", req->name);
        goto out;
    }
    int rc = users_alter(c->db, req->name, req->password, req->set_admin, req->admin);
    if (!rc)
        rc = users_get(c->db, req->name, &u);
    if (rc) {
        call_fail(c, rc, "%s", c->db->err);
        goto out;
    }
    log_info("user=%s altered by %s (password %s, admin %s)", req->name, c->user,
             req->password[0] ? "changed" : "kept",
             req->set_admin ? (req->admin ? "set" : "cleared") : "kept");
    user_proto(&u, &pu);
    resp.user = &pu;
    call_reply(c, &resp.base);
out:
    wipe(req->password);
    wipe(req->current_password);
    protobuf_c_message_free_unpacked(&req->base, NULL);
}

void h_list_users(struct call *c)
{
    Stage__V1__ListUsersRequest *req;
    Stage__V1__ListUsersResponse resp = STAGE__V1__LIST_USERS_RESPONSE__INIT;
    struct user_info *users = NULL;
    size_t n = 0;
    if (call_read_request(c, &stage__v1__list_users_request__descriptor, &req))
        return;
    protobuf_c_message_free_unpacked(&req->base, NULL);
    if (!need_admin(c, "list users"))
        return;
    int rc = users_list(c->db, &users, &n);
    if (rc) {
        call_fail(c, rc, "%s", c->db->err);
        return;
    }
    Stage__V1__User *pu = calloc(n ? n : 1, sizeof(*pu));
    Stage__V1__User **pp = calloc(n ? n : 1, sizeof(*pp));
    if (!pu || !pp) {
        call_fail(c, ST_ENOMEM, "out of memory listing %zu users", n);
    } else {
        for (size_t i = 0; i < n; i++) {
            stage__v1__user__init(&pu[i]);
            user_proto(&users[i], &pu[i]);
            pp[i] = &pu[i];
        }
        resp.n_users = n;
        resp.users = pp;
        call_reply(c, &resp.base);
    }
    free(pu);
    free(pp);
    free(users);
}
