/*
 * api/invites.c: channel invites (revoltchat/backend crates/delta/src/routes/
 * channels/invite_create.rs, invites/invite_*.rs, servers/invites_fetch.rs):
 * create, look up (no authentication), join, delete, and a server's list.
 */
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "api/members.h"
#include "app.h"
#include "auth/authn.h"
#include "auth/records.h"
#include "channels/channel.h"
#include "core/mem.h"
#include "perms/perms.h"
#include "servers/invites.h"
#include "servers/server.h"
#include "users/user.h"
#include "messages/message.h"

/* recipients of a group (Revolt global.group_size) */
#define INVITE_GROUP_SIZE_MAX 100

static const struct route invite_routes[] = {
    {HTTP_POST, "/api/channels/{id}/invites", api_invite_create, API_USER},
    {HTTP_GET, "/api/invites/{code}", api_invite_fetch, 0},
    {HTTP_POST, "/api/invites/{code}", api_invite_join, API_USER},
    {HTTP_DELETE, "/api/invites/{code}", api_invite_delete, API_USER},
};

const struct route *api_invites_table(size_t *n)
{
	*n = sizeof(invite_routes) / sizeof(invite_routes[0]);
	return invite_routes;
}

static bool is_recipient(const json_t *channel, const char *user_id)
{
	const json_t *r;
	size_t i;

	json_array_foreach(json_object_get(channel, "recipients"), i, r)
	{
		if (json_is_string(r) && strcmp(json_string_value(r), user_id) == 0)
			return true;
	}
	return false;
}

static bool field_is(const json_t *o, const char *key, const char *value)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v && strcmp(v, value) == 0;
}

/* The caller's permissions in `ch` (a stored channel), reading its server. */
static enum err channel_perms(struct store_txn *txn, const json_t *ch, const char *me, int64_t now,
                              uint64_t *out)
{
	const json_t *gp;
	const char *sid;
	struct api_srv s = API_SRV_INIT;
	enum err rc = SE_OK;

	switch (channel_type_of(ch)) {
	case CHANNEL_TEXT:
	case CHANNEL_VOICE:
		sid = json_string_value(json_object_get(ch, "server"));
		rc = sid ? api_srv_load(txn, str_from(sid), me, now, &s) : SE_NotFound;
		if (!rc)
			*out = perm_channel_json(s.server, s.me, ch, me, now);
		api_srv_release(&s);
		return rc;
	case CHANNEL_GROUP:
		gp = json_object_get(ch, "permissions");
		*out = perm_group_calc(false, field_is(ch, "owner", me), is_recipient(ch, me),
		                       json_is_integer(gp),
		                       json_is_integer(gp) ? (uint64_t)json_integer_value(gp) : 0);
		return SE_OK;
	case CHANNEL_DM:
		*out = is_recipient(ch, me) ? PERM_DEFAULT_DIRECT_MESSAGE : 0;
		return SE_OK;
	case CHANNEL_SAVED:
		*out = field_is(ch, "user", me) ? PERM_GRANT_ALL_SAFE : 0;
		return SE_OK;
	default:
		*out = 0;
		return SE_OK;
	}
}

struct create_op {
	struct str cid;
	const char *me;
	int64_t now;
	json_t *invite; /* output */
};

static enum err create_fn(struct store_wtxn *w, void *arg)
{
	struct create_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	json_t *ch = NULL;
	uint64_t perms = 0;
	enum err rc = channel_load(txn, op->cid, &ch);

	if (rc == SE_NOT_FOUND)
		rc = SE_NotFound;
	if (!rc)
		rc = channel_perms(txn, ch, op->me, op->now, &perms);
	if (!rc)
		rc = perm_require(perms, PERM_INVITE_OTHERS, store_wtxn_ei(w));
	json_decref(op->invite);
	op->invite = NULL;
	if (!rc)
		rc = invite_create(w, ch, str_from(op->me), &op->invite);
	json_decref(ch);
	return rc;
}

enum err api_invite_create(struct req_ctx *ctx)
{
	struct create_op op = {ctx->req->params[0], api_who(ctx)->user_id, api_now_ms(), NULL};
	enum err rc;

