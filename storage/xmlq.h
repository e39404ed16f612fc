/* xmlq.h - the little of libxml2 the object-store XML parsers (s3xml.c,
 * azxml.c) need: a reply parsed safely, elements found by local name, their
 * text copied out.
 *
 * Parsing never touches the network (XML_PARSE_NONET: no external entity
 * or DTD is fetched), prints nothing, and refuses bodies over 64 MiB.
 * Thread-safe once xmlInitParser() ran in the main thread (s3xml_init()). */
#ifndef STAGE_XMLQ_H
#define STAGE_XMLQ_H

#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>

/* The document of `body`, or NULL (empty, too big, not XML). Free with
 * xmlFreeDoc(). */
xmlDocPtr xmlq_parse(const char *body, size_t len);

/* True if `n` is an element named `name` (local name: namespaces ignored). */
bool xmlq_is(xmlNodePtr n, const char *name);

/* The first child element of `n` named `name`, or NULL. NULL-safe. */
xmlNodePtr xmlq_child(xmlNodePtr n, const char *name);

/* The text of `n`'s child `name` into `out` (truncated; "" if absent). */
void xmlq_text(xmlNodePtr n, const char *name, char *out, size_t outlen);

/* The same, malloc'd; NULL if absent or out of memory. */
char *xmlq_text_dup(xmlNodePtr n, const char *name);

#endif
