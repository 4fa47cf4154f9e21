/*
 * api/webhooks.c: channel webhooks (revoltchat/backend crates/delta/src/
 * routes/channels/webhook_*.rs and routes/webhooks/): create and list on a
 * channel, and fetch / edit / delete by session or by token. The
 * /webhooks/ routes exist only with api.webhooks_enabled (REVOLT.md
 * section 1); otherwise they answer 404 like an unknown path.
 */
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "api/members.h"
#include "app.h"
#include "channels/channel.h"
#include "channels/group.h"
#include "channels/webhook.h"
#include "core/cfg.h"
#include "core/ulid.h"
#include "perms/perms.h"
#include "storage/store.h"
#include "users/user.h"

static enum err wh_create(struct req_ctx *ctx);
static enum err wh_list(struct req_ctx *ctx);
static enum err wh_fetch(struct req_ctx *ctx);
static enum err wh_edit(struct req_ctx *ctx);
static enum err wh_delete(struct req_ctx *ctx);
static enum err wh_fetch_token(struct req_ctx *ctx);
static enum err wh_edit_token(struct req_ctx *ctx);
static enum err wh_delete_token(struct req_ctx *ctx);

static const struct route webhook_routes[] = {
    {HTTP_POST, "/api/channels/{target}/webhooks", wh_create, API_USER},
    {HTTP_GET, "/api/channels/{target}/webhooks", wh_list, API_USER},
    {HTTP_GET, "/api/webhooks/{id}", wh_fetch, API_USER},
    {HTTP_PATCH, "/api/webhooks/{id}", wh_edit, API_USER},
    {HTTP_DELETE, "/api/webhooks/{id}", wh_delete, API_USER},
    {HTTP_GET, "/api/webhooks/{id}/{token}", wh_fetch_token, 0},
    {HTTP_PATCH, "/api/webhooks/{id}/{token}", wh_edit_token, 0},
    {HTTP_DELETE, "/api/webhooks/{id}/{token}", wh_delete_token, 0},
};

const struct route *api_webhooks_table(size_t *n)
{
	*n = sizeof(webhook_routes) / sizeof(webhook_routes[0]);
	return webhook_routes;
}

/* The /webhooks/ mount: NotFound unless api.webhooks_enabled. */
static enum err mounted(struct req_ctx *ctx)
{
	return api_app(ctx)->cfg->api.webhooks_enabled ? SE_OK : SE_RAISE(&ctx->ei, SE_NotFound);
}

/* The caller's permissions in channel record `ch`. */
static uint64_t my_perms(struct req_ctx *ctx, struct store_txn *txn, const json_t *ch)
{
	struct str me = str_from(api_who(ctx)->user_id);
	json_t *rec = NULL;
	uint64_t p;

	if (user_load(txn, me, &rec))
		rec = NULL;
	p = group_channel_perms(txn, ch, rec, me, api_now_ms());
	json_decref(rec);
	return p;
}

/* Channel `id` and the caller's `need` bits in it. NotFound, MissingPermission. */
static enum err channel_need(struct req_ctx *ctx, struct store_txn *txn, struct str id,
                             uint64_t need, json_t **ch, struct err_info *ei)
{
	enum err rc = channel_load(txn, id, ch);

	if (rc)
		return rc == SE_NOT_FOUND ? SE_NotFound : rc;
	rc = perm_require(my_perms(ctx, txn, *ch), need, ei);
	if (rc) {
		json_decref(*ch);
		*ch = NULL;
	}
	return rc;
}

static void publish(struct req_ctx *ctx, const json_t *wh, json_t *ev)
{
	const char *ch = json_string_value(json_object_get(wh, "channel_id"));

	if (ch)
		api_publish(api_app(ctx), str_from(ch), ev);
	else
		json_decref(ev);
}

/* ---- create, list ---- */

struct create_op {
	struct req_ctx *ctx;
	json_t *wh; /* the record to create */
};

