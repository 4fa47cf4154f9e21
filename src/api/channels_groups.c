/*
 * api/channels_groups.c: groups and closing channels: POST /channels/create,
 * PUT/DELETE /channels/{group}/recipients/{member}, GET /channels/{id}/members
 * and DELETE /channels/{id} (revoltchat/backend crates/delta/src/routes/
 * channels/group_*.rs, members_fetch.rs, channel_delete.rs). Every check
 * that must hold when the change lands runs inside the store write.
 */
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "app.h"
#include "channels/channel.h"
#include "channels/group.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "files/file.h"
#include "perms/perms.h"
#include "servers/server.h"
#include "storage/store.h"
#include "users/user.h"

/* longest id a path may name that can exist (ULIDs are 26) */
#define ID_MAX 31

static bool str_is(const json_t *v, struct str s)
{
	const char *p = json_string_value(v);

	return p && json_string_length(v) == s.n && memcmp(p, s.p, s.n) == 0;
}

/* Characters (code points) of valid UTF-8, as Revolt's validator counts length. */
static size_t chars(struct str s)
{
	size_t n = 0;

	for (size_t i = 0; i < s.n; i++)
		n += ((unsigned char)s.p[i] & 0xC0) != 0x80;
	return n;
}

static enum err load_json(struct store_txn *txn, const char *coll, struct str id, json_t **out)
{
	struct str raw;
	json_t *v;
	enum err rc;

	if (id.n == 0 || id.n > ID_MAX)
		return SE_NOT_FOUND;
	rc = store_get(txn, coll, id, &raw);
	if (rc)
		return rc;
	v = json_loadb(raw.p, raw.n, 0, NULL);
	if (!json_is_object(v)) {
		json_decref(v);
		return SE_PARSE;
	}
	*out = v;
	return SE_OK;
}

/* The caller's user record; a session without one is not a user (Revolt's User guard). */
static enum err load_me(struct store_txn *txn, struct str me, json_t **out)
{
	enum err rc = load_json(txn, USER_COLL, me, out);

	return rc == SE_NOT_FOUND ? SE_InvalidSession : rc;
}

static enum err load_user(struct store_txn *txn, struct str id, json_t **out)
{
	enum err rc = load_json(txn, USER_COLL, id, out);

	return rc == SE_NOT_FOUND ? SE_UnknownUser : rc;
}

static enum err load_channel(struct store_txn *txn, struct str id, json_t **out)
{
	enum err rc = channel_load(txn, id, out);

	return rc == SE_NOT_FOUND ? SE_UnknownChannel : rc;
}

static enum err save_channel(struct store_wtxn *w, const json_t *ch, bool create)
{
	const json_t *id = json_object_get(ch, "_id");
	char *text = jx_dump(ch);
	struct str sid = {json_string_value(id), json_string_length(id)};
	enum err rc;

	if (!text)
		return SE_NOMEM;
	rc = create ? store_create(w, CHANNEL_COLL, sid, str_from(text))
	            : store_update(w, CHANNEL_COLL, sid, str_from(text));
	mem_free(text);
	return rc;
}

/* {"type": type, ...fields of `obj`} (new reference; NULL on OOM). */
static json_t *event_of(const char *type, const json_t *obj)
{
	json_t *ev = json_pack("{s:s}", "type", type);

	if (ev && obj && json_object_update(ev, (json_t *)obj)) {
		json_decref(ev);
		return NULL;
	}
	return ev;
}

/* "<id>!": the private topic of a user (REVOLT.md section 9). */
static struct str private_topic(struct req_ctx *ctx, const char *id)
{
	char *t = arena_printf(ctx->arena, "%s!", id);

	return t ? str_from(t) : STR_NULL;
}

/* ChannelCreate to the private topics of `users` (array of ids, borrowed). */
static void publish_create(struct req_ctx *ctx, const json_t *ch, const json_t *users)
{
	size_t n = json_array_size(users), k = 0, i;
	struct str *topics = arena_alloc(ctx->arena, (n ? n : 1) * sizeof(*topics));
	const json_t *v;

	if (!topics)
		return;
	json_array_foreach(users, i, v)
	{
		if (json_is_string(v))
			topics[k++] = private_topic(ctx, json_string_value(v));
	}
	api_publish_multi(api_app(ctx), topics, k, event_of("ChannelCreate", ch));
}

