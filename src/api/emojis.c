/*
 * api/emojis.c: custom emojis (revoltchat/backend crates/delta/src/routes/
 * customisation/emoji_*.rs and servers/emoji_list.rs): create on a server
 * (ManageCustomisation, at most EMOJI_SERVER_MAX), fetch (no
 * authentication), delete (creator or ManageCustomisation) and a server's
 * list (members). Creation claims the caller's upload to /autumn/emojis
 * (emoji_file_claim); the emoji id is the file id.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "api/members.h"
#include "app.h"
#include "core/jx.h"
#include "core/mem.h"
#include "perms/perms.h"
#include "servers/emoji.h"
#include "servers/members.h"
#include "storage/store.h"

static enum err emoji_create(struct req_ctx *ctx);
static enum err emoji_fetch(struct req_ctx *ctx);
static enum err emoji_delete(struct req_ctx *ctx);
static enum err emoji_list(struct req_ctx *ctx);

static const struct route emoji_routes[] = {
    {HTTP_PUT, "/api/custom/emoji/{id}", emoji_create, API_USER},
    {HTTP_GET, "/api/custom/emoji/{id}", emoji_fetch, 0},
    {HTTP_DELETE, "/api/custom/emoji/{id}", emoji_delete, API_USER},
    {HTTP_GET, "/api/servers/{target}/emojis", emoji_list, API_USER},
};

const struct route *api_emojis_table(size_t *n)
{
	*n = sizeof(emoji_routes) / sizeof(emoji_routes[0]);
	return emoji_routes;
}

struct create_op {
	struct req_ctx *ctx;
	struct str server;
	json_t *emoji; /* the record; "animated" set by the claim */
};

static enum err create_fn(struct store_wtxn *w, void *arg)
{
	struct create_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	struct api_srv s = API_SRV_INIT;
	struct str me = str_from(api_who(op->ctx)->user_id);
	size_t n = 0;
	bool animated = false;
	char *text = NULL;
	enum err rc = api_srv_load(txn, op->server, me.p, api_now_ms(), &s);

	if (!rc)
		rc = perm_require(s.st.perms, PERM_MANAGE_CUSTOMISATION, store_wtxn_ei(w));
	if (!rc)
		rc = member_count(txn, EMOJI_COLL, EMOJI_IDX_SERVER, op->server, EMOJI_SERVER_MAX,
		                  &n);
	if (!rc && n >= EMOJI_SERVER_MAX) {
		store_wtxn_ei(w)->max = EMOJI_SERVER_MAX;
		rc = SE_TooManyEmoji;
	}
	if (!rc)
		rc = emoji_file_claim(w, op->ctx->req->params[0], me, &animated);
	if (!rc && animated)
		json_object_set_new(op->emoji, "animated", json_true());
	if (!rc) {
		text = json_dumps(op->emoji, JSON_COMPACT | JSON_PRESERVE_ORDER);
		rc = text ? store_create(w, EMOJI_COLL, op->ctx->req->params[0], str_from(text))
		          : SE_NOMEM;
	}
	/* a second create with the same upload: the backend finds no unused file */
	if (rc == SE_EXISTS)
		rc = SE_RAISEF(store_wtxn_ei(w), SE_UnknownAttachment, "upload already used");
	mem_free(text);
	api_srv_release(&s);
	return rc;
}

static enum err emoji_create(struct req_ctx *ctx)
{
	struct create_op op = {ctx, STR_NULL, NULL};
	const json_t *parent;
	const char *ptype;
	struct str name;
	bool nsfw = false;
	json_t *body = NULL;
	enum err rc = api_body(ctx, &body);

	if (!rc)
		rc = api_str(ctx, body, "name", EMOJI_NAME_MAX, &name);
	if (!rc && !emoji_name_ok(name))
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation,
		               "'name' must be 1-32 of a-z, 0-9 and '_'");
	if (!rc) {
		rc = jx_get_bool(body, "nsfw", &nsfw, &ctx->ei);
		if (rc == SE_NOT_FOUND)
			rc = SE_OK;
		else if (rc)
			rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "'nsfw' must be a boolean");
	}
	parent = json_object_get(body, "parent");
	ptype = json_string_value(json_object_get(parent, "type"));
	if (!rc && (!ptype || (strcmp(ptype, "Server") != 0 && strcmp(ptype, "Detached") != 0)))
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "'parent' must be an EmojiParent");
	if (!rc && strcmp(ptype, "Detached") == 0)
		rc = SE_RAISE(&ctx->ei, SE_InvalidOperation);
	if (!rc)
		rc = api_str(ctx, parent, "id", STORE_ID_MAX, &op.server);
	if (!rc) {
		op.emoji = json_pack("{s:s%, s:{s:s, s:s%}, s:s, s:s%}", "_id",
		                     ctx->req->params[0].p, ctx->req->params[0].n, "parent", "type",
		                     "Server", "id", op.server.p, op.server.n, "creator_id",
		                     api_who(ctx)->user_id, "name", name.p, name.n);
		rc = op.emoji ? SE_OK : SE_RAISE(&ctx->ei, SE_NOMEM);
	}
	if (!rc && nsfw)
		json_object_set_new(op.emoji, "nsfw", json_true());
	if (!rc)
		rc = store_write(api_app(ctx)->store, create_fn, &op, &ctx->ei);
	if (rc) {
		json_decref(body);
		json_decref(op.emoji);
		return SE_RAISE(&ctx->ei, rc);
	}
	{
		json_t *ev = json_deep_copy(op.emoji);

		if (ev)
			json_object_set_new(ev, "type", json_string("EmojiCreate"));
		/* op.server is borrowed from body */
		api_publish(api_app(ctx), op.server, ev);
	}
	json_decref(body);
	return api_json(ctx, 200, op.emoji);
}

