/* Unit tests for common/netguard.c: which addresses an external stage's
 * endpoint may reach, the allow-list and the verdict (issue 14 #2, SSRF
 * through endpoint_url). Offline: literal addresses and sockaddrs only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "err.h"
#include "netguard.h"
#include "netguard_url.h"

static enum netguard_class cls(const char *s)
{
    struct netguard_addr a;
    if (netguard_addr_parse(s, &a) != 0)
        fail_msg("'%s' does not parse", s);
    return netguard_classify(&a);
}

static void test_classify(void **st)
{
    (void)st;
    static const struct {
        const char *addr;
        enum netguard_class c;
    } cases[] = {
        {"0.0.0.0", NETGUARD_UNSPECIFIED},
        {"0.1.2.3", NETGUARD_UNSPECIFIED},
        {"127.0.0.1", NETGUARD_LOOPBACK},
        {"127.255.255.254", NETGUARD_LOOPBACK},
        {"10.0.0.1", NETGUARD_PRIVATE},
        {"10.255.255.255", NETGUARD_PRIVATE},
        {"172.16.0.1", NETGUARD_PRIVATE},
        {"172.31.255.255", NETGUARD_PRIVATE},
        {"192.168.1.1", NETGUARD_PRIVATE},
        {"100.64.0.1", NETGUARD_SHARED},
        {"100.127.255.255", NETGUARD_SHARED},
        {"169.254.169.254", NETGUARD_METADATA},
        {"169.254.0.1", NETGUARD_LINK_LOCAL},
        {"169.254.170.2", NETGUARD_LINK_LOCAL}, /* ECS task metadata */
        {"224.0.0.1", NETGUARD_MULTICAST},
        {"239.255.255.250", NETGUARD_MULTICAST},
        {"255.255.255.255", NETGUARD_RESERVED},
        {"240.0.0.1", NETGUARD_RESERVED},
        {"192.0.0.192", NETGUARD_RESERVED},
        {"192.0.2.1", NETGUARD_RESERVED},
        {"198.18.0.1", NETGUARD_RESERVED},
        /* the edges stay public */
        {"8.8.8.8", NETGUARD_PUBLIC},
        {"9.255.255.255", NETGUARD_PUBLIC},
        {"11.0.0.0", NETGUARD_PUBLIC},
        {"100.63.255.255", NETGUARD_PUBLIC},
        {"100.128.0.0", NETGUARD_PUBLIC},
        {"128.0.0.1", NETGUARD_PUBLIC},
        {"172.15.255.255", NETGUARD_PUBLIC},
        {"172.32.0.0", NETGUARD_PUBLIC},
        {"192.167.255.255", NETGUARD_PUBLIC},
        {"192.169.0.0", NETGUARD_PUBLIC},
        {"169.253.255.255", NETGUARD_PUBLIC},
        {"223.255.255.255", NETGUARD_PUBLIC},
        {"52.95.110.1", NETGUARD_PUBLIC},
        /* IPv6 */
        {"::", NETGUARD_UNSPECIFIED},
        {"::1", NETGUARD_LOOPBACK},
        {"[::1]", NETGUARD_LOOPBACK},
        {"fe80::1", NETGUARD_LINK_LOCAL},
        {"febf:ffff::1", NETGUARD_LINK_LOCAL},
        {"fc00::1", NETGUARD_PRIVATE},
        {"fd12:3456::1", NETGUARD_PRIVATE},
        {"fec0::1", NETGUARD_PRIVATE},
        {"fd00:ec2::254", NETGUARD_METADATA},
        {"ff02::1", NETGUARD_MULTICAST},
        {"2001:db8::1", NETGUARD_RESERVED},
        {"100::1", NETGUARD_RESERVED},
        {"64:ff9b:1::1", NETGUARD_PRIVATE},
        {"2001:4860:4860::8888", NETGUARD_PUBLIC},
        {"2600::1", NETGUARD_PUBLIC},
        {"fbff:ffff::1", NETGUARD_PUBLIC},
        /* IPv6 forms of IPv4 addresses are judged by the IPv4 address */
        {"::ffff:127.0.0.1", NETGUARD_LOOPBACK},
        {"::ffff:7f00:1", NETGUARD_LOOPBACK},
        {"::ffff:169.254.169.254", NETGUARD_METADATA},
        {"::ffff:10.0.0.1", NETGUARD_PRIVATE},
        {"::ffff:0.0.0.0", NETGUARD_UNSPECIFIED},
        {"::ffff:8.8.8.8", NETGUARD_PUBLIC},
        {"::127.0.0.1", NETGUARD_LOOPBACK},
        {"::10.0.0.1", NETGUARD_PRIVATE},
        {"64:ff9b::127.0.0.1", NETGUARD_LOOPBACK},
        {"64:ff9b::a9fe:a9fe", NETGUARD_METADATA},
        {"64:ff9b::8.8.8.8", NETGUARD_PUBLIC},
        {"2002:7f00:1::1", NETGUARD_LOOPBACK},
        {"2002:c0a8:101::", NETGUARD_PRIVATE},
        {"2002:808:808::1", NETGUARD_PUBLIC},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum netguard_class got = cls(cases[i].addr);
        if (got != cases[i].c)
            fail_msg("%s: expected %s, got %s", cases[i].addr, netguard_class_name(cases[i].c),
                     netguard_class_name(got));
    }
}

