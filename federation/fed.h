/*
 * federation/fed.h: the federation context (`app->fed`) and the URLs of
 * our ActivityPub objects.
 *
 * Owns: `struct fed` (base URL, host, user agent, the allow-private flag)
 * and the order in which the federation services start and stop (keys,
 * inbox, delivery). Does not own: cfg, store and bus (borrowed from the
 * app), the services themselves (their modules).
 * Threads: fed_start/fed_stop/fed_release on the main thread; everything
 * else reads the struct concurrently, and nothing in it changes after
 * fed_start.
 * URLs (docs/federation.md): actor B/users/<id>, keys <actor>#main-key and
 * <actor>#ed25519-key, Note B/objects/<message id>, activity
 * B/activities/<ULID>, instance actor B/actor, shared inbox B/inbox, where B
 * is hosts.public_url without a trailing slash.
 */
#ifndef SOL_FEDERATION_FED_H
#define SOL_FEDERATION_FED_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/str.h"

struct app;
struct arena;
struct bus;
struct cfg;
struct route;
struct store;
struct fkeys;
struct fdel;
struct finbox;
struct actor_cache;
struct nodeinfo_cache;
struct fmedia;
struct fsoft;

struct fed {
	const struct cfg *cfg;           /* borrowed from the app */
	struct store *store;             /* borrowed */
	struct bus *bus;                 /* borrowed */
	struct app *app;                 /* borrowed */
	char *base;                      /* public URL, no trailing slash (owned) */
	char *host;                      /* host[:port] of base, lower case (owned) */
	bool allow_private;              /* federation.allow_private || dev.enabled */
	char *user_agent;                /* owned */
	struct fkeys *keys;              /* key ring (federation/keys.h), owned */
	struct fdel *del;                /* delivery service (federation/deliver.h), owned */
	struct finbox *inbox;            /* inbox service (federation/inbox.h), owned */
	struct actor_cache *actors;      /* rendered actor documents (actor.h), owned */
	struct nodeinfo_cache *nodeinfo; /* usage counts (nodeinfo.h), owned */
	struct fmedia *media;            /* remote avatars/banners (media.h), owned */
	struct fsoft *soft;              /* peers' software (software.h), owned by delivery */
};

/*
 * Build app->fed from app->cfg (after cfg_finalize_urls) and start the key
 * ring, the inbox and the delivery workers. With federation.enabled off,
 * app->fed stays NULL and nothing starts. Errors: SE_CONFIG (public URL
 * without a host), whatever the services raise.
 */
enum err fed_start(struct app *app, struct err_info *ei) __attribute__((warn_unused_result));
/* Stop the workers (before store_close). Idempotent; accepts app->fed NULL. */
void fed_stop(struct app *app);
/* Free app->fed and set it NULL. */
void fed_release(struct app *app);

/* `cfg->federation.allow_private || cfg->dev.enabled` */
bool fed_allow_private(const struct cfg *cfg);

/* URLs, arena-allocated; NULL when the arena is exhausted. */
char *fed_actor_url(const struct fed *f, struct arena *a, struct str user_id); /* B/users/<id> */
char *fed_object_url(const struct fed *f, struct arena *a, struct str msg_id); /* B/objects/<id> */
/* B/activities/<new ULID>; NULL on OOM or without randomness. */
char *fed_activity_url(const struct fed *f, struct arena *a);

/*
 * "B/users/<id>" or "B/users/<id>/..." or "B/users/<id>#..." -> the local
 * user id (a slice of `url`). False if the URL is not one of our actors or
 * the id is not a ULID.
 */
bool fed_local_user_of(const struct fed *f, struct str url, struct str *user_id);

/* Discovery routes: WebFinger, host-meta, NodeInfo, actors, profile pages. */
const struct route *api_fed_table(size_t *n);

#endif /* SOL_FEDERATION_FED_H */
