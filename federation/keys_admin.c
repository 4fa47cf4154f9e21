/*
 * federation/keys_admin.c: POST /admin/api/federation/keys/{owner}/rotate —
 * an operator rotates a local user's (or the instance actor's) key pairs;
 * the user's remote followers get Update{Person} with the new keys. The
 * old public keys stay in the actor document for the key ring's grace
 * period, so deliveries signed just before the rotation still verify.
 */
#include <jansson.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "federation/admin.h"
#include "federation/fed.h"
#include "federation/keys.h"
#include "federation/keys_admin.h"
#include "federation/outbox.h"
#include "http/http.h"
#include "http/router.h"
#include "storage/store.h"
#include "users/user.h"

/* bytes of the answer's strings (PEM, key ids) */
#define KADM_ARENA_MAX (64u << 10)

static struct fed *fed_of(struct req_ctx *ctx)
{
	return ((struct app *)ctx->app)->fed;
}

/* SE_OK when `id` is a local user (a record without "ap"); SE_NOT_FOUND otherwise. */
static enum err local_user(struct fed *f, struct str id)
{
	struct store_txn *t = NULL;
	json_t *u = NULL;
	enum err rc;

	if (!ulid_is_valid(id))
		return SE_NOT_FOUND;
	rc = store_read_begin(f->store, &t);
	if (rc)
		return rc;
	rc = user_load(t, id, &u);
	store_read_end(t);
	if (!rc && json_object_get(u, "ap"))
		rc = SE_NOT_FOUND;
	json_decref(u);
	return rc == SE_PARSE ? SE_NOT_FOUND : rc;
}

enum err fkadm_rotate(struct fed *f, struct str owner, bool *notified, struct err_info *ei)
{
	bool instance = str_eq_cstr(owner, FKEYS_INSTANCE);
	enum err rc;

	*notified = false;
	if (!instance) {
		rc = local_user(f, owner);
		if (rc)
			return SE_RAISE(ei, rc);
	}
	rc = fkeys_rotate(f->keys, owner, ei);
	if (rc)
		return rc;
	log_info("fed: keys of %.*s rotated", (int)owner.n, owner.p);
	if (instance)
		return SE_OK;
	/* the new keys travel in the actor document (fed_actor_doc reads the ring) */
	rc = fout_profile_update(f, owner, ei);
	if (rc) {
		log_warn("fed: keys of %.*s rotated but the Update was not queued: %s",
		         (int)owner.n, owner.p, err_type(rc));
		return rc;
	}
	*notified = true;
	return SE_OK;
}

static enum err rotate(struct req_ctx *ctx)
{
	struct fed *f = fed_of(ctx);
	struct str owner = ctx->req->params[0];
	struct arena a = ARENA_INIT(KADM_ARENA_MAX);
	struct fkeys_pub pub;
	bool instance = str_eq_cstr(owner, FKEYS_INSTANCE), notified = false;
	const char *actor, *rsa_id, *ed_id;
	json_t *out = NULL;
	char *text = NULL;
	enum err rc = fadmin_require(ctx);

	if (rc)
		goto out;
	rc = fkadm_rotate(f, owner, &notified, &ctx->ei);
	if (rc == SE_NOT_FOUND) {
		rc = SE_RAISE(&ctx->ei, SE_NotFound);
		goto out;
	}
	if (rc)
		goto out;
	rc = fkeys_public(f->keys, owner, &a, &pub, &ctx->ei);
	if (rc)
		goto out;
	actor = instance ? arena_printf(&a, "%s/actor", f->base) : fed_actor_url(f, &a, owner);
	rsa_id = actor ? arena_printf(&a, "%s#main-key", actor) : NULL;
	ed_id = actor ? arena_printf(&a, "%s#ed25519-key", actor) : NULL;
	out = rsa_id && ed_id && pub.rsa_pem && pub.ed_multibase
	          ? json_pack("{s:s%, s:s, s:s, s:s, s:s, s:b}", "owner", owner.p, owner.n,
	                      "key_id", rsa_id, "ed_key_id", ed_id, "rsa_public_pem", pub.rsa_pem,
	                      "ed_multibase", pub.ed_multibase, "followers_notified", (int)notified)
	          : NULL;
	text = out ? jx_dump(out) : NULL;
	if (!text) {
		rc = SE_RAISE(&ctx->ei, SE_NOMEM);
		goto out;
	}
	http_resp_set(ctx->resp, 200, "application/json", str_from(text));
out:
	mem_free(text);
	json_decref(out);
	arena_release(&a);
	return rc;
}

/* clang-format off */
static const struct route routes[] = {
    {HTTP_POST, "/admin/api/federation/keys/{owner}/rotate", rotate, API_SESSION},
};
/* clang-format on */

const struct route *api_fed_keys_table(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
