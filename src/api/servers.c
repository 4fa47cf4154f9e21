/*
 * api/servers.c: servers — create, fetch, edit, delete or leave, server
 * channels and ack (revoltchat/backend crates/delta/src/routes/servers,
 * REVOLT.md sections 6-9). Every check that must hold when the write lands
 * (membership, permissions, caps) runs inside the write.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "api/servers_int.h"
#include "app.h"
#include "auth/records.h"
#include "channels/channel.h"
#include "core/jx.h"
#include "core/ulid.h"
#include "perms/perms.h"
#include "servers/server.h"
#include "servers/server_state.h"
#include "users/user.h"
#include "messages/message.h"

enum err api_srv_text(struct req_ctx *ctx, const json_t *body, const char *key, size_t min,
                      size_t max, bool required, struct str *out)
{
	enum err rc = api_str_opt(ctx, body, key, max * 4, out);
	size_t n;

	if (rc == SE_NOT_FOUND && !required)
		return SE_NOT_FOUND;
	if (rc == SE_NOT_FOUND)
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "missing field '%s'", key);
	if (rc)
		return rc;
	n = server_utf8_len(*out);
	if (n == SIZE_MAX || n < min || n > max)
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "%s: length must be %zu-%zu", key,
		                 min, max);
	return SE_OK;
}

enum err api_srv_bool(struct req_ctx *ctx, const json_t *body, const char *key, int *out)
{
	bool b;
	enum err rc = jx_get_bool(body, key, &b, &ctx->ei);

	*out = -1;
	if (rc == SE_NOT_FOUND)
		return SE_OK;
	if (rc)
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "'%s' must be a boolean", key);
	*out = b;
	return SE_OK;
}

static json_t *str_json(struct str s)
{
	return json_stringn(s.p, s.n);
}

void api_srv_new_id(char out[ULID_LEN + 1])
{
	struct ulid u;

	if (ulid_generate(NULL, &u))
		memset(&u, 0, sizeof(u));
	ulid_encode(&u, out);
}

static bool is_bot(const json_t *user)
{
	return json_object_get(user, "bot") != NULL;
}

/* ---- POST /servers/create ---- */

struct create_op {
	const char *uid;
	struct str name, description;
	int nsfw;
	char sid[ULID_LEN + 1], cid[ULID_LEN + 1];
	json_t *server, *channel, *member;
};

static enum err create_fn(struct store_wtxn *w, void *arg)
{
	struct create_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	struct err_info *ei = store_wtxn_ei(w);
	char key[64], when[32];
	struct ulid uu;
	struct str rec;
	json_t *user = NULL;
	size_t n = 0, max, klen;
	enum err rc = store_get(txn, USER_COLL, str_from(op->uid), &rec);

	if (rc == SE_NOT_FOUND)
		return SE_RAISE(ei, SE_NotFound);
	if (rc)
		return rc;
	user = json_loadb(rec.p, rec.n, 0, NULL);
	if (!user)
		return SE_PARSE;
	rc = is_bot(user) ? SE_RAISE(ei, SE_IsBot) : SE_OK;
	json_decref(user);
	if (rc)
		return rc;
	max = SERVER_JOINED_MAX;
	if (!ulid_parse(str_from(op->uid), &uu, NULL) &&
	    api_now_ms() - (int64_t)ulid_time_ms(&uu) < SERVER_NEW_USER_MS)
		max = SERVER_JOINED_MAX_NEW;
	rc = server_count_joined(txn, op->uid, max + 1, &n);
	if (rc)
		return rc;
	if (n >= max) {
		ei->max = (long long)max;
		return SE_RAISE(ei, SE_TooManyServers);
	}
	authrec_iso8601(api_now_ms(), when);
	json_decref(op->server);
	json_decref(op->channel);
	json_decref(op->member);
	op->server = json_pack("{s:s,s:s,s:s%}", "_id", op->sid, "owner", op->uid, "name",
	                       op->name.p, op->name.n);
	op->channel = json_pack("{s:s,s:s,s:s,s:s}", "channel_type", "TextChannel", "_id", op->cid,
	                        "server", op->sid, "name", "General");
	op->member = json_pack("{s:{s:s,s:s},s:s}", "_id", "server", op->sid, "user", op->uid,
	                       "joined_at", when);
	if (!op->server || !op->channel || !op->member)
		return SE_NOMEM;
	if (op->description.p)
		json_object_set_new(op->server, "description", str_json(op->description));
	json_object_set_new(op->server, "channels", json_pack("[s]", op->cid));
	json_object_set_new(op->server, "default_permissions",
	                    json_integer((json_int_t)PERM_DEFAULT_SERVER));
	if (op->nsfw == 1)
		json_object_set_new(op->server, "nsfw", json_true());
	rc = server_member_key(str_from(op->sid), str_from(op->uid), key, &klen);
	if (!rc)
		rc = server_rec_write(w, SERVER_COLL, str_from(op->sid), op->server, true);
	if (!rc)
		rc = server_rec_write(w, CHANNEL_COLL, str_from(op->cid), op->channel, true);
	if (!rc)
		rc = server_rec_write(w, MEMBER_COLL, (struct str){key, klen}, op->member, true);
	return rc;
}

