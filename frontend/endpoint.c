/* endpoint.c - the CreateStage/AlterStage endpoint check (see endpoint.h). */
#include "endpoint.h"

#include "err.h"
#include "loop.h"
#include "netguard.h"
#include "netguard_url.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct resolve {
    const char *host;
    struct addrinfo *res;
    int rc;
};

/* On a pool thread: getaddrinfo blocks for as long as DNS takes. */
static void resolve_run(void *arg)
{
    struct resolve *r = arg;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    r->rc = getaddrinfo(r->host, NULL, &hints, &r->res);
}

/* Every address of `host` (one for a literal) through the guard. */
static int check_addrs(const struct netguard *g, const char *host, int port, char *err,
                       size_t errlen)
{
    struct netguard_addr a;
    if (netguard_addr_parse(host, &a) == 0)
        return netguard_check(g, host, &a, port, err, errlen) ? ST_EINVAL : 0;
    struct resolve r = {host, NULL, 0};
    loop_offload(resolve_run, &r);
    if (r.rc != 0)
        return 0; /* the probe fails with the resolver's word for it */
    int rc = 0;
    for (struct addrinfo *ai = r.res; ai && !rc; ai = ai->ai_next)
        if (netguard_addr_from_sockaddr(ai->ai_addr, ai->ai_addrlen, &a, NULL) == 0 &&
            netguard_check(g, host, &a, port, err, errlen) != 0)
            rc = ST_EINVAL;
    freeaddrinfo(r.res);
    return rc;
}

int endpoint_check(const struct config *cfg, const char *url, char *err, size_t errlen)
{
    char host[NETGUARD_HOST_MAX + 1];
    int port = 0;
    if (!url || !*url || netguard_url_target(url, host, sizeof(host), &port) != 0)
        return 0; /* the default endpoint, or one curl cannot read: the probe fails */
    struct netguard *g = NULL;
    int rc = netguard_from_config(cfg, &g, err, errlen);
    if (!rc)
        rc = check_addrs(g, host, port, err, errlen);
    free(g);
    return rc;
}
