/* digest.h - MD5 and SHA-256 of a byte stream, computed together, with a
 * state that can be saved as text and restored (a resumed upload goes on
 * hashing where an earlier run left off).
 *
 * The state is OpenSSL's MD5_CTX/SHA256_CTX as bytes, in hex: valid only
 * between processes of the same build and architecture, which is what the
 * worker pool is (a worker that cannot load a state fails the job rather
 * than store a wrong digest). A saved state is "<sha256 ctx>:<md5 ctx>";
 * jobs queued before MD5 was computed saved the SHA-256 part alone: such a
 * state loads with the MD5 unknown (digest_final gives "" for it).
 *
 * Pure, no I/O; a `struct digest` is used by one thread. */
#ifndef STAGE_DIGEST_H
#define STAGE_DIGEST_H

#define OPENSSL_SUPPRESS_DEPRECATED /* MD5_CTX/SHA256_CTX: their state is saved */
#include <openssl/md5.h>
#include <openssl/sha.h>

#include <stdbool.h>
#include <stddef.h>

#define DIGEST_MD5_HEX    33 /* 32 hex digits + NUL */
#define DIGEST_SHA256_HEX 65
/* room for digest_save(): both contexts in hex, ':' and NUL */
#define DIGEST_STATE_MAX (2 * (sizeof(SHA256_CTX) + sizeof(MD5_CTX)) + 2)

struct digest {
    SHA256_CTX sha;
    MD5_CTX md5;
    bool md5_known; /* false after loading a SHA-256-only state */
};

/* 0, or ST_EINTERNAL if OpenSSL refuses. */
int digest_init(struct digest *d);

/* The same without the MD5, for a caller that needs only the SHA-256: on a
 * CPU with SHA extensions the MD5 costs three times as much (stagectl put
 * hashes every file before sending it). */
int digest_init_sha256(struct digest *d);
void digest_update(struct digest *d, const void *p, size_t n);
/* Lower-case hex into md5 (DIGEST_MD5_HEX, "" if unknown) and sha256
 * (DIGEST_SHA256_HEX). Ends the digest: init (or load) before reuse. */
void digest_final(struct digest *d, char *md5, char *sha256);

/* The state as text (DIGEST_STATE_MAX bytes in `out`). */
void digest_save(const struct digest *d, char *out);
/* 0, or ST_EINVAL if `s` is not a state digest_save() wrote (or an older
 * SHA-256-only one). */
int digest_load(struct digest *d, const char *s);

/* True if `s` is exactly `n` hex digits (a digest as stored or claimed). */
bool digest_hex_ok(const char *s, size_t n);

#endif
