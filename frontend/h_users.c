/* h_users.c - CreateUser, DropUser, AlterUser, ListUsers (admins only; a
 * user may change their own password, giving the current one). */
#include "auth.h"
#include "cred.h"
#include "db.h"
#include "config.h"
#include "err.h"
#include "handlers.h"
#include "job.h"
#include "jobs.h"
#include "keys.h"
#include "location.h"
#include "log.h"
#include "squota.h"
#include "svc.h"
#include "users.h"
#include "xfer.h"

#include "stage/v1/stage.pb-c.h"

#include <hiredis/hiredis.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int need_admin(struct svc *s, const char *what)
{
    if (s->admin)
        return 0;
    return svc_fail(s, ST_EPERM,
                    "permission denied: only admins may %s (user '%s' is not an admin)", what,
                    s->user);
}

static int check_name(struct svc *s, const char *name)
{
    char err[300];
    int rc = location_name_check(name, "user", err, sizeof(err));
    return rc ? svc_fail(s, rc, "%s", err) : 0;
}

static int check_password(struct svc *s, const char *pw, bool required)
{
    size_t n = strlen(pw);
    if (required && n == 0)
        return svc_fail(s, ST_EINVAL, "password must not be empty");
    if (n >= CRED_PASS_MAX)
        return svc_fail(s, ST_EINVAL, "password is too long (max %d bytes)", CRED_PASS_MAX - 1);
    return 0;
}

/* A non-admin changing their own password proves they know the current
 * one, so a stolen token cannot become a permanent takeover. A wrong one
 * counts as a failed login (the same throttle as Login); both refusals are
 * PERMISSION_DENIED: the caller is authenticated but lacks the proof. Admins
 * are not asked: their token can create another admin anyway. */
static int check_current(struct svc *s, const char *current)
{
    char err[200];
    if (!current[0])
        return svc_fail(s, ST_EPERM,
                        "permission denied: changing your own password needs current_password");
    int rc = auth_check_password(s->db, s->user, current, s->peer, err, sizeof(err));
    if (rc == ST_EAUTH)
        return svc_fail(s, ST_EPERM, "permission denied: current_password is wrong");
    return rc ? svc_fail(s, rc, "%s", err) : 0;
}

static void user_proto(const struct user_info *u, Stage__V1__User *out)
{
    out->name = (char *)u->name;
    out->admin = u->admin;
    out->created_on = u->created_on;
}

/* The user's @~ quota (and, with `usage`, what it holds) into `out`. */
static int user_quota(struct svc *s, const char *name, Stage__V1__User *out, bool usage)
{
    struct quota_lim l;
    struct quota_use u;
    char root[1100];
    int rc = squota_of_user(s->db, name, &l);
    if (!rc && usage && location_user_root(root, sizeof(root), name) >= 0 &&
        (rc = squota_usage(s->db, root, &u)) == 0) {
        out->used_bytes = u.bytes;
        out->used_files = u.files;
    }
    if (rc)
        return svc_fail(s, rc, "%s", s->db->err);
    out->quota_bytes = l.bytes;
    out->quota_files = l.files;
    return 0;
}

static void wipe(char *s)
{
    if (s)
        OPENSSL_cleanse(s, strlen(s));
}

/* A dropped user's @~ files are deleted by a job (svc_drop_user): the name
 * is not handed out again until that job ended, or a new user could upload
 * into the directory while it is being emptied, or inherit what is left. */
static int check_purged(struct svc *s, const char *name)
{
    char key[KEY_MAX];
    redisReply *r = NULL;
    struct job j;
    keys_user_purge(key, sizeof(key), name);
    int rc = db_cmd(s->db, &r, "GET", key, NULL);
    if (rc)
        return svc_fail(s, rc, "%s", s->db->err);
    if (r->type != REDIS_REPLY_STRING) {
        freeReplyObject(r);
        return 0;
    }
    rc = jobs_get(s->db, r->str, &j);
    freeReplyObject(r);
    if (rc == ST_ENOTFOUND)
        return 0; /* ended and expired */
    if (rc)
        return svc_fail(s, rc, "%s", s->db->err);
    if (!job_state_terminal(j.state))
        return svc_fail(s, ST_EPRECOND,
                        "user '%s' was dropped and the files of their @~ are still being deleted "
                        "(job %s); create the user again once that job ended",
                        name, j.id);
    if (j.state != JOB_SUCCEEDED)
        log_warn("user=%s created again although deleting the old @~ ended %s (job %s): %s", name,
                 job_state_name(j.state), j.id, j.error_message);
    return 0;
}

