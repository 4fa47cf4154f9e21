/*
 * federation/collections.c: the AS2 collections of local actors (outbox,
 * followers, following, featured; OrderedCollection + pages, FEP-8fcf
 * partial followers per ?domain=) and GET B/objects/{id} (docs/federation.md
 * "Collections and objects").
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "federation/actor.h"
#include "federation/as2.h"
#include "federation/csync.h"
#include "federation/fed.h"
#include "federation/follows.h"
#include "federation/inbox.h"
#include "federation/mapping_int.h"
#include "federation/outbox.h"
#include "federation/policy.h"
#include "http/http.h"
#include "messages/message.h"
#include "storage/store.h"
#include "users/user.h"

/* actor ids in one collection page */
#define COLL_PAGE 50
/* totalItems is counted up to this */
#define COLL_COUNT_MAX 1000000

static struct fed *fed_of(struct req_ctx *ctx)
{
	return ((struct app *)ctx->app)->fed;
}

static enum err reply(struct req_ctx *ctx, json_t *doc)
{
	char *text = doc ? jx_dump(doc) : NULL;

	json_decref(doc);
	if (!text)
		return SE_RAISE(&ctx->ei, SE_NOMEM);
	http_resp_set(ctx->resp, 200, ACTOR_AS2_TYPE, str_from(text));
	mem_free(text);
	return SE_OK;
}

/* {@context, id, type} (new reference). */
static json_t *coll_new(const char *id, const char *type)
{
	json_t *c = json_object();

	if (!c || json_object_set_new(c, "@context", as2_context()) ||
	    json_object_set_new(c, "id", json_string(id)) ||
	    json_object_set_new(c, "type", json_string(type))) {
		json_decref(c);
		return NULL;
	}
	return c;
}

/*
 * Authorized fetch and domain policy for a GET; the local user of the path
 * must exist and be ours. `signer_host` may be NULL.
 */
static enum err guard(struct req_ctx *ctx, struct fed *f, char signer_host[256])
{
	char host[256] = "";
	struct store_txn *txn = NULL;
	enum err rc;

	if (!f)
		return SE_RAISE(&ctx->ei, SE_NotFound);
	rc = finbox_verify_get(f, ctx->req, host, &ctx->ei);
	if (rc)
		return rc == SE_RETRY ? SE_RAISE(&ctx->ei, SE_NotAuthenticated) : rc;
	if (host[0]) {
		rc = store_read_begin(f->store, &txn);
		if (rc)
			return SE_RAISE(&ctx->ei, rc);
		if (!policy_allows_host(txn, str_from(host)))
			rc = SE_RAISE(&ctx->ei, SE_MissingPermission);
		store_read_end(txn);
	}
	if (!rc && signer_host)
		memcpy(signer_host, host, sizeof(host));
	return rc;
}

/* The path's user: a local user id (ULID) that exists; else NotFound. */
static enum err path_user(struct req_ctx *ctx, struct fed *f, struct str *id)
{
	struct store_txn *txn = NULL;
	bool ok;

	*id = ctx->req->params[0];
	if (!ulid_is_valid(*id))
		return SE_RAISE(&ctx->ei, SE_NotFound);
	if (store_read_begin(f->store, &txn))
		return SE_RAISE(&ctx->ei, SE_IO);
	ok = fout_is_local(txn, *id);
	store_read_end(txn);
	return ok ? SE_OK : SE_RAISE(&ctx->ei, SE_NotFound);
}

/* The actor id of user `uid`: a remote's AP id or our actor URL (arena). */
static const char *actor_of(struct fed *f, struct store_txn *txn, struct arena *a, const char *uid,
                            const char **host)
{
	struct fout_remote r;

	if (!fout_remote_of(txn, str_from(uid), a, &r)) {
		*host = r.host;
		return r.id;
	}
	*host = f->host;
	return fed_actor_url(f, a, str_from(uid));
}

/* An empty OrderedCollection (outbox, featured): chat users publish nothing public. */
static enum err empty_coll(struct req_ctx *ctx, const char *suffix)
{
	struct fed *f = fed_of(ctx);
	struct str id;
	const char *url;
	json_t *c;
	enum err rc = guard(ctx, f, NULL);

