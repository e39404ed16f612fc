/* storspec.c - storage URLs and connection options (see storspec.h). */
#include "storspec.h"

#include "err.h"
#include "secret.h"
#include "utf8.h"

#include <jansson.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One option: its name, where it lives in the struct, which schemes take it
 * and whether it is a secret. A table, so that parse, mask, seal and unseal
 * can never disagree about the set of options. */
struct opt_def {
    const char *name;
    size_t off, size; /* size 0: a boolean */
    unsigned schemes; /* bit (1 << type) */
    bool secret;
};

#define BIT(t) (1u << (t))
#define FLD(f) offsetof(struct storspec, f), sizeof(((struct storspec *)0)->f)
#define S3     BIT(STORSPEC_S3)
#define GCS    BIT(STORSPEC_GCS)
#define AZ     BIT(STORSPEC_AZBLOB)

static const struct opt_def opt_defs[] = {
    {"endpoint_url", FLD(endpoint_url), S3 | GCS | AZ, false},
    {"region", FLD(region), S3, false},
    {"enable_virtual_host_style", offsetof(struct storspec, virtual_host), 0, S3, false},
    {"access_key_id", FLD(access_key_id), S3 | GCS, false},
    {"secret_access_key", FLD(secret_access_key), S3 | GCS, true},
    {"session_token", FLD(session_token), S3, true},
    {"account_name", FLD(account_name), AZ, false},
    {"account_key", FLD(account_key), AZ, true},
    {"credential", FLD(credential), GCS, true},
};
#define NDEFS (sizeof(opt_defs) / sizeof(opt_defs[0]))

const char *storspec_type_name(enum storspec_type t)
{
    const struct registry_scheme *r = registry_get(t);
    return r ? r->name : "";
}

static bool has_ctl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* `path` ("a/b/", "" allowed) has no empty, "." or ".." segment and no
 * backslash, so it can never climb out of its bucket or directory. */
static bool path_safe(const char *path)
{
    if (strchr(path, '\\'))
        return false;
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        p += n;
        if (*p == '/')
            p++;
    }
    return true;
}

static int parse_url(const char *url, bool allow_fs, struct storspec *s, char *err, size_t errlen)
{
    char names[64];
    const char *sep = strstr(url, "://");
    if (!sep)
        return st_fail(ST_EINVAL, err, errlen, "url '%.200s' has no scheme (scheme://: one of %s)",
                       url, registry_names(names, sizeof(names), false));
    size_t sl = (size_t)(sep - url);
    const struct registry_scheme *r = registry_find_n(url, sl);
    if (!r)
        return st_fail(ST_EINVAL, err, errlen, "url scheme '%.*s' is not one of %s",
                       (int)(sl > 40 ? 40 : sl), url, registry_names(names, sizeof(names), false));
    s->type = r->type;
    if (strlen(url) >= sizeof(s->url) || has_ctl(url))
        return st_fail(ST_EINVAL, err, errlen, "url is too long or has control characters");
    /* stored, returned by DescribeStage and sealed into JSON: jansson
     * refuses invalid UTF-8, which would fail the seal as if out of memory */
    if (!utf8_valid(url, NULL))
        return st_fail(ST_EINVAL, err, errlen, "url is not valid UTF-8");
    const char *rest = sep + 3;
    if (!*rest || rest[strlen(rest) - 1] != '/')
        return st_fail(ST_EINVAL, err, errlen, "url '%.200s' must end with '/'", url);
    if (s->type == STORSPEC_FS) {
        if (!allow_fs)
            return st_fail(ST_EINVAL, err, errlen,
                           "fs:// stages are disabled on this server "
                           "(storage.allow_fs_urls)");
        if (rest[0] != '/' || !path_safe(rest + 1))
            return st_fail(ST_EINVAL, err, errlen,
                           "fs url '%.200s' must name an absolute directory "
                           "without '..' or empty segments (fs:///dir/)",
                           url);
        snprintf(s->root, sizeof(s->root), "%s", rest);
    } else {
        size_t bl = strcspn(rest, "/");
        if (bl == 0 || bl >= sizeof(s->bucket))
            return st_fail(ST_EINVAL, err, errlen, "url '%.200s' names no %s", url,
                           s->type == STORSPEC_AZBLOB ? "container" : "bucket");
        for (size_t i = 0; i < bl; i++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_",
                        rest[i]))
                return st_fail(ST_EINVAL, err, errlen, "bucket name '%.*s' has invalid characters",
                               (int)bl, rest);
        memcpy(s->bucket, rest, bl);
        s->bucket[bl] = '\0';
        const char *path = rest + bl + 1;
        if (*path && !path_safe(path))
            return st_fail(ST_EINVAL, err, errlen,
                           "url path '%.200s' has '..', '.' or empty segments", path);
        snprintf(s->root, sizeof(s->root), "%s", path);
    }
    snprintf(s->url, sizeof(s->url), "%s", url);
    return 0;
}

