/* config_storage.c - the storage section's checks (see config_storage.h).
 *
 * The section of storage.type is checked when the configuration is
 * validated, not when a worker opens the backend: otherwise a frontend
 * starts with `storage.type: s3` and no bucket and every upload fails
 * later, far from the cause. An Azure account key is checked as base64
 * and a GCS credential is parsed (gcscred.c, which needs only OpenSSL and
 * jansson, so the core library links it without curl) because a wrong one
 * would otherwise show only as 403s on every request; bucket and container
 * names because the stores refuse a bad one with a 400 that does not say
 * why. */
#include "config_storage.h"

#include "config.h"
#include "err.h"
#include "gcscred.h"
#include "netguard.h"
#include "registry.h"

#include <stdbool.h>
#include <stdio.h>
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

#define LOWER_DIGITS "abcdefghijklmnopqrstuvwxyz0123456789"

/* The shape the three stores share: min..max bytes of `chars`, starting
 * and ending with a lower-case letter or a digit. */
static bool name_ok(const char *s, size_t min, size_t max, const char *chars)
{
    size_t n = strlen(s);
    if (n < min || n > max || !strchr(LOWER_DIGITS, s[0]) || !strchr(LOWER_DIGITS, s[n - 1]))
        return false;
    return strspn(s, chars) == n;
}

/* Azure's container names: 3-63 of a-z, 0-9 and '-', starting and ending
 * with a letter or digit, no "--". */
static bool az_container_ok(const char *s)
{
    return name_ok(s, 3, 63, LOWER_DIGITS "-") && !strstr(s, "--");
}

/* "192.168.5.4": both S3 and GCS refuse a bucket named like an address. */
static bool dotted_quad(const char *s)
{
    unsigned a, b, c, d;
    char end;
    return strspn(s, "0123456789.") == strlen(s) &&
           sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &end) == 4;
}

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static bool has_suffix(const char *s, const char *x)
{
    size_t n = strlen(s), k = strlen(x);
    return n >= k && strcmp(s + n - k, x) == 0;
}

/* AWS's general purpose bucket names: 3-63 of a-z, 0-9, '.' and '-',
 * starting and ending with a letter or digit, no "..", not an IPv4
 * address, none of the prefixes and suffixes AWS reserves. */
bool config_storage_s3_bucket_ok(const char *s)
{
    static const char *const pre[] = {"xn--", "sthree-", "amzn-s3-demo-"};
    static const char *const suf[] = {"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"};
    if (!name_ok(s, 3, 63, LOWER_DIGITS ".-") || strstr(s, "..") || dotted_quad(s))
        return false;
    for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
        if (has_prefix(s, pre[i]))
            return false;
    for (size_t i = 0; i < sizeof(suf) / sizeof(suf[0]); i++)
        if (has_suffix(s, suf[i]))
            return false;
    return true;
}

/* Google's bucket names: a-z, 0-9, '-', '_' and '.', starting and ending
 * with a letter or digit; 3-63 bytes, or up to 222 with dots when each
 * dot-separated part is at most 63; not an IPv4 address; not starting with
 * "goog" nor containing "google" or its look-alike "g00gle". */
bool config_storage_gcs_bucket_ok(const char *s)
{
    bool dots = strchr(s, '.') != NULL;
    if (!name_ok(s, 3, dots ? 222 : 63, LOWER_DIGITS "-_.") || dotted_quad(s))
        return false;
    for (const char *p = s;; p++) {
        size_t k = strcspn(p, ".");
        if (k == 0 || k > 63)
            return false;
        p += k;
        if (!*p)
            break;
    }
    return !has_prefix(s, "goog") && !strstr(s, "google") && !strstr(s, "g00gle");
}

/* Standard base64 with its padding, as Azure shows account keys. */
static bool base64_ok(const char *s)
{
    size_t n = strlen(s), body = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                           "0123456789+/");
    size_t pad = strspn(s + body, "=");
    return n > 0 && n % 4 == 0 && body + pad == n && pad <= 2;
}

/* http[s]://host[:port][/path], no query, fragment or blanks. */
static bool http_url_ok(const char *u)
{
    bool scheme = strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0;
    const char *host = u + (u[4] == 's' ? 8 : 7);
    return scheme && *host && *host != '/' && !strpbrk(u, "?# \t\r\n");
}

/* A required name `key` of storage.type `type`: set, and `ok` by the
 * store's rules (`what` says them). Names are not secrets: shown. */
static int check_name(const char *key, const char *type, const char *v, bool ok, const char *what,
                      char *err, size_t errlen)
{
    if (!v[0])
        return st_fail(ST_EINVAL, err, errlen, "%s: must be set for storage.type %s", key, type);
    if (!ok)
        return st_fail(ST_EINVAL, err, errlen, "%s: '%s' is not %s", key, v, what);
    return 0;
}

/* An optional endpoint_url; `dflt` says what "" means. */
static int check_endpoint(const char *key, const char *url, const char *dflt, char *err,
                          size_t errlen)
{
    if (url[0] && !http_url_ok(url))
        return st_fail(ST_EINVAL, err, errlen,
                       "%s: '%s' is not http[s]://host[:port][/path] (no query); empty: %s", key,
                       url, dflt);
    return 0;
}

