/* Unit tests for frontend/stagefmt.c: a stage record as a stage.v1.Stage,
 * storage_params from the masked JSON, copies independent of the record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "stagefmt.h"

static void test_fill(void **st)
{
    (void)st;
    struct stage_rec *rec = calloc(1, sizeof(*rec));
    struct stagefmt f;
    assert_non_null(rec);
    strcpy(rec->name, "lake");
    strcpy(rec->type, "External");
    strcpy(rec->storage_type, "s3");
    strcpy(rec->url, "s3://b/p/");
    strcpy(rec->owner, "alice");
    strcpy(rec->params, "{\"access_key_id\":\"AK\",\"secret_access_key\":\"******\"}");
    strcpy(rec->conn, "v1:sealed");
    rec->has_credentials = true;
    rec->created_on = 42;
    stagefmt_init(&f);
    assert_int_equal(stagefmt_fill(&f, rec), 0);
    memset(rec, 'x', sizeof(*rec)); /* the message must not point into the record */
    assert_string_equal(f.s.name, "lake");
    assert_string_equal(f.s.stage_type, "External");
    assert_string_equal(f.s.url, "s3://b/p/");
    assert_string_equal(f.s.owner, "alice");
    assert_true(f.s.has_credentials);
    assert_int_equal(f.s.created_on, 42);
    assert_int_equal(f.s.n_storage_params, 2);
    for (size_t i = 0; i < f.s.n_storage_params; i++) {
        const char *k = f.s.storage_params[i]->key, *v = f.s.storage_params[i]->value;
        if (strcmp(k, "secret_access_key") == 0)
            assert_string_equal(v, "******");
        else
            assert_string_equal(v, "AK");
    }
    stagefmt_cleanup(&f);
    stagefmt_cleanup(&f); /* twice is harmless */
    free(rec);
}

static void test_no_params(void **st)
{
    (void)st;
    struct stage_rec *rec = calloc(1, sizeof(*rec));
    struct stagefmt f;
    strcpy(rec->name, "s1");
    strcpy(rec->type, "Internal");
    stagefmt_init(&f);
    assert_int_equal(stagefmt_fill(&f, rec), 0);
    assert_int_equal(f.s.n_storage_params, 0);
    assert_string_equal(f.s.url, "");
    stagefmt_cleanup(&f);
    strcpy(rec->params, "not json");
    stagefmt_init(&f);
    assert_int_equal(stagefmt_fill(&f, rec), 0);
    assert_int_equal(f.s.n_storage_params, 0);
    stagefmt_cleanup(&f);
    free(rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill),
        cmocka_unit_test(test_no_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
