/* fuzz_descset.c - the descriptor set index (frontend/descset.c), a parser
 * of protobuf wire bytes. The frontend only feeds it the set it was built
 * with, but it is the one hand-written protobuf walk in the tree. Properties
 * of an accepted set: every file is found by its name (the first of equal
 * names), its bytes lie inside the input, its closure starts with itself and
 * holds each file at most once; every service is found as a service. A
 * refused set is ST_EINVAL with no index. */
#include "fuzz.h"

#include "descset.h"
#include "err.h"

#include <stdbool.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct descset *d = NULL;
    int rc = descset_new(data, size, &d);
    FUZZ_CHECK(rc == 0 || rc == ST_EINVAL || rc == ST_ENOMEM);
    if (rc) {
        FUZZ_CHECK(d == NULL);
        return 0;
    }
    int n = descset_files(d);
    int *idx = malloc(((size_t)n + 1) * sizeof(*idx));
    bool *seen = malloc((size_t)n + 1);
    FUZZ_CHECK(idx && seen);
    for (int i = 0; i < n; i++) {
        int at = descset_find_file(d, descset_file_name(d, i));
        FUZZ_CHECK(at >= 0 && at <= i);
        size_t len;
        const uint8_t *p = descset_file_bytes(d, i, &len);
        FUZZ_CHECK(p >= data && p + len <= data + size);
        int k = descset_closure(d, i, idx, n);
        FUZZ_CHECK(k >= 1 && k <= n && idx[0] == i);
        memset(seen, 0, (size_t)n);
        for (int j = 0; j < k; j++) {
            FUZZ_CHECK(idx[j] >= 0 && idx[j] < n && !seen[idx[j]]);
            seen[idx[j]] = true;
        }
    }
    for (int i = 0; i < descset_services(d); i++) {
        enum descset_kind kind;
        FUZZ_CHECK(descset_find_symbol(d, descset_service(d, i), &kind) >= 0);
        FUZZ_CHECK(strlen(descset_service(d, i)) <= DESCSET_MAX_NAME);
    }
    free(idx);
    free(seen);
    descset_free(d);
    return 0;
}