	if (api_who(ctx)->kind == AUTHN_BOT)
		return SE_RAISE(&ctx->ei, SE_IsBot);
	rc = store_write(api_app(ctx)->store, create_fn, &op, &ctx->ei);
	if (rc) {
		json_decref(op.invite);
		return SE_RAISE(&ctx->ei, rc);
	}
	return api_json(ctx, 200, op.invite);
}

/* Copy `key` of `from` into `to` as `as` when present. */
static void copy_opt(json_t *to, const char *as, const json_t *from, const char *key)
{
	json_t *v = json_object_get(from, key);

	if (v && !json_is_null(v))
		json_object_set(to, as, v);
}

static enum err invite_view(struct store_txn *txn, const json_t *inv, struct str code, json_t **out)
{
	const char *cid = json_string_value(json_object_get(inv, "channel"));
	const char *creator = json_string_value(json_object_get(inv, "creator"));
	json_t *ch = NULL, *user = NULL, *server = NULL, *v = NULL;
	size_t count = 0;
	bool group = field_is(inv, "type", "Group");
	enum err rc = cid ? channel_load(txn, str_from(cid), &ch) : SE_NOT_FOUND;

	if (!rc)
		rc =
		    creator ? authrec_load(txn, USER_COLL, str_from(creator), &user) : SE_NOT_FOUND;
	if (!rc && !group)
		rc = server_load(txn, str_from(json_string_value(json_object_get(ch, "server"))),
		                 &server);
	if (!rc && !group)
		rc = member_count(txn, MEMBER_COLL, MEMBER_IDX_SERVER,
		                  str_from(json_string_value(json_object_get(server, "_id"))),
		                  MEMBER_LIST_MAX, &count);
	if (rc)
		goto out;
	v = json_pack("{s:s, s:s%}", "type", group ? "Group" : "Server", "code", code.p, code.n);
	if (!v) {
		rc = SE_NOMEM;
		goto out;
	}
	if (!group) {
		copy_opt(v, "server_id", server, "_id");
		copy_opt(v, "server_name", server, "name");
		copy_opt(v, "server_icon", server, "icon");
		copy_opt(v, "server_banner", server, "banner");
		copy_opt(v, "server_flags", server, "flags");
	}
	copy_opt(v, "channel_id", ch, "_id");
	copy_opt(v, "channel_name", ch, "name");
	copy_opt(v, "channel_description", ch, "description");
	copy_opt(v, "user_name", user, "username");
	copy_opt(v, "user_avatar", user, "avatar");
	if (!group)
		json_object_set_new(v, "member_count", json_integer((json_int_t)count));
	*out = v;
out:
	json_decref(ch);
	json_decref(user);
	json_decref(server);
	return rc == SE_NOT_FOUND ? SE_NotFound : rc;
}

enum err api_invite_fetch(struct req_ctx *ctx)
{
	struct str code = ctx->req->params[0];
	struct store_txn *txn = NULL;
	json_t *inv = NULL, *out = NULL;
	enum err rc = store_read_begin(api_app(ctx)->store, &txn);

	if (!rc)
		rc = invite_find(txn, code, &inv);
	if (rc == SE_NOT_FOUND)
		rc = SE_NotFound;
	if (!rc)
		rc = invite_view(txn, inv, code, &out);
	store_read_end(txn);
	json_decref(inv);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	return api_json(ctx, 200, out);
}

struct join_op {
	struct str code;
	const char *me;
	int64_t now;
	bool group;
	json_t *server, *member, *channels; /* server join outputs */
	json_t *channel, *users;            /* group join outputs */
};

static void join_reset(struct join_op *op)
{
	json_decref(op->server);
	json_decref(op->member);
	json_decref(op->channels);
	json_decref(op->channel);
	json_decref(op->users);
	op->server = op->member = op->channels = op->channel = op->users = NULL;
}

static enum err join_group(struct store_wtxn *w, struct join_op *op, const json_t *inv)
{
	struct store_txn *txn = store_wtxn_read(w);
	const char *cid = json_string_value(json_object_get(inv, "channel"));
	json_t *ch = NULL, *rs, *r, *viewer = NULL;
	char *text;
	size_t i;
	enum err rc = cid ? channel_load(txn, str_from(cid), &ch) : SE_NOT_FOUND;