static void publish_id_user(struct req_ctx *ctx, const char *type, struct str channel,
                            struct str user)
{
	api_publish(api_app(ctx), channel,
	            json_pack("{s:s,s:s%,s:s%}", "type", type, "id", channel.p, channel.n, "user",
	                      user.p, user.n));
}

static void sysmsg(struct req_ctx *ctx, struct str channel, json_t *system)
{
	group_sysmsg_emit(api_app(ctx), channel, system);
}

/* ---- POST /channels/create ---- */

struct create_op {
	struct str me;
	char id[ULID_LEN + 1];
	struct str name, description;
	const json_t *users; /* deduplicated ids, the caller not among them */
	bool nsfw;
	json_t *out;
	const char *icon_id; /* a file to claim as the icon (files/file.h), or NULL */
};

static enum err create_fn(struct store_wtxn *w, void *arg)
{
	struct create_op *op = arg;
	json_t *me = NULL, *recipients = NULL;
	const json_t *v;
	size_t i;
	enum err rc;

	json_decref(op->out);
	op->out = NULL;
	rc = load_me(store_wtxn_read(w), op->me, &me);
	if (rc)
		return rc;
	json_array_foreach(op->users, i, v)
	{
		if (!group_user_is_friend(me, str_from(json_string_value(v)))) {
			rc = SE_NotFriends;
			goto out;
		}
	}
	if (json_array_size(op->users) + 1 > GROUP_SIZE_MAX) {
		store_wtxn_ei(w)->max = GROUP_SIZE_MAX;
		rc = SE_GroupTooLarge;
		goto out;
	}
	recipients = json_pack("[s%]", op->me.p, op->me.n);
	if (!recipients || json_array_extend(recipients, (json_t *)op->users)) {
		rc = SE_NOMEM;
		goto out;
	}
	op->out = group_record_new(str_from(op->id), op->me, op->name, op->description, recipients,
	                           op->nsfw);
	rc = op->out ? SE_OK : SE_NOMEM;
	if (!rc && op->icon_id) {
		json_t *icon = NULL;

		rc = file_claim(w, str_from(op->icon_id), "icons", "ChannelIcon", str_from(op->id),
		                &icon);
		if (!rc && json_object_set_new(op->out, "icon", icon))
			rc = SE_NOMEM;
	}
	if (!rc)
		rc = save_channel(w, op->out, true);
out:
	json_decref(recipients);
	json_decref(me);
	return rc;
}

/* users: array of strings, deduplicated (a set in Revolt), the caller left out. */
static enum err parse_users(struct req_ctx *ctx, const json_t *body, struct str me, json_t **out)
{
	const json_t *users = json_object_get(body, "users"), *v;
	json_t *set = json_array();
	bool me_seen = false;
	size_t i, n = 0;
	enum err rc = SE_OK;

	if (!set)
		return SE_RAISE(&ctx->ei, SE_NOMEM);
	if (users && !json_is_null(users) && !json_is_array(users)) {
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "'users' must be an array");
		goto out;
	}
	json_array_foreach(users, i, v)
	{
		bool seen = false;

		if (!json_is_string(v)) {
			rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "'users' must hold user ids");
			goto out;
		}
		if (str_is(v, me)) {
			if (!me_seen && ++n > GROUP_CREATE_USERS_MAX)
				break;
			me_seen = true;
			continue;
		}
		for (size_t j = 0; !seen && j < json_array_size(set); j++)
			seen = json_equal(json_array_get(set, j), (json_t *)v);
		if (seen)
			continue;
		if (++n > GROUP_CREATE_USERS_MAX)
			break;
		if (json_array_append(set, (json_t *)v)) {
			rc = SE_RAISE(&ctx->ei, SE_NOMEM);
			goto out;
		}
	}
	/* the validator counts the set before the caller is added to it; stopping
	 * at the first id past the limit keeps the dedup loop bounded */
	if (n > GROUP_CREATE_USERS_MAX)
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "users: length must be at most %d",
		               GROUP_CREATE_USERS_MAX);
out:
	if (rc)
		json_decref(set);
	else
		*out = set;
	return rc;
}

