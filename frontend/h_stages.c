/* h_stages.c - CreateStage, DropStage, AlterStage, DescribeStage,
 * ListStages (DESIGN §2). Dropping or replacing an internal stage queues a
 * DROP_STAGE job for its old directory, after the catalog change is stored. */
#include "authz.h"
#include "call.h"
#include "catalog.h"
#include "config.h"
#include "db.h"
#include "endpoint.h"
#include "err.h"
#include "fsroots.h"
#include "handlers.h"
#include "job.h"
#include "jobs.h"
#include "location.h"
#include "log.h"
#include "stage.h"
#include "stagefmt.h"
#include "storspec.h"
#include "xfer.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char internal_prefix[] = "stage/internal/";

/* Checks a stage name; "~" is refused as PERMISSION_DENIED (DESIGN §2). */
static int check_name(struct call *c, const char *name, const char *verb)
{
    char err[300];
    if (strcmp(name, "~") == 0)
        return call_fail(c, ST_EPERM, "user stage (~) cannot be %s", verb), ST_EPERM;
    int rc = location_name_check(name, "stage", err, sizeof(err));
    if (rc)
        call_fail(c, rc, "%s", err);
    return rc;
}

/* The caller's bits on an existing record (ALL for admins and the owner). */
static int bits_on(struct call *c, const struct stage_rec *rec, unsigned *bits)
{
    unsigned granted = 0;
    int rc = 0;
    if (!c->admin && strcmp(rec->owner, c->user) != 0)
        rc = catalog_grant_bits(c->db, rec->name, c->user, &granted);
    struct authz_principal p = {c->user, c->admin};
    struct authz_stage s = {rec->name, rec->exists, rec->owner};
    *bits = authz_effective(&p, &s, granted);
    return rc;
}

/* Load a stage and check `need` (0: any privilege, i.e. the stage is
 * visible to the caller; AUTHZ_OWN: the owner or an admin, authz.h);
 * answers the call on error. */
static int load_checked(struct call *c, const char *name, unsigned need, struct stage_rec *rec)
{
    unsigned bits = 0;
    int rc = catalog_get(c->db, name, rec);
    if (!rc && rec->exists)
        rc = bits_on(c, rec, &bits);
    if (rc)
        return call_fail(c, rc, "%s", c->db->err), rc;
    if (!rec->exists)
        return call_fail(c, ST_ENOTFOUND, "stage '%s' does not exist", name), ST_ENOTFOUND;
    if (need & AUTHZ_OWN && !(bits & AUTHZ_OWN))
        return call_fail(c, ST_EPERM,
                         "permission denied: user '%s' does not own stage '%s' (only its owner "
                         "or an admin may drop, alter or replace it)",
                         c->user, name),
               ST_EPERM;
    if (need ? (bits & need) != need : bits == 0)
        return call_fail(c, ST_EPERM, "permission denied: user '%s' needs %s on stage '%s'",
                         c->user, need ? authz_bits_name(need) : "READ or WRITE", name),
               ST_EPERM;
    return 0;
}

/* Queue the deletion of an internal stage's old directory. */
static int drop_files(struct call *c, const struct stage_rec *old, char *job_id, size_t n)
{
    struct job j;
    char err[300];
    job_id[0] = '\0';
    if (strcmp(old->type, "Internal") != 0 ||
        strncmp(old->root, internal_prefix, sizeof(internal_prefix) - 1) != 0)
        return 0; /* external files are never touched */
    job_init(&j);
    j.kind = JOB_DROP_STAGE;
    snprintf(j.user, sizeof(j.user), "%s", c->user);
    snprintf(j.stage, sizeof(j.stage), "%s", old->name);
    snprintf(j.location, sizeof(j.location), "@%s", old->name);
    snprintf(j.root, sizeof(j.root), "%s", old->root);
    int rc = jobs_create(c->db, c->cfg, &j, err, sizeof(err));
    if (rc) {
        log_error("stage=%s dropped but its files under %s remain: %s", old->name, old->root, err);
        call_fail(c, rc, "stage '%s' was dropped but deleting its files could not be queued: %s",
                  old->name, err);
        return rc;
    }
    snprintf(job_id, n, "%s", j.id);
    snprintf(c->job, sizeof(c->job), "%s", j.id);
    return 0;
}

/* An fs:// stage reads and writes the workers' own filesystem: admins only
 * (a user with CREATE_STAGE read other users' @~ through one), and only in
 * the directories the operator listed (common/fsroots.h). Answers on error. */