	if (!rc)
		rc = path_user(ctx, f, &id);
	if (rc)
		return rc;
	url = arena_printf(ctx->arena, "%s%s", fed_actor_url(f, ctx->arena, id), suffix);
	c = url ? coll_new(url, "OrderedCollection") : NULL;
	if (c && (json_object_set_new(c, "totalItems", json_integer(0)) ||
	          json_object_set_new(c, "orderedItems", json_array()))) {
		json_decref(c);
		c = NULL;
	}
	return reply(ctx, c);
}

static enum err outbox_get(struct req_ctx *ctx)
{
	return empty_coll(ctx, "/outbox");
}

static enum err featured_get(struct req_ctx *ctx)
{
	return empty_coll(ctx, "/featured");
}

struct partial {
	struct str domain;
	json_t *items;
};

static enum err partial_fn(void *arg, const char *actor_id, const char *host)
{
	struct partial *p = arg;

	if (str_eq_nocase(str_from(host), p->domain) &&
	    json_array_append_new(p->items, json_string(actor_id)))
		return SE_NOMEM;
	return SE_OK;
}

/*
 * FEP-8fcf: the followers of `id` on host `domain` (all of them, one
 * document): the same list the Collection-Synchronization digest of our
 * deliveries is computed from (fcsync_followers_walk).
 */
static enum err followers_partial(struct req_ctx *ctx, struct fed *f, struct str id,
                                  const char *base, struct str domain)
{
	struct store_txn *txn = NULL;
	json_t *items = json_array(), *c = NULL;
	struct partial p = {domain, items};
	enum err rc = items ? store_read_begin(f->store, &txn) : SE_NOMEM;

	if (!rc) {
		rc = fcsync_followers_walk(f, txn, id, partial_fn, &p);
		store_read_end(txn);
	}
	if (!rc) {
		const char *url =
		    arena_printf(ctx->arena, "%s?domain=%.*s", base, (int)domain.n, domain.p);

		c = url ? coll_new(url, "OrderedCollection") : NULL;
		if (!c ||
		    json_object_set_new(c, "totalItems", json_integer(json_array_size(items))) ||
		    json_object_set(c, "orderedItems", items))
			rc = SE_NOMEM;
	}
	json_decref(items);
	if (rc) {
		json_decref(c);
		return SE_RAISE(&ctx->ei, rc);
	}
	return reply(ctx, c);
}

/* followers / following: the collection, or one page (?page=1 or ?page=<user id cursor>). */
static enum err follow_coll(struct req_ctx *ctx, enum ffollow_side side)
{
	struct fed *f = fed_of(ctx);
	struct str id, pg = http_req_query(ctx->req, "page"),
	               domain = http_req_query(ctx->req, "domain");
	struct store_txn *txn = NULL;
	struct ffollow *page = NULL;
	const char *base;
	size_t total = 0, got = 0;
	bool more = false;
	json_t *c = NULL, *items = NULL;
	enum err rc = guard(ctx, f, NULL);

