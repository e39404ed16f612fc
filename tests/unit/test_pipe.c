/* test_pipe.c - the part pipe's commands (common/pipe.c): the exact argv
 * every producer and consumer sends, so the gRPC relay, the presigned relay
 * and the worker cannot drift apart again (they once differed in the TTL
 * and in waking the worker on the last part). */
#include "err.h"
#include "pipe.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define ID "0123456789abcdef0123456789abcdef"

/* The command as one string, binary-safe args shown with their length. */
static void render(const struct pipe_cmd *c, char *out, size_t n)
{
    size_t k = 0;
    out[0] = '\0';
    for (int i = 0; i < c->argc && k < n; i++)
        k += (size_t)snprintf(out + k, n - k, "%s%.*s", i ? " " : "", (int)c->lens[i], c->argv[i]);
}

static void check(const struct pipe_cmds *p, int i, const char *want)
{
    char got[512];
    assert_true(i < p->n);
    render(&p->cmd[i], got, sizeof(got));
    assert_string_equal(got, want);
}

static void test_append(void **st)
{
    (void)st;
    struct pipe_cmds p;
    const char data[] = "ab\0cd"; /* binary: the length, not the NUL, ends it */
    assert_int_equal(pipe_append(&p, ID, 3, data, 5, true), 0);
    assert_int_equal(p.n, 2);
    assert_int_equal(p.cmd[0].lens[2], 5);
    assert_ptr_equal(p.cmd[0].argv[2], data); /* not copied */
    check(&p, 1, "EXPIRE st:job:" ID ":part:3 86400");
    assert_int_equal(pipe_append(&p, ID, 3, data, 5, false), 0);
    assert_int_equal(p.n, 1); /* the TTL comes with the part's first bytes only */
    assert_string_equal(p.cmd[0].argv[0], "APPEND");
    assert_string_equal(p.cmd[0].argv[1], "st:job:" ID ":part:3");
}

static void test_put(void **st)
{
    (void)st;
    struct pipe_cmds p;
    assert_int_equal(pipe_put(&p, ID, 0, "xyz", 3), 0);
    assert_int_equal(p.n, 1);
    check(&p, 0, "SET st:job:" ID ":part:0 xyz EX 86400");
}

static void test_ready_and_end(void **st)
{
    (void)st;
    struct pipe_cmds p;
    assert_int_equal(pipe_ready(&p, ID, 4, false, 0), 0);
    assert_int_equal(p.n, 2);
    check(&p, 0, "HSET st:job:" ID " parts_ready 4");
    check(&p, 1, "PUBLISH st:wake:" ID " x");
    /* the end wakes the worker too: it may wait for parts_total */
    assert_int_equal(pipe_ready(&p, ID, 5, true, 9437184), 0);
    assert_int_equal(p.n, 2);
    check(&p, 0, "HSET st:job:" ID " parts_ready 5 parts_total 5 bytes_total 9437184");
    check(&p, 1, "PUBLISH st:wake:" ID " x");
}

static void test_done(void **st)
{
    (void)st;
    struct pipe_cmds p;
    assert_int_equal(pipe_done(&p, ID, 7), 0);
    assert_int_equal(p.n, 3);
    check(&p, 0, "DEL st:job:" ID ":part:7");
    check(&p, 1, "HINCRBY st:job:" ID " parts_done 1");
    check(&p, 2, "PUBLISH st:wake:" ID " x");
}

static void test_bad_input(void **st)
{
    (void)st;
    struct pipe_cmds p;
    assert_int_equal(pipe_put(&p, "", 0, "x", 1), ST_EINVAL);
    assert_int_equal(pipe_put(&p, NULL, 0, "x", 1), ST_EINVAL);
    assert_int_equal(pipe_append(&p, ID, -1, "x", 1, true), ST_EINVAL);
    assert_int_equal(pipe_ready(&p, ID, -1, false, 0), ST_EINVAL);
    assert_int_equal(pipe_done(&p, ID, -2), ST_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append),        cmocka_unit_test(test_put),
        cmocka_unit_test(test_ready_and_end), cmocka_unit_test(test_done),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
