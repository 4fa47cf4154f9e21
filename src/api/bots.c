/*
 * api/bots.c: the Bots routes (revoltchat/backend crates/delta/src/routes/
 * bots/): create, list one's own, fetch, edit, delete, the public view and
 * inviting a bot to a server or group. Bots authenticate with x-bot-token
 * (auth/authn.c reads the token index of the bots collection).
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "api/members.h"
#include "app.h"
#include "auth/username.h"
#include "channels/channel.h"
#include "channels/group.h"
#include "core/jx.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "perms/perms.h"
#include "servers/server.h"
#include "storage/store.h"
#include "users/bot.h"
#include "users/user.h"

/* bytes of a bot name in a request (32 code points of at most 4 bytes) */
#define BOT_NAME_BYTES_MAX 128

static enum err bots_create(struct req_ctx *ctx);
static enum err bots_owned(struct req_ctx *ctx);
static enum err bots_fetch(struct req_ctx *ctx);
static enum err bots_edit(struct req_ctx *ctx);
static enum err bots_delete(struct req_ctx *ctx);
static enum err bots_public(struct req_ctx *ctx);
static enum err bots_invite(struct req_ctx *ctx);

static const struct route bot_routes[] = {
    /* literal segments before {target}: first match wins */
    {HTTP_POST, "/api/bots/create", bots_create, API_USER},
    {HTTP_GET, "/api/bots/@me", bots_owned, API_USER},
    {HTTP_GET, "/api/bots/{target}", bots_fetch, API_USER},
    {HTTP_PATCH, "/api/bots/{target}", bots_edit, API_USER},
    {HTTP_DELETE, "/api/bots/{target}", bots_delete, API_USER},
    {HTTP_GET, "/api/bots/{target}/invite", bots_public, 0},
    {HTTP_POST, "/api/bots/{target}/invite", bots_invite, API_USER},
};

const struct route *api_bots_table(size_t *n)
{
	*n = sizeof(bot_routes) / sizeof(bot_routes[0]);
	return bot_routes;
}

static bool is_me(const struct req_ctx *ctx, const json_t *bot)
{
	const char *owner = json_string_value(json_object_get(bot, "owner"));

	return owner && strcmp(owner, api_who(ctx)->user_id) == 0;
}

/* A bot name: Revolt's username validator (length, characters, reserved names). */
static enum err check_name(struct req_ctx *ctx, struct str name)
{
	enum err rc = uname_validate(name);

	if (rc == SE_INVAL)
		return SE_RAISEF(&ctx->ei, SE_FailedValidation,
		                 "name must be 2-32 letters, digits, '_', '.' or '-'");
	return rc ? SE_RAISE(&ctx->ei, rc) : SE_OK;
}

struct taken_arg {
	struct store_txn *txn;
	struct str username;
};

static bool taken(void *arg, unsigned d)
{
	struct taken_arg *t = arg;

	return user_tag_taken(t->txn, t->username, d);
}

/* Set `user`'s username, picking a new discriminator unless only the case changes. */
static enum err rename_user(struct store_txn *txn, json_t *user, struct str name)
{
	const char *old = json_string_value(json_object_get(user, "username"));
	struct taken_arg t = {txn, name};
	char disc[5];
	enum err rc;

	if (!old || strlen(old) != name.n || strncasecmp(old, name.p, name.n) != 0) {
		rc = uname_discriminator_pick(taken, &t, disc);
		if (rc)
			return rc;
		json_object_set_new(user, "discriminator", json_string(disc));
	}
	return json_object_set_new(user, "username", json_stringn(name.p, name.n)) ? SE_NOMEM
	                                                                           : SE_OK;
}

/* ---- create ---- */

struct create_op {
	struct str owner, name;
	char id[ULID_LEN + 1];
	int64_t now;
	json_t *bot, *user; /* outputs */
};

static enum err create_fn(struct store_wtxn *w, void *arg)
{
	struct create_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	json_t *owner = NULL;
	size_t n = 0, max = bot_max(op->owner, op->now);
	char *text = NULL;
	enum err rc = user_load(txn, op->owner, &owner);

