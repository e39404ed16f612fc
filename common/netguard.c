/* netguard.c - address classes, allow-list rules and the connect verdict
 * (see netguard.h). */
#include "netguard.h"

#include "err.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* ------------------------------------------------------------ classes */

static const struct {
    const char *name, *article;
} class_names[] = {
    [NETGUARD_PUBLIC] = {"public", "a"},           [NETGUARD_UNSPECIFIED] = {"unspecified", "an"},
    [NETGUARD_LOOPBACK] = {"loopback", "a"},       [NETGUARD_PRIVATE] = {"private", "a"},
    [NETGUARD_SHARED] = {"shared (CGNAT)", "a"},   [NETGUARD_LINK_LOCAL] = {"link-local", "a"},
    [NETGUARD_METADATA] = {"cloud metadata", "a"}, [NETGUARD_MULTICAST] = {"multicast", "a"},
    [NETGUARD_RESERVED] = {"reserved", "a"},
};

const char *netguard_class_name(enum netguard_class c)
{
    return (unsigned)c < sizeof(class_names) / sizeof(class_names[0]) ? class_names[c].name
                                                                      : "unknown";
}

struct net {
    const char *cidr;
    enum netguard_class cls;
};

/* First match wins: the metadata addresses sit inside link-local and
 * private ranges, and ::/::1 inside the IPv4-compatible ::/96. */
static const struct net nets4[] = {
    {"169.254.169.254/32", NETGUARD_METADATA}, /* AWS, GCP, Azure, OpenStack... */
    {"0.0.0.0/8", NETGUARD_UNSPECIFIED},       /* "this network": 0.0.0.0 is the local host */
    {"10.0.0.0/8", NETGUARD_PRIVATE},
    {"100.64.0.0/10", NETGUARD_SHARED},
    {"127.0.0.0/8", NETGUARD_LOOPBACK},
    {"169.254.0.0/16", NETGUARD_LINK_LOCAL},
    {"172.16.0.0/12", NETGUARD_PRIVATE},
    {"192.0.0.0/24", NETGUARD_RESERVED}, /* IETF assignments (192.0.0.192: Oracle metadata) */
    {"192.0.2.0/24", NETGUARD_RESERVED},
    {"192.88.99.0/24", NETGUARD_RESERVED},
    {"192.168.0.0/16", NETGUARD_PRIVATE},
    {"198.18.0.0/15", NETGUARD_RESERVED},
    {"198.51.100.0/24", NETGUARD_RESERVED},
    {"203.0.113.0/24", NETGUARD_RESERVED},
    {"224.0.0.0/4", NETGUARD_MULTICAST},
    {"240.0.0.0/4", NETGUARD_RESERVED}, /* and the broadcast 255.255.255.255 */
};

static const struct net nets6[] = {
    {"::/128", NETGUARD_UNSPECIFIED},
    {"::1/128", NETGUARD_LOOPBACK},
    {"fd00:ec2::254/128", NETGUARD_METADATA}, /* AWS IMDS over IPv6 */
    {"64:ff9b:1::/48", NETGUARD_PRIVATE},     /* local-use NAT64 */
    {"100::/64", NETGUARD_RESERVED},          /* discard-only */
    {"2001:db8::/32", NETGUARD_RESERVED},     /* documentation */
    {"fc00::/7", NETGUARD_PRIVATE},           /* unique local */
    {"fe80::/10", NETGUARD_LINK_LOCAL},
    {"fec0::/10", NETGUARD_PRIVATE}, /* site-local, deprecated but still routed by some */
    {"ff00::/8", NETGUARD_MULTICAST},
};

/* IPv6 prefixes whose addresses carry an IPv4 address at byte `off`: the
 * packet ends up at (or is translated to) that IPv4 host, so it is judged
 * as such. */
static const struct {
    unsigned char pfx[12];
    int bits, off;
} embeds[] = {
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96, 12}, /* IPv4-mapped ::ffff:a.b.c.d */
    {{0}, 96, 12},                                        /* IPv4-compatible ::a.b.c.d */
    {{0, 0x64, 0xff, 0x9b}, 96, 12},                      /* NAT64 64:ff9b::a.b.c.d */
    {{0x20, 0x02}, 16, 2},                                /* 6to4 2002:AABB:CCDD:: */
};

static bool prefix_match(const unsigned char *a, const unsigned char *net, int bits)
{
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a, net, (size_t)whole) != 0)
        return false;
    if (!rest)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[whole] & mask) == (net[whole] & mask);
}

static int cidr_parse(const char *s, struct netguard_addr *net, int *prefix);

