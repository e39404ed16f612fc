/* h_presign_fs.c - the fs branch of PresignFile: a frontend URL signed with
 * HMAC (presign_fs.h), served by the HTTP listener (presign_http.h). */
#include "auth.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "handlers.h"
#include "httphdr.h"
#include "job.h"
#include "jobs.h"
#include "presign_fs.h"
#include "svc.h"
#include "tls.h"
#include "xfer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool presign_fs_applies(const struct svc *s, const struct job *j)
{
    return j->storage[0] ? strncmp(j->storage, "fs://", 5) == 0
                         : strcmp(s->cfg->storage.type, "fs") == 0;
}

/* A download URL only for a file that exists (as DownloadFile would say):
 * one STAT job, waited for. */
static int must_exist(struct svc *s, const struct job *loc, char *err, size_t errlen)
{
    struct job j; /* 46 KiB: the fiber stack has room (loop.c) */
    bool existing = false;
    job_init(&j);
    j.kind = JOB_STAT;
    snprintf(j.user, sizeof(j.user), "%s", loc->user);
    snprintf(j.stage, sizeof(j.stage), "%s", loc->stage);
    snprintf(j.location, sizeof(j.location), "%s", loc->location);
    snprintf(j.storage, sizeof(j.storage), "%s", loc->storage);
    snprintf(j.storage_conn, sizeof(j.storage_conn), "%s", loc->storage_conn);
    snprintf(j.root, sizeof(j.root), "%s", loc->root);
    snprintf(j.path, sizeof(j.path), "%s", loc->path);
    int rc = jobs_create_idem(s->db, s->cfg, &j, NULL, &existing, err, errlen);
    if (rc)
        return rc;
    rc = svc_wait_job(s, &j, xfer_ended, 0);
    if (rc == ST_EPRECOND) {
        snprintf(err, errlen, "%s", j.error_message);
        return st_err_from_status_name(j.error_code);
    }
    if (rc)
        snprintf(err, errlen, "%s", s->db->err[0] ? s->db->err : st_strerror(rc));
    return rc;
}

int presign_fs_make(struct svc *s, const struct job *j, bool put, const char *location,
                    long expire_s, const char *content_type, char **url, char *err, size_t errlen)
{
    struct presign_claims cl;
    unsigned char key[AUTH_PRESIGN_KEY_BYTES];
    char base[300], tok[2600];
    bool admin;
    memset(&cl, 0, sizeof(cl));
    *url = NULL;
    int rc = httphdr_content_type_check(content_type, "content_type", err, errlen);
    if (rc)
        return rc;
    rc = put ? 0 : must_exist(s, j, err, errlen);
    if (!rc && (rc = auth_user_info(s->db, s->user, &admin, &cl.gen, NULL)))
        snprintf(err, errlen, "%s", s->db->err[0] ? s->db->err : "the user is gone");
    if (rc)
        return rc;
    cl.put = put;
    cl.expires = (long long)time(NULL) + (expire_s > 0 ? expire_s : 3600);
    snprintf(cl.user, sizeof(cl.user), "%s", s->user);
    snprintf(cl.content_type, sizeof(cl.content_type), "%s", content_type);
    snprintf(cl.location, sizeof(cl.location), "%s", location);
    auth_presign_key(key);
    rc = presign_fs_sign(key, sizeof(key), &cl, tok, sizeof(tok));
    memset(key, 0, sizeof(key));
    if (!rc)
        rc = presign_fs_base(s->cfg->server.public_http_url, s->cfg->server.http_listen,
                             tls_enabled(s->cfg), base, sizeof(base));
    size_t n = strlen(base) + strlen(PRESIGN_FS_PATH) + strlen(tok) + 1;
    if (!rc && !(*url = malloc(n)))
        rc = ST_ENOMEM;
    if (!rc)
        rc = presign_fs_url(base, tok, *url, n);
    if (rc)
        snprintf(err, errlen, "cannot presign '%s': %s", location, st_strerror(rc));
    return rc;
}