	json_decref(op->bot);
	json_decref(op->user);
	op->bot = op->user = NULL;
	if (rc == SE_NOT_FOUND)
		rc = SE_InvalidSession;
	if (!rc && user_is_bot(owner))
		rc = SE_IsBot;
	if (!rc)
		rc = bot_count(txn, op->owner, max, &n);
	if (!rc && n >= max)
		rc = SE_ReachedMaximumBots;
	if (rc)
		goto out;
	op->user = user_record_new(str_from(op->id), STR_LIT(""), "0000");
	op->bot = bot_record_new(str_from(op->id), op->owner);
	if (!op->user || !op->bot) {
		rc = SE_NOMEM;
		goto out;
	}
	rc = rename_user(txn, op->user, op->name);
	if (rc)
		goto out;
	json_object_set_new(op->user, "bot",
	                    json_pack("{s:s%}", "owner", op->owner.p, op->owner.n));
	text = json_dumps(op->user, JSON_COMPACT | JSON_PRESERVE_ORDER);
	rc = text ? store_create(w, USER_COLL, str_from(op->id), str_from(text)) : SE_NOMEM;
	if (rc == SE_EXISTS)
		rc = SE_UsernameTaken;
	if (!rc)
		rc = bot_save(w, op->bot, true);
out:
	mem_free(text);
	json_decref(owner);
	return rc;
}

static enum err bots_create(struct req_ctx *ctx)
{
	struct create_op op;
	struct ulid u;
	json_t *body = NULL, *out = NULL;
	enum err rc;

	memset(&op, 0, sizeof(op));
	if (api_who(ctx)->kind == AUTHN_BOT)
		return SE_RAISE(&ctx->ei, SE_IsBot);
	rc = api_body(ctx, &body);
	if (!rc)
		rc = api_str(ctx, body, "name", BOT_NAME_BYTES_MAX, &op.name);
	if (!rc)
		rc = check_name(ctx, op.name);
	if (!rc)
		rc = ulid_generate(NULL, &u);
	if (rc)
		goto out;
	ulid_encode(&u, op.id);
	op.owner = str_from(api_who(ctx)->user_id);
	op.now = api_now_ms();
	rc = store_write(api_app(ctx)->store, create_fn, &op, &ctx->ei);
	if (rc) {
		if (rc == SE_ReachedMaximumBots)
			ctx->ei.max = (long long)bot_max(op.owner, op.now);
		rc = SE_RAISE(&ctx->ei, rc);
		goto out;
	}
	out = json_deep_copy(op.bot);
	if (!out || json_object_set_new(out, "user", user_view_self(op.user, false))) {
		json_decref(out);
		rc = SE_RAISE(&ctx->ei, SE_NOMEM);
		goto out;
	}
	rc = api_json(ctx, 200, out);
out:
	json_decref(op.bot);
	json_decref(op.user);
	json_decref(body);
	return rc;
}

/* ---- reads ---- */

struct owned_arg {
	struct store_txn *txn;
	json_t *bots, *users;
};

static enum err owned_one(struct str id, void *arg)
{
	struct owned_arg *a = arg;
	json_t *bot = NULL, *user = NULL;

	if (bot_load(a->txn, id, &bot) == SE_OK && user_load(a->txn, id, &user) == SE_OK) {
		json_array_append(a->bots, bot);
		json_array_append_new(a->users, user_view_self(user, false));
	}
	json_decref(bot);
	json_decref(user);
	return SE_OK;
}

static enum err bots_owned(struct req_ctx *ctx)
{
	struct owned_arg a = {NULL, json_array(), json_array()};
	enum err rc = a.bots && a.users ? SE_OK : SE_NOMEM;

