/* fuzz_netguard.c - the SSRF guard's parsers (common/netguard.c): an
 * external stage's endpoint_url comes from the caller of CreateStage, and
 * the guard judges the address curl connects to.
 *
 * Properties (differential):
 * - a literal netguard_addr_parse() accepts is what inet_pton() reads, and
 *   formats back to an address that parses to the same bytes;
 * - an IPv4 address carried in an IPv6 form (::ffff:a, ::a, 64:ff9b::a,
 *   2002:a::) is never public when the IPv4 address itself is not: no
 *   internal address gets through by being spelled in IPv6;
 * - an empty guard refuses every address that is not public, and the URL
 *   target of any accepted URL is a host without brackets and a port in
 *   0..65535, refused by an empty guard if the host is an internal literal.
 * Input: the first 4 bytes are an IPv4 address; the rest, as text, a
 * literal address, and then a URL after a '\n'. */
#include "fuzz.h"

#include "err.h"
#include "netguard.h"
#include "netguard_url.h"

#include <arpa/inet.h>

static void check_embedded(const unsigned char v4[4])
{
    struct netguard_addr a = {4, {0}}, m = {6, {0}};
    memcpy(a.a, v4, 4);
    if (netguard_classify(&a) == NETGUARD_PUBLIC)
        return;
    static const unsigned char pfx[4][12] = {
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, /* ::ffff:a, mapped */
        {0},                                        /* ::a, compatible */
        {0, 0x64, 0xff, 0x9b},                      /* 64:ff9b::a, NAT64 */
    };
    for (int i = 0; i < 3; i++) {
        memcpy(m.a, pfx[i], 12);
        memcpy(m.a + 12, v4, 4);
        FUZZ_CHECK(netguard_classify(&m) != NETGUARD_PUBLIC);
    }
    memset(m.a, 0, sizeof(m.a)); /* 2002:aabb:ccdd::, 6to4 */
    m.a[0] = 0x20;
    m.a[1] = 0x02;
    memcpy(m.a + 2, v4, 4);
    FUZZ_CHECK(netguard_classify(&m) != NETGUARD_PUBLIC);
}

static void check_literal(const char *s)
{
    struct netguard_addr a, b;
    if (netguard_addr_parse(s, &a))
        return;
    FUZZ_CHECK(a.family == 4 || a.family == 6);
    unsigned char buf[16];
    char in[64];
    size_t n = strlen(s);
    if (s[0] == '[' && n > 2 && s[n - 1] == ']' && n - 2 < sizeof(in)) {
        memcpy(in, s + 1, n - 2);
        in[n - 2] = '\0';
    } else {
        FUZZ_CHECK(n < sizeof(in));
        memcpy(in, s, n + 1);
    }
    FUZZ_CHECK(inet_pton(a.family == 4 ? AF_INET : AF_INET6, in, buf) == 1);
    FUZZ_CHECK(memcmp(buf, a.a, a.family == 4 ? 4 : 16) == 0);
    char text[64];
    netguard_addr_format(&a, text, sizeof(text));
    FUZZ_CHECK(netguard_addr_parse(text, &b) == 0 && b.family == a.family &&
               memcmp(a.a, b.a, sizeof(a.a)) == 0);

    struct netguard g;
    char msg[256];
    netguard_init(&g);
    int rc = netguard_check(&g, text, &a, 443, msg, sizeof(msg));
    FUZZ_CHECK(rc == (netguard_classify(&a) == NETGUARD_PUBLIC ? 0 : ST_EPERM));
}

static void check_url(const char *url)
{
    char host[300];
    int port = -1;
    if (netguard_url_target(url, host, sizeof(host), &port))
        return;
    FUZZ_CHECK(memchr(host, '\0', sizeof(host)) && !strchr(host, '[') && !strchr(host, ']'));
    FUZZ_CHECK(port >= 0 && port <= 65535); /* curl takes ":0" (and fails to connect) */
    struct netguard_addr a;
    if (netguard_addr_parse(host, &a) == 0 && netguard_classify(&a) != NETGUARD_PUBLIC) {
        struct netguard g;
        char msg[256];
        netguard_init(&g);
        FUZZ_CHECK(netguard_check(&g, host, &a, port, msg, sizeof(msg)) == ST_EPERM);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    check_embedded(data);
    struct fuzz_split f;
    fuzz_split(&f, data + 4, size - 4, 2);
    check_literal(f.s[0]);
    check_url(f.s[1]);
    fuzz_split_free(&f);
    return 0;
}
