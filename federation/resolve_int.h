/*
 * federation/resolve_int.h: the resolver's in-memory state, shared by
 * resolve.c, resolve_cache.c and inbox.c (nothing outside federation/).
 *
 * Owns: the negative cache of failing URLs, the per-host breaker and the
 * cache of parsed remote public keys (keyId -> EVP_PKEY, owner).
 * Threads: any thread; one mutex guards it all (held only for lookups).
 */
#ifndef SOL_FEDERATION_RESOLVE_INT_H
#define SOL_FEDERATION_RESOLVE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "federation/resolve.h"

/* slots of each table (direct-mapped by hash; a collision evicts) */
#define FRES_NEG_SLOTS 4096
#define FRES_HOST_SLOTS 1024
#define FRES_KEY_SLOTS 4096
/* a cached parsed key is re-read from the store after this long (ms) */
#define FRES_KEY_TTL_MS (5LL * 60 * 1000)
/* a refresh (refetch on a failed verification) of the same actor at most this often (ms) */
#define FRES_REFRESH_MIN_MS (60LL * 1000)

/* remote GETs the resolver runs at once; more answer SE_RETRY (HTTP threads stay free) */
#define FRES_INFLIGHT_MAX 16

/* Takes one of FRES_INFLIGHT_MAX fetch slots; false when all are taken. */
bool fres_cache_fetch_begin(struct fres_cache *c);
/* Gives the slot back. */
void fres_cache_fetch_end(struct fres_cache *c);

/* True while `url` is negatively cached at now_ms. */
bool fres_cache_negative(struct fres_cache *c, const char *url, int64_t now_ms);
/* A fetch of `url` on `host` failed: negative-cache the URL, count the host. */
void fres_cache_fail(struct fres_cache *c, const char *url, const char *host, int64_t now_ms);
/* A fetch from `host` worked: close its breaker, forget `url`'s failure. */
void fres_cache_ok(struct fres_cache *c, const char *url, const char *host);
/* True while the breaker of `host` is open (too many consecutive failures). */
bool fres_cache_host_open(struct fres_cache *c, const char *host, int64_t now_ms);
/* The last refresh of `actor` was less than FRES_REFRESH_MIN_MS ago; else records now_ms. */
bool fres_cache_refresh_too_soon(struct fres_cache *c, const char *actor, int64_t now_ms);

/*
 * Key cache. get: a new EVP_PKEY reference (fkeys_pkey_free) plus the owner
 * (user id, AP id) when cached and fresh. put: takes its own reference.
 */
bool fres_cache_key_get(struct fres_cache *c, const char *key_id, int64_t now_ms, void **evp,
                        char user_id[32], char actor_id[2048]);
void fres_cache_key_put(struct fres_cache *c, const char *key_id, void *evp, const char *user_id,
                        const char *actor_id, int64_t now_ms);
/* Drops every cached key of `actor_id` (refetched or deleted actor). */
void fres_cache_key_drop_actor(struct fres_cache *c, const char *actor_id);

#endif /* SOL_FEDERATION_RESOLVE_INT_H */
