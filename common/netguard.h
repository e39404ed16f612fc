/* netguard.h - which addresses the service may connect to on a caller's
 * behalf (an external stage's endpoint_url), and the operator's exceptions
 * (storage.endpoint_allow).
 *
 * Without it a user with CREATE_STAGE pointed endpoint_url at 127.0.0.1, a
 * private network or the cloud metadata address 169.254.169.254 and read the
 * reply through DownloadFile (issue 14 #2). The real check runs when a
 * worker connects, on the address DNS gave (s3http.h: a name that resolves
 * elsewhere later, DNS rebinding, is caught there); CreateStage and
 * AlterStage run the same check early for a clear INVALID_ARGUMENT.
 *
 * Refused unless allowed: unspecified (0.0.0.0/8, ::), loopback (127/8,
 * ::1), private (10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10,
 * 64:ff9b:1::/48), shared (CGNAT 100.64/10), link-local (169.254/16,
 * fe80::/10), cloud metadata (169.254.169.254, fd00:ec2::254), multicast
 * (224/4, ff00::/8) and reserved ranges (192.0.0/24, the documentation and
 * benchmarking nets, 240/4, 100::/64, 2001:db8::/32). IPv6 forms that carry
 * an IPv4 address (::ffff:a.b.c.d, ::a.b.c.d, NAT64 64:ff9b::/96, 6to4
 * 2002::/16) are judged by that address.
 *
 * The allow-list is a list of entries separated by commas or blanks: an
 * address (127.0.0.1, ::1), a CIDR (10.0.0.0/8, fd00::/8) or a host name
 * (minio.internal, which also covers its subdomains such as
 * bkt.minio.internal for virtual-host addressing; a name is trusted whatever
 * it resolves to). The configured storage's own endpoint is trusted too
 * (netguard_trust_url() in netguard_url.h), for its host and port only.
 *
 * Pure: no I/O, no allocation except netguard_new(); thread-safe on a
 * struct that is no longer changed. */
#ifndef STAGE_NETGUARD_H
#define STAGE_NETGUARD_H

#include <stdbool.h>
#include <stddef.h>

struct sockaddr;

enum netguard_class {
    NETGUARD_PUBLIC = 0, /* anything below is refused unless allowed */
    NETGUARD_UNSPECIFIED,
    NETGUARD_LOOPBACK,
    NETGUARD_PRIVATE,
    NETGUARD_SHARED, /* 100.64.0.0/10, carrier-grade NAT */
    NETGUARD_LINK_LOCAL,
    NETGUARD_METADATA, /* link-local too, but worth its own name */
    NETGUARD_MULTICAST,
    NETGUARD_RESERVED,
};

/* "loopback", "private", "cloud metadata"...; "public" for NETGUARD_PUBLIC. */
const char *netguard_class_name(enum netguard_class c);

/* An IPv4 (family 4, bytes a[0..3]) or IPv6 (family 6, a[0..15]) address. */
struct netguard_addr {
    int family;
    unsigned char a[16];
};

/* A literal address ("127.0.0.1", "::1", "[::1]"): 0 or ST_EINVAL. Only
 * the dotted-quad IPv4 form; other spellings (0x7f000001) are names that the
 * resolver turns into addresses, checked as such. */
int netguard_addr_parse(const char *s, struct netguard_addr *out);

/* From a struct sockaddr_in / sockaddr_in6 (as curl or getaddrinfo give
 * it); the port goes to *port if not NULL. 0 or ST_EINVAL. */
int netguard_addr_from_sockaddr(const struct sockaddr *sa, size_t len, struct netguard_addr *out,
                                int *port);

/* Text form ("127.0.0.1", "::ffff:127.0.0.1") into buf. */
void netguard_addr_format(const struct netguard_addr *a, char *buf, size_t n);

/* The class of an address (see above). */
enum netguard_class netguard_classify(const struct netguard_addr *a);

#define NETGUARD_RULES_MAX 64
#define NETGUARD_HOST_MAX  253

struct netguard_rule {
    bool is_host;
    char host[NETGUARD_HOST_MAX + 1]; /* lower case, no trailing dot */
    struct netguard_addr net;         /* the network of a CIDR rule */
    int prefix;                       /* its length in bits */
    int port;                         /* 0: any port */
};

struct netguard {
    struct netguard_rule r[NETGUARD_RULES_MAX];
    size_t n;
};

/* Empty guard: every internal address is refused. */
void netguard_init(struct netguard *g);

/* Add the entries of an allow-list ("127.0.0.1, 10.0.0.0/8 minio.internal").
 * 0, or ST_EINVAL naming the bad entry in `err` (a CIDR whose host bits are
 * set, a prefix too long, a name with characters no host name has, more
 * than NETGUARD_RULES_MAX entries). */
int netguard_allow(struct netguard *g, const char *list, char *err, size_t errlen);

/* Trust `host` (an address or a host name, as in an allow-list) on `port`
 * (0: any): the operator's own storage endpoint (netguard_url.h reads it
 * from a URL). 0, ST_EINVAL (not an address or a host name), ST_ELIMIT
 * (more than NETGUARD_RULES_MAX rules). */
int netguard_trust(struct netguard *g, const char *host, int port);

/* May the service connect to `addr`:`port`, reached for URL host `host`?
 * 0 if the address is public or an allow rule covers it (by name, address
 * or CIDR), else ST_EPERM with a message for the caller in `msg`:
 * "endpoint 127.0.0.1 is a loopback address; allow it with
 * storage.endpoint_allow" ("endpoint localhost (::1) is ..." for a name). */
int netguard_check(const struct netguard *g, const char *host, const struct netguard_addr *addr,
                   int port, char *msg, size_t n);

#endif
