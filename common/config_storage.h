/* config_storage.h - the checks of the storage section (storage.type and
 * the section of that type) and what other modules read off it, apart from
 * config.c so that the key walker and the storage rules each stay one file.
 *
 * No I/O but one: storage.gcs.credential given as a key file path is read
 * to parse it, as the worker will. Any thread. */
#ifndef STAGE_CONFIG_STORAGE_H
#define STAGE_CONFIG_STORAGE_H

#include <stdbool.h>
#include <stddef.h>

struct config;

/* storage.type is a known scheme, storage.endpoint_allow parses, and the
 * section of storage.type holds what its backend needs:
 *   azblob: a valid container name, account_name, a base64 account_key;
 *   s3: a valid bucket name, a region name if set, access_key_id and
 *       secret_access_key both or neither, session_token only with them;
 *   gcs: a valid bucket name, a credential that parses as a service-account
 *       key (its JSON, base64 of it or a key file path, gcscred.h);
 * and an http(s) endpoint_url without query when set. 0, ST_ENOMEM, or
 * ST_EINVAL with a message naming the key, never a secret's value. Called
 * by config_validate(). */
int config_storage_check(const struct config *cfg, char *err, size_t errlen);

/* The bucket naming rules of AWS S3 (general purpose buckets) and of
 * Google Cloud Storage, as config_storage_check() applies them. */
bool config_storage_s3_bucket_ok(const char *name);
bool config_storage_gcs_bucket_ok(const char *name);

/* The endpoint_url of the configured object store (storage.<type>.
 * endpoint_url), "" when it is the provider's default or storage.type is
 * fs. */
const char *config_storage_endpoint(const struct config *cfg);

#endif
