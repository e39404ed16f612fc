/* Unit tests for rconn_parse_url() (common/rconn.c). Offline: no connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "err.h"
#include "rconn.h"

static void test_good_urls(void **st)
{
    (void)st;
    static const struct {
        const char *url, *host;
        int port;
        const char *path;
        int db;
        const char *password;
    } good[] = {
        {"redis://h:1/2", "h", 1, "", 2, ""},
        {"redis://:pw@h", "h", 6379, "", 0, "pw"},
        {"redis://default:pw@h:7000/0", "h", 7000, "", 0, "pw"},
        {"redis://127.0.0.1:6379", "127.0.0.1", 6379, "", 0, ""},
        {"redis://localhost/", "localhost", 6379, "", 0, ""},
        {"redis://:p%40ss%3Aw@h:65535/15", "h", 65535, "", 15, "p@ss:w"},
        {"redis://:a@b@h", "h", 6379, "", 0, "a@b"}, /* last '@' ends the userinfo */
        {"redis://[::1]:6380/3", "::1", 6380, "", 3, ""},
        {"redis://[::1]", "::1", 6379, "", 0, ""},
        {"unix:///tmp/s.sock?db=3", "", 6379, "/tmp/s.sock", 3, ""},
        {"unix:///run/redis/redis.sock", "", 6379, "/run/redis/redis.sock", 0, ""},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct redis_addr a;
        char err[256] = "";
        int rc = rconn_parse_url(good[i].url, &a, err, sizeof(err));
        if (rc)
            fail_msg("'%s': rc %d: %s", good[i].url, rc, err);
        assert_string_equal(a.host, good[i].host);
        assert_int_equal(a.port, good[i].port);
        assert_string_equal(a.path, good[i].path);
        assert_int_equal(a.db, good[i].db);
        assert_string_equal(a.password, good[i].password);
    }
}

static void test_bad_urls(void **st)
{
    (void)st;
    static const struct {
        const char *url, *needle;
    } bad[] = {
        {"http://h:1", "scheme 'http' is not supported"},
        {"rediss://h", "scheme 'rediss'"},
        {"h:6379", "not supported"},
        {"", "empty"},
        {"redis://h:0", "bad port '0'"},
        {"redis://h:65536", "bad port"},
        {"redis://h:abc", "bad port 'abc'"},
        {"redis://h:", "bad port"},
        {"redis://h:-1", "bad port"},
        {"redis://", "host is missing"},
        {"redis://:1", "host is missing"},
        {"redis://h/x", "bad database number 'x'"},
        {"redis://h/1x", "bad database number"},
        {"redis://h?db=1", "query"},
        {"redis://[::1", "missing ']'"},
        {"redis://user:pw@h", "ACL user names"},
        {"redis://pw@h", "':password@'"},
        {"redis://:p%zz@h", "percent-encoded"},
        {"unix://relative.sock", "absolute path"},
        {"unix://", "absolute path"},
        {"unix:///s.sock?db=x", "?db=N"},
        {"unix:///s.sock?timeout=1", "?db=N"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct redis_addr a;
        char err[256] = "";
        int rc = rconn_parse_url(bad[i].url, &a, err, sizeof(err));
        if (rc != ST_EINVAL || !strstr(err, bad[i].needle))
            fail_msg("'%s': rc %d, err '%s', want '%s'", bad[i].url, rc, err, bad[i].needle);
        assert_string_equal(a.password, "");
    }
    struct redis_addr a;
    assert_int_equal(rconn_parse_url(NULL, &a, NULL, 0), ST_EINVAL);
}

/* The password never appears in a message, whatever else is wrong. */
static void test_no_password_in_errors(void **st)
{
    (void)st;
    static const char *const urls[] = {"redis://:hunter2@h:99999", "redis://:hunter2@h/zz",
                                       "redis://:hunter2@", "redis://:hunter2@h?x"};
    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        struct redis_addr a;
        char err[256] = "";
        assert_int_equal(rconn_parse_url(urls[i], &a, err, sizeof(err)), ST_EINVAL);
        assert_null(strstr(err, "hunter2"));
    }
}

/* A refused connection is ST_EUNAVAIL naming the address, never the password. */
static void test_connect_refused(void **st)
{
    (void)st;
    struct config cfg;
    struct redisContext *c = (struct redisContext *)&c;
    char err[256] = "";
    config_defaults(&cfg);
    snprintf(cfg.redis.url, sizeof(cfg.redis.url), "redis://:urlpw@127.0.0.1:1");
    snprintf(cfg.redis.password, sizeof(cfg.redis.password), "cfgpw");
    cfg.redis.timeout_ms = 500;
    assert_int_equal(rconn_connect(&cfg, &c, err, sizeof(err)), ST_EUNAVAIL);
    assert_null(c);
    assert_non_null(strstr(err, "127.0.0.1:1"));
    assert_null(strstr(err, "pw"));
    snprintf(cfg.redis.url, sizeof(cfg.redis.url), "unix:///nonexistent/dir/s.sock");
    assert_int_equal(rconn_connect(&cfg, &c, err, sizeof(err)), ST_EUNAVAIL);
    assert_non_null(strstr(err, "/nonexistent/dir/s.sock"));
    snprintf(cfg.redis.url, sizeof(cfg.redis.url), "ftp://x");
    assert_int_equal(rconn_connect(&cfg, &c, err, sizeof(err)), ST_EUNAVAIL);
    assert_non_null(strstr(err, "scheme"));
    assert_int_equal(rconn_set_timeout(NULL, 5), ST_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_urls),
        cmocka_unit_test(test_bad_urls),
        cmocka_unit_test(test_no_password_in_errors),
        cmocka_unit_test(test_connect_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