static void test_addr_parse(void **st)
{
    (void)st;
    struct netguard_addr a;
    char buf[64];
    static const char *bad[] = {"",           "localhost",  "127.1",       "0x7f000001",
                                "2130706433", "127.0.0.1.", "[127.0.0.1]", "[::1",
                                "::1]",       "1.2.3.4/8",  "fe80::1%eth0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (netguard_addr_parse(bad[i], &a) == 0)
            fail_msg("'%s' parsed as a literal address", bad[i]);
    assert_int_equal(netguard_addr_parse("[::ffff:127.0.0.1]", &a), 0);
    assert_int_equal(a.family, 6);
    netguard_addr_format(&a, buf, sizeof(buf));
    assert_string_equal(buf, "::ffff:127.0.0.1");
    assert_int_equal(netguard_addr_parse("10.1.2.3", &a), 0);
    assert_int_equal(a.family, 4);
    netguard_addr_format(&a, buf, sizeof(buf));
    assert_string_equal(buf, "10.1.2.3");
}

static void test_from_sockaddr(void **st)
{
    (void)st;
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(9000)};
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(443)};
    struct sockaddr sa = {.sa_family = AF_UNIX};
    struct netguard_addr a;
    int port = 0;
    inet_pton(AF_INET, "169.254.169.254", &in.sin_addr);
    assert_int_equal(netguard_addr_from_sockaddr((struct sockaddr *)&in, sizeof(in), &a, &port), 0);
    assert_int_equal(port, 9000);
    assert_int_equal(netguard_classify(&a), NETGUARD_METADATA);
    inet_pton(AF_INET6, "::ffff:127.0.0.1", &in6.sin6_addr);
    assert_int_equal(netguard_addr_from_sockaddr((struct sockaddr *)&in6, sizeof(in6), &a, &port),
                     0);
    assert_int_equal(port, 443);
    assert_int_equal(netguard_classify(&a), NETGUARD_LOOPBACK);
    assert_int_equal(netguard_addr_from_sockaddr(&sa, sizeof(sa), &a, NULL), ST_EINVAL);
    /* a length too short for its family */
    assert_int_equal(netguard_addr_from_sockaddr((struct sockaddr *)&in6, sizeof(in), &a, NULL),
                     ST_EINVAL);
}

/* netguard_check() of `host` connecting to literal `addr`:`port`. */
static int check(const struct netguard *g, const char *host, const char *addr, int port, char *msg,
                 size_t n)
{
    struct netguard_addr a;
    if (netguard_addr_parse(addr, &a) != 0)
        fail_msg("'%s' does not parse", addr);
    msg[0] = '\0';
    return netguard_check(g, host, &a, port, msg, n);
}

