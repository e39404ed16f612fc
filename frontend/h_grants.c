/* h_grants.c - Grant, Revoke, ShowGrants (DESIGN §3). Stage privileges are
 * granted by the stage's owner or an admin; CREATE_STAGE by admins only.
 * The proto Privilege values READ=1, WRITE=2, ALL=3 are the authz bits. */
#include "authz.h"
#include "call.h"
#include "catalog.h"
#include "db.h"
#include "err.h"
#include "handlers.h"
#include "location.h"
#include "log.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_names(struct call *c, const char *stage, const char *user)
{
    char err[300];
    int rc = location_name_check(user, "user", err, sizeof(err));
    if (!rc && stage && strcmp(stage, "~") == 0) {
        rc = ST_EINVAL;
        snprintf(err, sizeof(err),
                 "user stage (~) cannot be granted: it is always its user's only");
    }
    if (!rc && stage)
        rc = location_name_check(stage, "stage", err, sizeof(err));
    if (rc)
        call_fail(c, rc, "%s", err);
    return rc;
}

/* Owner or admin of an existing stage; answers the call otherwise. */
static int may_grant(struct call *c, const char *stage)
{
    struct stage_rec *rec = malloc(sizeof(*rec));
    int rc = rec ? catalog_get(c->db, stage, rec) : ST_ENOMEM;
    if (rc)
        call_fail(c, rc, "%s", rec ? c->db->err : "out of memory");
    else if (!rec->exists)
        rc = ST_ENOTFOUND, call_fail(c, rc, "stage '%s' does not exist", stage);
    else if (!c->admin && strcmp(rec->owner, c->user) != 0)
        rc = ST_EPERM, call_fail(c, rc,
                                 "permission denied: only the owner of stage '%s' or an admin may "
                                 "grant on it",
                                 stage);
    free(rec);
    return rc;
}

static void change(struct call *c, int priv, const char *stage, const char *user, bool add)
{
    const char *verb = add ? "granted" : "revoked";
    int rc;
    if (priv == STAGE__V1__PRIVILEGE__CREATE_STAGE) {
        if (stage[0]) {
            call_fail(c, ST_EINVAL, "CREATE_STAGE is a global privilege: leave stage empty");
            return;
        }
        if (check_names(c, NULL, user))
            return;
        if (!c->admin) {
            call_fail(c, ST_EPERM, "permission denied: only admins may grant CREATE_STAGE");
            return;
        }
        rc = catalog_create_priv_change(c->db, user, add);
    } else if (priv >= STAGE__V1__PRIVILEGE__READ && priv <= STAGE__V1__PRIVILEGE__ALL) {
        snprintf(c->location, sizeof(c->location), "@%s", stage);
        if (check_names(c, stage, user) || may_grant(c, stage))
            return;
        rc = catalog_grant_change(c->db, stage, user, (unsigned)priv, add);
    } else {
        call_fail(c, ST_EINVAL, "privilege must be READ, WRITE, ALL or CREATE_STAGE");
        return;
    }
    if (rc) {
        call_fail(c, rc, "%s", c->db->err);
        return;
    }
    log_info("privilege %s %s to user=%s on stage=%s by %s",
             priv == STAGE__V1__PRIVILEGE__CREATE_STAGE ? "CREATE_STAGE"
                                                        : authz_bits_name((unsigned)priv),
             verb, user, stage[0] ? stage : "*", c->user);
    if (add) {
        Stage__V1__GrantResponse resp = STAGE__V1__GRANT_RESPONSE__INIT;
        call_reply(c, &resp.base);
    } else {
        Stage__V1__RevokeResponse resp = STAGE__V1__REVOKE_RESPONSE__INIT;
        call_reply(c, &resp.base);
    }
}

void h_grant(struct call *c)
{
    Stage__V1__GrantRequest *req;
    if (call_read_request(c, &stage__v1__grant_request__descriptor, &req))
        return;
    change(c, req->privilege, req->stage, req->user, true);
    protobuf_c_message_free_unpacked(&req->base, NULL);
}

void h_revoke(struct call *c)
{
    Stage__V1__RevokeRequest *req;
    if (call_read_request(c, &stage__v1__revoke_request__descriptor, &req))
        return;
    change(c, req->privilege, req->stage, req->user, false);
    protobuf_c_message_free_unpacked(&req->base, NULL);
}

static void reply_rows(struct call *c, const struct grant_row *rows, size_t n)
{
    Stage__V1__ShowGrantsResponse resp = STAGE__V1__SHOW_GRANTS_RESPONSE__INIT;
    Stage__V1__GrantEntry *e = calloc(n + 1, sizeof(*e));
    Stage__V1__GrantEntry **pe = calloc(n + 1, sizeof(*pe));
    if (!e || !pe) {
        call_fail(c, ST_ENOMEM, "out of memory");
    } else {
        for (size_t i = 0; i < n; i++) {
            stage__v1__grant_entry__init(&e[i]);
            e[i].privilege = rows[i].stage[0] ? (Stage__V1__Privilege)rows[i].bits
                                              : STAGE__V1__PRIVILEGE__CREATE_STAGE;
            e[i].stage = (char *)rows[i].stage;
            e[i].user = (char *)rows[i].user;
            pe[i] = &e[i];
        }
        resp.n_grants = n;
        resp.grants = pe;
        call_reply(c, &resp.base);
    }
    free(e);
    free(pe);
}

void h_show_grants(struct call *c)
{
    Stage__V1__ShowGrantsRequest *req;
    struct grant_row *rows = NULL;
    size_t n = 0;
    int rc;
    if (call_read_request(c, &stage__v1__show_grants_request__descriptor, &req))
        return;
    if (!req->stage[0] == !req->user[0]) {
        call_fail(c, ST_EINVAL, "give exactly one of stage or user");
    } else if (req->stage[0]) {
        snprintf(c->location, sizeof(c->location), "@%s", req->stage);
        if (!check_names(c, req->stage, "x") && !may_grant(c, req->stage)) {
            rc = catalog_grants_of_stage(c->db, req->stage, &rows, &n);
            if (rc)
                call_fail(c, rc, "%s", c->db->err);
            else
                reply_rows(c, rows, n);
        }
    } else if (!check_names(c, NULL, req->user)) {
        if (!c->admin && strcmp(req->user, c->user) != 0) {
            call_fail(c, ST_EPERM, "permission denied: only admins may show another user's grants");
        } else {
            rc = catalog_grants_of_user(c->db, req->user, &rows, &n);
            if (rc)
                call_fail(c, rc, "%s", c->db->err);
            else
                reply_rows(c, rows, n);
        }
    }
    free(rows);
    protobuf_c_message_free_unpacked(&req->base, NULL);
}