static enum err emoji_fetch(struct req_ctx *ctx)
{
	struct store_txn *txn = NULL;
	json_t *e = NULL;
	enum err rc = store_read_begin(api_app(ctx)->store, &txn);

	if (!rc)
		rc = emoji_load(txn, ctx->req->params[0], &e);
	store_read_end(txn);
	if (rc)
		return SE_RAISE(&ctx->ei, rc == SE_NOT_FOUND ? SE_NotFound : rc);
	return api_json(ctx, 200, e);
}

struct delete_op {
	struct req_ctx *ctx;
	char server[32]; /* output: the parent server */
};

static enum err delete_fn(struct store_wtxn *w, void *arg)
{
	struct delete_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	struct api_srv s = API_SRV_INIT;
	const char *me = api_who(op->ctx)->user_id, *creator, *sid;
	json_t *e = NULL;
	enum err rc = emoji_load(txn, op->ctx->req->params[0], &e);

	if (rc)
		return rc == SE_NOT_FOUND ? SE_NotFound : rc;
	creator = json_string_value(json_object_get(e, "creator_id"));
	sid = json_string_value(json_object_get(json_object_get(e, "parent"), "id"));
	snprintf(op->server, sizeof(op->server), "%s", sid ? sid : "");
	if (!creator || strcmp(creator, me) != 0) {
		rc = api_srv_load(txn, str_from(op->server), me, api_now_ms(), &s);
		if (!rc)
			rc = perm_require(s.st.perms, PERM_MANAGE_CUSTOMISATION, store_wtxn_ei(w));
		api_srv_release(&s);
	}
	if (!rc)
		rc = store_delete(w, EMOJI_COLL, op->ctx->req->params[0]);
	json_decref(e);
	return rc;
}

static enum err emoji_delete(struct req_ctx *ctx)
{
	struct delete_op op;
	enum err rc;

	memset(&op, 0, sizeof(op));
	op.ctx = ctx;
	rc = store_write(api_app(ctx)->store, delete_fn, &op, &ctx->ei);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	if (op.server[0])
		api_publish(api_app(ctx), str_from(op.server),
		            json_pack("{s:s, s:s%}", "type", "EmojiDelete", "id",
		                      ctx->req->params[0].p, ctx->req->params[0].n));
	return api_no_content(ctx);
}

struct list_arg {
	struct store_txn *txn;
	json_t *out;
};

static enum err list_one(struct str id, void *arg)
{
	struct list_arg *a = arg;
	json_t *e = NULL;

	if (emoji_load(a->txn, id, &e) == SE_OK)
		json_array_append_new(a->out, e);
	return SE_OK;
}

static enum err emoji_list(struct req_ctx *ctx)
{
	struct list_arg a = {NULL, json_array()};
	struct api_srv s = API_SRV_INIT;
	struct str sid = ctx->req->params[0];
	enum err rc = a.out ? store_read_begin(api_app(ctx)->store, &a.txn) : SE_NOMEM;

	if (!rc)
		rc = api_srv_load(a.txn, sid, api_who(ctx)->user_id, api_now_ms(), &s);
	/* emoji_list.rs: non-members get NotFound */
	if (!rc && !s.st.member)
		rc = SE_NotFound;
	if (!rc)
		rc = member_walk(a.txn, EMOJI_COLL, EMOJI_IDX_SERVER, sid, EMOJI_SERVER_MAX * 2,
		                 list_one, &a);
	if (rc == SE_FULL)
		rc = SE_OK;
	store_read_end(a.txn);
	api_srv_release(&s);
	if (rc) {
		json_decref(a.out);
		return SE_RAISE(&ctx->ei, rc);
	}
	return api_json(ctx, 200, a.out);
}
