/* config_storage.h - the checks of the storage section (storage.type and
 * the section of that type) and what other modules read off it, apart from
 * config.c so that the key walker and the storage rules each stay one file.
 *
 * Pure (no I/O); any thread. */
#ifndef STAGE_CONFIG_STORAGE_H
#define STAGE_CONFIG_STORAGE_H

#include <stddef.h>

struct config;

/* storage.type is a known scheme, storage.endpoint_allow parses, and the
 * section of storage.type holds what its backend needs (azblob: a valid
 * container name, account_name, a base64 account_key, an http(s)
 * endpoint_url). 0 or ST_EINVAL with a message naming the key, never a
 * secret's value. Called by config_validate(). */
int config_storage_check(const struct config *cfg, char *err, size_t errlen);

/* The endpoint_url of the configured object store (storage.<type>.
 * endpoint_url), "" when it is the provider's default or storage.type is
 * fs. */
const char *config_storage_endpoint(const struct config *cfg);

#endif
