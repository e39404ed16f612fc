/* descset.c - index a FileDescriptorSet by walking its wire format (see
 * descset.h). Field numbers are descriptor.proto's:
 *   FileDescriptorSet    1 file
 *   FileDescriptorProto  1 name, 2 package, 3 dependency, 4 message_type,
 *                        5 enum_type, 6 service, 7 extension
 *   DescriptorProto      1 name, 2 field, 3 nested_type, 4 enum_type,
 *                        6 extension, 8 oneof_decl
 *   EnumDescriptorProto  1 name, 2 value;  ServiceDescriptorProto 1 name,
 *   2 method; and every other *DescriptorProto has its name in field 1. */
#include "descset.h"

#include "err.h"

#include <stdlib.h>
#include <string.h>

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

struct rd {
    const uint8_t *p, *end;
};

struct dfile {
    char *name;
    char *package;
    const uint8_t *p;
    size_t len;
    struct rd *deps; /* the dependency names, resolved into dep_idx */
    int *dep_idx;
    int ndeps;
};

struct dsym {
    char *name;
    int file;
    enum descset_kind kind;
};

struct descset {
    struct dfile *files;
    int nfiles, capfiles;
    struct dsym *syms;
    int nsyms, capsyms;
    const char **services;
    int nservices;
};

/* ------------------------------------------------------------ wire reader */

static int rd_varint(struct rd *r, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            return ST_EINVAL;
        uint8_t b = *r->p++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 0;
    }
    return ST_EINVAL; /* more than 10 bytes */
}

/* The next field: its number and, for a length-delimited one, its bytes in
 * *sub. Other wire types are skipped (groups, which descriptors never use
 * here, are refused). 1 at the end, 0 for a field, ST_EINVAL. */
