/* h_stages.c - CreateStage, DropStage, AlterStage, DescribeStage,
 * ListStages (docs/design.md §2). Dropping or replacing an internal stage queues a
 * DROP_STAGE job for its old directory, after the catalog change is stored. */
#include "authz.h"
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
#include "squota.h"
#include "stage.h"
#include "stagefmt.h"
#include "storspec.h"
#include "svc.h"
#include "xfer.h"

#include "stage/v1/stage.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char internal_prefix[] = "stage/internal/";

/* Checks a stage name; "~" is refused as PERMISSION_DENIED (docs/design.md §2). */
static int check_name(struct svc *s, const char *name, const char *verb)
{
    char err[300];
    if (strcmp(name, "~") == 0)
        return svc_fail(s, ST_EPERM, "user stage (~) cannot be %s", verb);
    int rc = location_name_check(name, "stage", err, sizeof(err));
    return rc ? svc_fail(s, rc, "%s", err) : 0;
}

/* The caller's bits on an existing record (ALL for admins and the owner). */
static int bits_on(struct svc *s, const struct stage_rec *rec, unsigned *bits)
{
    unsigned granted = 0;
    int rc = 0;
    if (!s->admin && !authz_owns(s->user, s->user_since, rec->owner, rec->created_on))
        rc = catalog_grant_bits(s->db, rec->name, s->user, &granted);
    struct authz_principal p = {s->user, s->admin, s->user_since};
    struct authz_stage st = {rec->name, rec->exists, rec->owner, rec->created_on};
    *bits = authz_effective(&p, &st, granted);
    return rc;
}

/* Load a stage and check `need` (0: any privilege, i.e. the stage is
 * visible to the caller; AUTHZ_OWN: the owner or an admin, authz.h). */
static int load_checked(struct svc *s, const char *name, unsigned need, struct stage_rec *rec)
{
    unsigned bits = 0;
    int rc = catalog_get(s->db, name, rec);
    if (!rc && rec->exists)
        rc = bits_on(s, rec, &bits);
    if (rc)
        return svc_fail(s, rc, "%s", s->db->err);
    if (!rec->exists)
        return svc_fail(s, ST_ENOTFOUND, "stage '%s' does not exist", name);
    if (need & AUTHZ_OWN && !(bits & AUTHZ_OWN))
        return svc_fail(s, ST_EPERM,
                        "permission denied: user '%s' does not own stage '%s' (only its owner "
                        "or an admin may drop, alter or replace it)",
                        s->user, name);
    if (need ? (bits & need) != need : bits == 0)
        return svc_fail(s, ST_EPERM, "permission denied: user '%s' needs %s on stage '%s'", s->user,
                        need ? authz_bits_name(need) : "READ or WRITE", name);
    return 0;
}

/* Queue the deletion of an internal stage's old directory. */
static int drop_files(struct svc *s, const struct stage_rec *old, char *job_id, size_t n)
{
    struct job j;
    char err[300];
    job_id[0] = '\0';
    if (strcmp(old->type, "Internal") != 0 ||
        strncmp(old->root, internal_prefix, sizeof(internal_prefix) - 1) != 0)
        return 0; /* external files are never touched */
    /* Its usage goes with it (a new stage of the name has a new root). A
     * failure leaves an orphan key that nothing reads again, not a wrong
     * figure: no error for the caller. */
    if (squota_forget(s->db, old->root))
        log_warn("stage=%s usage of %s not deleted: %s", old->name, old->root, s->db->err);
    job_init(&j);
    j.kind = JOB_DROP_STAGE;
    snprintf(j.user, sizeof(j.user), "%s", s->user);
    snprintf(j.stage, sizeof(j.stage), "%s", old->name);
    snprintf(j.location, sizeof(j.location), "@%s", old->name);
    snprintf(j.root, sizeof(j.root), "%s", old->root);
    int rc = jobs_create(s->db, s->cfg, &j, err, sizeof(err));
    if (rc) {
        log_error("stage=%s dropped but its files under %s remain: %s", old->name, old->root, err);
        return svc_fail(s, rc,
                        "stage '%s' was dropped but deleting its files could not be queued: %s",
                        old->name, err);
    }
    snprintf(job_id, n, "%s", j.id);
    snprintf(s->job, sizeof(s->job), "%s", j.id);
    return 0;
}

