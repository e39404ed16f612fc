/* azxml.c - Azure Blob XML bodies (see azxml.h). */
#include "azxml.h"

#include "err.h"
#include "xmlq.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int azxml_parse_error(const char *body, size_t len, struct azxml_error *e)
{
    xmlDocPtr d = xmlq_parse(body, len);
    xmlNodePtr root = d ? xmlDocGetRootElement(d) : NULL;
    int rc = xmlq_is(root, "Error") ? 0 : ST_EIO;
    if (!rc) {
        xmlq_text(root, "Code", e->code, sizeof(e->code));
        xmlq_text(root, "Message", e->message, sizeof(e->message));
    }
    xmlFreeDoc(d);
    return rc;
}

int64_t azxml_time_ms(const char *rfc1123)
{
    struct tm tm = {0};
    const char *p = rfc1123 ? strptime(rfc1123, "%a, %d %b %Y %H:%M:%S GMT", &tm) : NULL;
    if (!p || *p)
        return -1;
    return (int64_t)timegm(&tm) * 1000;
}

void azxml_md5_hex(const char *b64, char hex[33])
{
    unsigned char raw[24];
    hex[0] = '\0';
    if (!b64 || strlen(b64) != 24 || strcmp(b64 + 22, "==") != 0)
        return;
    if (EVP_DecodeBlock(raw, (const unsigned char *)b64, 24) != 18)
        return;
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
}

/* Only printable ASCII without blanks (hex digests, user names) is kept. */
static void meta_copy(xmlNodePtr meta, const char *name, char *out, size_t n)
{
    xmlq_text(meta, name, out, n);
    for (const char *p = out; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f) {
            out[0] = '\0';
            return;
        }
}

static int blob_fill(xmlNodePtr b, struct azxml_blob *o)
{
    char num[32], when[64], md5[64];
    xmlNodePtr props = xmlq_child(b, "Properties"), meta = xmlq_child(b, "Metadata");
    memset(o, 0, sizeof(*o));
    if (!(o->name = xmlq_text_dup(b, "Name")) || !props)
        return o->name ? ST_EIO : ST_ENOMEM;
    xmlq_text(props, "Content-Length", num, sizeof(num));
    char *end = NULL;
    long long size = strtoll(num, &end, 10);
    if (!num[0] || *end || size < 0)
        return ST_EIO;
    o->size = size;
    xmlq_text(props, "Last-Modified", when, sizeof(when));
    int64_t ms = azxml_time_ms(when);
    o->mtime_ms = ms < 0 ? 0 : ms;
    xmlq_text(props, "Etag", o->etag, sizeof(o->etag));
    xmlq_text(props, "Content-MD5", md5, sizeof(md5));
    azxml_md5_hex(md5, o->md5);
    meta_copy(meta, "md5", o->meta_md5, sizeof(o->meta_md5));
    meta_copy(meta, "sha256", o->meta_sha256, sizeof(o->meta_sha256));
    meta_copy(meta, "creator", o->meta_creator, sizeof(o->meta_creator));
    return 0;
}

void azxml_list_free(struct azxml_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->blob[i].name);
    free(l->blob);
    free(l->next_marker);
    memset(l, 0, sizeof(*l));
}

int azxml_parse_list(const char *body, size_t len, struct azxml_list *out)
{
    memset(out, 0, sizeof(*out));
    xmlDocPtr d = xmlq_parse(body, len);
    xmlNodePtr root = d ? xmlDocGetRootElement(d) : NULL;
    int rc = xmlq_is(root, "EnumerationResults") ? 0 : ST_EIO;
    xmlNodePtr blobs = rc ? NULL : xmlq_child(root, "Blobs");
    size_t cap = 0;
    for (xmlNodePtr c = blobs ? blobs->children : NULL; c && !rc; c = c->next) {
        if (!xmlq_is(c, "Blob"))
            continue; /* <BlobPrefix> only comes with a delimiter, never sent */
        if (out->n == cap) {
            cap = cap ? cap * 2 : 64;
            struct azxml_blob *b = realloc(out->blob, cap * sizeof(*b));
            if (!b) {
                rc = ST_ENOMEM;
                break;
            }
            out->blob = b;
        }
        rc = blob_fill(c, &out->blob[out->n]);
        out->n++; /* counted even on failure: its name is freed with the list */
    }
    if (!rc) {
        out->next_marker = xmlq_text_dup(root, "NextMarker");
        if (out->next_marker && !out->next_marker[0]) {
            free(out->next_marker);
            out->next_marker = NULL;
        }
    }
    xmlFreeDoc(d);
    if (rc)
        azxml_list_free(out);
    return rc;
}

static bool b64_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n % 4 || n > 100)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '/' ||
              (s[i] == '=' && i >= n - 2)))
            return false;
    return true;
}

char *azxml_block_list_body(const char *const *ids, size_t n)
{
    static const char head[] = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
    static const char tail[] = "</BlockList>";
    size_t len = sizeof(head) + sizeof(tail);
    for (size_t i = 0; i < n; i++) {
        if (!ids[i] || !b64_ok(ids[i]))
            return NULL; /* base64 needs no XML escaping */
        len += strlen(ids[i]) + sizeof("<Latest></Latest>");
    }
    char *body = malloc(len), *p = body;
    if (!body)
        return NULL;
    p += sprintf(p, "%s", head);
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "<Latest>%s</Latest>", ids[i]);
    sprintf(p, "%s", tail);
    return body;
}