	if (!rc)
		rc = path_user(ctx, f, &id);
	if (rc)
		return rc;
	base = arena_printf(ctx->arena, "%s/%s", fed_actor_url(f, ctx->arena, id),
	                    side == FFOLLOW_FOLLOWERS ? "followers" : "following");
	if (!base)
		return SE_RAISE(&ctx->ei, SE_NOMEM);
	if (side == FFOLLOW_FOLLOWERS && domain.p && domain.n > 0 && domain.n < 256)
		return followers_partial(ctx, f, id, base, domain);
	if (pg.p && !str_eq_cstr(pg, "1") && !str_eq_cstr(pg, "true") && !ulid_is_valid(pg))
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "page: 1 or a cursor");
	rc = store_read_begin(f->store, &txn);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = ffollow_count(txn, side, id, FFOLLOW_ACCEPTED, COLL_COUNT_MAX, &total);
	if (!rc && !pg.p) {
		c = coll_new(base, "OrderedCollection");
		if (!c || json_object_set_new(c, "totalItems", json_integer((json_int_t)total)) ||
		    json_object_set_new(c, "first",
		                        json_string(arena_printf(ctx->arena, "%s?page=1", base))))
			rc = SE_NOMEM;
		goto out;
	}
	page = xcalloc(COLL_PAGE, sizeof(*page));
	if (!rc)
		rc = ffollow_list(txn, side, id, FFOLLOW_ACCEPTED,
		                  ulid_is_valid(pg) ? pg : STR_NULL, page, COLL_PAGE, &got, &more);
	items = rc ? NULL : json_array();
	for (size_t i = 0; items && !rc && i < got; i++) {
		const char *host,
		    *a = actor_of(f, txn, ctx->arena,
		                  side == FFOLLOW_FOLLOWERS ? page[i].follower : page[i].followee,
		                  &host);

		if (!a || json_array_append_new(items, json_string(a)))
			rc = SE_NOMEM;
	}
	if (!rc) {
		c = coll_new(arena_printf(ctx->arena, "%s?page=%.*s", base, (int)pg.n, pg.p),
		             "OrderedCollectionPage");
		if (!c || !items || json_object_set_new(c, "partOf", json_string(base)) ||
		    json_object_set_new(c, "totalItems", json_integer((json_int_t)total)) ||
		    json_object_set(c, "orderedItems", items))
			rc = SE_NOMEM;
		if (!rc && more && got)
			rc = json_object_set_new(
			         c, "next",
			         json_string(arena_printf(ctx->arena, "%s?page=%s", base,
			                                  side == FFOLLOW_FOLLOWERS
			                                      ? page[got - 1].follower
			                                      : page[got - 1].followee)))
			         ? SE_NOMEM
			         : SE_OK;
	}
out:
	store_read_end(txn);
	mem_free(page);
	json_decref(items);
	if (rc) {
		json_decref(c);
		return SE_RAISE(&ctx->ei, rc);
	}
	http_resp_header(ctx->resp, "Vary", "Accept");
	return reply(ctx, c);
}

static enum err followers_get(struct req_ctx *ctx)
{
	return follow_coll(ctx, FFOLLOW_FOLLOWERS);
}

static enum err following_get(struct req_ctx *ctx)
{
	return follow_coll(ctx, FFOLLOW_FOLLOWING);
}

/*
 * GET B/objects/{id}: a DM Note is not public. It is served only to a signed
 * request from the other participant's host (the signer's host is all the
 * inbox's check gives us); anything else is 404, as if it did not exist.
 */
static enum err object_get(struct req_ctx *ctx)
{
	struct fed *f = fed_of(ctx);
	struct str id = ctx->req->params[0];
	struct store_txn *txn = NULL;
	char signer[256] = "";
	const char *rhost = NULL;
	json_t *msg = NULL, *note = NULL;
	enum err rc = guard(ctx, f, signer);

	if (rc)
		return rc;
	if (!ulid_is_valid(id))
		return SE_RAISE(&ctx->ei, SE_NotFound);
	rc = store_read_begin(f->store, &txn);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = msg_load(txn, id, &msg);
	store_read_end(txn);
	if (!rc)
		rc = fout_note_doc(f, msg, ctx->arena, &note, &rhost, &ctx->ei);
	json_decref(msg);
	if (!rc && (!signer[0] || !rhost || !str_eq_nocase(str_from(signer), str_from(rhost))))
		rc = SE_NOT_FOUND;
	if (rc) {
		json_decref(note);
		return SE_RAISE(&ctx->ei, rc == SE_NOT_FOUND || rc == SE_PARSE ? SE_NotFound : rc);
	}
	http_resp_header(ctx->resp, "Vary", "Accept, Signature");
	return reply(ctx, note);
}

static const struct route routes[] = {
    {HTTP_GET, "/users/{id}/outbox", outbox_get, 0},
    {HTTP_GET, "/users/{id}/followers", followers_get, 0},
    {HTTP_GET, "/users/{id}/following", following_get, 0},
    {HTTP_GET, "/users/{id}/featured", featured_get, 0},
    {HTTP_GET, "/objects/{id}", object_get, 0},
};

const struct route *api_collections_table(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
