/*
 * core/crypto.h: the one place OpenSSL and libsodium are called from
 * (STYLE rules 3 and 24). Prefix `cry_` (`crypto_` is libsodium's).
 *
 * Owns: the random source, token generation, constant-time comparison,
 * secret wiping, base64url, and the instance's long-lived key files (the
 * VAPID P-256 key for Web Push). Later issues add argon2id, signatures and
 * at-rest encryption here.
 * Threads: all functions are thread-safe after cry_init().
 */
#ifndef SOL_CORE_CRYPTO_H
#define SOL_CORE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

struct buf;

/* Initialise libsodium; SE_IO when it cannot. */
enum err cry_init(void) __attribute__((warn_unused_result));

/* n bytes from the CSPRNG. */
void cry_random(void *out, size_t n);
/* A token of `n` URL-safe characters [A-Za-z0-9_-] (nanoid alphabet), NUL-terminated
 * (out must hold n + 1 bytes), unbiased. */
void cry_token(char *out, size_t n);
/* Constant-time equality of two slices (lengths compared first). */
bool cry_eq(struct str a, struct str b);
/* Overwrite secret memory so the compiler cannot elide it. */
void cry_wipe(void *p, size_t n);

/* Append base64url (RFC 4648 section 5) of `n` bytes to `out`, with padding
 * when `pad` (Revolt's VAPID key keeps the '=' padding). */
void cry_base64url(struct buf *out, const void *p, size_t n, bool pad);

/*
 * Load the VAPID key pair from `path` (PEM, P-256), creating it with mode 0600
 * when absent. Appends the public key, an uncompressed point, base64url with
 * padding, to `pub_b64`. Errors: SE_IO (ei->detail names the file), SE_PARSE
 * for a file that is not a P-256 private key.
 */
enum err cry_vapid_load(const char *path, struct buf *pub_b64, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * Keyed 64-bit hash (SipHash-2-4, libsodium crypto_shorthash) of `n` bytes,
 * the 8 output bytes read little-endian. Not a MAC for long-lived secrets:
 * for hash tables and opaque ids. `key` is borrowed.
 */
uint64_t cry_shorthash(const unsigned char key[16], const void *p, size_t n);

#endif /* SOL_CORE_CRYPTO_H */