static enum err server_create(struct req_ctx *ctx)
{
	struct create_op op;
	json_t *body = NULL, *ev;
	enum err rc;
	char topic[40];

	memset(&op, 0, sizeof(op));
	op.uid = api_who(ctx)->user_id;
	op.nsfw = -1;
	rc = api_body(ctx, &body);
	if (!rc)
		rc = api_srv_text(ctx, body, "name", 1, SERVER_NAME_MAX, true, &op.name);
	if (!rc) {
		rc = api_srv_text(ctx, body, "description", 0, SERVER_DESC_MAX, false,
		                  &op.description);
		if (rc == SE_NOT_FOUND)
			rc = SE_OK;
	}
	if (!rc)
		rc = api_srv_bool(ctx, body, "nsfw", &op.nsfw);
	if (rc)
		goto out;
	api_srv_new_id(op.sid);
	api_srv_new_id(op.cid);
	rc = store_write(api_app(ctx)->store, create_fn, &op, &ctx->ei);
	if (rc)
		goto out;
	snprintf(topic, sizeof(topic), "%s!", op.uid);
	ev = json_pack("{s:s,s:s,s:O,s:[O],s:[]}", "type", "ServerCreate", "id", op.sid, "server",
	               op.server, "channels", op.channel, "emojis");
	if (ev)
		api_publish(api_app(ctx), str_from(topic), ev);
	ev = json_pack("{s:s,s:s,s:s,s:O}", "type", "ServerMemberJoin", "id", op.sid, "user",
	               op.uid, "member", op.member);
	if (ev)
		api_publish(api_app(ctx), str_from(op.sid), ev);
	rc = api_json(ctx, 200,
	              json_pack("{s:O,s:[O]}", "server", op.server, "channels", op.channel));
out:
	json_decref(body);
	json_decref(op.server);
	json_decref(op.channel);
	json_decref(op.member);
	return rc;
}

/* ---- GET /servers/{id} ---- */

static json_t *visible_channels(struct store_txn *txn, const struct server_state *st)
{
	const json_t *ids = json_object_get(st->server, "channels");
	json_t *out = json_array(), *id;
	size_t i;

	json_array_foreach(ids, i, id)
	{
		json_t *ch = NULL;

		if (!out || !json_is_string(id) ||
		    channel_load(txn, str_from(json_string_value(id)), &ch))
			continue;
		if (server_state_channel_perms(st, ch) & PERM_VIEW_CHANNEL)
			json_array_append(out, ch);
		json_decref(ch);
	}
	return out;
}

static enum err server_fetch(struct req_ctx *ctx)
{
	struct server_state st = SERVER_STATE_INIT;
	struct store_txn *txn = NULL;
	struct str inc = http_req_query(ctx->req, "include_channels");
	json_t *out = NULL;
	enum err rc = store_read_begin(api_app(ctx)->store, &txn);

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = server_state_load(txn, ctx->req->params[0], api_who(ctx)->user_id, api_now_ms(), &st);
	if (!rc && !st.member && !st.privileged)
		rc = SE_NotFound;
	if (rc)
		goto out;
	out = json_deep_copy(st.server);
	if (out && str_eq_cstr(inc, "true"))
		json_object_set_new(out, "channels", visible_channels(txn, &st));
	rc = out ? SE_OK : SE_NOMEM;
out:
	store_read_end(txn);
	server_state_release(&st);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	return api_json(ctx, 200, out);
}

/* ---- DELETE /servers/{id} ---- */

struct delete_op {
	struct str sid;
	const char *uid;
	bool deleted; /* owner: the server is gone; else the caller left */
};