static int check_fs_stage(struct call *c, const struct stage_rec *rec, const struct storspec *s)
{
    char err[700];
    if (!c->admin)
        return call_fail(c, ST_EPERM,
                         "permission denied: stage '%s': fs:// stages are for admins only (user "
                         "'%s' is not one); use an s3:// stage or ask an admin",
                         rec->name, c->user),
               ST_EPERM;
    int rc = fsroots_check(c->cfg, s->root, NULL, NULL, err, sizeof(err));
    if (rc)
        call_fail(c, rc, "stage '%s': %s", rec->name, err);
    return rc;
}

/* Fill rec's storage fields from a URL and options; answers on error. */
static int set_storage(struct call *c, struct stage_rec *rec, const char *url,
                       const struct storspec_opt *opts, size_t nopts)
{
    char err[400], *sealed = NULL, *params = NULL;
    struct storspec *s = calloc(1, sizeof(*s));
    int rc = s ? 0 : ST_ENOMEM;
    /* fs:// parses here whatever storage.allow_fs_urls says: check_fs_stage()
     * applies that switch with the rest of the fs:// rules and statuses */
    if (!rc)
        rc = storspec_parse(url, opts, nopts, true, s, err, sizeof(err));
    if (!rc) /* an internal endpoint_url (issue 14 #2), before the probe connects to it */
        rc = endpoint_check(c->cfg, s->endpoint_url, err, sizeof(err));
    if (rc) {
        call_fail(c, rc, "stage '%s': %s", rec->name, s ? err : "out of memory");
        goto out;
    }
    if (s->type == STORSPEC_FS && (rc = check_fs_stage(c, rec, s)) != 0)
        goto out;
    rc = storspec_seal(s, catalog_key(), &sealed);
    if (rc == ST_EINVAL) {
        call_fail(c, rc, "stage '%s': connection secrets need STAGE_MASTER_KEY on the server",
                  rec->name);
        goto out;
    }
    params = rc ? NULL : storspec_params_json(s);
    if (rc || !params || strlen(sealed) >= sizeof(rec->conn) ||
        strlen(params) >= sizeof(rec->params)) {
        rc = rc ? rc : ST_EINVAL;
        call_fail(c, rc, "stage '%s': connection options are too large", rec->name);
        goto out;
    }
    snprintf(rec->type, sizeof(rec->type), "External");
    snprintf(rec->storage_type, sizeof(rec->storage_type), "%s", storspec_type_name(s->type));
    snprintf(rec->url, sizeof(rec->url), "%s", s->url);
    snprintf(rec->endpoint, sizeof(rec->endpoint), "%s", s->endpoint_url);
    snprintf(rec->conn, sizeof(rec->conn), "%s", sealed);
    snprintf(rec->params, sizeof(rec->params), "%s", params);
    rec->has_credentials = storspec_has_credentials(s);
    /* An fs backend is rooted at the directory; object stores at the bucket. */
    snprintf(rec->root, sizeof(rec->root), "%s", s->type == STORSPEC_FS ? "" : s->root);
out:
    free(sealed); /* sealed: no plaintext to wipe */
    free(params);
    storspec_wipe(s);
    free(s);
    return rc;
}

/* A new or changed external stage is probed once (DESIGN §2) through a
 * worker: a STAT job for a key that should not exist. NOT_FOUND, or a file,
 * means the store answered with these options; anything else is
 * FAILED_PRECONDITION with the backend's message. Stages on a scheme without
 * a backend yet are stored unprobed. Answers the call on error. */
static int probe(struct call *c, const struct stage_rec *rec)
{
    struct job j;
    char err[300];
    if (!stage_backend_ready(rec->storage_type))
        return 0;
    job_init(&j);
    j.kind = JOB_STAT;
    snprintf(j.user, sizeof(j.user), "%s", c->user);
    snprintf(j.stage, sizeof(j.stage), "%s", rec->name);
    snprintf(j.location, sizeof(j.location), "@%s", rec->name);
    snprintf(j.root, sizeof(j.root), "%s", rec->root);
    snprintf(j.path, sizeof(j.path), ".stage-probe");
    snprintf(j.storage, sizeof(j.storage), "%s", rec->url);
    snprintf(j.storage_conn, sizeof(j.storage_conn), "%s", rec->conn);
    int rc = jobs_create(c->db, c->cfg, &j, err, sizeof(err));
    if (rc)
        return call_fail(c, rc, "stage '%s': cannot probe %s: %s", rec->name, rec->url, err), rc;
    rc = xfer_wait(c, &j, xfer_ended, 0);
    if (rc == ST_EPRECOND && j.state == JOB_FAILED && strcmp(j.error_code, "NOT_FOUND") == 0)
        rc = 0;
    if (rc == ST_EPRECOND)
        call_fail(c, rc, "stage '%s': %s does not answer: %s", rec->name, rec->url,
                  j.error_message);
    else if (rc)
        xfer_wait_fail(c, &j, rc);
    return rc;
}

