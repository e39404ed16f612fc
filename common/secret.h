/* secret.h - connection secrets sealed at rest with AES-256-GCM.
 *
 * The master key is 32 random bytes given base64-encoded in STAGE_MASTER_KEY
 * or in the file named by STAGE_MASTER_KEY_FILE (the Kubernetes Secret way).
 * It never lives in Redis. A sealed value is the text
 *     "v1:" base64(nonce[12] | ciphertext | tag[16])
 * with a fresh random nonce per seal; the caller's `aad` (associated data,
 * e.g. "stage:<name>" or "job:<id>") is authenticated but not stored, so a
 * sealed blob copied to another record does not open there.
 *
 * Pure apart from the random nonce and reading the key file; any thread.
 * Buffers returned through `out` are malloc'd and owned by the caller;
 * plaintext buffers should be wiped with secret_wipe() before free(). */
#ifndef STAGE_SECRET_H
#define STAGE_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#define SECRET_KEY_BYTES 32

struct secret_key {
    unsigned char k[SECRET_KEY_BYTES];
    bool set; /* false: no master key configured */
};

/* Load the key from `b64` (32 bytes once decoded). 0, or ST_EINVAL with the
 * reason in `err` (never the key itself). */
int secret_key_parse(struct secret_key *key, const char *b64, char *err, size_t errlen);

/* Load from the environment: STAGE_MASTER_KEY, else the file named by
 * STAGE_MASTER_KEY_FILE (trailing whitespace ignored). Neither set: 0 with
 * key->set false (callers refuse to seal then). A bad value: ST_EINVAL. */
int secret_key_from_env(struct secret_key *key, char *err, size_t errlen);

/* Seal `n` bytes of `pt`. 0, ST_EINVAL (no key), ST_ENOMEM or ST_EINTERNAL.
 * `*out` is a NUL-terminated "v1:..." string. */
int secret_seal(const struct secret_key *key, const void *pt, size_t n, const char *aad,
                char **out);

/* Open a sealed string. 0 with `*out` (malloc'd, NUL-terminated for
 * convenience) and `*n`; ST_EINVAL if malformed, ST_EPERM if the tag does not
 * verify (wrong key, wrong aad or tampered). */
int secret_open(const struct secret_key *key, const char *sealed, const char *aad,
                unsigned char **out, size_t *n);

/* Zero `n` bytes in a way the compiler keeps. NULL-safe. */
void secret_wipe(void *p, size_t n);

#endif
