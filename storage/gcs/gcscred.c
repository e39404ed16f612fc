/* gcscred.c - service-account keys (see gcscred.h). */
#include "gcscred.h"

#include "err.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gcscred *gcscred_free(struct gcscred *c)
{
    if (!c)
        return NULL;
    free(c->client_email);
    free(c->token_uri);
    free(c->private_key_id);
    free(c->project_id);
    EVP_PKEY_free(c->key);
    free(c);
    return NULL;
}

/* The string member `name` of `o`, copied; "" (or `dflt`) when absent.
 * ST_EINVAL if present but not a string, or absent and required. */
static int member(json_t *o, const char *name, bool required, const char *dflt, char **out,
                  char *err, size_t errlen)
{
    json_t *v = json_object_get(o, name);
    if (!v && required)
        return st_fail(ST_EINVAL, err, errlen, "credential: %s is missing", name);
    if (v && !json_is_string(v))
        return st_fail(ST_EINVAL, err, errlen, "credential: %s is not a string", name);
    const char *s = v ? json_string_value(v) : dflt ? dflt : "";
    if (required && !*s)
        return st_fail(ST_EINVAL, err, errlen, "credential: %s is empty", name);
    *out = strdup(s);
    return *out ? 0 : ST_ENOMEM;
}

static int load_key(json_t *o, struct gcscred *c, char *err, size_t errlen)
{
    char *pem = NULL;
    int rc = member(o, "private_key", true, NULL, &pem, err, errlen);
    if (rc)
        return rc;
    BIO *bio = BIO_new_mem_buf(pem, -1);
    c->key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"") : NULL;
    BIO_free(bio);
    OPENSSL_cleanse(pem, strlen(pem));
    free(pem);
    if (!c->key)
        return st_fail(ST_EINVAL, err, errlen,
                       "credential: private_key is not a PEM private key without a passphrase");
    if (EVP_PKEY_get_base_id(c->key) != EVP_PKEY_RSA)
        return st_fail(ST_EINVAL, err, errlen, "credential: private_key is not an RSA key");
    return 0;
}

static int check_fields(json_t *o, struct gcscred *c, char *err, size_t errlen)
{
    json_t *t = json_object_get(o, "type");
    if (!json_is_string(t))
        return st_fail(ST_EINVAL, err, errlen, "credential: type is missing");
    if (strcmp(json_string_value(t), "service_account") != 0)
        return st_fail(ST_EINVAL, err, errlen,
                       "credential: type is '%.40s', only 'service_account' keys are supported",
                       json_string_value(t));
    int rc = member(o, "client_email", true, NULL, &c->client_email, err, errlen);
    if (!rc && (!strchr(c->client_email, '@') || strpbrk(c->client_email, "/ \t\r\n")))
        rc = st_fail(ST_EINVAL, err, errlen, "credential: client_email is not an e-mail address");
    if (!rc)
        rc = member(o, "token_uri", false, GCSCRED_TOKEN_URI, &c->token_uri, err, errlen);
    if (!rc && strncmp(c->token_uri, "https://", 8) != 0 && strncmp(c->token_uri, "http://", 7))
        rc = st_fail(ST_EINVAL, err, errlen, "credential: token_uri is not an http(s) URL");
    if (!rc)
        rc = member(o, "private_key_id", false, NULL, &c->private_key_id, err, errlen);
    if (!rc)
        rc = member(o, "project_id", false, NULL, &c->project_id, err, errlen);
    if (!rc)
        rc = load_key(o, c, err, errlen);
    return rc;
}

int gcscred_parse_json(const char *json, size_t len, struct gcscred **out, char *err, size_t errlen)
{
    *out = NULL;
    json_error_t je;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        /* line and column only: jansson's text quotes the bad token, which may be
         * part of the private key, and the message reaches logs and callers */
        return st_fail(ST_EINVAL, err, errlen, "credential: not valid JSON (line %d, column %d)",
                       je.line, je.column);
    struct gcscred *c = calloc(1, sizeof(*c));
    int rc = c ? 0 : ST_ENOMEM;
    if (!rc && !json_is_object(o))
        rc = st_fail(ST_EINVAL, err, errlen, "credential: the JSON is not an object");
    if (!rc)
        rc = check_fields(o, c, err, errlen);
    json_decref(o);
    if (rc)
        c = gcscred_free(c);
    *out = c;
    return rc;
}