static int check_azblob(const struct config *cfg, char *err, size_t errlen)
{
    const __typeof__(cfg->storage.azblob) *a = &cfg->storage.azblob;
    int rc = check_name("storage.azblob.container", "azblob", a->container,
                        az_container_ok(a->container),
                        "an Azure container name (3-63 lower-case letters, digits and single "
                        "hyphens, starting and ending with a letter or digit)",
                        err, errlen);
    if (!rc && !a->account_name[0])
        rc = st_fail(ST_EINVAL, err, errlen,
                     "storage.azblob.account_name: must be set for storage.type azblob");
    if (!rc && !a->account_key[0])
        rc = st_fail(ST_EINVAL, err, errlen,
                     "storage.azblob.account_key: must be set for storage.type azblob "
                     "(environment STAGE_STORAGE_AZBLOB_ACCOUNT_KEY or "
                     "STAGE_STORAGE_AZBLOB_ACCOUNT_KEY_FILE)");
    if (!rc && !base64_ok(a->account_key))
        rc = st_fail(ST_EINVAL, err, errlen,
                     "storage.azblob.account_key: is not base64 (the account's access key "
                     "as Azure shows it)");
    if (!rc)
        rc = check_endpoint("storage.azblob.endpoint_url", a->endpoint_url,
                            "https://<account_name>.blob.core.windows.net", err, errlen);
    return rc;
}

/* The worker signs every request with this pair (sigv4.c): with half of it
 * or none, every request would fail with 403 long after the start. Instance
 * or role credentials are not supported, so both are required. */
static int check_s3_keys(const __typeof__(((struct config *)0)->storage.s3) *s, char *err,
                         size_t errlen)
{
    bool akid = s->access_key_id[0], secret = s->secret_access_key[0];
    if (!akid && !secret)
        return st_fail(ST_EINVAL, err, errlen,
                       "storage.s3.access_key_id and storage.s3.secret_access_key: must be set "
                       "for storage.type s3 (the secret from the environment, "
                       "STAGE_STORAGE_S3_SECRET_ACCESS_KEY or its _FILE); instance or role "
                       "credentials are not supported");
    if (akid && !secret)
        return st_fail(ST_EINVAL, err, errlen,
                       "storage.s3.secret_access_key: must be set with storage.s3.access_key_id "
                       "(environment STAGE_STORAGE_S3_SECRET_ACCESS_KEY)");
    if (secret && !akid)
        return st_fail(ST_EINVAL, err, errlen,
                       "storage.s3.access_key_id: must be set with "
                       "storage.s3.secret_access_key");
    return 0;
}

static int check_s3(const struct config *cfg, char *err, size_t errlen)
{
    const __typeof__(cfg->storage.s3) *s = &cfg->storage.s3;
    int rc =
        check_name("storage.s3.bucket", "s3", s->bucket, config_storage_s3_bucket_ok(s->bucket),
                   "an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens, "
                   "starting and ending with a letter or digit, no '..', not an IP "
                   "address, no prefix or suffix AWS reserves)",
                   err, errlen);
    /* It names the signing scope and, with AWS, the host: a DNS label; ""
     * is the backend's default (us-east-1). */
    if (!rc && s->region[0] && !name_ok(s->region, 1, 63, LOWER_DIGITS "-"))
        rc = st_fail(ST_EINVAL, err, errlen,
                     "storage.s3.region: '%s' is not a region name (lower-case letters, "
                     "digits and hyphens, e.g. us-east-1)",
                     s->region);
    if (!rc)
        rc = check_endpoint("storage.s3.endpoint_url", s->endpoint_url, "AWS for storage.s3.region",
                            err, errlen);
    return rc ? rc : check_s3_keys(s, err, errlen);
}

/* The credential parsed as the worker will (a key file path allowed: it is
 * the operator's storage); the reason without jansson's excerpt of the
 * text, which may be part of the key. */
static int check_gcs_credential(const char *cred, char *err, size_t errlen)
{
    char why[256] = "";
    struct gcscred *c = NULL;
    int rc = gcscred_parse(cred, true, &c, why, sizeof(why));
    gcscred_free(c);
    if (rc != ST_EINVAL)
        return rc;
    why[strcspn(why, "(")] = '\0';
    size_t n = strlen(why);
    while (n && why[n - 1] == ' ')
        why[--n] = '\0';
    const char *reason = has_prefix(why, "credential: ") ? why + 12 : why;
    return st_fail(ST_EINVAL, err, errlen, "storage.gcs.credential: %s", reason);
}

static int check_gcs(const struct config *cfg, char *err, size_t errlen)
{
    const __typeof__(cfg->storage.gcs) *g = &cfg->storage.gcs;
    int rc =
        check_name("storage.gcs.bucket", "gcs", g->bucket, config_storage_gcs_bucket_ok(g->bucket),
                   "a GCS bucket name (3-63 lower-case letters, digits, hyphens, "
                   "underscores and dots, starting and ending with a letter or digit, not "
                   "an IP address, no 'goog' prefix, no 'google')",
                   err, errlen);
    if (!rc)
        rc = check_endpoint("storage.gcs.endpoint_url", g->endpoint_url,
                            "https://storage.googleapis.com", err, errlen);
    if (!rc && !g->credential[strspn(g->credential, " \t\r\n")])
        rc = st_fail(ST_EINVAL, err, errlen,
                     "storage.gcs.credential: must be set for storage.type gcs (environment "
                     "STAGE_STORAGE_GCS_CREDENTIAL or STAGE_STORAGE_GCS_CREDENTIAL_FILE)");
    return rc ? rc : check_gcs_credential(g->credential, err, errlen);
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
    if (!rc && strcmp(cfg->storage.type, "s3") == 0)
        rc = check_s3(cfg, err, errlen);
    if (!rc && strcmp(cfg->storage.type, "gcs") == 0)
        rc = check_gcs(cfg, err, errlen);
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
