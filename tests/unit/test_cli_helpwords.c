/* test_cli_helpwords.c - the words of a --help text that the completion
 * script offers (cli/helpwords.c). */
#include "helpwords.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static const char job_usage[] = "usage: stagectl job get JOB_ID [--wait]\n"
                                "       stagectl job watch JOB_ID\n"
                                "       stagectl job list [--state STATE] [--all]\n"
                                "       stagectl job get-all\n"
                                "\n"
                                "  get      kind, state (see stagectl job list)\n"
                                "    --wait   poll until the job ends\n";

static void test_subcommands(void **st)
{
    (void)st;
    char buf[256];
    helpwords_subcommands(job_usage, "job", buf, sizeof(buf));
    assert_string_equal(buf, "get watch list get-all"); /* each once, prose lines ignored */
    helpwords_subcommands("usage: stagectl login USER [--password PW]\n", "login", buf,
                          sizeof(buf));
    assert_string_equal(buf, ""); /* a placeholder is not a subcommand */
    helpwords_subcommands("usage: stagectl cp @FROM @TO\n", "cp", buf, sizeof(buf));
    assert_string_equal(buf, "");
    helpwords_subcommands("usage: stagectl completion bash\n", "completion", buf, sizeof(buf));
    assert_string_equal(buf, "bash");
}

static void test_options(void **st)
{
    (void)st;
    char buf[256];
    helpwords_options(job_usage, buf, sizeof(buf));
    assert_string_equal(buf, "--wait --state --all");
    helpwords_options("usage: stagectl rm @LOC [-r | --pattern RE] [--dry-run]\n"
                      "  -f, --force   no match is fine\n"
                      "a non-option like x-y or --9 or - alone\n",
                      buf, sizeof(buf));
    assert_string_equal(buf, "-r --pattern --dry-run -f --force");
    helpwords_options("[--include/--exclude GLOB]\n", buf, sizeof(buf));
    assert_string_equal(buf, "--include"); /* --exclude has its own help line */
}

static void test_add_bounded(void **st)
{
    (void)st;
    char buf[12] = "";
    helpwords_add(buf, sizeof(buf), "--abc", 5);
    helpwords_add(buf, sizeof(buf), "--abc", 5);
    assert_string_equal(buf, "--abc");
    helpwords_add(buf, sizeof(buf), "--defgh", 7); /* does not fit: left out */
    assert_string_equal(buf, "--abc");
    helpwords_add(buf, sizeof(buf), "-x", 2);
    assert_string_equal(buf, "--abc -x");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subcommands),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_add_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