static int set_internal(struct call *c, struct stage_rec *rec)
{
    char inc[JOB_ID_LEN + 1];
    if (job_new_id(inc))
        return call_fail(c, ST_EINTERNAL, "random generator failed"), ST_EINTERNAL;
    snprintf(rec->type, sizeof(rec->type), "Internal");
    snprintf(rec->storage_type, sizeof(rec->storage_type), "%s", c->cfg->storage.type);
    snprintf(rec->root, sizeof(rec->root), "%s%s/%s/", internal_prefix, rec->name, inc);
    return 0;
}

static int may_create(struct call *c)
{
    bool has = c->admin;
    int rc = has ? 0 : catalog_create_priv(c->db, c->user, &has);
    if (rc)
        return call_fail(c, rc, "%s", c->db->err), rc;
    if (!has)
        return call_fail(c, ST_EPERM,
                         "permission denied: user '%s' needs CREATE_STAGE to create stages",
                         c->user),
               ST_EPERM;
    return 0;
}

/* or_replace of an existing stage needs the rights of a drop on it: its
 * owner or an admin (a grantee of ALL would take the stage over). */
static int may_replace(struct call *c, const char *name)
{
    struct stage_rec *old = malloc(sizeof(*old));
    if (!old)
        return call_fail(c, ST_ENOMEM, "out of memory"), ST_ENOMEM;
    int rc = catalog_get(c->db, name, old);
    if (rc)
        call_fail(c, rc, "%s", c->db->err);
    else if (old->exists)
        rc = load_checked(c, name, AUTHZ_OWN, old);
    free(old);
    return rc;
}

void h_create_stage(struct call *c)
{
    Stage__V1__CreateStageRequest *req;
    Stage__V1__CreateStageResponse resp = STAGE__V1__CREATE_STAGE_RESPONSE__INIT;
    struct stage_rec *rec = calloc(1, sizeof(*rec)), *old = calloc(1, sizeof(*old));
    struct storspec_opt *opts = NULL;
    struct stagefmt f;
    char job_id[JOB_ID_LEN + 1] = "";
    bool kept = false;
    stagefmt_init(&f);
    if (call_read_request(c, &stage__v1__create_stage_request__descriptor, &req))
        goto done;
    snprintf(c->location, sizeof(c->location), "@%s", req->name);
    if (!rec || !old) {
        call_fail(c, ST_ENOMEM, "out of memory");
        goto out;
    }
    if (check_name(c, req->name, "created") || may_create(c))
        goto out;
    if (req->if_not_exists && req->or_replace) {
        call_fail(c, ST_EINVAL, "stage '%s': if_not_exists and or_replace exclude each other",
                  req->name);
        goto out;
    }
    if (req->or_replace && may_replace(c, req->name)) /* before the probe: no job if refused */
        goto out;
    snprintf(rec->name, sizeof(rec->name), "%s", req->name);
    snprintf(rec->owner, sizeof(rec->owner), "%s", c->user);
    snprintf(rec->creator, sizeof(rec->creator), "%s", c->user);
    snprintf(rec->comment, sizeof(rec->comment), "%s", req->comment);
    rec->created_on = job_now_ms();
    if (!req->url[0] && req->n_connection) {
        call_fail(c, ST_EINVAL, "stage '%s': connection options need a url (external stage)",
                  req->name);
        goto out;
    }
    opts = calloc(req->n_connection + 1, sizeof(*opts));
    for (size_t i = 0; opts && i < req->n_connection; i++)
        opts[i] = (struct storspec_opt){req->connection[i]->key, req->connection[i]->value};
    if (!opts)
        call_fail(c, ST_ENOMEM, "out of memory");
    if (!opts || (req->url[0] ? set_storage(c, rec, req->url, opts, req->n_connection)
                              : set_internal(c, rec)))
        goto out;
    if (req->url[0] && probe(c, rec))
        goto out;
    enum catalog_mode mode = req->or_replace      ? CATALOG_OR_REPLACE
                             : req->if_not_exists ? CATALOG_IF_NOT_EXISTS
                                                  : CATALOG_CREATE;
    int rc = catalog_put(c->db, rec, mode, c->admin ? NULL : c->user, &kept, old);
    if (rc) {
        call_fail(c, rc, "%s", c->db->err);
        goto out;
    }
    if (kept) {
        rc = catalog_get(c->db, req->name, rec);
        if (rc) {
            call_fail(c, rc, "%s", c->db->err);
            goto out;
        }
    } else {
        log_info("stage=%s created by %s (%s%s%s)", rec->name, c->user, rec->type,
                 rec->url[0] ? " " : "", rec->url);
    }
    if (old->exists && drop_files(c, old, job_id, sizeof(job_id)))
        goto out;
    if (stagefmt_fill(&f, rec)) {
        call_fail(c, ST_ENOMEM, "out of memory");
        goto out;
    }
    resp.stage = &f.s;
    resp.job_id = job_id;
    call_reply(c, &resp.base);
out:
    protobuf_c_message_free_unpacked(&req->base, NULL);
done:
    free(opts);
    stagefmt_cleanup(&f);
    free(rec);
    free(old);
}