static void test_check_messages(void **st)
{
    (void)st;
    struct netguard g;
    char msg[300];
    netguard_init(&g);
    assert_int_equal(check(&g, "127.0.0.1", "127.0.0.1", 80, msg, sizeof(msg)), ST_EPERM);
    assert_string_equal(
        msg, "endpoint 127.0.0.1 is a loopback address; allow it with storage.endpoint_allow");
    assert_int_equal(check(&g, "localhost", "::1", 80, msg, sizeof(msg)), ST_EPERM);
    assert_string_equal(msg, "endpoint localhost (::1) is a loopback address; allow it with "
                             "storage.endpoint_allow");
    assert_int_equal(check(&g, "169.254.169.254", "169.254.169.254", 80, msg, sizeof(msg)),
                     ST_EPERM);
    assert_non_null(strstr(msg, "is a cloud metadata address"));
    assert_int_equal(check(&g, "0.0.0.0", "0.0.0.0", 80, msg, sizeof(msg)), ST_EPERM);
    assert_non_null(strstr(msg, "is an unspecified address"));
    assert_int_equal(check(&g, "100.64.1.1", "100.64.1.1", 80, msg, sizeof(msg)), ST_EPERM);
    assert_non_null(strstr(msg, "is a shared (CGNAT) address"));
    /* public: allowed, no message */
    assert_int_equal(check(&g, "s3.amazonaws.com", "52.95.110.1", 443, msg, sizeof(msg)), 0);
    assert_string_equal(msg, "");
    /* a NULL guard refuses the same */
    assert_int_equal(check(NULL, "10.0.0.1", "10.0.0.1", 80, msg, sizeof(msg)), ST_EPERM);
    /* a short buffer truncates, never overflows */
    char small[16];
    assert_int_equal(check(&g, "127.0.0.1", "127.0.0.1", 80, small, sizeof(small)), ST_EPERM);
    assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void test_allow_rules(void **st)
{
    (void)st;
    struct netguard g;
    char err[300], msg[300];
    netguard_init(&g);
    assert_int_equal(netguard_allow(&g,
                                    "127.0.0.1, 10.0.0.0/8\tfd00::/8,,  MinIO.Internal.,"
                                    " 169.254.169.254/32 ::1 192.168.0.0/31",
                                    err, sizeof(err)),
                     0);
    assert_int_equal(g.n, 7);
    static const struct {
        const char *host, *addr;
        int want;
    } cases[] = {
        {"127.0.0.1", "127.0.0.1", 0},
        {"127.0.0.1", "::ffff:127.0.0.1", 0}, /* the same host */
        {"127.0.0.2", "127.0.0.2", ST_EPERM}, /* an address is a /32 */
        {"10.9.8.7", "10.9.8.7", 0},
        {"11.0.0.1", "11.0.0.1", 0}, /* public anyway */
        {"172.16.0.1", "172.16.0.1", ST_EPERM},
        {"x", "fd12::1", 0},
        {"x", "fc00::1", ST_EPERM},
        {"minio.internal", "10.200.0.1", 0},     /* a name: whatever it resolves to */
        {"MINIO.internal", "127.0.0.5", 0},      /* any case */
        {"bkt.minio.internal", "172.16.0.9", 0}, /* virtual-host addressing */
        {"evilminio.internal", "172.16.0.9", ST_EPERM},
        {"minio.internal.evil", "172.16.0.9", ST_EPERM},
        {"internal", "172.16.0.9", ST_EPERM},
        {"169.254.169.254", "169.254.169.254", 0},
        {"x", "::1", 0},
        {"x", "192.168.0.1", 0},
        {"x", "192.168.0.2", ST_EPERM},
        {NULL, "192.168.0.2", ST_EPERM},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = check(&g, cases[i].host, cases[i].addr, 443, msg, sizeof(msg));
        if (got != cases[i].want)
            fail_msg("%s at %s: expected %d, got %d (%s)", cases[i].host ? cases[i].host : "-",
                     cases[i].addr, cases[i].want, got, msg);
    }
    /* "::ffff:10.0.0.0/104" style rules are IPv6 rules: they cover mapped forms only */
    netguard_init(&g);
    assert_int_equal(netguard_allow(&g, "::ffff:10.0.0.0/104", err, sizeof(err)), 0);
    assert_int_equal(check(&g, "x", "::ffff:10.1.1.1", 80, msg, sizeof(msg)), 0);
    assert_int_equal(check(&g, "x", "10.1.1.1", 80, msg, sizeof(msg)), ST_EPERM);
    /* empty lists */
    netguard_init(&g);
    assert_int_equal(netguard_allow(&g, "", err, sizeof(err)), 0);
    assert_int_equal(netguard_allow(&g, NULL, err, sizeof(err)), 0);
    assert_int_equal(netguard_allow(&g, " , ,", err, sizeof(err)), 0);
    assert_int_equal(g.n, 0);
}

static void test_allow_refused(void **st)
{
    (void)st;
    static const char *bad[] = {
        "10.0.0.1/8",    /* host bits set */
        "10.0.0.0/33",   /* prefix too long */
        "fd00::/129",    /* prefix too long */
        "10.0.0.0/",     /* no prefix */
        "10.0.0.0/-1",   /* not a number */
        "10.0.0.0/8x",   /* not a number */
        "/8",            /* no address */
        "host:9000",     /* no ports in the list */
        "*.example.com", /* no wildcards: a name covers its subdomains */
        "a..b",          /* empty label */
        ".example.com",  /* empty label */
        "http://x/",     /* a URL */
        "exa mple\x01",  /* control character */
    };
    char err[300];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct netguard g;
        netguard_init(&g);
        err[0] = '\0';
        if (netguard_allow(&g, bad[i], err, sizeof(err)) != ST_EINVAL)
            fail_msg("'%s' was accepted", bad[i]);
        if (!strstr(err, "is not an address, a CIDR"))
            fail_msg("'%s': message '%s'", bad[i], err);
    }
    /* too many entries */
    char list[NETGUARD_RULES_MAX * 16 + 16] = "";
    for (int i = 0; i <= NETGUARD_RULES_MAX; i++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "10.0.%d.0/24,", i);
    struct netguard *g = malloc(sizeof(*g));
    assert_non_null(g);
    netguard_init(g);
    assert_int_equal(netguard_allow(g, list, err, sizeof(err)), ST_EINVAL);
    assert_non_null(strstr(err, "more than 64 entries"));
    free(g);
}