/* An fs:// stage reads and writes the workers' own filesystem: admins only
 * (a user with CREATE_STAGE read other users' @~ through one), and only in
 * the directories the operator listed (common/fsroots.h). */
static int check_fs_stage(struct svc *s, const struct stage_rec *rec, const struct storspec *sp)
{
    char err[700];
    if (!s->admin)
        return svc_fail(s, ST_EPERM,
                        "permission denied: stage '%s': fs:// stages are for admins only (user "
                        "'%s' is not one); use an s3:// stage or ask an admin",
                        rec->name, s->user);
    int rc = fsroots_check(s->cfg, sp->root, NULL, NULL, err, sizeof(err));
    return rc ? svc_fail(s, rc, "stage '%s': %s", rec->name, err) : 0;
}

/* Fill rec's storage fields from a URL and options. */
static int set_storage(struct svc *s, struct stage_rec *rec, const char *url,
                       const struct storspec_opt *opts, size_t nopts)
{
    char err[400], *sealed = NULL, *params = NULL;
    struct storspec *sp = calloc(1, sizeof(*sp));
    int rc = sp ? 0 : ST_ENOMEM;
    /* fs:// parses here whatever storage.allow_fs_urls says: check_fs_stage()
     * applies that switch with the rest of the fs:// rules and statuses */
    if (!rc)
        rc = storspec_parse(url, opts, nopts, true, sp, err, sizeof(err));
    if (!rc) /* an internal endpoint_url (issue 14 #2), before the probe connects to it */
        rc = endpoint_check(s->cfg, sp->endpoint_url, err, sizeof(err));
    if (rc) {
        svc_fail(s, rc, "stage '%s': %s", rec->name, sp ? err : "out of memory");
        goto out;
    }
    if (sp->type == STORSPEC_FS && (rc = check_fs_stage(s, rec, sp)) != 0)
        goto out;
    rc = storspec_seal(sp, catalog_key(), &sealed);
    if (rc == ST_EINVAL) {
        svc_fail(s, rc, "stage '%s': connection secrets need STAGE_MASTER_KEY on the server",
                 rec->name);
        goto out;
    }
    params = rc ? NULL : storspec_params_json(sp);
    if (rc || !params || strlen(sealed) >= sizeof(rec->conn) ||
        strlen(params) >= sizeof(rec->params)) {
        rc = rc ? rc : ST_EINVAL;
        svc_fail(s, rc, "stage '%s': connection options are too large", rec->name);
        goto out;
    }
    snprintf(rec->type, sizeof(rec->type), "External");
    snprintf(rec->storage_type, sizeof(rec->storage_type), "%s", storspec_type_name(sp->type));
    snprintf(rec->url, sizeof(rec->url), "%s", sp->url);
    snprintf(rec->endpoint, sizeof(rec->endpoint), "%s", sp->endpoint_url);
    snprintf(rec->conn, sizeof(rec->conn), "%s", sealed);
    snprintf(rec->params, sizeof(rec->params), "%s", params);
    rec->has_credentials = storspec_has_credentials(sp);
    /* An fs backend is rooted at the directory; object stores at the bucket. */
    snprintf(rec->root, sizeof(rec->root), "%s", sp->type == STORSPEC_FS ? "" : sp->root);
out:
    free(sealed); /* sealed: no plaintext to wipe */
    free(params);
    storspec_wipe(sp);
    free(sp);
    return rc;
}

/* A new or changed external stage is probed once (docs/design.md §2) through a
 * worker: a STAT job for a key that should not exist. NOT_FOUND, or a file,
 * means the store answered with these options; anything else is
 * FAILED_PRECONDITION with the backend's message. Stages on a scheme without
 * a backend yet are stored unprobed. */