	if (!rc)
		rc = store_read_begin(api_app(ctx)->store, &a.txn);
	if (!rc)
		rc = bot_walk(a.txn, str_from(api_who(ctx)->user_id), owned_one, &a);
	store_read_end(a.txn);
	if (rc) {
		json_decref(a.bots);
		json_decref(a.users);
		return SE_RAISE(&ctx->ei, rc);
	}
	return api_json(ctx, 200, json_pack("{s:o, s:o}", "bots", a.bots, "users", a.users));
}

/* Bot ctx->req->params[0] and its user; NotFound unless the caller owns it. */
static enum err load_owned(struct req_ctx *ctx, struct store_txn *txn, json_t **bot, json_t **user)
{
	enum err rc = bot_load(txn, ctx->req->params[0], bot);

	if (rc == SE_NOT_FOUND)
		return SE_RAISE(&ctx->ei, SE_NotFound);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	if (!is_me(ctx, *bot))
		rc = SE_NotFound;
	else
		rc = user_load(txn, ctx->req->params[0], user);
	if (rc) {
		json_decref(*bot);
		*bot = NULL;
		return SE_RAISE(&ctx->ei, rc == SE_NOT_FOUND ? SE_NotFound : rc);
	}
	return SE_OK;
}

static enum err bots_fetch(struct req_ctx *ctx)
{
	struct store_txn *txn = NULL;
	json_t *bot = NULL, *user = NULL, *me = NULL, *out = NULL;
	enum err rc;

	if (api_who(ctx)->kind == AUTHN_BOT)
		return SE_RAISE(&ctx->ei, SE_IsBot);
	rc = store_read_begin(api_app(ctx)->store, &txn);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = load_owned(ctx, txn, &bot, &user);
	if (!rc && user_load(txn, str_from(api_who(ctx)->user_id), &me))
		me = NULL;
	store_read_end(txn);
	if (!rc)
		out = json_pack("{s:O, s:o}", "bot", bot, "user",
		                user_view_for(user, me, true, false));
	json_decref(bot);
	json_decref(user);
	json_decref(me);
	if (rc)
		return rc;
	return out ? api_json(ctx, 200, out) : SE_RAISE(&ctx->ei, SE_NOMEM);
}

static enum err bots_public(struct req_ctx *ctx)
{
	struct store_txn *txn = NULL;
	json_t *bot = NULL, *user = NULL, *out = NULL;
	bool pub;
	enum err rc = store_read_begin(api_app(ctx)->store, &txn);

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = bot_load(txn, ctx->req->params[0], &bot);
	pub = !rc && (json_is_true(json_object_get(bot, "public")) ||
	              (api_who(ctx)->kind != AUTHN_NONE && is_me(ctx, bot)));
	if (!rc && !pub)
		rc = SE_NotFound;
	if (!rc)
		rc = user_load(txn, ctx->req->params[0], &user);
	store_read_end(txn);
	if (!rc)
		out = bot_public_view(user);
	json_decref(bot);
	json_decref(user);
	if (rc)
		return SE_RAISE(&ctx->ei, rc == SE_NOT_FOUND ? SE_NotFound : rc);
	return out ? api_json(ctx, 200, out) : SE_RAISE(&ctx->ei, SE_NOMEM);
}

/* ---- edit, delete ---- */

struct edit_op {
	struct req_ctx *ctx;
	const json_t *body;
	struct str name; /* STR_NULL: unchanged */
	struct str url;  /* STR_NULL: unchanged */
	bool rm_token, rm_url;
	json_t *bot, *user; /* outputs */
	bool renamed;
};

static enum err edit_fn(struct store_wtxn *w, void *arg)
{
	struct edit_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	const json_t *pub = json_object_get(op->body, "public");
	const json_t *an = json_object_get(op->body, "analytics");
	enum err rc;