static void test_url_target(void **st)
{
    (void)st;
    static const struct {
        const char *url, *host;
        int port;
    } cases[] = {
        {"http://127.0.0.1:9000", "127.0.0.1", 9000},
        {"http://127.0.0.1:9000/bkt/key?x=1", "127.0.0.1", 9000},
        {"https://s3.eu-west-1.amazonaws.com", "s3.eu-west-1.amazonaws.com", 443},
        {"http://Bkt.MinIO.internal/", "bkt.minio.internal", 80},
        {"http://localhost./", "localhost", 80},
        {"http://[::1]:8080/", "::1", 8080},
        {"http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1", 80},
        /* curl reads these IPv4 spellings as 127.0.0.1: so must the guard's rules */
        {"http://0x7f000001:1/", "127.0.0.1", 1},
        {"http://2130706433/", "127.0.0.1", 80},
        {"http://127.1/", "127.0.0.1", 80},
        /* userinfo is not the host */
        {"http://minio.internal@127.0.0.1/", "127.0.0.1", 80},
    };
    char host[NETGUARD_HOST_MAX + 1];
    int port;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        port = -1;
        if (netguard_url_target(cases[i].url, host, sizeof(host), &port) != 0)
            fail_msg("'%s' does not parse", cases[i].url);
        if (strcmp(host, cases[i].host) != 0 || port != cases[i].port)
            fail_msg("'%s': expected %s:%d, got %s:%d", cases[i].url, cases[i].host, cases[i].port,
                     host, port);
    }
    assert_int_equal(netguard_url_target("not a url", host, sizeof(host), &port), ST_EINVAL);
    assert_int_equal(netguard_url_target("http://", host, sizeof(host), &port), ST_EINVAL);
}

