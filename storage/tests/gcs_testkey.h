/* gcs_testkey.h - shared by the GCS unit tests: the throwaway key
 * (gcs_test_key.pem) as a service-account JSON. Header-only, test code. */
#ifndef STAGE_GCS_TESTKEY_H
#define STAGE_GCS_TESTKEY_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#define GCS_TEST_EMAIL "stage-test@stage-test-project.iam.gserviceaccount.com"

static inline char *gcs_test_pem(void)
{
    FILE *f = fopen(STORAGE_TESTS_DIR "/gcs_test_key.pem", "rb");
    char *b = calloc(1, 8192);
    if (!f || !b || fread(b, 1, 8191, f) == 0) {
        fprintf(stderr, "cannot read gcs_test_key.pem\n");
        abort();
    }
    fclose(f);
    return b;
}

/* The key file JSON; `token_uri` NULL: none in the JSON. malloc'd. */
static inline char *gcs_test_json(const char *token_uri)
{
    char *pem = gcs_test_pem();
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "service_account", "project_id",
                          "stage-test-project", "private_key_id", "k1", "private_key", pem,
                          "client_email", GCS_TEST_EMAIL);
    if (token_uri)
        json_object_set_new(o, "token_uri", json_string(token_uri));
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    free(pem);
    return s;
}

#endif