	json_decref(op->bot);
	json_decref(op->user);
	op->bot = op->user = NULL;
	rc = bot_load(txn, op->ctx->req->params[0], &op->bot);
	if (!rc && !is_me(op->ctx, op->bot))
		rc = SE_NotFound;
	if (!rc)
		rc = user_load(txn, op->ctx->req->params[0], &op->user);
	if (rc)
		return rc == SE_NOT_FOUND ? SE_NotFound : rc;
	if (op->name.p) {
		rc = rename_user(txn, op->user, op->name);
		if (!rc)
			rc = user_save(w, op->user);
		if (rc)
			return rc == SE_EXISTS ? SE_UsernameTaken : rc;
	}
	if (op->rm_token && bot_token_reset(op->bot))
		return SE_NOMEM;
	if (op->rm_url)
		json_object_del(op->bot, "interactions_url");
	if (json_is_boolean(pub))
		json_object_set_new(op->bot, "public", json_boolean(json_is_true(pub)));
	if (json_is_true(an))
		json_object_set_new(op->bot, "analytics", json_true());
	else if (json_is_false(an))
		json_object_del(op->bot, "analytics");
	if (op->url.p)
		json_object_set_new(op->bot, "interactions_url",
		                    json_stringn(op->url.p, op->url.n));
	return bot_save(w, op->bot, false);
}

static enum err parse_edit(struct req_ctx *ctx, struct edit_op *op)
{
	const json_t *rm = json_object_get(op->body, "remove"), *f;
	const char *keys[] = {"public", "analytics"};
	size_t i;
	enum err rc;

	for (i = 0; i < 2; i++) {
		f = json_object_get(op->body, keys[i]);
		if (f && !json_is_null(f) && !json_is_boolean(f))
			return SE_RAISEF(&ctx->ei, SE_FailedValidation, "'%s' must be a boolean",
			                 keys[i]);
	}
	rc = api_str_opt(ctx, op->body, "name", BOT_NAME_BYTES_MAX, &op->name);
	if (rc == SE_NOT_FOUND)
		op->name = STR_NULL;
	else if (!rc)
		rc = check_name(ctx, op->name);
	if (rc && rc != SE_NOT_FOUND)
		return rc;
	rc = api_str_opt(ctx, op->body, "interactions_url", BOT_URL_MAX, &op->url);
	if (rc == SE_NOT_FOUND)
		op->url = STR_NULL;
	else if (rc)
		return rc;
	else if (op->url.n == 0)
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "'interactions_url' is empty");
	if (rm && !json_is_null(rm) && !json_is_array(rm))
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "'remove' must be an array");
	json_array_foreach(rm, i, f)
	{
		const char *s = json_string_value(f);

		if (s && strcmp(s, "Token") == 0)
			op->rm_token = true;
		else if (s && strcmp(s, "InteractionsURL") == 0)
			op->rm_url = true;
		else
			return SE_RAISEF(&ctx->ei, SE_FailedValidation,
			                 "unknown field in 'remove'");
	}
	return SE_OK;
}

static enum err bots_edit(struct req_ctx *ctx)
{
	struct edit_op op;
	json_t *body = NULL, *out = NULL;
	char priv[40];
	const char *id = ctx->req->params[0].p;
	enum err rc;

	memset(&op, 0, sizeof(op));
	op.ctx = ctx;
	rc = api_body(ctx, &body);
	op.body = body;
	if (!rc)
		rc = parse_edit(ctx, &op);
	if (!rc)
		rc = store_write(api_app(ctx)->store, edit_fn, &op, &ctx->ei);
	if (rc) {
		rc = SE_RAISE(&ctx->ei, rc);
		goto out;
	}
	if (op.name.p)
		api_publish(api_app(ctx), ctx->req->params[0],
		            json_pack("{s:s, s:s%, s:{s:O, s:O}, s:[]}", "type", "UserUpdate", "id",
		                      id, ctx->req->params[0].n, "data", "username",
		                      json_object_get(op.user, "username"), "discriminator",
		                      json_object_get(op.user, "discriminator"), "clear"));
	if (op.rm_token) {
		/* the old token's sockets log out (Revolt: EventV1::Logout.private) */
		snprintf(priv, sizeof(priv), "%.*s!", (int)ctx->req->params[0].n, id);
		api_publish(api_app(ctx), str_from(priv), json_pack("{s:s}", "type", "Logout"));
	}
	out = json_deep_copy(op.bot);
	if (!out || json_object_set_new(out, "user", user_view_self(op.user, false))) {
		json_decref(out);
		rc = SE_RAISE(&ctx->ei, SE_NOMEM);
		goto out;
	}
	rc = api_json(ctx, 200, out);
out:
	json_decref(op.bot);
	json_decref(op.user);
	json_decref(body);
	return rc;
}

