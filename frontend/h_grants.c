/* h_grants.c - Grant, Revoke, ShowGrants (docs/design.md §3). Stage privileges are
 * granted by the stage's owner or an admin; CREATE_STAGE by admins only.
 * The proto Privilege values READ=1, WRITE=2, ALL=3 are the authz bits. */
#include "authz.h"
#include "catalog.h"
#include "db.h"
#include "err.h"
#include "handlers.h"
#include "location.h"
#include "log.h"
#include "svc.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_names(struct svc *s, const char *stage, const char *user)
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
    return rc ? svc_fail(s, rc, "%s", err) : 0;
}

/* Owner or admin of an existing stage. */
static int may_grant(struct svc *s, const char *stage)
{
    struct stage_rec *rec = malloc(sizeof(*rec));
    int rc = rec ? catalog_get(s->db, stage, rec) : ST_ENOMEM;
    if (rc)
        svc_fail(s, rc, "%s", rec ? s->db->err : "out of memory");
    else if (!rec->exists)
        rc = svc_fail(s, ST_ENOTFOUND, "stage '%s' does not exist", stage);
    else if (!s->admin && !authz_owns(s->user, s->user_since, rec->owner, rec->created_on))
        rc = svc_fail(s, ST_EPERM,
                      "permission denied: only the owner of stage '%s' or an admin may grant on it",
                      stage);
    free(rec);
    return rc;
}

static int change(struct svc *s, int priv, const char *stage, const char *user, bool add)
{
    const char *verb = add ? "granted" : "revoked";
    int rc;
    if (priv == STAGE__V1__PRIVILEGE__CREATE_STAGE) {
        if (stage[0])
            return svc_fail(s, ST_EINVAL, "CREATE_STAGE is a global privilege: leave stage empty");
        if ((rc = check_names(s, NULL, user)))
            return rc;
        if (!s->admin)
            return svc_fail(s, ST_EPERM, "permission denied: only admins may grant CREATE_STAGE");
        rc = catalog_create_priv_change(s->db, user, add);
    } else if (priv >= STAGE__V1__PRIVILEGE__READ && priv <= STAGE__V1__PRIVILEGE__ALL) {
        snprintf(s->location, sizeof(s->location), "@%s", stage);
        if ((rc = check_names(s, stage, user)) || (rc = may_grant(s, stage)))
            return rc;
        rc = catalog_grant_change(s->db, stage, user, (unsigned)priv, add);
    } else {
        return svc_fail(s, ST_EINVAL, "privilege must be READ, WRITE, ALL or CREATE_STAGE");
    }
    if (rc)
        return svc_fail(s, rc, "%s", s->db->err);
    log_info("privilege %s %s to user=%s on stage=%s by %s",
             priv == STAGE__V1__PRIVILEGE__CREATE_STAGE ? "CREATE_STAGE"
                                                        : authz_bits_name((unsigned)priv),
             verb, user, stage[0] ? stage : "*", s->user);
    /* GrantResponse and RevokeResponse are both empty */
    Stage__V1__GrantResponse resp = STAGE__V1__GRANT_RESPONSE__INIT;
    return svc_reply(s, &resp.base);
}

int svc_grant(struct svc *s, ProtobufCMessage *msg)
{
    const Stage__V1__GrantRequest *req = (const Stage__V1__GrantRequest *)msg;
    return change(s, req->privilege, req->stage, req->user, true);
}

int svc_revoke(struct svc *s, ProtobufCMessage *msg)
{
    const Stage__V1__RevokeRequest *req = (const Stage__V1__RevokeRequest *)msg;
    return change(s, req->privilege, req->stage, req->user, false);
}

static int reply_rows(struct svc *s, const struct grant_row *rows, size_t n)
{
    Stage__V1__ShowGrantsResponse resp = STAGE__V1__SHOW_GRANTS_RESPONSE__INIT;
    Stage__V1__GrantEntry *e = calloc(n + 1, sizeof(*e));
    Stage__V1__GrantEntry **pe = calloc(n + 1, sizeof(*pe));
    int rc;
    if (!e || !pe) {
        rc = svc_fail(s, ST_ENOMEM, "out of memory");
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
        rc = svc_reply(s, &resp.base);
    }
    free(e);
    free(pe);
    return rc;
}

/* The grants on a stage (its owner or an admin) or of a user (themself or an admin). */
static int grants_of(struct svc *s, const char *stage, const char *user)
{
    struct grant_row *rows = NULL;
    size_t n = 0;
    int rc;
    if (stage[0]) {
        snprintf(s->location, sizeof(s->location), "@%s", stage);
        if ((rc = check_names(s, stage, "x")) || (rc = may_grant(s, stage)))
            return rc;
        rc = catalog_grants_of_stage(s->db, stage, &rows, &n);
    } else {
        if ((rc = check_names(s, NULL, user)))
            return rc;
        if (!s->admin && strcmp(user, s->user) != 0)
            return svc_fail(s, ST_EPERM,
                            "permission denied: only admins may show another user's grants");
        rc = catalog_grants_of_user(s->db, user, &rows, &n);
    }
    rc = rc ? svc_fail(s, rc, "%s", s->db->err) : reply_rows(s, rows, n);
    free(rows);
    return rc;
}

int svc_show_grants(struct svc *s, ProtobufCMessage *msg)
{
    const Stage__V1__ShowGrantsRequest *req = (const Stage__V1__ShowGrantsRequest *)msg;
    if (!req->stage[0] == !req->user[0])
        return svc_fail(s, ST_EINVAL, "give exactly one of stage or user");
    return grants_of(s, req->stage, req->user);
}