static int probe(struct svc *s, const struct stage_rec *rec)
{
    struct job j;
    char err[300];
    if (!stage_backend_ready(rec->storage_type))
        return 0;
    job_init(&j);
    j.kind = JOB_STAT;
    snprintf(j.user, sizeof(j.user), "%s", s->user);
    snprintf(j.stage, sizeof(j.stage), "%s", rec->name);
    snprintf(j.location, sizeof(j.location), "@%s", rec->name);
    snprintf(j.root, sizeof(j.root), "%s", rec->root);
    snprintf(j.path, sizeof(j.path), ".stage-probe");
    snprintf(j.storage, sizeof(j.storage), "%s", rec->url);
    snprintf(j.storage_conn, sizeof(j.storage_conn), "%s", rec->conn);
    int rc = jobs_create(s->db, s->cfg, &j, err, sizeof(err));
    if (rc)
        return svc_fail(s, rc, "stage '%s': cannot probe %s: %s", rec->name, rec->url, err);
    rc = svc_wait_job(s, &j, xfer_ended, 0);
    if (rc == ST_EPRECOND && j.state == JOB_FAILED && strcmp(j.error_code, "NOT_FOUND") == 0)
        rc = 0;
    if (rc == ST_EPRECOND)
        return svc_fail(s, rc, "stage '%s': %s does not answer: %s", rec->name, rec->url,
                        j.error_message);
    return rc ? svc_wait_fail(s, &j, rc) : 0;
}

static int set_internal(struct svc *s, struct stage_rec *rec)
{
    char inc[JOB_ID_LEN + 1];
    if (job_new_id(inc))
        return svc_fail(s, ST_EINTERNAL, "random generator failed");
    snprintf(rec->type, sizeof(rec->type), "Internal");
    snprintf(rec->storage_type, sizeof(rec->storage_type), "%s", s->cfg->storage.type);
    snprintf(rec->root, sizeof(rec->root), "%s%s/%s/", internal_prefix, rec->name, inc);
    return 0;
}

/* Apply a request's quota fields to an internal stage's record. */
static int set_quota(struct svc *s, struct stage_rec *rec, bool set, bool reset, int64_t bytes,
                     int64_t files)
{
    if (!set && !reset)
        return 0;
    if (set && reset)
        return svc_fail(s, ST_EINVAL, "stage '%s': set_quota and reset_quota exclude each other",
                        rec->name);
    if (strcmp(rec->type, "Internal") != 0)
        return svc_fail(s, ST_EINVAL,
                        "stage '%s' is external: its storage is its owner's and has no quota here",
                        rec->name);
    if (bytes < 0 || files < 0)
        return svc_fail(s, ST_EINVAL, "stage '%s': quotas must be >= 0 (0 = no limit)", rec->name);
    rec->has_quota = set;
    rec->quota_bytes = set ? bytes : 0;
    rec->quota_files = set ? files : 0;
    return 0;
}

/* The quota of `rec` (and, with `usage`, what counts against it) into the
 * message; named stages on the configured storage and @~ only. */
static int fill_quota(struct svc *s, const struct stage_rec *rec, Stage__V1__Stage *m, bool usage)
{
    struct quota_lim l = {0, 0};
    struct quota_use u;
    int rc = 0;
    if (strcmp(rec->type, "User") == 0)
        rc = squota_of_user(s->db, s->user, &l);
    else
        squota_of_stage(s->cfg, rec, &l);
    bool counted = strcmp(rec->type, "External") != 0;
    if (!rc && usage && counted)
        rc = squota_usage(s->db, rec->root, &u);
    if (rc)
        return svc_fail(s, rc, "%s", s->db->err);
    m->quota_bytes = l.bytes;
    m->quota_files = l.files;
    if (usage && counted) {
        m->used_bytes = u.bytes;
        m->used_files = u.files;
        m->inflight_bytes = u.res_bytes;
        m->inflight_files = u.res_files;
    }
    return 0;
}

static int may_create(struct svc *s)
{
    bool has = s->admin;
    int rc = has ? 0 : catalog_create_priv(s->db, s->user, &has);
    if (rc)
        return svc_fail(s, rc, "%s", s->db->err);
    if (!has)
        return svc_fail(s, ST_EPERM,
                        "permission denied: user '%s' needs CREATE_STAGE to create stages",
                        s->user);
    return 0;
}

/* or_replace of an existing stage needs the rights of a drop on it: its
 * owner or an admin (a grantee of ALL would take the stage over). */
static int may_replace(struct svc *s, const char *name)
{
    struct stage_rec *old = malloc(sizeof(*old));
    if (!old)
        return svc_fail(s, ST_ENOMEM, "out of memory");
    int rc = catalog_get(s->db, name, old);
    if (rc)
        svc_fail(s, rc, "%s", s->db->err);
    else if (old->exists)
        rc = load_checked(s, name, AUTHZ_OWN, old);
    free(old);
    return rc;
}

