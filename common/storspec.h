/* storspec.h - where a stage's files live: a storage URL plus its connection
 * options (docs/design.md §2), parsed, validated and (de)serialised.
 *
 * URLs: "s3://bucket/path/", "gcs://bucket/path/", "azblob://container/path/",
 * "fs:///abs/dir/". The path must end with '/' ("s3://bucket/" is the bucket
 * root). Options per scheme (anything else is ST_EINVAL naming the option):
 *   s3:     endpoint_url access_key_id secret_access_key session_token region
 *           enable_virtual_host_style
 *   gcs:    endpoint_url credential | access_key_id secret_access_key
 *   azblob: endpoint_url account_name account_key
 *   fs:     none
 * Secret options (secret_access_key, session_token, credential, account_key)
 * are never logged or returned: storspec_params_json() masks them.
 *
 * The sealed form, stored in a stage record and copied into each job that
 * uses the stage (job field `storage_conn`), is a JSON object of the options
 * sealed with secret_seal() under aad "storage:" + url, so that workers
 * rebuild the same struct with storspec_unseal().
 *
 * Pure (no I/O) apart from secret_seal()'s random nonce; any thread. */
#ifndef STAGE_STORSPEC_H
#define STAGE_STORSPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "registry.h" /* enum storspec_type: the schemes */

struct secret_key;

#define STORSPEC_URL_MAX 1024

struct storspec {
    enum storspec_type type;
    char url[STORSPEC_URL_MAX];  /* as validated: "s3://bucket/path/" */
    char bucket[256];            /* s3/gcs bucket, azblob container; "" for fs */
    char root[STORSPEC_URL_MAX]; /* key prefix inside the bucket ("path/", "" at the
                                  * bucket root); fs: the absolute dir, ending in '/' */
    char endpoint_url[512];      /* "" = the provider's default */
    char region[64];             /* s3; "us-east-1" when not given */
    bool virtual_host;           /* s3 enable_virtual_host_style */
    char access_key_id[256];
    char secret_access_key[256]; /* secret */
    char session_token[2048];    /* secret */
    char account_name[256];
    char account_key[256]; /* secret */
    char credential[6144]; /* secret: gcs base64 service-account JSON */
};

/* One connection option as given by a client. */
struct storspec_opt {
    const char *key;
    const char *value;
};

/* "s3" ... ; "" for STORSPEC_NONE. */
const char *storspec_type_name(enum storspec_type t);

/* Parse and validate `url` and `opts`. `allow_fs`: accept fs:// URLs at
 * all; this is syntax only: who may create one and which directories it may
 * name (storage.allow_fs_urls, storage.fs_url_roots) are fsroots_check()'s
 * and the frontend's. 0, or ST_EINVAL with a message naming the
 * bad part ("unknown connection option 'foo' for s3", "url must end with
 * '/'", "fs:// stages are disabled (storage.allow_fs_urls)"). */
int storspec_parse(const char *url, const struct storspec_opt *opts, size_t nopts, bool allow_fs,
                   struct storspec *out, char *err, size_t errlen);

/* True if any credential option is set. */
bool storspec_has_credentials(const struct storspec *s);

/* The options as a JSON object text (malloc'd), secrets as "******";
 * for DescribeStage's storage_params. NULL on allocation failure. */
char *storspec_params_json(const struct storspec *s);

/* Serialise the options (secrets included) for storage in Redis: "" when no
 * option is set, a plain JSON object when none of them is secret (no key
 * needed), else the JSON sealed with secret_seal(). 0, ST_EINVAL (secrets
 * but no master key), ST_ENOMEM or ST_EINTERNAL. `*out` is malloc'd. */
int storspec_seal(const struct storspec *s, const struct secret_key *key, char **out);

/* Rebuild a spec from its URL and the storspec_seal() text ("" = none).
 * fs:// URLs are accepted whatever allow_fs says (they were checked when
 * stored). 0, ST_EINVAL (bad url or blob, or no key) or ST_EPERM (does not
 * open with this key), with a message in `err` that names no secret. */
int storspec_unseal(const char *url, const char *sealed, const struct secret_key *key,
                    struct storspec *out, char *err, size_t errlen);

/* Zero the secrets of a spec (before it goes out of scope). NULL-safe. */
void storspec_wipe(struct storspec *s);

#endif
