/* gcscred.h - a Google service-account key as Databend takes it (the
 * `credential` connection option), parsed into what the GCS backend signs
 * with: the client e-mail, the RSA private key and the token endpoint.
 *
 * Accepted forms of `credential`, tried in this order:
 *   - the key file's JSON as is (first non-blank byte '{');
 *   - a path to the key file, only when the caller allows it (the
 *     configured storage, storage.gcs.credential): a user's stage must not
 *     make a worker open its local files;
 *   - base64 of the JSON (standard alphabet, padding optional, line breaks
 *     and blanks ignored), Databend's documented form.
 * The JSON must be {"type": "service_account", "client_email": ...,
 * "private_key": "-----BEGIN PRIVATE KEY-----..." (RSA), "token_uri": ...}
 * ("token_uri" defaults to Google's; "private_key_id" is optional).
 *
 * Errors name the part that is wrong ("credential: private_key is not a PEM
 * private key") and never quote the secret. Pure apart from reading the key
 * file when allowed; thread-safe. */
#ifndef STAGE_GCSCRED_H
#define STAGE_GCSCRED_H

#include <stdbool.h>
#include <stddef.h>

#define GCSCRED_TOKEN_URI "https://oauth2.googleapis.com/token"
#define GCSCRED_MAX       (64 * 1024) /* largest credential text or key file */

struct evp_pkey_st;

struct gcscred {
    char *client_email;
    char *token_uri;
    char *private_key_id;    /* "" if the key file has none */
    char *project_id;        /* "" if none */
    struct evp_pkey_st *key; /* RSA private key (EVP_PKEY) */
};

/* 0, ST_EINVAL with the reason in `err`, or ST_ENOMEM. Free `*out` with
 * gcscred_free(). */
int gcscred_parse(const char *credential, bool allow_file, struct gcscred **out, char *err,
                  size_t errlen);

/* Parse the JSON text of a key file (the step after decoding). As above. */
int gcscred_parse_json(const char *json, size_t len, struct gcscred **out, char *err,
                       size_t errlen);

/* NULL-safe; returns NULL. */
struct gcscred *gcscred_free(struct gcscred *c);

/* RSASSA-PKCS1-v1_5 with SHA-256 of `data` under the key (RS256 and
 * GOOG4-RSA-SHA256). `*sig` malloc'd, `*siglen` its length. 0, ST_EINVAL,
 * ST_ENOMEM or ST_EINTERNAL. */
int gcscred_sign(const struct gcscred *c, const void *data, size_t len, unsigned char **sig,
                 size_t *siglen);

#endif