struct delete_op {
	struct req_ctx *ctx;
	json_t *user; /* output: the deleted user */
};

static enum err delete_fn(struct store_wtxn *w, void *arg)
{
	struct delete_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	struct str id = op->ctx->req->params[0];
	json_t *bot = NULL;
	enum err rc = bot_load(txn, id, &bot);

	json_decref(op->user);
	op->user = NULL;
	if (!rc && !is_me(op->ctx, bot))
		rc = SE_NotFound;
	if (!rc)
		rc = user_load(txn, id, &op->user);
	if (!rc)
		rc = bot_user_mark_deleted(op->user);
	if (!rc)
		rc = user_save(w, op->user);
	if (!rc)
		rc = bot_drop(w, id, str_from(api_who(op->ctx)->user_id));
	json_decref(bot);
	return rc == SE_NOT_FOUND ? SE_NotFound : rc;
}

static enum err bots_delete(struct req_ctx *ctx)
{
	struct delete_op op = {ctx, NULL};
	enum err rc = store_write(api_app(ctx)->store, delete_fn, &op, &ctx->ei);

	if (rc) {
		json_decref(op.user);
		return SE_RAISE(&ctx->ei, rc);
	}
	api_publish(api_app(ctx), ctx->req->params[0],
	            json_pack("{s:s, s:s, s:{s:O, s:i}, s:[s,s,s,s,s]}", "type", "UserUpdate", "id",
	                      user_id_of(op.user), "data", "username",
	                      json_object_get(op.user, "username"), "flags", 2, "clear", "Avatar",
	                      "StatusText", "StatusPresence", "ProfileContent",
	                      "ProfileBackground"));
	json_decref(op.user);
	return api_no_content(ctx);
}

/* ---- invite ---- */

struct invite_op {
	struct req_ctx *ctx;
	struct str server, group;
	int64_t now;
	char bot_id[32];
	json_t *server_rec, *member, *channels, *channel; /* outputs */
};

static void invite_reset(struct invite_op *op)
{
	json_decref(op->server_rec);
	json_decref(op->member);
	json_decref(op->channels);
	json_decref(op->channel);
	op->server_rec = op->member = op->channels = op->channel = NULL;
}

static enum err invite_server(struct store_wtxn *w, struct invite_op *op)
{
	struct store_txn *txn = store_wtxn_read(w);
	struct api_srv s = API_SRV_INIT;
	enum err rc = api_srv_load(txn, op->server, api_who(op->ctx)->user_id, op->now, &s);

	if (!rc)
		rc = perm_require(s.st.perms, PERM_MANAGE_SERVER, store_wtxn_ei(w));
	if (!rc)
		rc = member_join(w, s.server, str_from(op->bot_id), op->now, &op->member);
	if (!rc) {
		op->server_rec = json_incref(s.server);
		op->channels =
		    api_srv_visible_channels(txn, s.server, op->member, op->bot_id, op->now);
		rc = op->channels ? SE_OK : SE_NOMEM;
	}
	api_srv_release(&s);
	return rc;
}

static enum err invite_group(struct store_wtxn *w, struct invite_op *op)
{
	struct store_txn *txn = store_wtxn_read(w);
	struct str me = str_from(api_who(op->ctx)->user_id);
	json_t *ch = NULL, *me_rec = NULL;
	char *text = NULL;
	enum err rc = channel_load(txn, op->group, &ch);