static enum err create_fn(struct store_wtxn *w, void *arg)
{
	struct create_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	json_t *ch = NULL;
	enum err rc = channel_load(txn, op->ctx->req->params[0], &ch);

	if (rc)
		return rc == SE_NOT_FOUND ? SE_NotFound : rc;
	if (channel_type_of(ch) != CHANNEL_TEXT && channel_type_of(ch) != CHANNEL_GROUP)
		rc = SE_InvalidOperation;
	if (!rc)
		rc = perm_require(my_perms(op->ctx, txn, ch), PERM_MANAGE_WEBHOOKS,
		                  store_wtxn_ei(w));
	json_decref(ch);
	return rc ? rc : webhook_save(w, op->wh, true);
}

static enum err wh_create(struct req_ctx *ctx)
{
	struct create_op op = {ctx, NULL};
	char id[ULID_LEN + 1];
	struct str name, avatar;
	struct ulid u;
	json_t *body = NULL, *ev;
	enum err rc = api_body(ctx, &body);

	if (!rc)
		rc = api_str(ctx, body, "name", WEBHOOK_NAME_MAX * 4, &name);
	if (!rc && (name.n == 0 || api_utf8_len(name) > WEBHOOK_NAME_MAX))
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "'name' must be 1-32 characters");
	if (!rc) {
		rc = api_str_opt(ctx, body, "avatar", WEBHOOK_AVATAR_MAX, &avatar);
		/* files are not stored yet: no upload id can be claimed */
		if (rc == SE_OK)
			rc = SE_RAISE(&ctx->ei, SE_UnknownAttachment);
		else if (rc == SE_NOT_FOUND)
			rc = SE_OK;
	}
	if (!rc)
		rc = ulid_generate(NULL, &u);
	if (!rc) {
		ulid_encode(&u, id);
		op.wh = webhook_record_new(str_from(id), name, str_from(api_who(ctx)->user_id),
		                           ctx->req->params[0]);
		rc = op.wh ? SE_OK : SE_NOMEM;
	}
	if (!rc)
		rc = store_write(api_app(ctx)->store, create_fn, &op, &ctx->ei);
	json_decref(body);
	if (rc) {
		json_decref(op.wh);
		return SE_RAISE(&ctx->ei, rc);
	}
	ev = webhook_view_event(op.wh);
	if (ev)
		json_object_set_new(ev, "type", json_string("WebhookCreate"));
	publish(ctx, op.wh, ev);
	return api_json(ctx, 200, op.wh);
}

struct list_arg {
	struct store_txn *txn;
	json_t *out;
};

static enum err list_one(struct str id, void *arg)
{
	struct list_arg *a = arg;
	json_t *wh = NULL;

	if (webhook_load(a->txn, id, &wh) == SE_OK)
		json_array_append_new(a->out, wh);
	return SE_OK;
}

static enum err wh_list(struct req_ctx *ctx)
{
	struct list_arg a = {NULL, json_array()};
	json_t *ch = NULL;
	enum err rc = a.out ? store_read_begin(api_app(ctx)->store, &a.txn) : SE_NOMEM;

	if (!rc)
		rc = channel_need(ctx, a.txn, ctx->req->params[0], PERM_MANAGE_WEBHOOKS, &ch,
		                  &ctx->ei);
	if (!rc)
		rc = webhook_walk(a.txn, ctx->req->params[0], list_one, &a);
	if (rc == SE_FULL)
		rc = SE_OK;
	store_read_end(a.txn);
	json_decref(ch);
	if (rc) {
		json_decref(a.out);
		return SE_RAISE(&ctx->ei, rc);
	}
	return api_json(ctx, 200, a.out);
}

/* ---- fetch ---- */

/* Webhook params[0]; with a token (params[1]) it must match: NotAuthenticated. */
static enum err load_hook(struct req_ctx *ctx, struct store_txn *txn, bool by_token, json_t **wh)
{
	enum err rc = webhook_load(txn, ctx->req->params[0], wh);