static enum err group_create(struct req_ctx *ctx)
{
	const struct authn *who = api_who(ctx);
	struct create_op op = {
	    str_from(who->user_id), {0}, STR_NULL, STR_NULL, NULL, false, NULL, NULL};
	json_t *body = NULL, *users = NULL;
	struct str icon;
	struct ulid u;
	enum err rc;

	if (who->kind == AUTHN_BOT)
		return SE_RAISE(&ctx->ei, SE_IsBot);
	rc = api_body(ctx, &body);
	if (rc)
		return rc;
	rc = api_str(ctx, body, "name", 0, &op.name);
	if (!rc && (chars(op.name) < 1 || chars(op.name) > GROUP_NAME_MAX))
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "name: length must be 1-%d",
		               GROUP_NAME_MAX);
	if (!rc) {
		rc = api_str_opt(ctx, body, "description", 0, &op.description);
		if (rc == SE_NOT_FOUND) {
			op.description = STR_NULL;
			rc = SE_OK;
		} else if (!rc && chars(op.description) > GROUP_DESCRIPTION_MAX) {
			rc = SE_RAISEF(&ctx->ei, SE_FailedValidation,
			               "description: length must be at most %d",
			               GROUP_DESCRIPTION_MAX);
		}
	}
	if (!rc) {
		rc = jx_get_bool(body, "nsfw", &op.nsfw, &ctx->ei);
		if (rc == SE_PARSE)
			rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "'nsfw' must be a boolean");
		else if (rc == SE_NOT_FOUND)
			rc = SE_OK;
	}
	if (!rc)
		rc = parse_users(ctx, body, op.me, &users);
	if (!rc) {
		rc = api_str_opt(ctx, body, "icon", 0, &icon);
		if (rc == SE_NOT_FOUND)
			rc = SE_OK;
		else if (!rc && (chars(icon) < 1 || chars(icon) > 128))
			rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "icon: length must be 1-128");
		else if (!rc && !(op.icon_id = arena_strndup(ctx->arena, icon.p, icon.n)))
			/* files hook: claimed inside create_fn (file_claim) */
			rc = SE_RAISE(&ctx->ei, SE_NOMEM);
	}
	if (!rc)
		rc = ulid_generate(NULL, &u);
	if (!rc) {
		ulid_encode(&u, op.id);
		op.users = users;
		rc = store_write(api_app(ctx)->store, create_fn, &op, &ctx->ei);
	}
	if (!rc) {
		publish_create(ctx, op.out, json_object_get(op.out, "recipients"));
		rc = api_json(ctx, 200, op.out);
		op.out = NULL;
	}
	json_decref(op.out);
	json_decref(users);
	json_decref(body);
	return rc ? SE_RAISE(&ctx->ei, rc) : SE_OK;
}

/* ---- PUT / DELETE /channels/{group}/recipients/{member} ---- */

struct member_op {
	struct str me, channel, member;
	int64_t now;
	json_t *out; /* the channel after the change */
};

static enum err add_fn(struct store_wtxn *w, void *arg)
{
	struct member_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	json_t *me = NULL, *member = NULL, *ch = NULL;
	enum err rc;

	json_decref(op->out);
	op->out = NULL;
	rc = load_me(txn, op->me, &me);
	if (!rc)
		rc = load_channel(txn, op->channel, &ch);
	if (!rc)
		rc = perm_require(group_channel_perms(txn, ch, me, op->me, op->now),
		                  PERM_INVITE_OTHERS, store_wtxn_ei(w));
	if (!rc && channel_type_of(ch) != CHANNEL_GROUP)
		rc = SE_InvalidOperation;
	if (!rc)
		rc = load_user(txn, op->member, &member);
	if (!rc && !group_user_is_friend(me, op->member))
		rc = SE_NotFriends;
	if (!rc)
		rc = group_recipient_add(ch, op->member, store_wtxn_ei(w));
	if (!rc)
		rc = save_channel(w, ch, false);
	if (!rc) {
		op->out = ch;
		ch = NULL;
	}
	json_decref(ch);
	json_decref(member);
	json_decref(me);
	return rc;
}