	if (rc == SE_NOT_FOUND)
		rc = SE_NotFound;
	if (!rc && user_load(txn, me, &me_rec))
		me_rec = NULL;
	if (!rc && channel_type_of(ch) != CHANNEL_GROUP)
		rc = SE_InvalidOperation;
	if (!rc)
		rc = perm_require(group_channel_perms(txn, ch, me_rec, me, op->now),
		                  PERM_INVITE_OTHERS, store_wtxn_ei(w));
	if (!rc)
		rc = group_recipient_add(ch, str_from(op->bot_id), store_wtxn_ei(w));
	if (!rc) {
		text = json_dumps(ch, JSON_COMPACT | JSON_PRESERVE_ORDER);
		rc = text ? store_update(w, CHANNEL_COLL, op->group, str_from(text)) : SE_NOMEM;
	}
	if (!rc)
		op->channel = json_incref(ch);
	mem_free(text);
	json_decref(me_rec);
	json_decref(ch);
	return rc;
}

static enum err invite_fn(struct store_wtxn *w, void *arg)
{
	struct invite_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	struct str id = op->ctx->req->params[0];
	json_t *bot = NULL;
	enum err rc = bot_load(txn, id, &bot);

	invite_reset(op);
	if (rc == SE_NOT_FOUND)
		rc = SE_NotFound;
	if (!rc && !json_is_true(json_object_get(bot, "public")) && !is_me(op->ctx, bot))
		rc = SE_BotIsPrivate;
	json_decref(bot);
	if (rc)
		return rc;
	if (id.n >= sizeof(op->bot_id))
		return SE_NotFound;
	memcpy(op->bot_id, id.p, id.n);
	op->bot_id[id.n] = '\0';
	return op->server.p ? invite_server(w, op) : invite_group(w, op);
}

static void invite_publish(struct req_ctx *ctx, const struct invite_op *op)
{
	struct app *app = api_app(ctx);
	char priv[40];
	json_t *ev;

	snprintf(priv, sizeof(priv), "%s!", op->bot_id);
	if (op->channel) {
		api_publish(app, op->group,
		            json_pack("{s:s, s:s%, s:s}", "type", "ChannelGroupJoin", "id",
		                      op->group.p, op->group.n, "user", op->bot_id));
		ev = json_deep_copy(op->channel);
		if (ev)
			json_object_set_new(ev, "type", json_string("ChannelCreate"));
		api_publish(app, str_from(priv), ev);
		group_sysmsg_emit(app, op->group,
		                  json_pack("{s:s, s:s, s:s}", "type", "user_added", "id",
		                            op->bot_id, "by", api_who(ctx)->user_id));
		return;
	}
	api_publish(app, op->server,
	            json_pack("{s:s, s:s%, s:s, s:O}", "type", "ServerMemberJoin", "id",
	                      op->server.p, op->server.n, "user", op->bot_id, "member",
	                      op->member));
	api_publish(app, str_from(priv),
	            json_pack("{s:s, s:s%, s:O, s:O, s:[]}", "type", "ServerCreate", "id",
	                      op->server.p, op->server.n, "server", op->server_rec, "channels",
	                      op->channels, "emojis"));
}

static enum err bots_invite(struct req_ctx *ctx)
{
	struct invite_op op;
	json_t *body = NULL;
	enum err rc;

	memset(&op, 0, sizeof(op));
	op.ctx = ctx;
	op.now = api_now_ms();
	if (api_who(ctx)->kind == AUTHN_BOT)
		return SE_RAISE(&ctx->ei, SE_IsBot);
	rc = api_body(ctx, &body);
	if (!rc) {
		rc = api_str_opt(ctx, body, "server", STORE_ID_MAX, &op.server);
		if (rc == SE_NOT_FOUND) {
			op.server = STR_NULL;
			rc = api_str(ctx, body, "group", STORE_ID_MAX, &op.group);
		}
	}
	if (!rc)
		rc = store_write(api_app(ctx)->store, invite_fn, &op, &ctx->ei);
	if (!rc) {
		invite_publish(ctx, &op);
		rc = api_no_content(ctx);
	} else {
		rc = SE_RAISE(&ctx->ei, rc);
	}
	invite_reset(&op);
	json_decref(body);
	return rc;
}