/* CreateStage once `rec` and `old` are allocated: the stored stage into `f`,
 * the job deleting a replaced stage's files into job_id. */
static int create_stage(struct svc *s, const Stage__V1__CreateStageRequest *req,
                        struct stage_rec *rec, struct stage_rec *old, struct stagefmt *f,
                        char job_id[JOB_ID_LEN + 1])
{
    bool kept = false;
    int rc;
    if ((rc = check_name(s, req->name, "created")) || (rc = may_create(s)))
        return rc;
    if (req->if_not_exists && req->or_replace)
        return svc_fail(s, ST_EINVAL, "stage '%s': if_not_exists and or_replace exclude each other",
                        req->name);
    /* before the probe: no job if refused */
    if (req->or_replace && (rc = may_replace(s, req->name)))
        return rc;
    snprintf(rec->name, sizeof(rec->name), "%s", req->name);
    snprintf(rec->owner, sizeof(rec->owner), "%s", s->user);
    snprintf(rec->creator, sizeof(rec->creator), "%s", s->user);
    snprintf(rec->comment, sizeof(rec->comment), "%s", req->comment);
    rec->created_on = job_now_ms();
    if (!req->url[0] && req->n_connection)
        return svc_fail(s, ST_EINVAL, "stage '%s': connection options need a url (external stage)",
                        req->name);
    struct storspec_opt *opts = calloc(req->n_connection + 1, sizeof(*opts));
    for (size_t i = 0; opts && i < req->n_connection; i++)
        opts[i] = (struct storspec_opt){req->connection[i]->key, req->connection[i]->value};
    rc = !opts         ? svc_fail(s, ST_ENOMEM, "out of memory")
         : req->url[0] ? set_storage(s, rec, req->url, opts, req->n_connection)
                       : set_internal(s, rec);
    free(opts);
    if (!rc)
        rc = set_quota(s, rec, req->set_quota, false, req->quota_bytes, req->quota_files);
    if (rc || (req->url[0] && (rc = probe(s, rec))))
        return rc;
    enum catalog_mode mode = req->or_replace      ? CATALOG_OR_REPLACE
                             : req->if_not_exists ? CATALOG_IF_NOT_EXISTS
                                                  : CATALOG_CREATE;
    rc = catalog_put(s->db, rec, mode, s->admin ? NULL : s->user, &kept, old);
    if (!rc && kept)
        rc = catalog_get(s->db, req->name, rec);
    if (rc)
        return svc_fail(s, rc, "%s", s->db->err);
    if (!kept)
        log_info("stage=%s created by %s (%s%s%s)", rec->name, s->user, rec->type,
                 rec->url[0] ? " " : "", rec->url);
    if (old->exists && (rc = drop_files(s, old, job_id, JOB_ID_LEN + 1)))
        return rc;
    if (stagefmt_fill(f, rec))
        return svc_fail(s, ST_ENOMEM, "out of memory");
    return fill_quota(s, rec, &f->s, false);
}

int svc_create_stage(struct svc *s, ProtobufCMessage *msg)
{
    const Stage__V1__CreateStageRequest *req = (const Stage__V1__CreateStageRequest *)msg;
    Stage__V1__CreateStageResponse resp = STAGE__V1__CREATE_STAGE_RESPONSE__INIT;
    struct stage_rec *rec = calloc(1, sizeof(*rec)), *old = calloc(1, sizeof(*old));
    struct stagefmt f;
    char job_id[JOB_ID_LEN + 1] = "";
    stagefmt_init(&f);
    snprintf(s->location, sizeof(s->location), "@%s", req->name);
    int rc = !rec || !old ? svc_fail(s, ST_ENOMEM, "out of memory")
                          : create_stage(s, req, rec, old, &f, job_id);
    if (!rc) {
        resp.stage = &f.s;
        resp.job_id = job_id;
        rc = svc_reply(s, &resp.base);
    }
    stagefmt_cleanup(&f);
    free(rec);
    free(old);
    return rc;
}

