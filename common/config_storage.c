/* config_storage.c - the storage section's checks (see config_storage.h).
 *
 * Only azblob's section is checked here for now: an s3 or gcs section
 * without its bucket or credential is reported by the backend's
 * constructor when a worker opens it. An Azure account key is checked as
 * base64 here because a wrong one would otherwise show only as 403s on
 * every request, and a container name because Azure refuses a bad one
 * with a 400 that does not say why. */
#include "config_storage.h"

#include "config.h"
#include "err.h"
#include "netguard.h"
#include "registry.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Workers build their connect guard from these at start (netguard.h). */
static int check_endpoint_allow(const struct config *cfg, char *err, size_t errlen)
{
    char why[200];
    struct netguard *g = malloc(sizeof(*g));
    if (!g)
        return ST_ENOMEM;
    netguard_init(g);
    int rc = netguard_allow(g, cfg->storage.endpoint_allow, why, sizeof(why));
    free(g);
    return rc ? st_fail(ST_EINVAL, err, errlen, "storage.endpoint_allow: %s", why) : 0;
}

/* Azure's container names: 3-63 of a-z, 0-9 and '-', starting and ending
 * with a letter or digit, no "--". */
static bool az_container_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || n > 63 || s[0] == '-' || s[n - 1] == '-' || strstr(s, "--"))
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* Standard base64 with its padding, as Azure shows account keys. */
static bool base64_ok(const char *s)
{
    size_t n = strlen(s), body = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                           "0123456789+/");
    size_t pad = strspn(s + body, "=");
    return n > 0 && n % 4 == 0 && body + pad == n && pad <= 2;
}

static bool http_url_ok(const char *u)
{
    bool scheme = strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0;
    const char *host = u + (u[4] == 's' ? 8 : 7);
    return scheme && *host && *host != '/' && !strpbrk(u, "?# \t\r\n");
}

static int check_azblob(const struct config *cfg, char *err, size_t errlen)
{
    const __typeof__(cfg->storage.azblob) *a = &cfg->storage.azblob;
    if (!a->container[0])
        return st_fail(ST_EINVAL, err, errlen,
                       "storage.azblob.container: must be set for storage.type azblob");
    if (!az_container_ok(a->container))
        return st_fail(ST_EINVAL, err, errlen,
                       "storage.azblob.container: '%s' is not an Azure container name (3-63 "
                       "lower-case letters, digits and single hyphens, starting and ending "
                       "with a letter or digit)",
                       a->container);
    if (!a->account_name[0])
        return st_fail(ST_EINVAL, err, errlen,
                       "storage.azblob.account_name: must be set for storage.type azblob");
    if (!a->account_key[0])
        return st_fail(ST_EINVAL, err, errlen,
                       "storage.azblob.account_key: must be set for storage.type azblob "
                       "(environment STAGE_STORAGE_AZBLOB_ACCOUNT_KEY or "
                       "STAGE_STORAGE_AZBLOB_ACCOUNT_KEY_FILE)");
    if (!base64_ok(a->account_key))
        return st_fail(ST_EINVAL, err, errlen,
                       "storage.azblob.account_key: is not base64 (the account's access key "
                       "as Azure shows it)");
    if (a->endpoint_url[0] && !http_url_ok(a->endpoint_url))
        return st_fail(ST_EINVAL, err, errlen,
                       "storage.azblob.endpoint_url: '%s' is not http[s]://host[:port][/path] "
                       "(no query); empty: https://<account_name>.blob.core.windows.net",
                       a->endpoint_url);
    return 0;
}

int config_storage_check(const struct config *cfg, char *err, size_t errlen)
{
    char names[64];
    if (!registry_find(cfg->storage.type))
        return st_fail(ST_EINVAL, err, errlen, "storage.type: '%s' is not one of %s",
                       cfg->storage.type, registry_names(names, sizeof(names), false));
    int rc = check_endpoint_allow(cfg, err, errlen);
    if (!rc && strcmp(cfg->storage.type, "azblob") == 0)
        rc = check_azblob(cfg, err, errlen);
    return rc;
}

const char *config_storage_endpoint(const struct config *cfg)
{
    const char *t = cfg->storage.type;
    if (strcmp(t, "s3") == 0)
        return cfg->storage.s3.endpoint_url;
    if (strcmp(t, "gcs") == 0)
        return cfg->storage.gcs.endpoint_url;
    if (strcmp(t, "azblob") == 0)
        return cfg->storage.azblob.endpoint_url;
    return "";
}