static enum err group_add(struct req_ctx *ctx)
{
	const struct authn *who = api_who(ctx);
	struct member_op op = {str_from(who->user_id), ctx->req->params[0], ctx->req->params[1],
	                       api_now_ms(), NULL};
	json_t *users;
	enum err rc;

	if (who->kind == AUTHN_BOT)
		return SE_RAISE(&ctx->ei, SE_IsBot);
	rc = store_write(api_app(ctx)->store, add_fn, &op, &ctx->ei);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	publish_id_user(ctx, "ChannelGroupJoin", op.channel, op.member);
	sysmsg(ctx, op.channel,
	       json_pack("{s:s,s:s%,s:s%}", "type", "user_added", "id", op.member.p, op.member.n,
	                 "by", op.me.p, op.me.n));
	users = json_pack("[s%]", op.member.p, op.member.n);
	if (users)
		publish_create(ctx, op.out, users);
	json_decref(users);
	json_decref(op.out);
	return api_no_content(ctx);
}

static enum err remove_fn(struct store_wtxn *w, void *arg)
{
	struct member_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	json_t *member = NULL, *ch = NULL;
	enum err rc;

	json_decref(op->out);
	op->out = NULL;
	rc = load_channel(txn, op->channel, &ch);
	if (!rc && channel_type_of(ch) != CHANNEL_GROUP)
		rc = SE_InvalidOperation;
	/* Revolt answers a non-owner with MissingPermission{ManageChannel} */
	if (!rc && !str_is(json_object_get(ch, "owner"), op->me))
		rc = perm_require(0, PERM_MANAGE_CHANNEL, store_wtxn_ei(w));
	if (!rc)
		rc = load_user(txn, op->member, &member);
	if (!rc && str_eq(op->me, op->member))
		rc = SE_CannotRemoveYourself;
	if (!rc)
		rc = group_recipient_remove(ch, op->member);
	if (!rc)
		rc = save_channel(w, ch, false);
	if (!rc) {
		op->out = ch;
		ch = NULL;
	}
	json_decref(ch);
	json_decref(member);
	return rc;
}

static enum err group_remove(struct req_ctx *ctx)
{
	const struct authn *who = api_who(ctx);
	struct member_op op = {str_from(who->user_id), ctx->req->params[0], ctx->req->params[1],
	                       api_now_ms(), NULL};
	enum err rc;

	if (who->kind == AUTHN_BOT)
		return SE_RAISE(&ctx->ei, SE_IsBot);
	rc = store_write(api_app(ctx)->store, remove_fn, &op, &ctx->ei);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	json_decref(op.out);
	publish_id_user(ctx, "ChannelGroupLeave", op.channel, op.member);
	sysmsg(ctx, op.channel,
	       json_pack("{s:s,s:s%,s:s%}", "type", "user_remove", "id", op.member.p, op.member.n,
	                 "by", op.me.p, op.me.n));
	return api_no_content(ctx);
}

/* ---- GET /channels/{target}/members ---- */

static enum err members_read(struct req_ctx *ctx, struct store_txn *txn, json_t **out)
{
	struct str uid = str_from(api_who(ctx)->user_id);
	json_t *me = NULL, *ch = NULL, *res = NULL, *v;
	size_t i;
	enum err rc = load_me(txn, uid, &me);

	if (!rc)
		rc = load_channel(txn, ctx->req->params[0], &ch);
	if (!rc)
		rc = perm_require(group_channel_perms(txn, ch, me, uid, api_now_ms()),
		                  PERM_VIEW_CHANNEL, &ctx->ei);
	if (!rc && channel_type_of(ch) != CHANNEL_GROUP)
		rc = SE_InvalidOperation;
	if (!rc && !(res = json_array()))
		rc = SE_NOMEM;
	json_array_foreach(rc ? NULL : json_object_get(ch, "recipients"), i, v)
	{
		json_t *rec = NULL, *view;

		/* a recipient whose account is gone is left out, as Revolt's fetch_users */
		if (!json_is_string(v) ||
		    load_json(txn, USER_COLL, str_from(json_string_value(v)), &rec))
			continue;
		/* co-recipients are a mutual connection: ViewProfile (delta's
		 * fetch_many_ids_as_mutuals); presence is the gateway's */
		view = user_view_for(rec, me, true, false);
		json_decref(rec);
		if (!view || json_array_append_new(res, view)) {
			rc = SE_NOMEM;
			break;
		}
	}
	json_decref(ch);
	json_decref(me);
	if (rc)
		json_decref(res);
	else
		*out = res;
	return rc;
}

