/* h_login.c - Login(user, password) -> bearer token. */
#include "auth.h"
#include "cred.h"
#include "handlers.h"
#include "svc.h"

#include "stage/v1/stage.pb-c.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

int svc_login(struct svc *s, ProtobufCMessage *msg)
{
    Stage__V1__LoginRequest *req = (Stage__V1__LoginRequest *)msg;
    Stage__V1__LoginResponse resp = STAGE__V1__LOGIN_RESPONSE__INIT;
    char token[CRED_TOKEN_MAX], err[300];
    int64_t expires = 0;
    snprintf(s->user, sizeof(s->user), "%s", req->user);
    int rc = auth_login(s->db, req->user, req->password, s->peer, token, sizeof(token), &expires,
                        err, sizeof(err));
    OPENSSL_cleanse(req->password, strlen(req->password));
    if (rc) {
        svc_fail(s, rc, "%s", err);
    } else {
        resp.token = token;
        resp.expires_at = expires;
        rc = svc_reply(s, &resp.base);
    }
    OPENSSL_cleanse(token, sizeof(token));
    return rc;
}
