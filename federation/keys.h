/*
 * federation/keys.h: actor key pairs (prefix fkeys_).
 *
 * Owns: one RSA-2048 and one Ed25519 pair per local actor (a user id, or
 * "instance" for the instance actor), created on first use and stored in the
 * collection "ap_keys" with the private halves encrypted at rest
 * (XChaCha20-Poly1305, the record id as associated data) under the key from
 * cfg federation.key_encryption_key or <data>/keys/federation.key; a bounded
 * in-memory cache of parsed private keys; rotation; parsing remote public keys
 * (PEM SPKI / PKCS#1, Ed25519 SPKI, FEP-521a Multikey multibase).
 * Does not own: publishing keys in actor documents (federation/actor.h), the
 * signatures themselves (federation/httpsig.h).
 * Threads: every function is thread-safe; generation runs outside any store
 * write and the first pair written wins (a racing thread adopts it).
 * Memory: EVP_PKEY pointers are passed as void * (new references: the caller
 * frees with fkeys_pkey_free); public strings go to the caller's arena.
 */
#ifndef SOL_FEDERATION_KEYS_H
#define SOL_FEDERATION_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

struct arena;
struct cfg;
struct store;
struct fkeys;

/*
 * id = local user id or "instance"; record {rsa_pub (SPKI PEM), rsa_priv
 * (b64 of nonce + ciphertext of the PKCS#8 PEM), ed_pub (multibase "z..."),
 * ed_priv (the same for the 32-byte seed), created (ms), rotated (ms, 0),
 * prev_rsa_pub, prev_ed_pub, prev_until (ms): the public halves replaced by
 * the last rotation, published until prev_until}.
 */
#define FKEYS_COLL "ap_keys"
#define FKEYS_COLL_DEF                                                                             \
	{                                                                                          \
		FKEYS_COLL, NULL, 0                                                                \
	}
/* the record id of the instance actor's keys */
#define FKEYS_INSTANCE "instance"
/* parsed private keys kept in memory */
#define FKEYS_CACHE_MAX 1024
/* how long the public keys replaced by a rotation stay published (ms) */
#define FKEYS_GRACE_MS (7LL * 24 * 3600 * 1000)
/* bytes of a remote PEM we accept */
#define FKEYS_PEM_MAX 16384

/*
 * Loads the at-rest key (cfg->federation.key_encryption_key, base64 of 32
 * bytes, else <cfg->storage.data>/keys/federation.key, created 0600 when
 * missing). `cfg` and `s` are borrowed until fkeys_close. `*out` is owned.
 * Returns SE_OK, SE_CONFIG (bad key text), SE_IO.
 */
enum err fkeys_open(const struct cfg *cfg, struct store *s, struct fkeys **out, struct err_info *ei)
    __attribute__((warn_unused_result));
/* Same with the at-rest key given directly (tests, tools). */
enum err fkeys_open_with_key(const unsigned char key[32], struct store *s, struct fkeys **out,
                             struct err_info *ei) __attribute__((warn_unused_result));
/* Wipes the key and the cache. Accepts NULL. */
void fkeys_close(struct fkeys *k);

/* Public parts, creating the pair on first use. Strings in `a` (arena).
 * rsa_pem_prev / ed_multibase_prev are the keys replaced by the last rotation
 * while their grace period lasts, else NULL. */
struct fkeys_pub {
	const char *rsa_pem;
	const char *ed_multibase;
	const char *rsa_pem_prev;
	const char *ed_multibase_prev;
	int64_t created_ms;
};
/*
 * Returns SE_OK, SE_INVAL (empty or over-long owner id), SE_NOMEM, SE_IO,
 * SE_PARSE (a stored record that does not decode).
 */
enum err fkeys_public(struct fkeys *k, struct str owner_id, struct arena *a, struct fkeys_pub *out,
                      struct err_info *ei) __attribute__((warn_unused_result));

/*
 * Private key for signing (EVP_PKEY *, a new reference: fkeys_pkey_free),
 * creating the pair on first use; served from the cache after the first
 * call. Errors as fkeys_public, plus SE_PARSE when the stored key does not
 * decrypt (wrong at-rest key).
 */
enum err fkeys_private_rsa(struct fkeys *k, struct str owner_id, void **evp_out,
                           struct err_info *ei) __attribute__((warn_unused_result));
enum err fkeys_private_ed25519(struct fkeys *k, struct str owner_id, void **evp_out,
                               struct err_info *ei) __attribute__((warn_unused_result));

/*
 * New pairs for `owner_id` (created if it had none); the old public halves are
 * kept as prev_* for FKEYS_GRACE_MS; the cache entry is dropped. The caller
 * sends the actor Update. Errors as fkeys_public.
 */
enum err fkeys_rotate(struct fkeys *k, struct str owner_id, struct err_info *ei)
    __attribute__((warn_unused_result));

/* Drops a key from the cache (tests; after an external change). */
void fkeys_forget(struct fkeys *k, struct str owner_id);

/* ---- remote public keys (pure) ---- */

/*
 * `BEGIN PUBLIC KEY` (SPKI: RSA or Ed25519) or `BEGIN RSA PUBLIC KEY`
 * (PKCS#1), at most FKEYS_PEM_MAX bytes; RSA keys under 1024 or over 8192
 * bits are refused. `*evp_out` is a new reference. SE_PARSE, SE_INVAL
 * (unsupported key type or size), SE_TOO_LARGE.
 */
enum err fkeys_parse_pem(struct str pem, void **evp_out, struct err_info *ei)
    __attribute__((warn_unused_result));
/* FEP-521a Multikey: "z" + base58btc(0xed 0x01 + 32 bytes) -> Ed25519 key.
 * SE_PARSE, SE_INVAL (another multicodec). */
enum err fkeys_parse_multibase(struct str mb, void **evp_out, struct err_info *ei)
    __attribute__((warn_unused_result));
/* The multibase text of an Ed25519 public key (raw 32 bytes) into `out`
 * (at least FKEYS_MULTIBASE_MAX bytes). */
#define FKEYS_MULTIBASE_MAX 64
void fkeys_ed25519_multibase(const unsigned char pub[32], char out[FKEYS_MULTIBASE_MAX]);

/* Releases an EVP_PKEY from this module or httpsig. Accepts NULL. */
void fkeys_pkey_free(void *evp);

#endif /* SOL_FEDERATION_KEYS_H */
