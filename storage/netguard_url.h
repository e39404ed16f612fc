/* netguard_url.h - the SSRF guard (netguard.h) applied to URLs: where a URL
 * connects, and the guard of a process from its configuration.
 *
 * Apart from netguard.c because it parses URLs with libcurl's own parser
 * (so a rule on a name sees what curl will connect to), and the core
 * library links no curl: this is in the storage library's guard part
 * (storage/CMakeLists.txt), which the frontend links for its CreateStage
 * endpoint check without the backends. Pure; any thread. */
#ifndef STAGE_NETGUARD_URL_H
#define STAGE_NETGUARD_URL_H

#include <stddef.h>

struct config;
struct netguard;

/* Trust the host and port of `url` (http[s]://host[:port]/...): the
 * operator's own storage endpoint. An empty url adds nothing. 0 or
 * ST_EINVAL. */
int netguard_trust_url(struct netguard *g, const char *url, char *err, size_t errlen);

/* The guard of a process: storage.endpoint_allow, plus the configured
 * object store's endpoint_url (storage.s3, .gcs or .azblob, as
 * storage.type says). Heap-allocated (free()); 0, ST_EINVAL
 * with the reason in `err`, ST_ENOMEM. */
int netguard_from_config(const struct config *cfg, struct netguard **out, char *err, size_t errlen);

/* The host and port curl would connect to for `url` (curl's own URL
 * parser, so a guard rule on a name sees what curl sees): host without
 * brackets, lower case; port 80/443 by default. 0 or ST_EINVAL. */
int netguard_url_target(const char *url, char *host, size_t n, int *port);

#endif