/* DropStage once `rec` is allocated: the job deleting its files into job_id. */
static int drop_stage(struct svc *s, const Stage__V1__DropStageRequest *req, struct stage_rec *rec,
                      char job_id[JOB_ID_LEN + 1])
{
    int rc = check_name(s, req->name, "dropped");
    if (rc)
        return rc;
    rc = catalog_get(s->db, req->name, rec);
    if (rc)
        return svc_fail(s, rc, "%s", s->db->err);
    if (!rec->exists && req->if_exists)
        return 0;
    if ((rc = load_checked(s, req->name, AUTHZ_OWN, rec)))
        return rc;
    rc = catalog_drop(s->db, req->name, rec->created_on, rec);
    if (rc == ST_ENOTFOUND && req->if_exists)
        return 0;
    if (rc)
        return svc_fail(s, rc, "%s", s->db->err);
    log_info("stage=%s dropped by %s (%s)", req->name, s->user, rec->type);
    return drop_files(s, rec, job_id, JOB_ID_LEN + 1);
}

int svc_drop_stage(struct svc *s, ProtobufCMessage *msg)
{
    const Stage__V1__DropStageRequest *req = (const Stage__V1__DropStageRequest *)msg;
    Stage__V1__DropStageResponse resp = STAGE__V1__DROP_STAGE_RESPONSE__INIT;
    struct stage_rec *rec = malloc(sizeof(*rec));
    char job_id[JOB_ID_LEN + 1] = "";
    snprintf(s->location, sizeof(s->location), "@%s", req->name);
    int rc = rec ? drop_stage(s, req, rec, job_id) : svc_fail(s, ST_ENOMEM, "out of memory");
    if (!rc) {
        resp.job_id = job_id; /* "": nothing dropped, or no files to delete */
        rc = svc_reply(s, &resp.base);
    }
    free(rec);
    return rc;
}

/* AlterStage once `rec` is allocated: the changed stage into `f`. */
static int alter_stage(struct svc *s, const Stage__V1__AlterStageRequest *req,
                       struct stage_rec *rec, struct stagefmt *f)
{
    int rc;
    if ((rc = check_name(s, req->name, "altered")) ||
        (rc = load_checked(s, req->name, AUTHZ_OWN, rec)))
        return rc;
    if (req->set_comment && req->unset_comment)
        return svc_fail(s, ST_EINVAL,
                        "stage '%s': set_comment and unset_comment exclude each other", req->name);
    if ((req->url[0] || req->n_connection) && strcmp(rec->type, "External") != 0)
        return svc_fail(s, ST_EINVAL,
                        "stage '%s' is internal: it has no url or connection to alter", req->name);
    if (req->url[0] || req->n_connection) {
        struct storspec_opt *opts = calloc(req->n_connection + 1, sizeof(*opts));
        for (size_t i = 0; opts && i < req->n_connection; i++)
            opts[i] = (struct storspec_opt){req->connection[i]->key, req->connection[i]->value};
        rc = !opts
                 ? svc_fail(s, ST_ENOMEM, "out of memory")
                 : set_storage(s, rec, req->url[0] ? req->url : rec->url, opts, req->n_connection);
        free(opts);
        if (rc || (rc = probe(s, rec)))
            return rc;
    }
    if (req->set_comment)
        snprintf(rec->comment, sizeof(rec->comment), "%s", req->comment);
    if (req->unset_comment)
        rec->comment[0] = '\0';
    rc = set_quota(s, rec, req->set_quota, req->reset_quota, req->quota_bytes, req->quota_files);
    if (rc)
        return rc;
    rc = catalog_update(s->db, rec);
    if (rc)
        return svc_fail(s, rc, "%s", s->db->err);
    log_info("stage=%s altered by %s", req->name, s->user);
    if (stagefmt_fill(f, rec))
        return svc_fail(s, ST_ENOMEM, "out of memory");
    return fill_quota(s, rec, &f->s, true);
}

int svc_alter_stage(struct svc *s, ProtobufCMessage *msg)
{
    const Stage__V1__AlterStageRequest *req = (const Stage__V1__AlterStageRequest *)msg;
    Stage__V1__AlterStageResponse resp = STAGE__V1__ALTER_STAGE_RESPONSE__INIT;
    struct stage_rec *rec = malloc(sizeof(*rec));
    struct stagefmt f;
    stagefmt_init(&f);
    snprintf(s->location, sizeof(s->location), "@%s", req->name);
    int rc = rec ? alter_stage(s, req, rec, &f) : svc_fail(s, ST_ENOMEM, "out of memory");
    if (!rc) {
        resp.stage = &f.s;
        rc = svc_reply(s, &resp.base);
    }
    stagefmt_cleanup(&f);
    free(rec);
    return rc;
}