	if (rc)
		return rc == SE_NOT_FOUND ? SE_NotFound : rc;
	if (by_token && !webhook_token_ok(*wh, ctx->req->params[1])) {
		json_decref(*wh);
		*wh = NULL;
		ctx->ei.status = 0;
		return SE_NotAuthenticated;
	}
	return SE_OK;
}

static enum err wh_fetch(struct req_ctx *ctx)
{
	struct store_txn *txn = NULL;
	json_t *wh = NULL, *ch = NULL, *out = NULL;
	const char *cid;
	enum err rc = mounted(ctx);

	if (!rc)
		rc = store_read_begin(api_app(ctx)->store, &txn);
	if (!rc)
		rc = load_hook(ctx, txn, false, &wh);
	if (!rc) {
		cid = json_string_value(json_object_get(wh, "channel_id"));
		rc = channel_need(ctx, txn, str_from(cid ? cid : ""), PERM_VIEW_CHANNEL, &ch,
		                  &ctx->ei);
	}
	store_read_end(txn);
	if (!rc)
		out = webhook_view_response(wh);
	json_decref(wh);
	json_decref(ch);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	return out ? api_json(ctx, 200, out) : SE_RAISE(&ctx->ei, SE_NOMEM);
}

static enum err wh_fetch_token(struct req_ctx *ctx)
{
	struct store_txn *txn = NULL;
	json_t *wh = NULL;
	enum err rc = mounted(ctx);

	if (!rc)
		rc = store_read_begin(api_app(ctx)->store, &txn);
	if (!rc)
		rc = load_hook(ctx, txn, true, &wh);
	store_read_end(txn);
	return rc ? SE_RAISE(&ctx->ei, rc) : api_json(ctx, 200, wh);
}

/* ---- edit ---- */

struct edit_op {
	struct req_ctx *ctx;
	bool by_token;
	struct str name; /* STR_NULL: unchanged */
	bool has_perms, rm_avatar;
	json_int_t perms;
	json_t *wh, *data; /* outputs: the record, the changed fields */
};

static enum err edit_fn(struct store_wtxn *w, void *arg)
{
	struct edit_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	const char *cid;
	json_t *ch = NULL;
	enum err rc;

	json_decref(op->wh);
	json_decref(op->data);
	op->wh = NULL;
	op->data = json_object();
	if (!op->data)
		return SE_NOMEM;
	rc = load_hook(op->ctx, txn, op->by_token, &op->wh);
	if (!rc && !op->by_token) {
		cid = json_string_value(json_object_get(op->wh, "channel_id"));
		rc = channel_need(op->ctx, txn, str_from(cid ? cid : ""), PERM_MANAGE_WEBHOOKS, &ch,
		                  store_wtxn_ei(w));
		json_decref(ch);
	}
	/* Revolt returns the webhook unchanged when only permissions are sent */
	if (rc || (!op->name.p && !op->rm_avatar))
		return rc;
	if (op->name.p)
		json_object_set_new(op->data, "name", json_stringn(op->name.p, op->name.n));
	if (op->has_perms)
		json_object_set_new(op->data, "permissions", json_integer(op->perms));
	if (op->rm_avatar)
		json_object_del(op->wh, "avatar");
	json_object_update(op->wh, op->data);
	return webhook_save(w, op->wh, false);
}

static enum err parse_edit(struct req_ctx *ctx, const json_t *body, struct edit_op *op)
{
	const json_t *rm = json_object_get(body, "remove"),
	             *p = json_object_get(body, "permissions");
	const json_t *f;
	struct str avatar;
	size_t i;
	enum err rc = api_str_opt(ctx, body, "name", WEBHOOK_NAME_MAX * 4, &op->name);

