/* config_testenv.h - for the configuration's unit tests (test_config.c,
 * test_config_storage.c): a fake environment for config_apply_env(), reset
 * before each test (cmocka setup), and YAML parsed from the defaults with
 * messages naming "stage.yaml". Each test program has its own copy. */
#ifndef STAGE_CONFIG_TESTENV_H
#define STAGE_CONFIG_TESTENV_H

#include <string.h>

#include "config.h"

static const char *fake_env[16][2];

static inline char *fake_getenv(const char *name)
{
    for (size_t i = 0; i < 16 && fake_env[i][0]; i++)
        if (strcmp(fake_env[i][0], name) == 0)
            return (char *)fake_env[i][1];
    return NULL;
}

static inline int reset_env(void **st)
{
    (void)st;
    memset(fake_env, 0, sizeof(fake_env));
    return 0;
}

static inline void setenv_fake(const char *name, const char *value)
{
    size_t i = 0;
    while (fake_env[i][0])
        i++;
    fake_env[i][0] = name;
    fake_env[i][1] = value;
}

static inline int parse(struct config *c, const char *yaml, char *err)
{
    config_defaults(c);
    err[0] = '\0';
    return config_parse_yaml(c, yaml, strlen(yaml), "stage.yaml", err, 256);
}

#endif
