/*
 * core/crypto.h: the one place OpenSSL and libsodium are called from
 * (STYLE rules 3 and 24). Prefix `cry_` (`crypto_` is libsodium's).
 *
 * Owns: the random source, token generation, constant-time comparison,
 * secret wiping, base64url, and the instance's long-lived key files (the
 * VAPID P-256 key for Web Push, the 32-byte at-rest keys), password hashing (argon2id), SHA-256 and
 * HMAC-SHA1 (for TOTP), HMAC-SHA-256 (SigV4) and the secretstream used for
 * blobs at rest. Later issues add signatures.
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

/* Where cry_key_file_load finds a 32-byte secret key. */
struct cry_key_src {
	const char *who;      /* prefix of error and log lines ("blob", "fkeys") */
	const char *b64;      /* the configured key, base64 of 32 bytes; NULL/"" = use the file */
	const char *b64_name; /* the setting's name in errors ("files.encryption_key") */
	const char *dir;      /* directory of the key file, created 0700 if missing (one level) */
	const char *file;     /* the key file's name inside `dir` */
};

/*
 * Load a 32-byte secret key (the at-rest keys of blobs and federation
 * private keys) into `key`: from src->b64 when set (surrounding whitespace
 * ignored), else from the file src->dir/src->file, which is first created
 * with mode 0600 holding base64url of 32 random bytes unless it exists
 * (O_EXCL: of two racing processes the second uses the first one's key). A
 * file readable by others is used, with a warning. Errors, ei->detail
 * starting with src->who: SE_CONFIG (not base64 of 32 bytes, naming the
 * setting or the file; a file over 128 bytes; a path over 4 KB), SE_IO
 * (cannot create the directory or file, cannot read or write it).
 */
enum err cry_key_file_load(const struct cry_key_src *src, unsigned char key[32],
                           struct err_info *ei) __attribute__((warn_unused_result));

/* Size of a password hash string, NUL included (libsodium crypto_pwhash_STRBYTES). */
#define CRY_PWHASH_MAX 128

/*
 * Hash `pw` with argon2id (random salt) into `out`, a NUL-terminated PHC
 * string "$argon2id$v=19$m=...,t=...,p=1$salt$hash". `ops` is the number of
 * passes (libsodium opslimit, at least 1), `mem_kib` the memory cost in KiB
 * (at least 8). Errors: SE_INVAL for out-of-range costs or an over-long
 * password, SE_NOMEM when the hash cannot be computed (memory). `out` is
 * written only on success. Threads: any; costs CPU and `mem_kib` KiB.
 */
enum err cry_pwhash(struct str pw, unsigned ops, size_t mem_kib, char out[CRY_PWHASH_MAX])
    __attribute__((warn_unused_result));

/*
 * True when `pw` matches `hash` (borrowed, NUL-terminated, shorter than
 * CRY_PWHASH_MAX). Accepts argon2id and argon2i strings (authifier's
 * rust-argon2 default is argon2i, m=4096, t=3, p=1). Constant-time in the
 * password (libsodium); false for NULL or malformed hashes.
 */
bool cry_pwhash_verify(const char *hash, struct str pw);

/* SHA-256 of `n` bytes. */
void cry_sha256(const void *p, size_t n, unsigned char out[32]);

/*
 * Incremental SHA-256 (libsodium crypto_hash_sha256_*). The state is plain
 * memory: copy-free, no allocation, nothing to release; cry_sha256_final
 * wipes it.
 */
struct cry_sha256 {
	_Alignas(16) unsigned char opaque[128];
};
void cry_sha256_init(struct cry_sha256 *h);
void cry_sha256_update(struct cry_sha256 *h, const void *p, size_t n);
void cry_sha256_final(struct cry_sha256 *h, unsigned char out[32]);

/* HMAC-SHA-256 (RFC 2104) of `msg` under a key of any length; for AWS SigV4. */
void cry_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                     unsigned char out[32]);