static void test_trust_url(void **st)
{
    (void)st;
    struct netguard g;
    char err[300], msg[300];
    netguard_init(&g);
    assert_int_equal(netguard_trust_url(&g, "", err, sizeof(err)), 0);
    assert_int_equal(g.n, 0);
    assert_int_equal(netguard_trust_url(&g, "http://127.0.0.1:9000", err, sizeof(err)), 0);
    assert_int_equal(netguard_trust_url(&g, "https://minio.internal/", err, sizeof(err)), 0);
    /* that host and port only */
    assert_int_equal(check(&g, "127.0.0.1", "127.0.0.1", 9000, msg, sizeof(msg)), 0);
    assert_int_equal(check(&g, "127.0.0.1", "127.0.0.1", 22, msg, sizeof(msg)), ST_EPERM);
    assert_int_equal(check(&g, "minio.internal", "10.0.0.7", 443, msg, sizeof(msg)), 0);
    assert_int_equal(check(&g, "minio.internal", "10.0.0.7", 80, msg, sizeof(msg)), ST_EPERM);
    assert_int_equal(netguard_trust_url(&g, "nope", err, sizeof(err)), ST_EINVAL);
}

static void test_from_config(void **st)
{
    (void)st;
    struct config *cfg = malloc(sizeof(*cfg));
    struct netguard *g = NULL;
    char err[300], msg[300];
    assert_non_null(cfg);
    config_defaults(cfg);
    assert_int_equal(netguard_from_config(cfg, &g, err, sizeof(err)), 0);
    assert_int_equal(g->n, 0);
    free(g);
    /* the configured s3 storage's endpoint is trusted (host and port) */
    snprintf(cfg->storage.type, sizeof(cfg->storage.type), "s3");
    snprintf(cfg->storage.s3.endpoint_url, sizeof(cfg->storage.s3.endpoint_url),
             "http://127.0.0.1:9000");
    snprintf(cfg->storage.endpoint_allow, sizeof(cfg->storage.endpoint_allow), "10.0.0.0/8");
    assert_int_equal(netguard_from_config(cfg, &g, err, sizeof(err)), 0);
    assert_int_equal(g->n, 2);
    assert_int_equal(check(g, "127.0.0.1", "127.0.0.1", 9000, msg, sizeof(msg)), 0);
    assert_int_equal(check(g, "127.0.0.1", "127.0.0.1", 9001, msg, sizeof(msg)), ST_EPERM);
    assert_int_equal(check(g, "x", "10.2.3.4", 1, msg, sizeof(msg)), 0);
    free(g);
    /* the same for azblob (and gcs): its own section's endpoint, not s3's */
    snprintf(cfg->storage.type, sizeof(cfg->storage.type), "azblob");
    snprintf(cfg->storage.azblob.endpoint_url, sizeof(cfg->storage.azblob.endpoint_url),
             "http://127.0.0.1:10000/devstoreaccount1");
    assert_int_equal(netguard_from_config(cfg, &g, err, sizeof(err)), 0);
    assert_int_equal(g->n, 2);
    assert_int_equal(check(g, "127.0.0.1", "127.0.0.1", 10000, msg, sizeof(msg)), 0);
    assert_int_equal(check(g, "127.0.0.1", "127.0.0.1", 9000, msg, sizeof(msg)), ST_EPERM);
    free(g);
    /* not when the storage is fs: the s3 keys are unused then */
    snprintf(cfg->storage.type, sizeof(cfg->storage.type), "fs");
    assert_int_equal(netguard_from_config(cfg, &g, err, sizeof(err)), 0);
    assert_int_equal(g->n, 1);
    free(g);
    snprintf(cfg->storage.endpoint_allow, sizeof(cfg->storage.endpoint_allow), "10.0.0.1/8");
    assert_int_equal(netguard_from_config(cfg, &g, err, sizeof(err)), ST_EINVAL);
    assert_null(g);
    assert_non_null(strstr(err, "'10.0.0.1/8'"));
    free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),      cmocka_unit_test(test_addr_parse),
        cmocka_unit_test(test_from_sockaddr), cmocka_unit_test(test_check_messages),
        cmocka_unit_test(test_allow_rules),   cmocka_unit_test(test_allow_refused),
        cmocka_unit_test(test_url_target),    cmocka_unit_test(test_trust_url),
        cmocka_unit_test(test_from_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