static int create_user(struct svc *s, const Stage__V1__CreateUserRequest *req)
{
    Stage__V1__CreateUserResponse resp = STAGE__V1__CREATE_USER_RESPONSE__INIT;
    Stage__V1__User pu = STAGE__V1__USER__INIT;
    struct user_info u;
    bool created = false;
    int rc;
    if ((rc = need_admin(s, "create users")) || (rc = check_name(s, req->name)) ||
        (rc = check_password(s, req->password, true)) || (rc = check_purged(s, req->name)))
        return rc;
    rc = users_create(s->db, req->name, req->password, req->admin, req->if_not_exists, &created);
    if (!rc)
        rc = users_get(s->db, req->name, &u);
    if (rc)
        return svc_fail(s, rc, "%s", s->db->err);
    if (created)
        log_info("user=%s created by %s (admin=%d)", req->name, s->user, req->admin ? 1 : 0);
    user_proto(&u, &pu);
    resp.user = &pu;
    return svc_reply(s, &resp.base);
}

int svc_create_user(struct svc *s, ProtobufCMessage *msg)
{
    Stage__V1__CreateUserRequest *req = (Stage__V1__CreateUserRequest *)msg;
    int rc = create_user(s, req);
    wipe(req->password);
    return rc;
}

#define PURGE_WAIT_MS 10000

/* A call's own reasons to stop waiting, plus a deadline of ours. */
struct bounded {
    xfer_stop_fn *stop;
    void *arg;
    int64_t until_ms;
};

static int bounded_stop(void *p)
{
    const struct bounded *b = p;
    int rc = b->stop ? b->stop(b->arg) : 0;
    return rc ? rc : job_now_ms() > b->until_ms ? ST_ETIMEOUT : 0;
}

/* Queue the deletion of a dropped user's @~ files (a DROP_STAGE job of the
 * admin who dropped them) and remember it for check_purged(). */
static int purge_user_stage(struct svc *s, const char *name, char *job_id, size_t n)
{
    struct job j;
    char err[300], key[KEY_MAX], ttl[24];
    job_init(&j);
    j.kind = JOB_DROP_STAGE;
    snprintf(j.user, sizeof(j.user), "%s", s->user);
    snprintf(j.stage, sizeof(j.stage), "~");
    snprintf(j.location, sizeof(j.location), "@~");
    if (location_user_root(j.root, sizeof(j.root), name) < 0)
        return svc_fail(s, ST_EINVAL, "user '%s': no @~ root for that name", name);
    if (squota_forget(s->db, j.root)) /* as for a dropped stage: an orphan key at worst */
        log_warn("user=%s usage of %s not deleted: %s", name, j.root, s->db->err);
    int rc = jobs_create(s->db, s->cfg, &j, err, sizeof(err));
    if (rc) {
        log_error("user=%s dropped but the files of their @~ remain: %s", name, err);
        return svc_fail(s, rc,
                        "user '%s' was dropped but deleting their @~ files could not be "
                        "queued: %s",
                        name, err);
    }
    keys_user_purge(key, sizeof(key), name);
    snprintf(ttl, sizeof(ttl), "%ld", (long)s->cfg->jobs.retention_s);
    if (db_cmd(s->db, NULL, "SET", key, j.id, "EX", ttl, NULL))
        log_warn("user=%s: cannot record the purge job %s: %s", name, j.id, s->db->err);
    snprintf(job_id, n, "%s", j.id);
    /* wait a little for it (usually a fraction of a second), so that a drop
     * and a create of the same name in a row just work; a big @~ goes on
     * in the background and the name waits for it (check_purged) */
    struct bounded b = {s->stop, s->stop_arg, job_now_ms() + PURGE_WAIT_MS};
    rc = xfer_wait_job(s->db, bounded_stop, &b, &j, xfer_ended, 0);
    if (rc && rc != ST_EPRECOND)
        log_info("user=%s: deleting the old @~ goes on in job %s (%s)", name, j.id,
                 st_strerror(rc));
    return 0;
}

