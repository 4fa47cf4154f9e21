/*
 * federation/resolve.h: remote actors, fetched and cached as user records.
 *
 * Owns: signed GETs as the instance actor (cavage first, RFC 9421 on 401),
 * validating remote actor documents (id host == fetched host, actor type,
 * inbox, keys), creating/updating the user record that stands for a remote
 * actor (username "<preferredUsername>@<host>", an "ap" object) and its
 * ap_ids mapping, key lookup by keyId, WebFinger lookups of "user@host", and
 * the per-host breaker and negative cache that keep us from hammering a host.
 * Does not own: the HTTP client (core/fetch.h), signature crypto
 * (federation/httpsig.h, keys.h), domain policy (federation/policy.h).
 * Threads: any thread; the breaker/negative cache has its own lock.
 */
#ifndef SOL_FEDERATION_RESOLVE_H
#define SOL_FEDERATION_RESOLVE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

struct fed;

/* a cached actor is refetched after this long (ms) */
#define FRES_TTL_MS (24LL * 3600 * 1000)
/* a failing fetch is not retried for this long (ms) */
#define FRES_NEGATIVE_MS (10LL * 60 * 1000)
/* consecutive failures from one host before its breaker opens */
#define FRES_BREAKER_FAILS 5
/* keys per actor we keep */
#define FRES_KEYS_MAX 8

/* The negative cache and per-host breaker (owned by the inbox service). */
struct fres_cache;
struct fres_cache *fres_cache_new(void);
/* Accepts NULL. */
void fres_cache_free(struct fres_cache *c);

/*
 * The user id standing for the actor `actor_url`: from the store when known
 * and fresh (and !refresh), else fetched, validated and written (user +
 * ap_ids, one store_write). Publishes UserUpdate when a known user changed.
 * Errors: SE_MissingPermission (the host's domain is blocked),
 * SE_INVAL (bad URL or document, ei->detail says why), SE_NOT_FOUND (404/410;
 * ei->status holds the HTTP status), SE_RETRY (negative cache or breaker:
 * try later), SE_IO/SE_TIMEOUT (network), store errors.
 */
enum err fres_actor(struct fed *f, const char *actor_url, bool refresh, char user_id[32],
                    struct err_info *ei) __attribute__((warn_unused_result));

/* "alice@host" or "@alice@host" -> WebFinger -> fres_actor. Errors as fres_actor. */
enum err fres_handle(struct fed *f, struct str handle, char user_id[32], struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * Signed GET (instance actor key) of any AS2 document; `*out` is a new
 * reference. Errors as fres_actor (SE_NOT_FOUND for 404/410, SE_INVAL for a
 * non-2xx status or a body that is not a JSON object).
 */
enum err fres_get_json(struct fed *f, const char *url, json_t **out, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * The public key `key_id` names: keyId -> actor URL (fragment stripped;
 * GoToSocial's "<actor>/main-key" form is fetched and its owner followed) ->
 * the actor's user record -> the key with that id. `refresh` forces a
 * refetch of the actor (verification failed: key rotation). `*evp_out` is a
 * new EVP_PKEY reference (EVP_PKEY_free); `user_id` and `actor_id` (the AP id,
 * at least 2048 bytes) receive the owner. Errors as fres_actor, SE_NOT_FOUND
 * when the actor has no such key.
 */
enum err fres_key(struct fed *f, const char *key_id, bool refresh, void **evp_out, char user_id[32],
                  char actor_id[2048], struct err_info *ei) __attribute__((warn_unused_result));

/*
 * Same, from the store only (no network): SE_NOT_FOUND when the key is not
 * cached. Used for the Delete-of-self short-circuit.
 */
enum err fres_key_cached(struct fed *f, const char *key_id, void **evp_out, char user_id[32],
                         char actor_id[2048], struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * Pure: validate a fetched actor document `doc` against the URL it was
 * fetched from (`fetched_url`, after redirects): the id's host[:port] must
 * equal the fetched one, the type an actor type, inbox and
 * preferredUsername present, at least one key (publicKey object or array
 * with publicKeyPem, or an assertionMethod Multikey) whose id is on the same
 * host. Renders the "ap" object the user record keeps (new reference in
 * `*ap_out`), the username "<preferredUsername>@<host>" and the display
 * name (at most 32 characters, controls removed). `allow_http` accepts http
 * URLs. Fuzzed by tests/fuzz/fuzz_resolve.c. Returns SE_OK, SE_INVAL with
 * the reason in ei->detail, SE_NOMEM.
 */
enum err fres_actor_parse(const json_t *doc, const char *fetched_url, int64_t now_ms,
                          bool allow_http, json_t **ap_out, char username[128], char display[128],
                          struct err_info *ei) __attribute__((warn_unused_result));

/*
 * Pure: the href of the first "self" link of a WebFinger JRD whose type is
 * application/activity+json or application/ld+json with the AS2 profile.
 * Returns SE_OK, SE_INVAL (not a JRD), SE_NOT_FOUND (no such link).
 */
enum err fres_jrd_self(const json_t *jrd, bool allow_http, char href[2048], struct err_info *ei)
    __attribute__((warn_unused_result));

#endif /* SOL_FEDERATION_RESOLVE_H */
