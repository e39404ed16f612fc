/* s3xml.c - S3 XML bodies and retry classification (see s3xml.h). */
#include "s3xml.h"

#include "err.h"
#include "xmlq.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void s3xml_init(void)
{
    xmlInitParser();
}

static void fill_error(xmlNodePtr root, struct s3xml_error *e)
{
    xmlq_text(root, "Code", e->code, sizeof(e->code));
    xmlq_text(root, "Message", e->message, sizeof(e->message));
}

int s3xml_parse_error(const char *body, size_t len, struct s3xml_error *e)
{
    xmlDocPtr d = xmlq_parse(body, len);
    xmlNodePtr root = d ? xmlDocGetRootElement(d) : NULL;
    int rc = xmlq_is(root, "Error") ? 0 : ST_EIO;
    if (!rc)
        fill_error(root, e);
    xmlFreeDoc(d);
    return rc;
}

int64_t s3xml_time_ms(const char *iso)
{
    struct tm tm = {0};
    int ms = 0;
    if (!iso)
        return -1;
    const char *p = strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return -1;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++)
            if (digits++ < 3)
                ms = ms * 10 + (*p - '0');
        while (digits > 0 && digits < 3)
            ms *= 10, digits++;
    }
    return (int64_t)timegm(&tm) * 1000 + ms;
}

void s3xml_list_free(struct s3xml_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->obj[i].key);
    free(l->obj);
    free(l->next_token);
    memset(l, 0, sizeof(*l));
}

int s3xml_parse_list(const char *body, size_t len, struct s3xml_list *out)
{
    memset(out, 0, sizeof(*out));
    xmlDocPtr d = xmlq_parse(body, len);
    xmlNodePtr root = d ? xmlDocGetRootElement(d) : NULL;
    int rc = xmlq_is(root, "ListBucketResult") ? 0 : ST_EIO;
    size_t cap = 0;
    for (xmlNodePtr c = root && !rc ? root->children : NULL; c && !rc; c = c->next) {
        if (!xmlq_is(c, "Contents"))
            continue;
        if (out->n == cap) {
            cap = cap ? cap * 2 : 64;
            struct s3xml_object *o = realloc(out->obj, cap * sizeof(*o));
            if (!o) {
                rc = ST_ENOMEM;
                break;
            }
            out->obj = o;
        }
        struct s3xml_object *o = &out->obj[out->n];
        memset(o, 0, sizeof(*o));
        char num[32], tm[64];
        o->key = xmlq_text_dup(c, "Key");
        if (!o->key) {
            rc = ST_EIO;
            break;
        }
        out->n++;
        xmlq_text(c, "Size", num, sizeof(num));
        o->size = strtoll(num, NULL, 10);
        xmlq_text(c, "LastModified", tm, sizeof(tm));
        o->mtime_ms = s3xml_time_ms(tm);
        if (o->mtime_ms < 0)
            o->mtime_ms = 0;
        xmlq_text(c, "ETag", o->etag, sizeof(o->etag));
    }
    if (!rc) {
        char tr[16];
        xmlq_text(root, "IsTruncated", tr, sizeof(tr));
        out->truncated = strcmp(tr, "true") == 0;
        out->next_token = xmlq_text_dup(root, "NextContinuationToken");
        if (out->truncated && !out->next_token)
            rc = ST_EIO; /* would loop forever */
    }
    if (rc)
        s3xml_list_free(out);
    xmlFreeDoc(d);
    return rc;
}

int s3xml_parse_initiate(const char *body, size_t len, char *id, size_t idlen)
{
    xmlDocPtr d = xmlq_parse(body, len);
    xmlNodePtr root = d ? xmlDocGetRootElement(d) : NULL;
    int rc = xmlq_is(root, "InitiateMultipartUploadResult") ? 0 : ST_EIO;
    if (!rc) {
        xmlq_text(root, "UploadId", id, idlen);
        if (!*id || strlen(id) + 1 >= idlen)
            rc = ST_EIO;
    }
    xmlFreeDoc(d);
    return rc;
}

/* Append `s` XML-escaped. */
static bool esc_append(char **buf, size_t *len, size_t *cap, const char *s, bool escape)
{
    for (; *s; s++) {
        const char *rep = NULL;
        if (escape) {
            switch (*s) {
            case '&':
                rep = "&amp;";
                break;
            case '<':
                rep = "&lt;";
                break;
            case '>':
                rep = "&gt;";
                break;
            case '"':
                rep = "&quot;";
                break;
            case '\'':
                rep = "&apos;";
                break;
            case '\r':
                rep = "&#13;";
                break;
            default:
                break;
            }
        }
        size_t n = rep ? strlen(rep) : 1;
        if (*len + n + 1 > *cap) {
            size_t nc = *cap ? *cap * 2 : 1024;
            while (nc < *len + n + 1)
                nc *= 2;
            char *p = realloc(*buf, nc);
            if (!p)
                return false;
            *buf = p;
            *cap = nc;
        }
        memcpy(*buf + *len, rep ? rep : s, n);
        *len += n;
        (*buf)[*len] = '\0';
    }
    return true;
}

