/* xmlq.c - libxml2 helpers of the XML parsers (see xmlq.h). */
#include "xmlq.h"

#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

xmlDocPtr xmlq_parse(const char *body, size_t len)
{
    if (!body || !len || len > 64 * 1024 * 1024)
        return NULL;
    return xmlReadMemory(body, (int)len, NULL, NULL,
                         XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
                             XML_PARSE_NOWARNING);
}

bool xmlq_is(xmlNodePtr n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

xmlNodePtr xmlq_child(xmlNodePtr n, const char *name)
{
    for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
        if (xmlq_is(c, name))
            return c;
    return NULL;
}

/* The text of `n`'s child `name` copied into `out` ("" if absent). */
void xmlq_text(xmlNodePtr n, const char *name, char *out, size_t outlen)
{
    xmlNodePtr c = xmlq_child(n, name);
    xmlChar *t = c ? xmlNodeGetContent(c) : NULL;
    snprintf(out, outlen, "%s", t ? (const char *)t : "");
    xmlFree(t);
}

char *xmlq_text_dup(xmlNodePtr n, const char *name)
{
    xmlNodePtr c = xmlq_child(n, name);
    xmlChar *t = c ? xmlNodeGetContent(c) : NULL;
    char *s = t ? strdup((const char *)t) : NULL;
    xmlFree(t);
    return s;
}