void h_drop_stage(struct call *c)
{
    Stage__V1__DropStageRequest *req;
    Stage__V1__DropStageResponse resp = STAGE__V1__DROP_STAGE_RESPONSE__INIT;
    struct stage_rec *rec = malloc(sizeof(*rec));
    char job_id[JOB_ID_LEN + 1] = "";
    if (call_read_request(c, &stage__v1__drop_stage_request__descriptor, &req))
        goto done;
    snprintf(c->location, sizeof(c->location), "@%s", req->name);
    if (!rec) {
        call_fail(c, ST_ENOMEM, "out of memory");
        goto out;
    }
    if (check_name(c, req->name, "dropped"))
        goto out;
    int rc = catalog_get(c->db, req->name, rec);
    if (rc) {
        call_fail(c, rc, "%s", c->db->err);
        goto out;
    }
    if (!rec->exists && req->if_exists) {
        call_reply(c, &resp.base);
        goto out;
    }
    if (load_checked(c, req->name, AUTHZ_OWN, rec))
        goto out;
    rc = catalog_drop(c->db, req->name, rec->created_on, rec);
    if (rc == ST_ENOTFOUND && req->if_exists) {
        call_reply(c, &resp.base);
        goto out;
    }
    if (rc) {
        call_fail(c, rc, "%s", c->db->err);
        goto out;
    }
    log_info("stage=%s dropped by %s (%s)", req->name, c->user, rec->type);
    if (drop_files(c, rec, job_id, sizeof(job_id)))
        goto out;
    resp.job_id = job_id;
    call_reply(c, &resp.base);
out:
    protobuf_c_message_free_unpacked(&req->base, NULL);
done:
    free(rec);
}

void h_alter_stage(struct call *c)
{
    Stage__V1__AlterStageRequest *req;
    Stage__V1__AlterStageResponse resp = STAGE__V1__ALTER_STAGE_RESPONSE__INIT;
    struct stage_rec *rec = malloc(sizeof(*rec));
    struct storspec_opt *opts = NULL;
    struct stagefmt f;
    stagefmt_init(&f);
    if (call_read_request(c, &stage__v1__alter_stage_request__descriptor, &req))
        goto done;
    snprintf(c->location, sizeof(c->location), "@%s", req->name);
    if (!rec) {
        call_fail(c, ST_ENOMEM, "out of memory");
        goto out;
    }
    if (check_name(c, req->name, "altered") || load_checked(c, req->name, AUTHZ_OWN, rec))
        goto out;
    if (req->set_comment && req->unset_comment) {
        call_fail(c, ST_EINVAL, "stage '%s': set_comment and unset_comment exclude each other",
                  req->name);
        goto out;
    }
    if ((req->url[0] || req->n_connection) && strcmp(rec->type, "External") != 0) {
        call_fail(c, ST_EINVAL, "stage '%s' is internal: it has no url or connection to alter",
                  req->name);
        goto out;
    }
    if (req->url[0] || req->n_connection) {
        opts = calloc(req->n_connection + 1, sizeof(*opts));
        for (size_t i = 0; opts && i < req->n_connection; i++)
            opts[i] = (struct storspec_opt){req->connection[i]->key, req->connection[i]->value};
        if (!opts) {
            call_fail(c, ST_ENOMEM, "out of memory");
            goto out;
        }
        if (set_storage(c, rec, req->url[0] ? req->url : rec->url, opts, req->n_connection) ||
            probe(c, rec))
            goto out;
    }
    if (req->set_comment)
        snprintf(rec->comment, sizeof(rec->comment), "%s", req->comment);
    if (req->unset_comment)
        rec->comment[0] = '\0';
    int rc = catalog_update(c->db, rec);
    if (rc) {
        call_fail(c, rc, "%s", c->db->err);
        goto out;
    }
    log_info("stage=%s altered by %s", req->name, c->user);
    if (stagefmt_fill(&f, rec)) {
        call_fail(c, ST_ENOMEM, "out of memory");
        goto out;
    }
    resp.stage = &f.s;
    call_reply(c, &resp.base);
out:
    protobuf_c_message_free_unpacked(&req->base, NULL);
done:
    free(opts);
    stagefmt_cleanup(&f);
    free(rec);
}

