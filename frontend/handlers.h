/* handlers.h - the RPC handlers and the method table of the frontend.
 *
 * Unary RPCs are service functions (svc.h): plain functions of a `struct
 * svc` and the unpacked request, run by svc_call, which answers from their
 * result; the request's type is in the method table. Streams are handlers
 * of their call: each runs on the call's fiber, owns its call and answers it
 * exactly once (see server.h, call.h). */
#ifndef STAGE_FE_HANDLERS_H
#define STAGE_FE_HANDLERS_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

struct call;
struct method;
struct svc;

/* Service functions: 0 after svc_reply(), or an st_err after svc_fail(). */
int svc_login(struct svc *s, ProtobufCMessage *req);           /* h_login.c */
int svc_stat(struct svc *s, ProtobufCMessage *req);            /* h_files.c */
int svc_remove(struct svc *s, ProtobufCMessage *req);          /* h_files.c */
int svc_copy(struct svc *s, ProtobufCMessage *req);            /* h_copy.c */
int svc_get_job(struct svc *s, ProtobufCMessage *req);         /* h_jobs.c */
int svc_health_check(struct svc *s, ProtobufCMessage *req);    /* h_health.c */
int svc_create_user(struct svc *s, ProtobufCMessage *req);     /* h_users.c */
int svc_drop_user(struct svc *s, ProtobufCMessage *req);       /* h_users.c */
int svc_alter_user(struct svc *s, ProtobufCMessage *req);      /* h_users.c */
int svc_list_users(struct svc *s, ProtobufCMessage *req);      /* h_users.c */
int svc_create_stage(struct svc *s, ProtobufCMessage *req);    /* h_stages.c */
int svc_drop_stage(struct svc *s, ProtobufCMessage *req);      /* h_stages.c */
int svc_alter_stage(struct svc *s, ProtobufCMessage *req);     /* h_stages.c */
int svc_describe_stage(struct svc *s, ProtobufCMessage *req);  /* h_stages.c */
int svc_list_stages(struct svc *s, ProtobufCMessage *req);     /* h_stages.c */
int svc_grant(struct svc *s, ProtobufCMessage *req);           /* h_grants.c */
int svc_revoke(struct svc *s, ProtobufCMessage *req);          /* h_grants.c */
int svc_show_grants(struct svc *s, ProtobufCMessage *req);     /* h_grants.c */
int svc_cancel_job(struct svc *s, ProtobufCMessage *req);      /* h_jobctl.c */
int svc_list_jobs(struct svc *s, ProtobufCMessage *req);       /* h_jobctl.c */
int svc_get_job_results(struct svc *s, ProtobufCMessage *req); /* h_jobctl.c */
int svc_presign(struct svc *s, ProtobufCMessage *req);         /* h_presign.c */

/* Streaming handlers. */
void h_upload(struct call *c);       /* h_upload.c: client stream */
void h_download(struct call *c);     /* h_download.c: server stream */
void h_list(struct call *c);         /* h_list.c: server stream */
void h_watch_job(struct call *c);    /* h_jobctl.c: server stream */
void h_health_watch(struct call *c); /* h_health.c: server stream */
void h_reflect(struct call *c);      /* h_reflect.c: bidi stream */

/* h_reflect.c: index the embedded descriptor set once, before the server
 * starts (0 or an st_err: the binary was built wrong), and free it after
 * the server stopped. */
int h_reflect_init(void);
void h_reflect_cleanup(void);

/* h_presign_fs.c: the fs branch of PresignFile. applies: `j` (located) is
 * on fs storage. make: a signed frontend URL (malloc'ed) for `location`; a
 * download needs the file to exist (NOT_FOUND). 0 or an st_err, `err` set. */
struct job;
bool presign_fs_applies(const struct svc *s, const struct job *j);
int presign_fs_make(struct svc *s, const struct job *j, bool put, const char *location,
                    long expire_s, const char *content_type, char **url, char *err, size_t errlen);

/* The table of every method the server registers (methods.c). */
const struct method *methods_table(int *n);

#endif