/* `name` as the caller may see it; "~" is the caller's own user stage,
 * described like Databend's @~. */
static int describe(struct svc *s, const char *name, struct stage_rec *rec)
{
    char err[300];
    if (strcmp(name, "~") == 0) {
        rec->exists = true;
        snprintf(rec->name, sizeof(rec->name), "~");
        snprintf(rec->type, sizeof(rec->type), "User");
        snprintf(rec->storage_type, sizeof(rec->storage_type), "%s", s->cfg->storage.type);
        snprintf(rec->owner, sizeof(rec->owner), "%s", s->user);
        if (location_user_root(rec->root, sizeof(rec->root), s->user) < 0)
            return svc_fail(s, ST_EINVAL, "user name '%s' is too long", s->user);
        return 0;
    }
    int rc = location_name_check(name, "stage", err, sizeof(err));
    return rc ? svc_fail(s, rc, "%s", err) : load_checked(s, name, 0, rec);
}

int svc_describe_stage(struct svc *s, ProtobufCMessage *msg)
{
    const Stage__V1__DescribeStageRequest *req = (const Stage__V1__DescribeStageRequest *)msg;
    Stage__V1__DescribeStageResponse resp = STAGE__V1__DESCRIBE_STAGE_RESPONSE__INIT;
    struct stage_rec *rec = calloc(1, sizeof(*rec));
    struct stagefmt f;
    stagefmt_init(&f);
    snprintf(s->location, sizeof(s->location), "@%s", req->name);
    int rc = rec ? describe(s, req->name, rec) : svc_fail(s, ST_ENOMEM, "out of memory");
    if (!rc && stagefmt_fill(&f, rec))
        rc = svc_fail(s, ST_ENOMEM, "out of memory");
    if (!rc)
        rc = fill_quota(s, rec, &f.s, true);
    if (!rc) {
        resp.stage = &f.s;
        rc = svc_reply(s, &resp.base);
    }
    stagefmt_cleanup(&f);
    free(rec);
    return rc;
}

int svc_list_stages(struct svc *s, ProtobufCMessage *msg)
{
    Stage__V1__ListStagesResponse resp = STAGE__V1__LIST_STAGES_RESPONSE__INIT;
    struct stage_rec *rec = malloc(sizeof(*rec));
    char **names = NULL;
    size_t n = 0, k = 0;
    struct stagefmt *fs = NULL;
    Stage__V1__Stage **ps = NULL;
    (void)msg;
    int rc = rec ? catalog_names(s->db, &names, &n) : ST_ENOMEM;
    if (!rc) {
        fs = calloc(n + 1, sizeof(*fs));
        ps = calloc(n + 1, sizeof(*ps));
        rc = fs && ps ? 0 : ST_ENOMEM;
    }
    for (size_t i = 0; !rc && i < n; i++) {
        unsigned bits = 0;
        rc = catalog_get(s->db, names[i], rec);
        if (!rc && rec->exists)
            rc = bits_on(s, rec, &bits);
        if (rc || !rec->exists || !bits)
            continue; /* dropped meanwhile, or not visible to the caller */
        stagefmt_init(&fs[k]);
        rc = stagefmt_fill(&fs[k], rec);
        struct quota_lim l; /* limits only: usage would cost a round trip per stage */
        squota_of_stage(s->cfg, rec, &l);
        fs[k].s.quota_bytes = l.bytes;
        fs[k].s.quota_files = l.files;
        ps[k] = &fs[k].s;
        k++;
    }
    if (rc) {
        svc_fail(s, rc, "%s", rc == ST_ENOMEM ? "out of memory" : s->db->err);
    } else {
        resp.n_stages = k;
        resp.stages = ps;
        rc = svc_reply(s, &resp.base);
    }
    for (size_t i = 0; fs && i < k; i++)
        stagefmt_cleanup(&fs[i]);
    free(fs);
    free(ps);
    catalog_names_free(names, n);
    free(rec);
    return rc;
}