static int parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes")) {
        *out = true;
        return 0;
    }
    if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no")) {
        *out = false;
        return 0;
    }
    return ST_EINVAL;
}

static const struct opt_def *opt_find(const char *name)
{
    for (size_t i = 0; i < NDEFS; i++)
        if (!strcmp(opt_defs[i].name, name))
            return &opt_defs[i];
    return NULL;
}

static bool opt_is_set(const struct storspec *s, const struct opt_def *d)
{
    const char *p = (const char *)s + d->off;
    return d->size ? p[0] != '\0' : *(const bool *)p;
}

/* Set one option (no scheme check). Names the option in `err` on failure;
 * never echoes a secret value. */
static int opt_set(struct storspec *s, const struct opt_def *d, const char *v, char *err,
                   size_t errlen)
{
    char *p = (char *)s + d->off;
    if (!d->size) {
        if (parse_bool(v, (bool *)p))
            return st_fail(ST_EINVAL, err, errlen, "connection option '%s' must be true or false",
                           d->name);
        return 0;
    }
    if (strlen(v) >= d->size)
        return st_fail(ST_EINVAL, err, errlen, "connection option '%s' is too long (max %zu bytes)",
                       d->name, d->size - 1);
    if (has_ctl(v))
        return st_fail(ST_EINVAL, err, errlen, "connection option '%s' has control characters",
                       d->name);
    if (!utf8_valid(v, NULL))
        return st_fail(ST_EINVAL, err, errlen, "connection option '%s' is not valid UTF-8",
                       d->name);
    memcpy(p, v, strlen(v) + 1);
    return 0;
}

/* Cross-option rules once every option is in. */
static int check_combination(const struct storspec *s, char *err, size_t errlen)
{
    if (s->endpoint_url[0] && strncmp(s->endpoint_url, "http://", 7) != 0 &&
        strncmp(s->endpoint_url, "https://", 8) != 0)
        return st_fail(ST_EINVAL, err, errlen,
                       "connection option 'endpoint_url' must start with http:// or "
                       "https://");
    if ((s->type == STORSPEC_S3 || s->type == STORSPEC_GCS) &&
        !s->access_key_id[0] != !s->secret_access_key[0])
        return st_fail(ST_EINVAL, err, errlen,
                       "connection options 'access_key_id' and 'secret_access_key' "
                       "go together");
    if (s->type == STORSPEC_GCS && s->credential[0] && s->access_key_id[0])
        return st_fail(ST_EINVAL, err, errlen,
                       "gcs takes either 'credential' or 'access_key_id' + "
                       "'secret_access_key', not both");
    if (s->type == STORSPEC_AZBLOB && !s->account_name[0] != !s->account_key[0])
        return st_fail(ST_EINVAL, err, errlen,
                       "connection options 'account_name' and 'account_key' go "
                       "together");
    return 0;
}

int storspec_parse(const char *url, const struct storspec_opt *opts, size_t nopts, bool allow_fs,
                   struct storspec *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    int rc = parse_url(url ? url : "", allow_fs, out, err, errlen);
    for (size_t i = 0; !rc && i < nopts; i++) {
        const struct opt_def *d = opt_find(opts[i].key ? opts[i].key : "");
        if (!d || !(d->schemes & BIT(out->type)))
            rc = st_fail(ST_EINVAL, err, errlen, "unknown connection option '%.64s' for %s",
                         opts[i].key, storspec_type_name(out->type));
        else if (opt_is_set(out, d))
            rc = st_fail(ST_EINVAL, err, errlen, "connection option '%s' given twice", d->name);
        else
            rc = opt_set(out, d, opts[i].value ? opts[i].value : "", err, errlen);
    }
    if (!rc)
        rc = check_combination(out, err, errlen);
    if (!rc && out->type == STORSPEC_S3 && !out->region[0])
        snprintf(out->region, sizeof(out->region), "us-east-1");
    if (rc)
        storspec_wipe(out);
    return rc;
}

bool storspec_has_credentials(const struct storspec *s)
{
    return s->access_key_id[0] || s->secret_access_key[0] || s->session_token[0] ||
           s->account_key[0] || s->credential[0];
}