static int rd_field(struct rd *r, uint32_t *num, int *wt, struct rd *sub)
{
    if (r->p == r->end)
        return 1;
    uint64_t tag, v;
    if (rd_varint(r, &tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff)
        return ST_EINVAL;
    *num = (uint32_t)(tag >> 3);
    *wt = (int)(tag & 7);
    size_t left = (size_t)(r->end - r->p);
    switch (*wt) {
    case WT_VARINT:
        return rd_varint(r, &v);
    case WT_I64:
        if (left < 8)
            return ST_EINVAL;
        r->p += 8;
        return 0;
    case WT_I32:
        if (left < 4)
            return ST_EINVAL;
        r->p += 4;
        return 0;
    case WT_LEN:
        if (rd_varint(r, &v) || v > (uint64_t)(r->end - r->p))
            return ST_EINVAL;
        sub->p = r->p;
        sub->end = r->p + v;
        r->p += v;
        return 0;
    default:
        return ST_EINVAL;
    }
}

/* A name field as a C string: no NUL inside, at most DESCSET_MAX_NAME. */
static int name_ok(const struct rd *s)
{
    size_t n = (size_t)(s->end - s->p);
    return n <= DESCSET_MAX_NAME && !memchr(s->p, 0, n) ? 0 : ST_EINVAL;
}

/* A package: dot-separated non-empty parts (or empty), so no full name
 * starts with a dot, which lookups strip. */
static int package_ok(const struct rd *s)
{
    size_t n = (size_t)(s->end - s->p);
    if (name_ok(s))
        return ST_EINVAL;
    if (n && (s->p[0] == '.' || s->p[n - 1] == '.'))
        return ST_EINVAL;
    for (size_t i = 1; i < n; i++)
        if (s->p[i] == '.' && s->p[i - 1] == '.')
            return ST_EINVAL;
    return 0;
}

/* The value of field 1 (every descriptor's name), the last one if repeated,
 * as protobuf merges. ST_EINVAL if missing, empty or malformed. */
static int msg_name(struct rd r, struct rd *name)
{
    uint32_t num;
    int wt, rc, found = 0;
    struct rd sub;
    while ((rc = rd_field(&r, &num, &wt, &sub)) == 0)
        if (num == 1 && wt == WT_LEN) {
            *name = sub;
            found = 1;
        }
    if (rc < 0 || !found || name->p == name->end)
        return ST_EINVAL;
    return name_ok(name);
}

/* msg_name() of a descriptor inside a package: one identifier, no dot. */
static int simple_name(struct rd r, struct rd *name)
{
    int rc = msg_name(r, name);
    if (!rc && memchr(name->p, '.', (size_t)(name->end - name->p)))
        rc = ST_EINVAL;
    return rc;
}

/* ------------------------------------------------------------ building */

static char *join(const char *scope, const struct rd *name)
{
    size_t sl = strlen(scope), nl = (size_t)(name->end - name->p);
    if (sl + 1 + nl > DESCSET_MAX_NAME)
        return NULL;
    char *s = malloc(sl + nl + 2);
    if (!s)
        return NULL;
    memcpy(s, scope, sl);
    size_t at = sl;
    if (sl)
        s[at++] = '.';
    memcpy(s + at, name->p, nl);
    s[at + nl] = '\0';
    return s;
}

/* Add scope.name as a symbol of file `file`; *full (unless NULL) is its name. */
static int add_sym(struct descset *d, int file, const char *scope, const struct rd *name,
                   enum descset_kind kind, const char **full)
{
    if (d->nsyms == d->capsyms) {
        int cap = d->capsyms ? d->capsyms * 2 : 64;
        struct dsym *n = realloc(d->syms, (size_t)cap * sizeof(*n));
        if (!n)
            return ST_ENOMEM;
        d->syms = n;
        d->capsyms = cap;
    }
    char *s = join(scope, name);
    if (!s)
        return strlen(scope) + (size_t)(name->end - name->p) + 1 > DESCSET_MAX_NAME ? ST_EINVAL
                                                                                    : ST_ENOMEM;
    d->syms[d->nsyms++] = (struct dsym){s, file, kind};
    if (full)
        *full = s;
    return 0;
}

/* A descriptor that is only a name (field, oneof, method, enum value). */
static int add_named(struct descset *d, int file, const char *scope, struct rd r,
                     enum descset_kind kind)
{
    struct rd name;
    int rc = simple_name(r, &name);
    return rc ? rc : add_sym(d, file, scope, &name, kind, NULL);
}

static int walk_enum(struct descset *d, int file, const char *scope, struct rd r)
{
    struct rd name, sub;
    int rc = simple_name(r, &name);
    if (!rc)
        rc = add_sym(d, file, scope, &name, DESCSET_ENUM, NULL);
    uint32_t num;
    int wt;
    while (!rc && (rc = rd_field(&r, &num, &wt, &sub)) == 0)
        if (num == 2 && wt == WT_LEN) /* values are siblings of their enum */
            rc = add_named(d, file, scope, sub, DESCSET_ENUM_VALUE);
    return rc < 0 ? rc : 0;
}

static int walk_service(struct descset *d, int file, const char *scope, struct rd r)
{
    struct rd name, sub;
    const char *full;
    int rc = simple_name(r, &name);
    if (!rc)
        rc = add_sym(d, file, scope, &name, DESCSET_SERVICE, &full);
    uint32_t num;
    int wt;
    while (!rc && (rc = rd_field(&r, &num, &wt, &sub)) == 0)
        if (num == 2 && wt == WT_LEN)
            rc = add_named(d, file, full, sub, DESCSET_METHOD);
    return rc < 0 ? rc : 0;
}

static int walk_message(struct descset *d, int file, const char *scope, struct rd r, int depth)
{
    if (depth > DESCSET_MAX_DEPTH)
        return ST_EINVAL;
    struct rd name, sub;
    const char *full;
    int rc = simple_name(r, &name);
    if (!rc)
        rc = add_sym(d, file, scope, &name, DESCSET_MESSAGE, &full);
    uint32_t num;
    int wt;
    while (!rc && (rc = rd_field(&r, &num, &wt, &sub)) == 0) {
        if (wt != WT_LEN)
            continue;
        if (num == 2 || num == 6 || num == 8) /* field, extension, oneof */
            rc = add_named(d, file, full, sub, DESCSET_FIELD);
        else if (num == 3)
            rc = walk_message(d, file, full, sub, depth + 1);
        else if (num == 4)
            rc = walk_enum(d, file, full, sub);
    }
    return rc < 0 ? rc : 0;
}

static char *dup_rd(const struct rd *s)
{
    size_t n = (size_t)(s->end - s->p);
    char *c = malloc(n + 1);
    if (c) {
        memcpy(c, s->p, n);
        c[n] = '\0';
    }
    return c;
}

static int add_dep(struct dfile *f, const struct rd *name)
{
    if (name_ok(name))
        return ST_EINVAL;
    struct rd *n = realloc(f->deps, (size_t)(f->ndeps + 1) * sizeof(*n));
    if (!n)
        return ST_ENOMEM;
    f->deps = n;
    f->deps[f->ndeps++] = *name;
    return 0;
}

/* A new file entry for FileDescriptorProto `r`: its name and package. */
static int file_add(struct descset *d, struct rd r)
{
    if (d->nfiles == d->capfiles) {
        int cap = d->capfiles ? d->capfiles * 2 : 8;
        struct dfile *n = realloc(d->files, (size_t)cap * sizeof(*n));
        if (!n)
            return ST_ENOMEM;
        d->files = n;
        d->capfiles = cap;
    }
    struct dfile *f = &d->files[d->nfiles];
    memset(f, 0, sizeof(*f));
    f->p = r.p;
    f->len = (size_t)(r.end - r.p);
    struct rd name, pkg = {r.p, r.p}, sub;
    uint32_t num;
    int wt, rc = msg_name(r, &name);
    while (!rc && (rc = rd_field(&r, &num, &wt, &sub)) == 0)
        if (num == 2 && wt == WT_LEN)
            pkg = sub;
    if (rc < 0 || package_ok(&pkg))
        return ST_EINVAL;
    d->nfiles++; /* counted now, so descset_free releases what follows */
    f->name = dup_rd(&name);
    f->package = dup_rd(&pkg);
    return f->name && f->package ? 0 : ST_ENOMEM;
}

static int walk_file(struct descset *d, struct rd r)
{
    int rc = file_add(d, r);
    if (rc)
        return rc;
    int fi = d->nfiles - 1;
    const char *scope = d->files[fi].package;
    struct rd sub;
    uint32_t num;
    int wt;
    while (!rc && (rc = rd_field(&r, &num, &wt, &sub)) == 0) {
        if (wt != WT_LEN)
            continue;
        if (num == 3)
            rc = add_dep(&d->files[fi], &sub);
        else if (num == 4)
            rc = walk_message(d, fi, scope, sub, 1);
        else if (num == 5)
            rc = walk_enum(d, fi, scope, sub);
        else if (num == 6)
            rc = walk_service(d, fi, scope, sub);
        else if (num == 7)
            rc = add_named(d, fi, scope, sub, DESCSET_FIELD);
    }
    return rc < 0 ? rc : 0;
}

static int find_file_n(const struct descset *d, const uint8_t *name, size_t n)
{
    for (int i = 0; i < d->nfiles; i++)
        if (strlen(d->files[i].name) == n && memcmp(d->files[i].name, name, n) == 0)
            return i;
    return -1;
}

/* Every import must be in the set (--include_imports). */
static int resolve_deps(struct descset *d)
{
    for (int i = 0; i < d->nfiles; i++) {
        struct dfile *f = &d->files[i];
        if (!f->ndeps)
            continue;
        f->dep_idx = malloc((size_t)f->ndeps * sizeof(int));
        if (!f->dep_idx)
            return ST_ENOMEM;
        for (int j = 0; j < f->ndeps; j++) {
            int k = find_file_n(d, f->deps[j].p, (size_t)(f->deps[j].end - f->deps[j].p));
            if (k < 0)
                return ST_EINVAL;
            f->dep_idx[j] = k;
        }
    }
    return 0;
}

static int sym_cmp(const void *a, const void *b)
{
    return strcmp(((const struct dsym *)a)->name, ((const struct dsym *)b)->name);
}

static int index_services(struct descset *d)
{
    if (d->nsyms) /* syms is NULL then, and qsort's argument must not be */
        qsort(d->syms, (size_t)d->nsyms, sizeof(*d->syms), sym_cmp);
    d->services = malloc(((size_t)d->nsyms + 1) * sizeof(*d->services));
    if (!d->services)
        return ST_ENOMEM;
    for (int i = 0; i < d->nsyms; i++)
        if (d->syms[i].kind == DESCSET_SERVICE)
            d->services[d->nservices++] = d->syms[i].name;
    return 0;
}

int descset_new(const uint8_t *data, size_t len, struct descset **out)
{
    *out = NULL;
    struct descset *d = calloc(1, sizeof(*d));
    if (!d)
        return ST_ENOMEM;
    struct rd r = {data, data + len}, sub;
    uint32_t num;
    int wt, rc;
    while ((rc = rd_field(&r, &num, &wt, &sub)) == 0)
        if (num == 1 && wt == WT_LEN && (rc = walk_file(d, sub)) != 0)
            break;
    if (rc == 1)
        rc = resolve_deps(d);
    if (!rc)
        rc = index_services(d);
    if (rc) {
        descset_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

struct descset *descset_free(struct descset *d)
{
    if (!d)
        return NULL;
    for (int i = 0; i < d->nfiles; i++) {
        free(d->files[i].name);
        free(d->files[i].package);
        free(d->files[i].deps);
        free(d->files[i].dep_idx);
    }
    for (int i = 0; i < d->nsyms; i++)
        free(d->syms[i].name);
    free(d->files);
    free(d->syms);
    free(d->services);
    free(d);
    return NULL;
}

/* ------------------------------------------------------------ queries */

int descset_files(const struct descset *d)
{
    return d->nfiles;
}

int descset_find_file(const struct descset *d, const char *name)
{
    return find_file_n(d, (const uint8_t *)name, strlen(name));
}

int descset_find_symbol(const struct descset *d, const char *symbol, enum descset_kind *kind)
{
    if (*symbol == '.')
        symbol++;
    int lo = 0, hi = d->nsyms;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(d->syms[mid].name, symbol);
        if (c == 0) {
            if (kind)
                *kind = d->syms[mid].kind;
            return d->syms[mid].file;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

const char *descset_file_name(const struct descset *d, int i)
{
    return d->files[i].name;
}

const uint8_t *descset_file_bytes(const struct descset *d, int i, size_t *len)
{
    *len = d->files[i].len;
    return d->files[i].p;
}

int descset_closure(const struct descset *d, int i, int *out, int max)
{
    bool *seen = calloc((size_t)d->nfiles, sizeof(*seen));
    int *queue = malloc((size_t)d->nfiles * sizeof(*queue));
    if (!seen || !queue) {
        free(seen);
        free(queue);
        return ST_ENOMEM;
    }
    int n = 0;
    queue[n++] = i;
    seen[i] = true;
    for (int at = 0; at < n; at++) {
        const struct dfile *f = &d->files[queue[at]];
        for (int j = 0; j < f->ndeps; j++)
            if (!seen[f->dep_idx[j]]) {
                seen[f->dep_idx[j]] = true;
                queue[n++] = f->dep_idx[j];
            }
    }
    for (int k = 0; k < n && k < max; k++)
        out[k] = queue[k];
    free(seen);
    free(queue);
    return n;
}

int descset_services(const struct descset *d)
{
    return d->nservices;
}

const char *descset_service(const struct descset *d, int i)
{
    return d->services[i];
}
