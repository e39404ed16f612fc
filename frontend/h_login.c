/* h_login.c - Login(user, password) -> bearer token. */
#include "auth.h"
#include "call.h"
#include "cred.h"
#include "handlers.h"

#include "stage/v1/stage.pb-c.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

void h_login(struct call *c)
{
    Stage__V1__LoginRequest *req;
    Stage__V1__LoginResponse resp = STAGE__V1__LOGIN_RESPONSE__INIT;
    char token[CRED_TOKEN_MAX], err[300], peer[128];
    int64_t expires = 0;
    if (call_read_request(c, &stage__v1__login_request__descriptor, &req))
        return;
    snprintf(c->user, sizeof(c->user), "%s", req->user);
    call_peer(c, peer, sizeof(peer));
    int rc = auth_login(c->db, req->user, req->password, peer, token, sizeof(token), &expires, err,
                        sizeof(err));
    OPENSSL_cleanse(req->password, strlen(req->password));
    if (rc) {
        call_fail(c, rc, "%s", err);
    } else {
        resp.token = token;
        resp.expires_at = expires;
        call_reply(c, &resp.base);
    }
    OPENSSL_cleanse(token, sizeof(token));
    protobuf_c_message_free_unpacked(&req->base, NULL);
}