/* Delete every record of `coll` under index `index` prefix "<sid>/" ("id" = key rest or whole). */
static enum err delete_all(struct store_wtxn *w, const char *coll, const char *index,
                           struct str sid)
{
	char prefix[40], ids[64][72], last[72];
	size_t n;
	int len = snprintf(prefix, sizeof(prefix), "%.*s/", (int)sid.n, sid.p);
	enum err rc;

	do {
		rc = server_index_ids(store_wtxn_read(w), coll, index,
		                      (struct str){prefix, (size_t)len}, STR_NULL, ids, 64, &n,
		                      last);
		for (size_t i = 0; !rc && i < n; i++)
			rc = store_delete(w, coll, str_from(ids[i]));
	} while (!rc && n > 0);
	return rc;
}

static enum err delete_fn(struct store_wtxn *w, void *arg)
{
	struct delete_op *op = arg;
	struct server_state st = SERVER_STATE_INIT;
	char key[64];
	size_t klen;
	enum err rc = server_state_load(store_wtxn_read(w), op->sid, op->uid, api_now_ms(), &st);

	if (rc)
		return SE_RAISE(store_wtxn_ei(w), rc);
	if (!st.member) {
		rc = SE_RAISE(store_wtxn_ei(w), SE_NotFound);
		goto out;
	}
	op->deleted = st.owner;
	if (st.owner) {
		rc = delete_all(w, CHANNEL_COLL, CHANNEL_IDX_SERVER, op->sid);
		if (!rc)
			rc = delete_all(w, MEMBER_COLL, MEMBER_IDX_SERVER, op->sid);
		if (!rc)
			rc = delete_all(w, BAN_COLL, BAN_IDX_SERVER, op->sid);
		if (!rc)
			rc = delete_all(w, INVITE_COLL, INVITE_IDX_SERVER, op->sid);
		if (!rc)
			rc = store_delete(w, SERVER_COLL, op->sid);
		goto out;
	}
	rc = server_member_key(op->sid, str_from(op->uid), key, &klen);
	if (!rc)
		rc = store_delete(w, MEMBER_COLL, (struct str){key, klen});
out:
	server_state_release(&st);
	return rc;
}

static enum err server_delete(struct req_ctx *ctx)
{
	struct delete_op op = {ctx->req->params[0], api_who(ctx)->user_id, false};
	enum err rc = store_write(api_app(ctx)->store, delete_fn, &op, &ctx->ei);
	json_t *ev;

	if (rc)
		return rc;
	if (op.deleted)
		ev = json_pack("{s:s,s:s%}", "type", "ServerDelete", "id", op.sid.p, op.sid.n);
	else
		ev = json_pack("{s:s,s:s%,s:s,s:s}", "type", "ServerMemberLeave", "id", op.sid.p,
		               op.sid.n, "user", op.uid, "reason", "Leave");
	if (!op.deleted && !str_eq_cstr(http_req_query(ctx->req, "leave_silently"), "true"))
		(void)msg_server_system(api_app(ctx), op.sid, "user_left", str_from(op.uid),
		                        &ctx->ei);
	if (ev)
		api_publish(api_app(ctx), op.sid, ev);
	return api_no_content(ctx);
}

/* ---- POST /servers/{id}/channels ---- */

struct channel_op {
	struct str sid;
	const char *uid;
	struct str name, description;
	bool voice;
	int nsfw;
	char cid[ULID_LEN + 1];
	json_t *channel, *channels;
};

static enum err channel_fn(struct store_wtxn *w, void *arg)
{
	struct channel_op *op = arg;
	struct err_info *ei = store_wtxn_ei(w);
	struct server_state st = SERVER_STATE_INIT;
	json_t *list;
	enum err rc = server_state_load(store_wtxn_read(w), op->sid, op->uid, api_now_ms(), &st);