static enum err group_members(struct req_ctx *ctx)
{
	struct store_txn *txn = NULL;
	json_t *res = NULL;
	enum err rc = store_read_begin(api_app(ctx)->store, &txn);

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = members_read(ctx, txn, &res);
	store_read_end(txn);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	return api_json(ctx, 200, res);
}

/* ---- DELETE /channels/{target} ---- */

enum delete_result {
	DEL_DM_CLOSED,    /* DM: active false */
	DEL_GROUP_LEFT,   /* group: the caller left */
	DEL_GROUP_HANDED, /* group: the owner left, ownership passed on */
	DEL_DELETED,      /* the channel is gone (last one out, or a server channel) */
};

struct delete_op {
	struct str me, channel;
	int64_t now;
	enum delete_result result;
	char owner_from[ID_MAX + 1], owner_to[ID_MAX + 1];
	struct str server; /* a deleted server channel's server (points into server_id) */
	char server_id[ID_MAX + 1];
};

static enum err strip_array(json_t *arr, struct str id)
{
	const json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
	{
		if (str_is(v, id))
			return json_array_remove(arr, i) ? SE_NOMEM : strip_array(arr, id);
	}
	return SE_OK;
}

/* Take server channel `id` out of its server: channels, categories, system messages. */
static enum err unlink_server_channel(struct store_wtxn *w, struct str sid, struct str id)
{
	json_t *server = NULL, *cat, *sys;
	const char *key;
	json_t *v;
	void *tmp;
	size_t i;
	char *text;
	enum err rc = server_load(store_wtxn_read(w), sid, &server);

	if (rc == SE_NOT_FOUND)
		return SE_OK;
	if (rc)
		return rc;
	rc = strip_array(json_object_get(server, "channels"), id);
	json_array_foreach(json_object_get(server, "categories"), i, cat)
	{
		if (!rc)
			rc = strip_array(json_object_get(cat, "channels"), id);
	}
	sys = json_object_get(server, "system_messages");
	json_object_foreach_safe(sys, tmp, key, v)
	{
		if (str_is(v, id))
			json_object_del(sys, key);
	}
	if (sys && json_object_size(sys) == 0)
		json_object_del(server, "system_messages");
	text = rc ? NULL : jx_dump(server);
	if (!rc && !text)
		rc = SE_NOMEM;
	if (!rc)
		rc = store_update(w, SERVER_COLL, sid, str_from(text));
	mem_free(text);
	json_decref(server);
	return rc;
}

static enum err leave_group(struct store_wtxn *w, struct delete_op *op, json_t *ch)
{
	if (str_is(json_object_get(ch, "owner"), op->me)) {
		const char *next = group_next_owner(ch, op->me);

		if (!next) {
			op->result = DEL_DELETED;
			return group_channel_purge(w, op->channel);
		}
		snprintf(op->owner_from, sizeof(op->owner_from), "%.*s", (int)op->me.n, op->me.p);
		snprintf(op->owner_to, sizeof(op->owner_to), "%s", next);
		if (json_object_set_new(ch, "owner", json_string(op->owner_to)))
			return SE_NOMEM;
		op->result = DEL_GROUP_HANDED;
	} else {
		op->result = DEL_GROUP_LEFT;
	}
	if (group_recipient_remove(ch, op->me))
		return SE_NotInGroup;
	return save_channel(w, ch, false);
}

static enum err delete_fn(struct store_wtxn *w, void *arg)
{
	struct delete_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	json_t *me = NULL, *ch = NULL;
	const char *sid;
	uint64_t p = 0;
	enum err rc;