static bool has_secret(const struct storspec *s)
{
    for (size_t i = 0; i < NDEFS; i++)
        if (opt_defs[i].secret && opt_is_set(s, &opt_defs[i]))
            return true;
    return false;
}

/* The set options as a JSON object; `mask`: secrets as "******". */
static json_t *opts_json(const struct storspec *s, bool mask)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < NDEFS; i++) {
        const struct opt_def *d = &opt_defs[i];
        if (!(d->schemes & BIT(s->type)) || !opt_is_set(s, d))
            continue;
        const char *p = (const char *)s + d->off;
        json_t *v = !d->size ? json_string("true") : json_string(mask && d->secret ? "******" : p);
        if (!v || json_object_set_new(o, d->name, v)) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

char *storspec_params_json(const struct storspec *s)
{
    json_t *o = opts_json(s, true);
    char *txt = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    return txt;
}

static void aad_of(const char *url, char *aad, size_t n)
{
    snprintf(aad, n, "storage:%s", url);
}

int storspec_seal(const struct storspec *s, const struct secret_key *key, char **out)
{
    char aad[STORSPEC_URL_MAX + 16];
    *out = NULL;
    json_t *o = opts_json(s, false);
    if (!o)
        return ST_ENOMEM;
    if (json_object_size(o) == 0) {
        json_decref(o);
        *out = strdup("");
        return *out ? 0 : ST_ENOMEM;
    }
    char *txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    if (!txt)
        return ST_ENOMEM;
    int rc = 0;
    if (!has_secret(s)) {
        *out = txt; /* nothing secret: plain JSON, readable without the key */
        return 0;
    }
    if (!key || !key->set) {
        rc = ST_EINVAL;
    } else {
        aad_of(s->url, aad, sizeof(aad));
        rc = secret_seal(key, txt, strlen(txt), aad, out);
    }
    secret_wipe(txt, strlen(txt));
    free(txt);
    return rc;
}

/* Options from a JSON object text into `out`. */
static int load_opts(const char *txt, struct storspec *out, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *o = json_loads(txt, 0, &jerr);
    if (!json_is_object(o)) {
        json_decref(o);
        return st_fail(ST_EINVAL, err, errlen, "stored connection options are not a JSON object");
    }
    const char *k;
    json_t *v;
    int rc = 0;
    json_object_foreach(o, k, v)
    {
        const struct opt_def *d = opt_find(k);
        if (!d || !(d->schemes & BIT(out->type)) || !json_is_string(v)) {
            rc = st_fail(ST_EINVAL, err, errlen, "stored connection option '%.64s' is unknown", k);
            break;
        }
        if ((rc = opt_set(out, d, json_string_value(v), err, errlen)) != 0)
            break;
    }
    json_decref(o);
    return rc;
}

int storspec_unseal(const char *url, const char *sealed, const struct secret_key *key,
                    struct storspec *out, char *err, size_t errlen)
{
    char aad[STORSPEC_URL_MAX + 16];
    memset(out, 0, sizeof(*out));
    int rc = parse_url(url ? url : "", true, out, err, errlen);
    if (rc || !sealed || !*sealed)
        goto done;
    if (sealed[0] == '{') {
        rc = load_opts(sealed, out, err, errlen);
        goto done;
    }
    unsigned char *pt = NULL;
    size_t n = 0;
    aad_of(out->url, aad, sizeof(aad));
    rc = secret_open(key, sealed, aad, &pt, &n);
    if (rc == ST_EPERM)
        snprintf(err, errlen,
                 "connection options of '%.200s' do not open with this master key "
                 "(STAGE_MASTER_KEY differs from the one that stored them)",
                 out->url);
    else if (rc)
        snprintf(err, errlen, "connection options of '%.200s' are sealed but %s", out->url,
                 key && key->set ? "malformed" : "no master key is configured (STAGE_MASTER_KEY)");
    else
        rc = load_opts((const char *)pt, out, err, errlen);
    if (pt) {
        secret_wipe(pt, n);
        free(pt);
    }
done:
    if (!rc && out->type == STORSPEC_S3 && !out->region[0])
        snprintf(out->region, sizeof(out->region), "us-east-1");
    if (rc)
        storspec_wipe(out);
    return rc;
}

void storspec_wipe(struct storspec *s)
{
    if (!s)
        return;
    secret_wipe(s->secret_access_key, sizeof(s->secret_access_key));
    secret_wipe(s->session_token, sizeof(s->session_token));
    secret_wipe(s->account_key, sizeof(s->account_key));
    secret_wipe(s->credential, sizeof(s->credential));
}