void h_describe_stage(struct call *c)
{
    Stage__V1__DescribeStageRequest *req;
    Stage__V1__DescribeStageResponse resp = STAGE__V1__DESCRIBE_STAGE_RESPONSE__INIT;
    struct stage_rec *rec = calloc(1, sizeof(*rec));
    struct stagefmt f;
    char err[300];
    stagefmt_init(&f);
    if (call_read_request(c, &stage__v1__describe_stage_request__descriptor, &req))
        goto done;
    snprintf(c->location, sizeof(c->location), "@%s", req->name);
    if (!rec) {
        call_fail(c, ST_ENOMEM, "out of memory");
        goto out;
    }
    if (strcmp(req->name, "~") == 0) {
        /* The caller's own user stage, described like Databend's @~. */
        rec->exists = true;
        snprintf(rec->name, sizeof(rec->name), "~");
        snprintf(rec->type, sizeof(rec->type), "User");
        snprintf(rec->storage_type, sizeof(rec->storage_type), "%s", c->cfg->storage.type);
        snprintf(rec->owner, sizeof(rec->owner), "%s", c->user);
    } else {
        int rc = location_name_check(req->name, "stage", err, sizeof(err));
        if (rc) {
            call_fail(c, rc, "%s", err);
            goto out;
        }
        if (load_checked(c, req->name, 0, rec))
            goto out;
    }
    if (stagefmt_fill(&f, rec)) {
        call_fail(c, ST_ENOMEM, "out of memory");
        goto out;
    }
    resp.stage = &f.s;
    call_reply(c, &resp.base);
out:
    protobuf_c_message_free_unpacked(&req->base, NULL);
done:
    stagefmt_cleanup(&f);
    free(rec);
}

void h_list_stages(struct call *c)
{
    Stage__V1__ListStagesRequest *req;
    Stage__V1__ListStagesResponse resp = STAGE__V1__LIST_STAGES_RESPONSE__INIT;
    struct stage_rec *rec = malloc(sizeof(*rec));
    char **names = NULL;
    size_t n = 0, k = 0;
    struct stagefmt *fs = NULL;
    Stage__V1__Stage **ps = NULL;
    if (call_read_request(c, &stage__v1__list_stages_request__descriptor, &req))
        goto done;
    protobuf_c_message_free_unpacked(&req->base, NULL);
    int rc = rec ? catalog_names(c->db, &names, &n) : ST_ENOMEM;
    if (!rc) {
        fs = calloc(n + 1, sizeof(*fs));
        ps = calloc(n + 1, sizeof(*ps));
        rc = fs && ps ? 0 : ST_ENOMEM;
    }
    for (size_t i = 0; !rc && i < n; i++) {
        unsigned bits = 0;
        rc = catalog_get(c->db, names[i], rec);
        if (!rc && rec->exists)
            rc = bits_on(c, rec, &bits);
        if (rc || !rec->exists || !bits)
            continue; /* dropped meanwhile, or not visible to the caller */
        stagefmt_init(&fs[k]);
        rc = stagefmt_fill(&fs[k], rec);
        ps[k] = &fs[k].s;
        k++;
    }
    if (rc) {
        call_fail(c, rc, "%s", rc == ST_ENOMEM ? "out of memory" : c->db->err);
    } else {
        resp.n_stages = k;
        resp.stages = ps;
        call_reply(c, &resp.base);
    }
    for (size_t i = 0; fs && i < k; i++)
        stagefmt_cleanup(&fs[i]);
    free(fs);
    free(ps);
    catalog_names_free(names, n);
done:
    free(rec);
}
