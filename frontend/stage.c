/* stage.c - location -> stage root, with privileges (see stage.h). */
#include "stage.h"

#include "authz.h"
#include "call.h"
#include "catalog.h"
#include "db.h"
#include "err.h"
#include "job.h"
#include "location.h"
#include "squota.h"
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool stage_backend_ready(const char *storage_type)
{
    return registry_available(storage_type);
}

static int resolve_named(const struct stage_who *c, const char *name, unsigned need, struct job *j,
                         char *err, size_t errlen)
{
    struct stage_rec *rec = malloc(sizeof(*rec));
    unsigned bits = 0;
    if (!rec)
        return snprintf(err, errlen, "out of memory"), ST_ENOMEM;
    int rc = catalog_get(c->db, name, rec);
    if (!rc && rec->exists && !c->admin &&
        !authz_owns(c->user, c->since, rec->owner, rec->created_on))
        rc = catalog_grant_bits(c->db, name, c->user, &bits);
    if (rc) {
        snprintf(err, errlen, "%s", c->db->err);
        goto out;
    }
    struct authz_principal p = {c->user, c->admin, c->since};
    struct authz_stage s = {name, rec->exists, rec->owner, rec->created_on};
    rc = authz_check(&p, &s, bits, need);
    if (rc == ST_ENOTFOUND) {
        snprintf(err, errlen, "stage '%s' does not exist", name);
    } else if (rc == ST_EPERM) {
        snprintf(err, errlen, "permission denied: user '%s' needs %s on stage '%s'", c->user,
                 authz_bits_name(need), name);
    } else if (rec->url[0] && !stage_backend_ready(rec->storage_type)) {
        rc = ST_EPRECOND;
        snprintf(err, errlen, "stage '%s': backend %s is not available yet", name,
                 rec->storage_type);
    } else {
        snprintf(j->root, sizeof(j->root), "%s", rec->root);
        snprintf(j->storage, sizeof(j->storage), "%s", rec->url);
        snprintf(j->storage_conn, sizeof(j->storage_conn), "%s", rec->conn);
        struct quota_lim l;
        squota_of_stage(c->db->cfg, rec, &l);
        j->quota_bytes = l.bytes;
        j->quota_files = l.files;
    }
out:
    free(rec);
    return rc;
}

int stage_locate(struct call *c, const char *location, bool need_file, unsigned need, struct job *j,
                 char *err, size_t errlen)
{
    struct stage_who who = {c->db, c->user, c->admin, c->user_since};
    return stage_locate_as(&who, location, need_file, need, j, err, errlen);
}

int stage_locate_as(const struct stage_who *c, const char *location, bool need_file, unsigned need,
                    struct job *j, char *err, size_t errlen)
{
    struct location loc;
    int rc = location_parse(location, &loc, err, errlen);
    if (rc)
        return rc;
    if (need_file && (loc.is_dir || !loc.path[0])) {
        snprintf(err, errlen, "location '%s' names a directory, not a file", location);
        return ST_EINVAL;
    }
    if (strcmp(loc.stage, "~") == 0) {
        if (location_user_root(j->root, sizeof(j->root), c->user) < 0) {
            snprintf(err, errlen, "user name '%s' is too long", c->user);
            return ST_EINVAL;
        }
        struct quota_lim l = {0, 0};
        /* writes only: a read of @~ costs no extra round trip */
        if (need & AUTHZ_WRITE && (rc = squota_of_user(c->db, c->user, &l)) != 0)
            return snprintf(err, errlen, "%s", c->db->err), rc;
        j->quota_bytes = l.bytes;
        j->quota_files = l.files;
    } else {
        rc = resolve_named(c, loc.stage, need, j, err, errlen);
        if (rc)
            return rc;
    }
    snprintf(j->stage, sizeof(j->stage), "%s", loc.stage);
    snprintf(j->location, sizeof(j->location), "%s", location);
    snprintf(j->path, sizeof(j->path), "%s", loc.path);
    return 0;
}
