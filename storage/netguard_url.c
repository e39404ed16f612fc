/* netguard_url.c - a guard's view of URLs, through libcurl's URL parser
 * (see netguard_url.h). */
#include "netguard_url.h"

#include "config.h"
#include "config_storage.h"
#include "err.h"
#include "netguard.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int netguard_url_target(const char *url, char *host, size_t n, int *port)
{
    CURLU *u = curl_url();
    char *h = NULL, *pt = NULL;
    int rc = ST_EINVAL;
    if (!u)
        return ST_ENOMEM;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &pt, CURLU_DEFAULT_PORT) != CURLUE_OK)
        goto out;
    size_t len = strlen(h);
    const char *s = h;
    if (len >= 2 && s[0] == '[' && s[len - 1] == ']')
        s++, len -= 2;
    if (len && s[len - 1] == '.')
        len--;
    if (!len || len >= n)
        goto out;
    for (size_t i = 0; i < len; i++)
        host[i] = (char)tolower((unsigned char)s[i]);
    host[len] = '\0';
    *port = atoi(pt);
    rc = 0;
out:
    curl_free(h);
    curl_free(pt);
    curl_url_cleanup(u);
    return rc;
}

int netguard_trust_url(struct netguard *g, const char *url, char *err, size_t errlen)
{
    char host[NETGUARD_HOST_MAX + 1];
    int port = 0;
    if (!url || !*url)
        return 0;
    if (netguard_url_target(url, host, sizeof(host), &port)) {
        snprintf(err, errlen, "cannot read the host of '%.200s'", url);
        return ST_EINVAL;
    }
    int rc = netguard_trust(g, host, port);
    if (rc)
        snprintf(err, errlen, "cannot trust the host of '%.200s': %s", url,
                 rc == ST_ELIMIT ? "too many entries" : "not an address or a host name");
    return rc ? ST_EINVAL : 0;
}

int netguard_from_config(const struct config *cfg, struct netguard **out, char *err, size_t errlen)
{
    struct netguard *g = malloc(sizeof(*g));
    *out = NULL;
    if (!g)
        return ST_ENOMEM;
    netguard_init(g);
    int rc = netguard_allow(g, cfg->storage.endpoint_allow, err, errlen);
    /* The operator's own storage: the default backend talks to it unguarded,
     * and an external stage on the same endpoint reaches nothing new. */
    const char *own = config_storage_endpoint(cfg);
    if (!rc && own[0])
        rc = netguard_trust_url(g, own, err, errlen);
    if (rc) {
        free(g);
        return rc;
    }
    *out = g;
    return 0;
}