int svc_drop_user(struct svc *s, ProtobufCMessage *msg)
{
    const Stage__V1__DropUserRequest *req = (const Stage__V1__DropUserRequest *)msg;
    Stage__V1__DropUserResponse resp = STAGE__V1__DROP_USER_RESPONSE__INIT;
    int rc;
    if ((rc = need_admin(s, "drop users")) || (rc = check_name(s, req->name)))
        return rc;
    if (strcmp(req->name, AUTH_ROOT_USER) == 0)
        return svc_fail(s, ST_EPERM, "user '%s' is the bootstrap admin and cannot be dropped",
                        req->name);
    bool dropped = false;
    rc = users_drop(s->db, req->name, req->if_exists, &dropped);
    if (rc)
        return svc_fail(s, rc, "%s", s->db->err);
    log_info("user=%s dropped by %s", req->name, s->user);
    if (dropped && (rc = purge_user_stage(s, req->name, s->job, sizeof(s->job))) != 0)
        return rc;
    resp.job_id = s->job;
    return svc_reply(s, &resp.base);
}

static int alter_user(struct svc *s, const Stage__V1__AlterUserRequest *req)
{
    Stage__V1__AlterUserResponse resp = STAGE__V1__ALTER_USER_RESPONSE__INIT;
    Stage__V1__User pu = STAGE__V1__USER__INIT;
    struct user_info u;
    bool quota = req->set_quota || req->reset_quota;
    bool self_pw = strcmp(req->name, s->user) == 0 && !req->set_admin && !quota;
    int rc;
    if ((!self_pw && (rc = need_admin(s, "alter other users, the admin flag or a user's quota"))) ||
        (rc = check_name(s, req->name)) || (rc = check_password(s, req->password, false)) ||
        (!s->admin && req->password[0] && (rc = check_current(s, req->current_password))))
        return rc;
    if (req->set_admin && !req->admin && strcmp(req->name, AUTH_ROOT_USER) == 0)
        return svc_fail(s, ST_EPERM, "user '%s' is the bootstrap admin and stays an admin",
                        req->name);
    if (req->set_quota && (req->reset_quota || req->quota_bytes < 0 || req->quota_files < 0))
        return svc_fail(s, ST_EINVAL,
                        "user '%s': quotas must be >= 0 (0 = no limit), without reset_quota",
                        req->name);
    rc = users_alter(s->db, req->name, req->password, req->set_admin, req->admin);
    if (!rc && quota)
        rc =
            squota_set_user(s->db, req->name, req->reset_quota, req->quota_bytes, req->quota_files);
    if (!rc)
        rc = users_get(s->db, req->name, &u);
    if (rc)
        return svc_fail(s, rc, "%s", s->db->err);
    log_info("user=%s altered by %s (password %s, admin %s, quota %s)", req->name, s->user,
             req->password[0] ? "changed" : "kept",
             req->set_admin ? (req->admin ? "set" : "cleared") : "kept",
             req->set_quota     ? "set"
             : req->reset_quota ? "reset"
                                : "kept");
    user_proto(&u, &pu);
    if ((rc = user_quota(s, req->name, &pu, true)) != 0)
        return rc;
    resp.user = &pu;
    return svc_reply(s, &resp.base);
}

int svc_alter_user(struct svc *s, ProtobufCMessage *msg)
{
    Stage__V1__AlterUserRequest *req = (Stage__V1__AlterUserRequest *)msg;
    int rc = alter_user(s, req);
    wipe(req->password);
    wipe(req->current_password);
    return rc;
}

int svc_list_users(struct svc *s, ProtobufCMessage *msg)
{
    Stage__V1__ListUsersResponse resp = STAGE__V1__LIST_USERS_RESPONSE__INIT;
    struct user_info *users = NULL;
    size_t n = 0;
    (void)msg;
    int rc = need_admin(s, "list users");
    if (rc)
        return rc;
    rc = users_list(s->db, &users, &n);
    if (rc)
        return svc_fail(s, rc, "%s", s->db->err);
    Stage__V1__User *pu = calloc(n ? n : 1, sizeof(*pu));
    Stage__V1__User **pp = calloc(n ? n : 1, sizeof(*pp));
    if (!pu || !pp) {
        rc = svc_fail(s, ST_ENOMEM, "out of memory listing %zu users", n);
    } else {
        for (size_t i = 0; i < n; i++) {
            stage__v1__user__init(&pu[i]);
            user_proto(&users[i], &pu[i]);
            pp[i] = &pu[i];
        }
        resp.n_users = n;
        resp.users = pp;
        rc = svc_reply(s, &resp.base);
    }
    free(pu);
    free(pp);
    free(users);
    return rc;
}