	if (rc)
		return rc == SE_NOT_FOUND ? SE_NotFound : rc;
	rs = json_object_get(ch, "recipients");
	if (channel_type_of(ch) != CHANNEL_GROUP || !json_is_array(rs)) {
		rc = SE_InvalidOperation;
	} else if (is_recipient(ch, op->me)) {
		rc = SE_AlreadyInGroup;
	} else if (json_array_size(rs) >= INVITE_GROUP_SIZE_MAX) {
		store_wtxn_ei(w)->max = INVITE_GROUP_SIZE_MAX;
		rc = SE_GroupTooLarge;
	}
	if (rc)
		goto out;
	json_array_append_new(rs, json_string(op->me));
	text = json_dumps(ch, JSON_COMPACT | JSON_PRESERVE_ORDER);
	rc = text ? store_update(w, CHANNEL_COLL, str_from(cid), str_from(text)) : SE_NOMEM;
	mem_free(text);
	if (rc)
		goto out;
	if (authrec_load(txn, USER_COLL, str_from(op->me), &viewer))
		viewer = NULL;
	op->users = json_array();
	json_array_foreach(rs, i, r)
	{
		json_t *u = NULL;

		if (!op->users || !json_is_string(r) ||
		    authrec_load(txn, USER_COLL, str_from(json_string_value(r)), &u))
			continue;
		json_array_append_new(op->users, member_user_view(u, op->me, viewer, false));
		json_decref(u);
	}
	json_decref(viewer);
	op->channel = json_incref(ch);
	rc = op->users ? SE_OK : SE_NOMEM;
out:
	json_decref(ch);
	return rc;
}

static enum err join_fn(struct store_wtxn *w, void *arg)
{
	struct join_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	json_t *inv = NULL;
	const char *sid;
	enum err rc = invite_find(txn, op->code, &inv);

	join_reset(op);
	if (rc == SE_NOT_FOUND)
		rc = SE_NotFound;
	if (rc)
		return rc;
	op->group = field_is(inv, "type", "Group");
	if (op->group) {
		rc = join_group(w, op, inv);
		goto out;
	}
	sid = json_string_value(json_object_get(inv, "server"));
	rc = sid ? server_load(txn, str_from(sid), &op->server) : SE_NOT_FOUND;
	if (rc == SE_NOT_FOUND)
		rc = SE_NotFound;
	if (!rc)
		rc = member_join(w, op->server, str_from(op->me), op->now, &op->member);
	if (!rc)
		op->channels =
		    api_srv_visible_channels(txn, op->server, op->member, op->me, op->now);
	if (!rc && !op->channels)
		rc = SE_NOMEM;
out:
	json_decref(inv);
	return rc;
}

static void publish_join(struct req_ctx *ctx, const struct join_op *op)
{
	struct app *app = api_app(ctx);
	char priv[64];
	const char *id =
	    json_string_value(json_object_get(op->group ? op->channel : op->server, "_id"));
	json_t *ev;

	snprintf(priv, sizeof(priv), "%s!", op->me);
	if (!id)
		return;
	if (op->group) {
		api_publish(app, str_from(id),
		            json_pack("{s:s, s:s, s:s}", "type", "ChannelGroupJoin", "id", id,
		                      "user", op->me));
		ev = json_deep_copy(op->channel);
		if (ev)
			json_object_set_new(ev, "type", json_string("ChannelCreate"));
		api_publish(app, str_from(priv), ev);
		return;
	}
	api_publish(app, str_from(id),
	            json_pack("{s:s, s:s, s:s, s:O}", "type", "ServerMemberJoin", "id", id, "user",
	                      op->me, "member", op->member));
	api_publish(app, str_from(priv),
	            json_pack("{s:s, s:s, s:O, s:O, s:[]}", "type", "ServerCreate", "id", id,
	                      "server", op->server, "channels", op->channels, "emojis"));
	(void)msg_server_system(app, str_from(id), "user_joined", str_from(op->me), &ctx->ei);
}

enum err api_invite_join(struct req_ctx *ctx)
{
	struct join_op op;
	json_t *out;
	enum err rc;

