/* gcsjwt.c - the service-account JWT grant (see gcsjwt.h). */
#include "gcsjwt.h"

#include "err.h"
#include "gcscred.h"
#include "sbuf.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gcsjwt_b64url(const void *in, size_t len, char **out)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *p = in;
    char *o = malloc(len / 3 * 4 + 5);
    if (!o)
        return ST_ENOMEM;
    size_t k = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        o[k++] = abc[v >> 18];
        o[k++] = abc[(v >> 12) & 63];
        o[k++] = abc[(v >> 6) & 63];
        o[k++] = abc[v & 63];
    }
    if (i < len) { /* one or two bytes left: 2 or 3 characters, no '=' */
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0);
        o[k++] = abc[v >> 18];
        o[k++] = abc[(v >> 12) & 63];
        if (i + 1 < len)
            o[k++] = abc[(v >> 6) & 63];
    }
    o[k] = '\0';
    *out = o;
    return 0;
}

/* base64url of a JSON object's compact text. */
static int b64_json(json_t *o, char **out)
{
    char *txt = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    int rc = txt ? gcsjwt_b64url(txt, strlen(txt), out) : ST_ENOMEM;
    free(txt);
    return rc;
}

int gcsjwt_assertion(const struct gcscred *c, time_t now, long lifetime, char **jwt)
{
    if (!c || !jwt || lifetime < 1 || lifetime > GCSJWT_LIFETIME)
        return ST_EINVAL;
    *jwt = NULL;
    json_t *h = json_pack("{s:s,s:s}", "alg", "RS256", "typ", "JWT");
    if (h && c->private_key_id && *c->private_key_id)
        json_object_set_new(h, "kid", json_string(c->private_key_id));
    json_t *cl =
        json_pack("{s:s,s:s,s:s,s:I,s:I}", "iss", c->client_email, "scope", GCSJWT_SCOPE, "aud",
                  c->token_uri, "iat", (json_int_t)now, "exp", (json_int_t)now + lifetime);
    char *hb = NULL, *cb = NULL, *sb = NULL;
    unsigned char *sig = NULL;
    size_t siglen = 0;
    struct sbuf s = {0};
    int rc = b64_json(h, &hb);
    if (!rc)
        rc = b64_json(cl, &cb);
    if (!rc) {
        sbuf_add(&s, hb);
        sbuf_add(&s, ".");
        sbuf_add(&s, cb);
        rc = s.oom ? ST_ENOMEM : gcscred_sign(c, s.p, s.len, &sig, &siglen);
    }
    if (!rc)
        rc = gcsjwt_b64url(sig, siglen, &sb);
    if (!rc) {
        sbuf_add(&s, ".");
        sbuf_add(&s, sb);
        rc = sbuf_take(&s, jwt);
    } else {
        free(s.p);
    }
    json_decref(h);
    json_decref(cl);
    free(hb);
    free(cb);
    free(sb);
    free(sig);
    return rc;
}

int gcsjwt_token_body(const struct gcscred *c, time_t now, char **body)
{
    char *jwt = NULL;
    int rc = gcsjwt_assertion(c, now, GCSJWT_LIFETIME, &jwt);
    if (rc)
        return rc;
    struct sbuf s = {0};
    /* "urn:ietf:params:oauth:grant-type:jwt-bearer", form-encoded */
    sbuf_add(&s, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=");
    sbuf_add(&s, jwt); /* base64url and '.': nothing to encode */
    free(jwt);
    return sbuf_take(&s, body);
}

static bool printable(const char *s)
{
    for (; *s; s++)
        if (*s <= 0x20 || *s >= 0x7f)
            return false;
    return true;
}

int gcsjwt_token_parse(const char *body, size_t len, char **token, long *expires_in, char *err,
                       size_t errlen)
{
    *token = NULL;
    json_t *o = json_loadb(body, len, 0, NULL);
    json_t *tok = json_object_get(o, "access_token");
    json_t *exp = json_object_get(o, "expires_in");
    json_t *e = json_object_get(o, "error");
    int rc = 0;
    if (!json_is_object(o))
        rc = st_fail(ST_EINVAL, err, errlen, "token endpoint: the reply is not a JSON object");
    else if (json_is_string(e))
        rc = st_fail(ST_EINVAL, err, errlen, "token endpoint: %.60s: %.200s", json_string_value(e),
                     json_is_string(json_object_get(o, "error_description"))
                         ? json_string_value(json_object_get(o, "error_description"))
                         : "");
    else if (!json_is_string(tok) || !*json_string_value(tok) ||
             !printable(json_string_value(tok)) || json_string_length(tok) > 4096)
        rc = st_fail(ST_EINVAL, err, errlen, "token endpoint: no usable access_token");
    else if (!json_is_integer(exp) || json_integer_value(exp) < 1 ||
             json_integer_value(exp) > 86400)
        rc = st_fail(ST_EINVAL, err, errlen, "token endpoint: no usable expires_in");
    if (!rc) {
        *token = strdup(json_string_value(tok));
        *expires_in = (long)json_integer_value(exp);
        rc = *token ? 0 : ST_ENOMEM;
    }
    json_decref(o);
    return rc;
}