/* Standard base64 (blanks and line breaks skipped, padding optional) into
 * `*out` (malloc'd, NUL-terminated). -1 if it is not base64. */
static long b64_decode(const char *in, char **out)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(in);
    unsigned char *o = malloc(n / 4 * 3 + 4);
    if (!o)
        return -1;
    unsigned acc = 0, bits = 0;
    size_t k = 0, pad = 0;
    for (const char *p = in; *p; p++) {
        if (isspace((unsigned char)*p))
            continue;
        const char *q = *p == '=' ? NULL : strchr(abc, *p);
        if (*p == '=') {
            pad++;
            continue;
        }
        if (!q || pad) { /* a byte outside the alphabet, or data after padding */
            free(o);
            return -1;
        }
        acc = (acc << 6) | (unsigned)(q - abc);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[k++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    o[k] = '\0';
    *out = (char *)o;
    return (long)k;
}

static int read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return st_fail(ST_EINVAL, err, errlen, "credential: cannot open the key file");
    char *b = malloc(GCSCRED_MAX + 1);
    size_t n = b ? fread(b, 1, GCSCRED_MAX + 1, f) : 0;
    fclose(f);
    if (!b)
        return ST_ENOMEM;
    if (n > GCSCRED_MAX) {
        free(b);
        return st_fail(ST_EINVAL, err, errlen, "credential: the key file is over 64 KiB");
    }
    b[n] = '\0';
    *out = b;
    *len = n;
    return 0;
}

int gcscred_parse(const char *credential, bool allow_file, struct gcscred **out, char *err,
                  size_t errlen)
{
    *out = NULL;
    if (!credential)
        return st_fail(ST_EINVAL, err, errlen, "credential: missing");
    while (isspace((unsigned char)*credential))
        credential++;
    size_t n = strlen(credential);
    if (!n)
        return st_fail(ST_EINVAL, err, errlen, "credential: empty");
    if (n > GCSCRED_MAX)
        return st_fail(ST_EINVAL, err, errlen, "credential: over 64 KiB");
    if (*credential == '{')
        return gcscred_parse_json(credential, n, out, err, errlen);
    char *text = NULL;
    size_t len = 0;
    int rc;
    if (allow_file && (*credential == '/' || *credential == '.')) {
        rc = read_file(credential, &text, &len, err, errlen);
    } else {
        long k = b64_decode(credential, &text);
        rc = k < 0 ? st_fail(ST_EINVAL, err, errlen,
                             "credential: neither a service-account JSON nor its base64%s",
                             allow_file ? " nor a key file path" : "")
                   : 0;
        len = k < 0 ? 0 : (size_t)k;
    }
    if (!rc && (len == 0 || text[strspn(text, " \t\r\n")] != '{'))
        rc = st_fail(ST_EINVAL, err, errlen,
                     "credential: the decoded text is not a service-account JSON object");
    if (!rc)
        rc = gcscred_parse_json(text, len, out, err, errlen);
    if (text)
        OPENSSL_cleanse(text, len);
    free(text);
    return rc;
}

int gcscred_sign(const struct gcscred *c, const void *data, size_t len, unsigned char **sig,
                 size_t *siglen)
{
    if (!c || !c->key || !sig || !siglen)
        return ST_EINVAL;
    *sig = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t n = 0;
    int rc = md ? 0 : ST_ENOMEM;
    if (!rc && (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, c->key) != 1 ||
                EVP_DigestSign(md, NULL, &n, data, len) != 1))
        rc = ST_EINTERNAL;
    if (!rc && !(*sig = malloc(n)))
        rc = ST_ENOMEM;
    if (!rc && EVP_DigestSign(md, *sig, &n, data, len) != 1)
        rc = ST_EINTERNAL;
    if (rc) {
        free(*sig);
        *sig = NULL;
    }
    *siglen = n;
    EVP_MD_CTX_free(md);
    return rc;
}
