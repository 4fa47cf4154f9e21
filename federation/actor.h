/*
 * federation/actor.h: our actors as ActivityPub documents and the public
 * HTML profile page (docs/federation.md).
 *
 * Owns: GET B/users/{id} (Person, bots Service; browsers get the HTML page),
 * GET B/actor (the instance actor, Application), GET B/@{handle} (the HTML
 * profile page), content negotiation between them, the Tombstone answer for
 * gone accounts, and a cache of rendered actor documents that is checked
 * against the stored records on every hit (no stale document after an
 * edit or a key rotation).
 * Does not own: keys (keys.h), the AS2 context (as2.h), Markdown (markdown.h).
 * Threads: handlers on HTTP worker threads; the cache takes its own lock.
 */
#ifndef SOL_FEDERATION_ACTOR_H
#define SOL_FEDERATION_ACTOR_H

#include <jansson.h>
#include <stdbool.h>

#include "core/err.h"
#include "core/str.h"
#include "http/router.h"

struct fed;
struct arena;
struct actor_cache;

/* AS2 media type we answer with. */
#define ACTOR_AS2_TYPE "application/activity+json; charset=utf-8"

/*
 * The actor document of local user record `user_rec` (a record of the users
 * collection without "ap"): Person or Service with keys, endpoints, icon and
 * image. New reference. Errors: SE_INVAL (a remote user or a record without
 * an id), SE_NOMEM, whatever fkeys_public raises.
 */
json_t *fed_actor_doc(struct fed *f, const json_t *user_rec, struct err_info *ei);

/* The instance actor (Application). New reference; NULL with `ei` set. */
json_t *fed_instance_actor_doc(struct fed *f, struct err_info *ei);

/*
 * Content negotiation on an Accept header value: true when the caller wants
 * HTML (text/html before any AS2 or JSON type, or with a higher q), false
 * for AS2, JSON, * / * and a missing header.
 */
bool actor_wants_html(struct str accept);

struct store_txn;

enum actor_state {
	ACTOR_LIVE,   /* a local user we serve */
	ACTOR_REMOTE, /* a remote actor's record ("ap"): not ours to serve */
	ACTOR_GONE,   /* deleted, disabled, suspended or banned: 410 + Tombstone */
};

/* What to answer for user record `rec` (its account is read in `txn`). */
enum actor_state actor_state_of(struct store_txn *txn, const json_t *rec);

/* An explicit AS2/JSON type in Accept that HTML does not outrank. */
bool actor_wants_as2(struct str accept);

/* The user's profile Markdown as safe HTML into arena; NULL when empty. */
char *actor_summary_html(const json_t *rec, struct arena *a);

/*
 * Answer for local user `id`: the AS2 document (cached), the HTML profile
 * page when `html`, 410 + Tombstone for a gone account, 404 otherwise.
 */
enum err actor_serve(struct req_ctx *ctx, struct fed *f, struct str id, bool html);

/* "<username>_<discriminator>" of a user record into arena; NULL on OOM or no username. */
char *actor_handle(const json_t *user_rec, struct arena *a);

/* The rendered-document cache (fed_start/fed_release). */
struct actor_cache *actor_cache_new(void);
void actor_cache_free(struct actor_cache *c);

/* Route handlers (federation/fed.c lists them). */
enum err actor_get(struct req_ctx *ctx);          /* GET /users/{id} */
enum err actor_instance_get(struct req_ctx *ctx); /* GET /actor */
enum err actor_profile_page(struct req_ctx *ctx); /* GET /@{handle} (profile.c) */

/*
 * Write the HTML profile page of local user `user_rec` into the response
 * (profile.c). `summary_html` is already safe HTML (may be NULL).
 */
/* 410 with a short HTML page saying the account is gone (profile.c). */
enum err actor_profile_gone(struct req_ctx *ctx);

enum err actor_profile_render(struct fed *f, struct req_ctx *ctx, const json_t *user_rec,
                              const char *summary_html);

#endif /* SOL_FEDERATION_ACTOR_H */