static enum netguard_class table_class(const struct net *t, size_t n, const struct netguard_addr *a)
{
    for (size_t i = 0; i < n; i++) {
        struct netguard_addr net;
        int bits;
        if (cidr_parse(t[i].cidr, &net, &bits) == 0 && prefix_match(a->a, net.a, bits))
            return t[i].cls;
    }
    return NETGUARD_PUBLIC;
}

/* The IPv4 address an IPv6 one carries (embeds[]); false if none. */
static bool embedded_v4(const struct netguard_addr *a, struct netguard_addr *v4)
{
    if (a->family != 6)
        return false;
    for (size_t i = 0; i < sizeof(embeds) / sizeof(embeds[0]); i++) {
        if (prefix_match(a->a, embeds[i].pfx, embeds[i].bits)) {
            memset(v4, 0, sizeof(*v4));
            v4->family = 4;
            memcpy(v4->a, a->a + embeds[i].off, 4);
            return true;
        }
    }
    return false;
}

enum netguard_class netguard_classify(const struct netguard_addr *a)
{
    if (a->family == 4)
        return table_class(nets4, sizeof(nets4) / sizeof(nets4[0]), a);
    if (a->family != 6)
        return NETGUARD_RESERVED;
    /* ::, ::1 and fd00:ec2::254 before the IPv4-compatible ::/96 */
    enum netguard_class c = table_class(nets6, 3, a);
    if (c != NETGUARD_PUBLIC)
        return c;
    struct netguard_addr v4;
    if (embedded_v4(a, &v4))
        return netguard_classify(&v4);
    return table_class(nets6 + 3, sizeof(nets6) / sizeof(nets6[0]) - 3, a);
}

/* ------------------------------------------------------------ addresses */

int netguard_addr_parse(const char *s, struct netguard_addr *out)
{
    char buf[INET6_ADDRSTRLEN + 2];
    size_t len = strlen(s);
    memset(out, 0, sizeof(*out));
    if (len >= 2 && s[0] == '[' && s[len - 1] == ']' && len - 2 < sizeof(buf)) {
        memcpy(buf, s + 1, len - 2);
        buf[len - 2] = '\0';
        s = buf;
        if (inet_pton(AF_INET6, s, out->a) == 1)
            return out->family = 6, 0;
        return ST_EINVAL;
    }
    if (inet_pton(AF_INET, s, out->a) == 1) /* dotted quad only, unlike inet_aton */
        return out->family = 4, 0;
    if (inet_pton(AF_INET6, s, out->a) == 1)
        return out->family = 6, 0;
    return ST_EINVAL;
}

int netguard_addr_from_sockaddr(const struct sockaddr *sa, size_t len, struct netguard_addr *out,
                                int *port)
{
    memset(out, 0, sizeof(*out));
    if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        out->family = 4;
        memcpy(out->a, &in->sin_addr, 4);
        if (port)
            *port = ntohs(in->sin_port);
        return 0;
    }
    if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        out->family = 6;
        memcpy(out->a, &in6->sin6_addr, 16);
        if (port)
            *port = ntohs(in6->sin6_port);
        return 0;
    }
    return ST_EINVAL;
}

void netguard_addr_format(const struct netguard_addr *a, char *buf, size_t n)
{
    char t[INET6_ADDRSTRLEN];
    if (!inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->a, t, sizeof(t)))
        snprintf(t, sizeof(t), "?");
    snprintf(buf, n, "%s", t);
}

/* ------------------------------------------------------------ rules */

void netguard_init(struct netguard *g)
{
    memset(g, 0, sizeof(*g));
}

/* "10.0.0.0/8", "fd00::/8": the network and its prefix length. The host
 * bits must be zero: "10.0.0.1/8" is more likely a typo than a wish. */
static int cidr_parse(const char *s, struct netguard_addr *net, int *prefix)
{
    char a[INET6_ADDRSTRLEN + 2];
    const char *slash = strchr(s, '/');
    if (!slash || (size_t)(slash - s) >= sizeof(a) || !slash[1] || strlen(slash + 1) > 3)
        return ST_EINVAL;
    memcpy(a, s, (size_t)(slash - s));
    a[slash - s] = '\0';
    if (netguard_addr_parse(a, net))
        return ST_EINVAL;
    int bits = 0;
    for (const char *p = slash + 1; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return ST_EINVAL;
        bits = bits * 10 + (*p - '0');
    }
    if (bits > (net->family == 4 ? 32 : 128))
        return ST_EINVAL;
    for (int i = bits; i < (net->family == 4 ? 32 : 128); i++)
        if (net->a[i / 8] & (0x80 >> (i % 8)))
            return ST_EINVAL;
    *prefix = bits;
    return 0;
}

/* A host name as the allow-list takes it: letters, digits, '-', '_', '.';
 * no empty label. */