/*
 * HMAC-SHA1 (RFC 2104) of `msg` under `key`; used by HOTP/TOTP only. Aborts
 * (log, then abort) if OpenSSL cannot compute it, which only happens when it
 * cannot allocate: a fixed output is never returned in its place.
 */
void cry_hmac_sha1(const void *key, size_t klen, const void *msg, size_t mlen,
                   unsigned char out[20]);

/*
 * `n` characters drawn uniformly and independently from `alphabet`
 * (borrowed, NUL-terminated, 1 to 256 distinct bytes) by rejection sampling,
 * then a NUL: `out` must hold n + 1 bytes.
 */
void cry_random_string(char *out, size_t n, const char *alphabet);

/* A uniform integer in [0, n); 0 when n < 2. */
uint32_t cry_random_below(uint32_t n);

/*
 * Keyed 64-bit hash (SipHash-2-4, libsodium crypto_shorthash) of `n` bytes,
 * the 8 output bytes read little-endian. Not a MAC for long-lived secrets:
 * for hash tables and opaque ids. `key` is borrowed.
 */
uint64_t cry_shorthash(const unsigned char key[16], const void *p, size_t n);

/*
 * Standard base64 (RFC 4648 section 4, padding optional; the URL-safe
 * alphabet is accepted too) of `in` into `out` (`cap` bytes); `*n` is the
 * decoded length. SE_PARSE for bad input, SE_TOO_LARGE when it does not fit.
 */
enum err cry_base64_decode(struct str in, void *out, size_t cap, size_t *n)
    __attribute__((warn_unused_result));

/*
 * Authenticated encryption of a stream in chunks (libsodium
 * crypto_secretstream_xchacha20poly1305): each chunk costs CRY_SSTREAM_ABYTES
 * bytes, the stream starts with a CRY_SSTREAM_HEADERBYTES random header, and
 * the last chunk carries a FINAL tag so truncation is detected. The state is
 * plain memory holding key material: cry_sstream_wipe it when done.
 */
#define CRY_SSTREAM_KEYBYTES 32
#define CRY_SSTREAM_HEADERBYTES 24
#define CRY_SSTREAM_ABYTES 17
struct cry_sstream {
	_Alignas(16) unsigned char opaque[64];
};
/* Start encrypting under `key` (borrowed); writes the stream header. */
void cry_sstream_push_init(struct cry_sstream *st, unsigned char header[CRY_SSTREAM_HEADERBYTES],
                           const unsigned char key[CRY_SSTREAM_KEYBYTES]);
/*
 * Encrypt `mlen` bytes of `m` into `c` (mlen + CRY_SSTREAM_ABYTES bytes),
 * authenticating `ad` (`adlen` bytes, may be 0) with it; `final` tags the
 * last chunk. SE_INVAL for a chunk over libsodium's maximum.
 */
enum err cry_sstream_push(struct cry_sstream *st, unsigned char *c, const unsigned char *m,
                          size_t mlen, const void *ad, size_t adlen, bool final)
    __attribute__((warn_unused_result));
/* Start decrypting a stream whose header is `header`. SE_PARSE for a bad header. */
enum err cry_sstream_pull_init(struct cry_sstream *st,
                               const unsigned char header[CRY_SSTREAM_HEADERBYTES],
                               const unsigned char key[CRY_SSTREAM_KEYBYTES])
    __attribute__((warn_unused_result));
/*
 * Decrypt and authenticate one chunk of `clen` bytes (at least
 * CRY_SSTREAM_ABYTES) into `m` (clen - CRY_SSTREAM_ABYTES bytes); `*final`
 * tells whether it was the last. SE_PARSE when the chunk, its order or `ad`
 * do not authenticate; `m` then holds nothing usable.
 */
enum err cry_sstream_pull(struct cry_sstream *st, unsigned char *m, const unsigned char *c,
                          size_t clen, const void *ad, size_t adlen, bool *final)
    __attribute__((warn_unused_result));
/* Wipe the state (key material); accepts any state. */
void cry_sstream_wipe(struct cry_sstream *st);

#endif /* SOL_CORE_CRYPTO_H */