	if (rc)
		return SE_RAISE(ei, rc);
	rc = perm_require(st.perms, PERM_MANAGE_CHANNEL, ei);
	if (rc)
		goto out;
	list = json_object_get(st.server, "channels");
	if (!json_is_array(list)) {
		list = json_array();
		json_object_set_new(st.server, "channels", list);
	}
	if (json_array_size(list) >= SERVER_CHANNELS_MAX) {
		ei->max = SERVER_CHANNELS_MAX;
		rc = SE_RAISE(ei, SE_TooManyChannels);
		goto out;
	}
	json_decref(op->channel);
	json_decref(op->channels);
	op->channels = NULL;
	op->channel = json_pack("{s:s,s:s,s:s%,s:s%}", "channel_type",
	                        op->voice ? "VoiceChannel" : "TextChannel", "_id", op->cid,
	                        "server", op->sid.p, op->sid.n, "name", op->name.p, op->name.n);
	if (!op->channel || json_array_append_new(list, json_string(op->cid))) {
		rc = SE_NOMEM;
		goto out;
	}
	if (op->description.p)
		json_object_set_new(op->channel, "description", str_json(op->description));
	if (op->nsfw == 1)
		json_object_set_new(op->channel, "nsfw", json_true());
	op->channels = json_deep_copy(list);
	rc = server_rec_write(w, CHANNEL_COLL, str_from(op->cid), op->channel, true);
	if (!rc)
		rc = server_rec_write(w, SERVER_COLL, op->sid, st.server, false);
out:
	server_state_release(&st);
	return rc;
}

static enum err server_channel_create(struct req_ctx *ctx)
{
	struct channel_op op;
	struct str type = STR_NULL;
	json_t *body = NULL, *ev;
	enum err rc;

	memset(&op, 0, sizeof(op));
	op.sid = ctx->req->params[0];
	op.uid = api_who(ctx)->user_id;
	rc = api_body(ctx, &body);
	if (!rc) {
		rc = api_str_opt(ctx, body, "type", 16, &type);
		if (rc == SE_NOT_FOUND)
			rc = SE_OK;
		else if (!rc && !str_eq_cstr(type, "Text") && !str_eq_cstr(type, "Voice"))
			rc = SE_RAISEF(&ctx->ei, SE_FailedValidation,
			               "type: expected 'Text' or 'Voice'");
		op.voice = str_eq_cstr(type, "Voice");
	}
	if (!rc)
		rc = api_srv_text(ctx, body, "name", 1, SERVER_NAME_MAX, true, &op.name);
	if (!rc) {
		rc = api_srv_text(ctx, body, "description", 0, SERVER_DESC_MAX, false,
		                  &op.description);
		if (rc == SE_NOT_FOUND)
			rc = SE_OK;
	}
	if (!rc)
		rc = api_srv_bool(ctx, body, "nsfw", &op.nsfw);
	if (rc)
		goto out;
	api_srv_new_id(op.cid);
	rc = store_write(api_app(ctx)->store, channel_fn, &op, &ctx->ei);
	if (rc)
		goto out;
	ev = json_pack("{s:s,s:s%,s:{s:O},s:[]}", "type", "ServerUpdate", "id", op.sid.p, op.sid.n,
	               "data", "channels", op.channels, "clear");
	if (ev)
		api_publish(api_app(ctx), op.sid, ev);
	ev = json_deep_copy(op.channel);
	if (ev && !json_object_set_new(ev, "type", json_string("ChannelCreate")))
		api_publish(api_app(ctx), op.sid, ev);
	else
		json_decref(ev);
	rc = api_json(ctx, 200, json_incref(op.channel));
out:
	json_decref(body);
	json_decref(op.channel);
	json_decref(op.channels);
	return rc;
}

/* ---- PUT /servers/{id}/ack ---- */

static enum err server_ack(struct req_ctx *ctx)
{
	struct server_state st = SERVER_STATE_INIT;
	struct store_txn *txn = NULL;
	enum err rc = store_read_begin(api_app(ctx)->store, &txn);

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = server_state_load(txn, ctx->req->params[0], api_who(ctx)->user_id, api_now_ms(), &st);
	store_read_end(txn);
	if (!rc && is_bot(st.user))
		rc = SE_IsBot;
	else if (!rc && !st.member)
		rc = SE_NotFound;
	/* hook: mark every channel of the server read (unreads module) */
	server_state_release(&st);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	return api_no_content(ctx);
}

static const struct route routes[] = {
    {HTTP_POST, "/api/servers/create", server_create, API_USER},
    {HTTP_GET, "/api/servers/{target}", server_fetch, API_USER},
    {HTTP_PATCH, "/api/servers/{target}", api_server_edit, API_USER},
    {HTTP_DELETE, "/api/servers/{target}", server_delete, API_USER},
    {HTTP_POST, "/api/servers/{target}/channels", server_channel_create, API_USER},
    {HTTP_PUT, "/api/servers/{target}/ack", server_ack, API_USER},
    {HTTP_POST, "/api/servers/{target}/ack", server_ack, API_USER},
};

const struct route *api_servers_table(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
