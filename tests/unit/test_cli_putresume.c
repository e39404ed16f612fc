/* test_cli_putresume.c - which paused upload `stagectl put --resume`
 * continues, and from where (cli/putresume.c). */
#include "putresume.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static Stage__V1__Job mk(const char *loc, int64_t size, int64_t until, Stage__V1__JobState st)
{
    Stage__V1__Job j = STAGE__V1__JOB__INIT;
    j.kind = STAGE__V1__JOB_KIND__UPLOAD;
    j.state = st;
    j.location = (char *)loc;
    j.bytes_total = size;
    j.resume_until = until;
    j.resume_offset = until ? 4 << 20 : 0;
    return j;
}

static void test_pick(void **st)
{
    (void)st;
    Stage__V1__Job a = mk("@~/x.bin", 100, 0, STAGE__V1__JOB_STATE__RUNNING), /* not paused */
        b = mk("@~/y.bin", 100, 5000, STAGE__V1__JOB_STATE__RUNNING),         /* other file */
        c = mk("@~/x.bin", 99, 5000, STAGE__V1__JOB_STATE__RUNNING),          /* other size */
        d = mk("@~/x.bin", 100, 5000, STAGE__V1__JOB_STATE__FAILED),          /* ended */
        e = mk("@~/x.bin", 100, 5000, STAGE__V1__JOB_STATE__QUEUED),          /* this one */
        f = mk("@~/x.bin", 100, 6000, STAGE__V1__JOB_STATE__RUNNING);         /* older */
    Stage__V1__Job *v[] = {&a, &b, &c, &d, &e, &f};
    assert_int_equal(putresume_pick(v, 6, "@~/x.bin", 100, 0), 4);
    assert_int_equal(putresume_pick(v, 6, "@~/x.bin", 100, 5500), 5); /* e's window passed */
    assert_int_equal(putresume_pick(v, 6, "@~/x.bin", 100, 7000), -1);
    assert_int_equal(putresume_pick(v, 6, "@~/z.bin", 100, 0), -1);
    assert_int_equal(putresume_pick(v, 0, "@~/x.bin", 100, 0), -1);
    f.kind = STAGE__V1__JOB_KIND__COPY;
    assert_int_equal(putresume_pick(v + 5, 1, "@~/x.bin", 100, 0), -1);
}

static void test_offset(void **st)
{
    (void)st;
    assert_int_equal(putresume_offset(4 << 20, 64 << 20), 4 << 20);
    assert_int_equal(putresume_offset(64 << 20, 64 << 20), 64 << 20); /* all parts in */
    assert_int_equal(putresume_offset(0, 64 << 20), 0);
    assert_int_equal(putresume_offset(-1, 64 << 20), 0);
    assert_int_equal(putresume_offset(65 << 20, 64 << 20), 0); /* not this file */
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_pick), cmocka_unit_test(test_offset)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