static bool host_ok(const char *h, size_t len)
{
    if (!len || len > NETGUARD_HOST_MAX || h[0] == '.' || h[0] == '-')
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)h[i];
        if (!isalnum(c) && c != '-' && c != '_' && c != '.')
            return false;
        if (c == '.' && i + 1 < len && h[i + 1] == '.')
            return false;
    }
    return true;
}

static void lower_copy(char *dst, const char *src, size_t len)
{
    for (size_t i = 0; i < len; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[len] = '\0';
}

/* One rule from `s` (an address, a CIDR or a host name) with `port`. */
static int rule_add(struct netguard *g, const char *s, int port)
{
    if (g->n == NETGUARD_RULES_MAX)
        return ST_ELIMIT;
    struct netguard_rule *r = &g->r[g->n];
    memset(r, 0, sizeof(*r));
    r->port = port;
    if (strchr(s, '/')) {
        if (cidr_parse(s, &r->net, &r->prefix))
            return ST_EINVAL;
    } else if (netguard_addr_parse(s, &r->net) == 0) {
        r->prefix = r->net.family == 4 ? 32 : 128;
    } else {
        size_t len = strlen(s);
        if (len && s[len - 1] == '.') /* "host." is "host" */
            len--;
        if (!host_ok(s, len))
            return ST_EINVAL;
        r->is_host = true;
        lower_copy(r->host, s, len);
    }
    g->n++;
    return 0;
}

int netguard_allow(struct netguard *g, const char *list, char *err, size_t errlen)
{
    const char *p = list ? list : "";
    for (;;) {
        p += strspn(p, ", \t\r\n");
        if (!*p)
            return 0;
        size_t len = strcspn(p, ", \t\r\n");
        char e[NETGUARD_HOST_MAX + 2];
        if (len >= sizeof(e)) {
            snprintf(err, errlen, "'%.40s...' is too long", p);
            return ST_EINVAL;
        }
        memcpy(e, p, len);
        e[len] = '\0';
        int rc = rule_add(g, e, 0);
        if (rc == ST_ELIMIT) {
            snprintf(err, errlen, "more than %d entries", NETGUARD_RULES_MAX);
            return ST_EINVAL;
        }
        if (rc) {
            snprintf(err, errlen,
                     "'%s' is not an address, a CIDR (10.0.0.0/8, with no bit set past the "
                     "prefix) or a host name",
                     e);
            return ST_EINVAL;
        }
        p += len;
    }
}

int netguard_trust(struct netguard *g, const char *host, int port)
{
    return rule_add(g, host, port);
}

/* ------------------------------------------------------------ verdict */

static bool host_covered(const char *rule, const char *host)
{
    size_t rl = strlen(rule), hl = strlen(host);
    if (hl == rl)
        return strcasecmp(rule, host) == 0;
    return hl > rl && host[hl - rl - 1] == '.' && strcasecmp(host + hl - rl, rule) == 0;
}

static bool rule_covers(const struct netguard_rule *r, const char *host,
                        const struct netguard_addr *a, int port)
{
    if (r->port && r->port != port)
        return false;
    if (r->is_host)
        return host && host_covered(r->host, host);
    if (r->net.family == a->family && prefix_match(a->a, r->net.a, r->prefix))
        return true;
    /* ::ffff:127.0.0.1 is 127.0.0.1: the kernel connects to the IPv4 host */
    struct netguard_addr v4;
    return a->family == 6 && r->net.family == 4 && prefix_match(a->a, embeds[0].pfx, 96) &&
           embedded_v4(a, &v4) && prefix_match(v4.a, r->net.a, r->prefix);
}

int netguard_check(const struct netguard *g, const char *host, const struct netguard_addr *addr,
                   int port, char *msg, size_t n)
{
    enum netguard_class c = netguard_classify(addr);
    if (c == NETGUARD_PUBLIC)
        return 0;
    for (size_t i = 0; g && i < g->n; i++)
        if (rule_covers(&g->r[i], host, addr, port))
            return 0;
    char at[INET6_ADDRSTRLEN];
    netguard_addr_format(addr, at, sizeof(at));
    struct netguard_addr lit;
    bool literal = !host || !*host ||
                   (netguard_addr_parse(host, &lit) == 0 && lit.family == addr->family &&
                    memcmp(lit.a, addr->a, 16) == 0);
    snprintf(msg, n, "endpoint %.200s%s%s%s is %s %s address; allow it with storage.endpoint_allow",
             literal ? at : host, literal ? "" : " (", literal ? "" : at, literal ? "" : ")",
             class_names[c].article, class_names[c].name);
    return ST_EPERM;
}