	op->server = STR_NULL;
	rc = load_me(txn, op->me, &me);
	if (!rc)
		rc = load_channel(txn, op->channel, &ch);
	if (!rc) {
		p = group_channel_perms(txn, ch, me, op->me, op->now);
		rc = perm_require(p, PERM_VIEW_CHANNEL, store_wtxn_ei(w));
	}
	if (rc)
		goto out;
	switch (channel_type_of(ch)) {
	case CHANNEL_SAVED:
		rc = SE_NoEffect;
		break;
	case CHANNEL_DM:
		op->result = DEL_DM_CLOSED;
		rc = json_object_set_new(ch, "active", json_false()) ? SE_NOMEM
		                                                     : save_channel(w, ch, false);
		break;
	case CHANNEL_GROUP:
		rc = leave_group(w, op, ch);
		break;
	case CHANNEL_TEXT:
	case CHANNEL_VOICE:
		rc = perm_require(p, PERM_MANAGE_CHANNEL, store_wtxn_ei(w));
		sid = json_string_value(json_object_get(ch, "server"));
		if (!rc && sid) {
			snprintf(op->server_id, sizeof(op->server_id), "%s", sid);
			op->server = str_from(op->server_id);
			rc = unlink_server_channel(w, op->server, op->channel);
		}
		if (!rc)
			rc = group_channel_purge(w, op->channel);
		op->result = DEL_DELETED;
		break;
	default:
		rc = SE_PARSE;
		break;
	}
out:
	json_decref(ch);
	json_decref(me);
	return rc;
}

/* Rocket's bool form values. */
static enum err parse_flag(struct str v, bool *out)
{
	static const char *const yes[] = {"true", "on", "yes", "1", ""};
	static const char *const no[] = {"false", "off", "no", "0"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (str_eq_nocase(v, str_from(yes[i]))) {
			*out = true;
			return SE_OK;
		}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (str_eq_nocase(v, str_from(no[i]))) {
			*out = false;
			return SE_OK;
		}
	return SE_INVAL;
}

static enum err channel_delete(struct req_ctx *ctx)
{
	struct delete_op op;
	struct str q = http_req_query(ctx->req, "leave_silently");
	struct app *app = api_app(ctx);
	bool silent = false;
	enum err rc;

	memset(&op, 0, sizeof(op));
	op.me = str_from(api_who(ctx)->user_id);
	op.channel = ctx->req->params[0];
	op.now = api_now_ms();
	if (q.p && parse_flag(q, &silent))
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "leave_silently must be a boolean");
	rc = store_write(app->store, delete_fn, &op, &ctx->ei);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	if (op.result == DEL_DM_CLOSED)
		api_publish(app, op.channel,
		            json_pack("{s:s,s:s%,s:{s:b},s:[]}", "type", "ChannelUpdate", "id",
		                      op.channel.p, op.channel.n, "data", "active", 0, "clear"));
	if (op.result == DEL_GROUP_HANDED) {
		sysmsg(ctx, op.channel,
		       json_pack("{s:s,s:s,s:s}", "type", "channel_ownership_changed", "from",
		                 op.owner_from, "to", op.owner_to));
		api_publish(app, op.channel,
		            json_pack("{s:s,s:s%,s:{s:s},s:[]}", "type", "ChannelUpdate", "id",
		                      op.channel.p, op.channel.n, "data", "owner", op.owner_to,
		                      "clear"));
	}
	/* an owner who handed the group on leaves like anyone else */
	if (op.result == DEL_GROUP_HANDED || op.result == DEL_GROUP_LEFT) {
		publish_id_user(ctx, "ChannelGroupLeave", op.channel, op.me);
		if (!silent)
			sysmsg(
			    ctx, op.channel,
			    json_pack("{s:s,s:s%}", "type", "user_left", "id", op.me.p, op.me.n));
	}
	if (op.result == DEL_DELETED)
		api_publish(app, op.channel,
		            json_pack("{s:s,s:s%}", "type", "ChannelDelete", "id", op.channel.p,
		                      op.channel.n));
	return api_no_content(ctx);
}

static const struct route group_routes[] = {
    {HTTP_POST, "/api/channels/create", group_create, API_USER},
    {HTTP_PUT, "/api/channels/{group}/recipients/{member}", group_add, API_USER},
    {HTTP_DELETE, "/api/channels/{group}/recipients/{member}", group_remove, API_USER},
    {HTTP_GET, "/api/channels/{target}/members", group_members, API_USER},
    {HTTP_DELETE, "/api/channels/{target}", channel_delete, API_USER},
};

const struct route *api_groups_table(size_t *n)
{
	*n = sizeof(group_routes) / sizeof(group_routes[0]);
	return group_routes;
}