	if (api_who(ctx)->kind == AUTHN_BOT)
		return SE_RAISE(&ctx->ei, SE_IsBot);
	memset(&op, 0, sizeof(op));
	op.code = ctx->req->params[0];
	op.me = api_who(ctx)->user_id;
	op.now = api_now_ms();
	rc = store_write(api_app(ctx)->store, join_fn, &op, &ctx->ei);
	if (rc) {
		join_reset(&op);
		return SE_RAISE(&ctx->ei, rc);
	}
	publish_join(ctx, &op);
	if (op.group)
		out = json_pack("{s:s, s:O, s:O}", "type", "Group", "channel", op.channel, "users",
		                op.users);
	else
		out = json_pack("{s:s, s:O, s:O}", "type", "Server", "channels", op.channels,
		                "server", op.server);
	join_reset(&op);
	return api_json(ctx, 200, out);
}

struct delete_op {
	struct str code;
	const char *me;
	int64_t now;
};

static enum err delete_fn(struct store_wtxn *w, void *arg)
{
	struct delete_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	struct api_srv s = API_SRV_INIT;
	const char *sid;
	json_t *inv = NULL;
	enum err rc = invite_find(txn, op->code, &inv);

	if (rc == SE_NOT_FOUND)
		rc = SE_NotFound;
	if (rc)
		return rc;
	sid = json_string_value(json_object_get(inv, "server"));
	if (field_is(inv, "creator", op->me)) {
		rc = SE_OK;
	} else if (sid && field_is(inv, "type", "Server")) {
		rc = api_srv_load(txn, str_from(sid), op->me, op->now, &s);
		if (!rc)
			rc = perm_require(s.st.perms, PERM_MANAGE_SERVER, store_wtxn_ei(w));
	} else {
		/* a group invite is its creator's alone */
		rc = perm_require(0, PERM_MANAGE_SERVER, store_wtxn_ei(w));
	}
	if (!rc)
		rc = store_delete(w, INVITE_COLL, op->code);
	if (rc == SE_NOT_FOUND)
		rc = SE_NotFound;
	api_srv_release(&s);
	json_decref(inv);
	return rc;
}

enum err api_invite_delete(struct req_ctx *ctx)
{
	struct delete_op op = {ctx->req->params[0], api_who(ctx)->user_id, api_now_ms()};
	enum err rc = store_write(api_app(ctx)->store, delete_fn, &op, &ctx->ei);

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	return api_no_content(ctx);
}

struct invite_listing {
	struct store_txn *txn;
	json_t *out;
};

static enum err list_one(struct str id, void *arg)
{
	struct invite_listing *l = arg;
	struct str rec;
	json_t *inv;
	enum err rc = store_get(l->txn, INVITE_COLL, id, &rec);

	if (rc == SE_NOT_FOUND)
		return SE_OK;
	if (rc)
		return rc;
	inv = json_loadb(rec.p, rec.n, 0, NULL);
	if (!inv)
		return SE_PARSE;
	return json_array_append_new(l->out, inv) ? SE_NOMEM : SE_OK;
}

enum err api_server_invites(struct req_ctx *ctx)
{
	struct str sid = ctx->req->params[0];
	struct api_srv s = API_SRV_INIT;
	struct invite_listing l = {NULL, json_array()};
	struct store_txn *txn = NULL;
	enum err rc = l.out ? store_read_begin(api_app(ctx)->store, &txn) : SE_NOMEM;

	if (!rc)
		rc = api_srv_load(txn, sid, api_who(ctx)->user_id, api_now_ms(), &s);
	if (!rc)
		rc = perm_require(s.st.perms, PERM_MANAGE_SERVER, &ctx->ei);
	l.txn = txn;
	if (!rc)
		rc = member_walk(txn, INVITE_COLL, INVITE_IDX_SERVER, sid, MEMBER_LIST_MAX,
		                 list_one, &l);
	if (rc == SE_FULL)
		rc = SE_OK;
	store_read_end(txn);
	api_srv_release(&s);
	if (rc) {
		json_decref(l.out);
		return SE_RAISE(&ctx->ei, rc);
	}
	return api_json(ctx, 200, l.out);
}