char *s3xml_complete_body(const char *const *etags, size_t n)
{
    char *b = NULL, num[32];
    size_t len = 0, cap = 0;
    bool ok = esc_append(&b, &len, &cap, "<CompleteMultipartUpload>", false);
    for (size_t i = 0; ok && i < n; i++) {
        snprintf(num, sizeof(num), "%zu", i + 1);
        ok = esc_append(&b, &len, &cap, "<Part><PartNumber>", false) &&
             esc_append(&b, &len, &cap, num, false) &&
             esc_append(&b, &len, &cap, "</PartNumber><ETag>", false) &&
             esc_append(&b, &len, &cap, etags[i] ? etags[i] : "", true) &&
             esc_append(&b, &len, &cap, "</ETag></Part>", false);
    }
    ok = ok && esc_append(&b, &len, &cap, "</CompleteMultipartUpload>", false);
    if (!ok) {
        free(b);
        return NULL;
    }
    return b;
}

int s3xml_parse_result(const char *body, size_t len, const char *root_name, struct s3xml_error *e,
                       char *etag, size_t etaglen)
{
    xmlDocPtr d = xmlq_parse(body, len);
    xmlNodePtr root = d ? xmlDocGetRootElement(d) : NULL;
    int rc = ST_EIO;
    if (xmlq_is(root, root_name)) {
        rc = 0;
        if (etag)
            xmlq_text(root, "ETag", etag, etaglen);
    } else if (xmlq_is(root, "Error")) {
        fill_error(root, e);
        rc = ST_EPRECOND;
    }
    xmlFreeDoc(d);
    return rc;
}

int s3xml_parse_complete(const char *body, size_t len, struct s3xml_error *e)
{
    return s3xml_parse_result(body, len, "CompleteMultipartUploadResult", e, NULL, 0);
}

char *s3xml_delete_body(const char *const *keys, size_t n)
{
    char *b = NULL;
    size_t len = 0, cap = 0;
    bool ok = esc_append(&b, &len, &cap, "<Delete><Quiet>true</Quiet>", false);
    for (size_t i = 0; ok && i < n; i++)
        ok = esc_append(&b, &len, &cap, "<Object><Key>", false) &&
             esc_append(&b, &len, &cap, keys[i], true) &&
             esc_append(&b, &len, &cap, "</Key></Object>", false);
    ok = ok && esc_append(&b, &len, &cap, "</Delete>", false);
    if (!ok) {
        free(b);
        return NULL;
    }
    return b;
}

int s3xml_parse_delete(const char *body, size_t len, const char *const *keys, size_t n, int *errs,
                       char *msg, size_t msglen)
{
    xmlDocPtr d = xmlq_parse(body, len);
    xmlNodePtr root = d ? xmlDocGetRootElement(d) : NULL;
    int rc = xmlq_is(root, "DeleteResult") ? 0 : ST_EIO;
    bool first = true;
    for (xmlNodePtr c = root && !rc ? root->children : NULL; c; c = c->next) {
        if (!xmlq_is(c, "Error"))
            continue;
        char *key = xmlq_text_dup(c, "Key");
        struct s3xml_error e;
        fill_error(c, &e);
        for (size_t i = 0; key && i < n; i++) {
            if (strcmp(keys[i], key) != 0)
                continue;
            errs[i] = strcmp(e.code, "AccessDenied") == 0 ? ST_EPERM
                      : strcmp(e.code, "NoSuchKey") == 0  ? ST_ENOTFOUND
                                                          : ST_EIO;
            break;
        }
        if (first && msg && msglen) {
            snprintf(msg, msglen, "%s: %s: %s", key ? key : "?", e.code, e.message);
            first = false;
        }
        free(key);
    }
    xmlFreeDoc(d);
    return rc;
}

enum s3_retry s3_retry_class(int curl_code, long status, const char *s3code)
{
    /* CURLcode values, stable ABI: couldn't resolve/connect, partial file,
     * send/recv errors, timeouts, empty reply, HTTP/2 stream errors. */
    switch (curl_code) {
    case 0:
        break;
    case 5:  /* COULDNT_RESOLVE_PROXY */
    case 6:  /* COULDNT_RESOLVE_HOST */
    case 7:  /* COULDNT_CONNECT */
    case 16: /* HTTP2 */
    case 18: /* PARTIAL_FILE */
    case 28: /* OPERATION_TIMEDOUT */
    case 52: /* GOT_NOTHING */
    case 55: /* SEND_ERROR */
    case 56: /* RECV_ERROR */
    case 65: /* SEND_FAIL_REWIND: the connection broke while the body was sent */
    case 92: /* HTTP2_STREAM */
        return S3_TRANSIENT;
    default:
        return S3_PERMANENT;
    }
    static const char *const transient_codes[] = {
        "SlowDown",
        "InternalError",
        "RequestTimeout",
        "ServiceUnavailable",
        "RequestTimeTooSkewed",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "OperationAborted",
    };
    bool has_code = s3code && *s3code;
    if (has_code)
        for (size_t i = 0; i < sizeof(transient_codes) / sizeof(transient_codes[0]); i++)
            if (strcmp(s3code, transient_codes[i]) == 0)
                return S3_TRANSIENT;
    if (status >= 200 && status < 300)
        return has_code ? S3_PERMANENT : S3_OK;
    if (status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
        status == 504)
        return S3_TRANSIENT;
    return S3_PERMANENT;
}