	if (rc == SE_NOT_FOUND)
		op->name = STR_NULL;
	else if (rc)
		return rc;
	else if (op->name.n == 0 || api_utf8_len(op->name) > WEBHOOK_NAME_MAX)
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "'name' must be 1-32 characters");
	if (p && !json_is_null(p)) {
		if (!json_is_integer(p) || json_integer_value(p) < 0)
			return SE_RAISEF(&ctx->ei, SE_FailedValidation,
			                 "'permissions' must be an unsigned integer");
		op->has_perms = true;
		op->perms = json_integer_value(p);
	}
	if (rm && !json_is_null(rm) && !json_is_array(rm))
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "'remove' must be an array");
	json_array_foreach(rm, i, f)
	{
		if (!json_is_string(f) || strcmp(json_string_value(f), "Avatar") != 0)
			return SE_RAISEF(&ctx->ei, SE_FailedValidation,
			                 "unknown field in 'remove'");
		op->rm_avatar = true;
	}
	rc = api_str_opt(ctx, body, "avatar", WEBHOOK_AVATAR_MAX, &avatar);
	if (rc == SE_NOT_FOUND)
		return SE_OK;
	/* files are not stored yet: no upload id can be claimed */
	return rc ? rc : SE_RAISE(&ctx->ei, SE_UnknownAttachment);
}

static enum err edit(struct req_ctx *ctx, bool by_token)
{
	struct edit_op op;
	json_t *body = NULL;
	const char *id;
	enum err rc = mounted(ctx);

	memset(&op, 0, sizeof(op));
	op.ctx = ctx;
	op.by_token = by_token;
	if (!rc)
		rc = api_body(ctx, &body);
	if (!rc)
		rc = parse_edit(ctx, body, &op);
	if (!rc)
		rc = store_write(api_app(ctx)->store, edit_fn, &op, &ctx->ei);
	json_decref(body);
	if (rc) {
		json_decref(op.wh);
		json_decref(op.data);
		return SE_RAISE(&ctx->ei, rc);
	}
	id = json_string_value(json_object_get(op.wh, "id"));
	if (op.name.p || op.rm_avatar)
		publish(ctx, op.wh,
		        json_pack("{s:s, s:s, s:O, s:o}", "type", "WebhookUpdate", "id",
		                  id ? id : "", "data", op.data, "remove",
		                  op.rm_avatar ? json_pack("[s]", "Avatar") : json_array()));
	json_decref(op.data);
	return api_json(ctx, 200, op.wh);
}

static enum err wh_edit(struct req_ctx *ctx)
{
	return edit(ctx, false);
}

static enum err wh_edit_token(struct req_ctx *ctx)
{
	return edit(ctx, true);
}

/* ---- delete ---- */

struct delete_op {
	struct req_ctx *ctx;
	bool by_token;
	json_t *wh; /* output */
};

static enum err delete_fn(struct store_wtxn *w, void *arg)
{
	struct delete_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	const char *cid;
	json_t *ch = NULL;
	enum err rc;

	json_decref(op->wh);
	op->wh = NULL;
	rc = load_hook(op->ctx, txn, op->by_token, &op->wh);
	if (!rc && !op->by_token) {
		cid = json_string_value(json_object_get(op->wh, "channel_id"));
		rc = channel_need(op->ctx, txn, str_from(cid ? cid : ""), PERM_MANAGE_WEBHOOKS, &ch,
		                  store_wtxn_ei(w));
		json_decref(ch);
	}
	return rc ? rc : store_delete(w, WEBHOOK_COLL, op->ctx->req->params[0]);
}

static enum err delete (struct req_ctx *ctx, bool by_token) {
	struct delete_op op = {ctx, by_token, NULL}; enum err rc = mounted(ctx);

	if (!rc) rc = store_write(api_app(ctx)->store, delete_fn, &op, &ctx->ei);
	if (rc){json_decref(op.wh); return SE_RAISE(&ctx->ei, rc);}
publish(ctx, op.wh,
        json_pack("{s:s, s:O}", "type", "WebhookDelete", "id", json_object_get(op.wh, "id")));
json_decref(op.wh);
return api_no_content(ctx);
}

static enum err wh_delete(struct req_ctx *ctx)
{
	return delete (ctx, false);
}

static enum err wh_delete_token(struct req_ctx *ctx)
{
	return delete (ctx, true);
}
