/* handlers.h - the RPC handlers and the method table of the frontend.
 * Each handler runs on a handler thread, owns its call and answers it
 * exactly once (see server.h, call.h). */
#ifndef STAGE_FE_HANDLERS_H
#define STAGE_FE_HANDLERS_H

#include <stdbool.h>
#include <stddef.h>

struct call;
struct method;

void h_login(struct call *c);           /* h_login.c */
void h_upload(struct call *c);          /* h_upload.c: client stream */
void h_download(struct call *c);        /* h_download.c: server stream */
void h_list(struct call *c);            /* h_list.c: server stream */
void h_stat(struct call *c);            /* h_files.c */
void h_remove(struct call *c);          /* h_files.c */
void h_copy(struct call *c);            /* h_copy.c */
void h_get_job(struct call *c);         /* h_jobs.c */
void h_health_check(struct call *c);    /* h_health.c */
void h_create_user(struct call *c);     /* h_users.c */
void h_drop_user(struct call *c);       /* h_users.c */
void h_alter_user(struct call *c);      /* h_users.c */
void h_list_users(struct call *c);      /* h_users.c */
void h_create_stage(struct call *c);    /* h_stages.c */
void h_drop_stage(struct call *c);      /* h_stages.c */
void h_alter_stage(struct call *c);     /* h_stages.c */
void h_describe_stage(struct call *c);  /* h_stages.c */
void h_list_stages(struct call *c);     /* h_stages.c */
void h_grant(struct call *c);           /* h_grants.c */
void h_revoke(struct call *c);          /* h_grants.c */
void h_show_grants(struct call *c);     /* h_grants.c */
void h_health_watch(struct call *c);    /* h_health.c */
void h_cancel_job(struct call *c);      /* h_jobctl.c */
void h_list_jobs(struct call *c);       /* h_jobctl.c */
void h_get_job_results(struct call *c); /* h_jobctl.c */
void h_watch_job(struct call *c);       /* h_jobctl.c: server stream */
void h_presign(struct call *c);         /* h_presign.c */

/* h_presign_fs.c: the fs branch of PresignFile. applies: `j` (located) is
 * on fs storage. make: a signed frontend URL (malloc'ed) for `location`; a
 * download needs the file to exist (NOT_FOUND). 0 or an st_err, `err` set. */
struct job;
bool presign_fs_applies(const struct call *c, const struct job *j);
int presign_fs_make(struct call *c, const struct job *j, bool put, const char *location,
                    long expire_s, const char *content_type, char **url, char *err, size_t errlen);

/* The table of every method the server registers (methods.c). */
const struct method *methods_table(int *n);

#endif
