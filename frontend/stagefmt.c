/* stagefmt.c - stage record -> stage.v1.Stage (see stagefmt.h). */
#include "stagefmt.h"

#include "catalog.h"
#include "err.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void stagefmt_init(struct stagefmt *f)
{
    memset(f, 0, sizeof(*f));
    stage__v1__stage__init(&f->s);
}

void stagefmt_cleanup(struct stagefmt *f)
{
    for (size_t i = 0; f->strs && i < 2 * f->n; i++)
        free(f->strs[i]);
    free(f->strs);
    for (size_t i = 0; i < sizeof(f->own) / sizeof(f->own[0]); i++)
        free(f->own[i]);
    free(f->e);
    free(f->pe);
    stagefmt_init(f);
}

static int fill_params(struct stagefmt *f, const char *params)
{
    json_t *o = params[0] ? json_loads(params, 0, NULL) : NULL;
    size_t n = json_is_object(o) ? json_object_size(o) : 0;
    const char *k;
    json_t *v;
    int rc = 0;
    if (n == 0)
        goto out;
    f->e = calloc(n, sizeof(*f->e));
    f->pe = calloc(n, sizeof(*f->pe));
    f->strs = calloc(2 * n, sizeof(*f->strs));
    if (!f->e || !f->pe || !f->strs) {
        rc = ST_ENOMEM;
        goto out;
    }
    json_object_foreach(o, k, v)
    {
        char *val =
            json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_ENCODE_ANY);
        char *key = strdup(k);
        f->strs[2 * f->n] = key;
        f->strs[2 * f->n + 1] = val;
        stage__v1__stage__storage_params_entry__init(&f->e[f->n]);
        f->e[f->n].key = key;
        f->e[f->n].value = val;
        f->pe[f->n] = &f->e[f->n];
        f->n++;
        if (!key || !val) {
            rc = ST_ENOMEM;
            goto out;
        }
    }
    f->s.n_storage_params = f->n;
    f->s.storage_params = f->pe;
out:
    json_decref(o);
    return rc;
}

int stagefmt_fill(struct stagefmt *f, const struct stage_rec *rec)
{
    const char *src[] = {rec->name,     rec->type,    rec->storage_type, rec->url,
                         rec->endpoint, rec->creator, rec->comment,      rec->owner};
    char **dst[] = {&f->s.name,     &f->s.stage_type, &f->s.storage_type, &f->s.url,
                    &f->s.endpoint, &f->s.creator,    &f->s.comment,      &f->s.owner};
    for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
        f->own[i] = strdup(src[i]);
        if (!f->own[i])
            return ST_ENOMEM;
        *dst[i] = f->own[i];
    }
    f->s.has_credentials = rec->has_credentials;
    f->s.has_encryption_key = false; /* server-side encryption keys are not supported yet */
    f->s.created_on = rec->created_on;
    return fill_params(f, rec->params);
}
