/* fuzz_config.c - the YAML configuration (common/config.c), parsed from a
 * buffer with config_parse_yaml() and then checked with config_validate().
 * The file is the operator's, but a ConfigMap passes through many hands and
 * a bad one should fail with a message, never crash or overrun a field.
 * Properties: the result is 0 or ST_EINVAL (ST_ENOMEM aside) with a
 * NUL-terminated message naming the file, and a config that passes leaves
 * every string field NUL-terminated. */
#include "fuzz.h"

#include "config.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config *cfg = malloc(sizeof(*cfg));
    char err[512];
    FUZZ_CHECK(cfg);
    config_defaults(cfg);
    memset(err, 0x55, sizeof(err));
    int rc = config_parse_yaml(cfg, (const char *)data, size, "fuzz.yaml", err, sizeof(err));
    FUZZ_CHECK(rc == 0 || rc == ST_EINVAL || rc == ST_ENOMEM);
    if (rc == ST_EINVAL)
        FUZZ_CHECK(memchr(err, '\0', sizeof(err)) && strncmp(err, "fuzz.yaml", 9) == 0);
    if (rc == 0 && config_validate(cfg, err, sizeof(err)) == 0) {
        FUZZ_CHECK(memchr(cfg->server.listen, '\0', sizeof(cfg->server.listen)));
        FUZZ_CHECK(memchr(cfg->redis.url, '\0', sizeof(cfg->redis.url)));
        FUZZ_CHECK(memchr(cfg->storage.fs_root, '\0', sizeof(cfg->storage.fs_root)));
        FUZZ_CHECK(memchr(cfg->storage.endpoint_allow, '\0', sizeof(cfg->storage.endpoint_allow)));
        FUZZ_CHECK(memchr(cfg->storage.s3.root, '\0', sizeof(cfg->storage.s3.root)));
    }
    free(cfg);
    return 0;
}
