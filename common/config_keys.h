/* config_keys.h - the table of configuration keys, inside common/ only
 * (config.c, config_storage.c): each key's dotted path, type, place in
 * struct config and range, and the parsing of one value into its field.
 * The YAML walker, the environment pass and the range checks (config.c)
 * all read this one table, so adding a key is one line in config_keys.c.
 * Pure; any thread. */
#ifndef STAGE_CONFIG_KEYS_H
#define STAGE_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct config_list;

enum ktype {
    K_STR,    /* char[size] */
    K_INT,    /* int, plain decimal */
    K_SIZE,   /* int, decimal with an optional binary suffix: 64KiB, 8MiB */
    K_SIZE64, /* long long >= 0, like K_SIZE (quotas pass 2 GiB): 500GiB, 2TiB */
    K_BOOL,   /* bool */
    /* char[size]: a YAML list of scalars joined by ", ", or one string as is;
     * its reader splits it on commas and blanks (IPv6 entries hold colons) */
    K_WORDS,
    K_LIST, /* struct config_list: a YAML sequence, or entries joined by ':' */
};

#define K_SECRET 1 /* environment (or VAR_FILE) only; never echoed in messages */

struct config_key {
    const char *path;
    enum ktype type;
    size_t off;
    size_t size;
    long min, max; /* K_INT/K_SIZE range, checked by config_validate() */
    int flags;
};

#define FLD(f) offsetof(struct config, f), sizeof(((struct config *)0)->f)

extern const struct config_key config_keys[];
extern const size_t config_nkeys;
/* An upper bound of config_nkeys, for arrays sized at compile time (a
 * static assertion in config_keys.c keeps it true). */
#define CONFIG_NKEYS_MAX 96

/* The key of dotted `path`, NULL if there is none. */
const struct config_key *config_key_find(const char *path);

/* True if `path` is a section ("storage", "storage.fs"): some key starts
 * with "path.". */
bool config_key_section(const char *path);

/* Store the text `v` into the field of `k`. `where` prefixes messages
 * ("stage.yaml:3" or "STAGE_UPLOAD_PART_SIZE"); a secret's value is never
 * echoed. 0 or ST_EINVAL with the reason in `err`. */
int config_key_set(struct config *cfg, const struct config_key *k, const char *v, const char *where,
                   char *err, size_t errlen);

/* Append `n` bytes of `v` to the list `l` (a YAML sequence's entry);
 * `where` and `path` name it in messages. 0 or ST_EINVAL. */
int config_list_add(struct config_list *l, const char *v, size_t n, const char *where,
                    const char *path, char *err, size_t errlen);

/* The environment variable of `path`: "storage.fs.root" ->
 * "STAGE_STORAGE_FS_ROOT". */
void config_key_env(char *buf, size_t n, const char *path);

#endif
