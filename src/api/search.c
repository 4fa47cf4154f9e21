/*
 * api/search.c: POST /channels/{target}/search (revoltchat/backend
 * crates/delta/src/routes/channels/message_search.rs, DataMessageSearch,
 * BulkMessageResponse). Text queries go through the full-text index
 * (messages/search.h); pinned-only and empty queries walk the messages
 * collection's "pinned" and "channel" indexes.
 * Deviation: "pinned": false is no filter (MongoDB would only match
 * messages stored with pinned:false, which we never store).
 */
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "app.h"
#include "channels/channel.h"
#include "core/arena.h"
#include "messages/message.h"
#include "messages/search.h"
#include "perms/perms.h"
#include "servers/server.h"
#include "servers/server_state.h"
#include "storage/store.h"
#include "users/access.h"
#include "users/user.h"

#define SEARCH_QUERY_CHARS_MAX 64
#define SEARCH_LIMIT_DEFAULT 50

struct search_req {
	struct msg_search_opts o;
	bool has_query, pinned, include_users;
};

static enum err bad(struct req_ctx *ctx, const char *why)
{
	return SE_RAISEF(&ctx->ei, SE_FailedValidation, "%s", why);
}

static enum err parse(struct req_ctx *ctx, const json_t *body, struct search_req *r)
{
	const json_t *v;
	struct str s;
	size_t chars;
	enum err rc;

	r->o.limit = SEARCH_LIMIT_DEFAULT;
	r->o.sort = MSG_SEARCH_LATEST;
	rc = api_str_opt(ctx, body, "query", SEARCH_QUERY_CHARS_MAX * 4, &r->o.query);
	if (rc && rc != SE_NOT_FOUND)
		return rc;
	if (!rc) {
		chars = server_utf8_len(r->o.query);
		if (chars == 0 || chars > SEARCH_QUERY_CHARS_MAX)
			return bad(ctx, "query: length must be 1-64");
		r->has_query = true;
	}
	v = json_object_get(body, "pinned");
	if (v && !json_is_null(v) && !json_is_boolean(v))
		return bad(ctx, "pinned: expected a boolean");
	if (v && !json_is_null(v) && r->has_query)
		return SE_RAISE(&ctx->ei, SE_InvalidOperation);
	r->pinned = json_is_true(v);
	v = json_object_get(body, "limit");
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > MSG_SEARCH_LIMIT_MAX)
			return bad(ctx, "limit: must be 1-100");
		r->o.limit = (size_t)json_integer_value(v);
	}
	rc = api_str_opt(ctx, body, "before", 0, &r->o.before);
	if (rc == SE_NOT_FOUND)
		r->o.before = STR_NULL;
	else if (rc)
		return rc;
	else if (r->o.before.n != 26)
		return bad(ctx, "before: length must be 26");
	rc = api_str_opt(ctx, body, "after", 0, &r->o.after);
	if (rc == SE_NOT_FOUND)
		r->o.after = STR_NULL;
	else if (rc)
		return rc;
	else if (r->o.after.n != 26)
		return bad(ctx, "after: length must be 26");
	rc = api_str_opt(ctx, body, "sort", 0, &s);
	if (!rc) {
		if (str_eq_cstr(s, "Latest"))
			r->o.sort = MSG_SEARCH_LATEST;
		else if (str_eq_cstr(s, "Oldest"))
			r->o.sort = MSG_SEARCH_OLDEST;
		else if (str_eq_cstr(s, "Relevance"))
			r->o.sort = MSG_SEARCH_RELEVANCE;
		else
			return bad(ctx, "sort: expected Relevance, Latest or Oldest");
	} else if (rc != SE_NOT_FOUND) {
		return rc;
	}
	v = json_object_get(body, "include_users");
	if (v && !json_is_null(v) && !json_is_boolean(v))
		return bad(ctx, "include_users: expected a boolean");
	r->include_users = json_is_true(v);
	return SE_OK;
}

/* Ids from the "pinned" or "channel" index, in the requested order. */
static enum err list_ids(struct store_txn *txn, struct req_ctx *ctx, struct str cid,
                         const struct search_req *r, struct msg_search_result *res)
{
	struct store_hit hits[MSG_SEARCH_LIMIT_MAX];
	char *prefix = arena_printf(ctx->arena, "%.*s/", (int)cid.n, cid.p);
	struct store_range range;
	size_t n = 0;
	enum err rc;

	if (!prefix)
		return SE_NOMEM;
	range = (struct store_range){str_from(prefix), r->o.after, r->o.before,
	                             r->o.sort == MSG_SEARCH_OLDEST ? STORE_ASC : STORE_DESC};
	rc = store_index_scan(txn, MSG_COLL, r->pinned ? MSG_IDX_PINNED : MSG_IDX_CHANNEL, &range,
	                      hits, r->o.limit, &n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (hits[i].id.n != 26)
			continue;
		memcpy(res->ids[res->n], hits[i].id.p, 26);
		res->ids[res->n++][26] = '\0';
	}
	return SE_OK;
}

static bool has_id(const json_t *arr, const char *id)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), id) == 0)
			return true;
	}
	return false;
}

/* {messages, users, members?} for include_users. */
static enum err with_users(struct store_txn *txn, struct req_ctx *ctx, const json_t *channel,
                           json_t *messages, json_t **out)
{
	const char *sid = json_string_value(json_object_get(channel, "server"));
	json_t *users = json_array(), *members = sid ? json_array() : NULL, *seen = json_array();
	json_t *viewer = NULL, *m;
	enum err rc = user_load(txn, str_from(api_who(ctx)->user_id), &viewer);
	size_t i;

	if (!users || !seen || (sid && !members))
		rc = SE_NOMEM;
	json_array_foreach(messages, i, m)
	{
		const char *author = json_string_value(json_object_get(m, "author"));
		json_t *target = NULL, *member = NULL;
		uint32_t up = 0;

		if (rc || !author || has_id(seen, author))
			continue;
		json_array_append_new(seen, json_string(author));
		if (user_load(txn, str_from(author), &target))
			continue;
		rc = user_perms(txn, viewer, target, &up);
		if (!rc)
			json_array_append_new(
			    users,
			    user_view_for(target, viewer, up & PERM_USER_VIEW_PROFILE, false));
		json_decref(target);
		if (!rc && sid &&
		    !server_member_load(txn, str_from(sid), str_from(author), &member))
			json_array_append_new(members, member);
	}
	json_decref(viewer);
	json_decref(seen);
	if (!rc) {
		*out = json_pack("{s:O,s:o}", "messages", messages, "users", users);
		users = NULL;
		if (*out && members)
			json_object_set_new(*out, "members", members), members = NULL;
		if (!*out)
			rc = SE_NOMEM;
	}
	json_decref(users);
	json_decref(members);
	return rc;
}

static enum err search(struct req_ctx *ctx)
{
	struct str cid = ctx->req->params[0];
	struct search_req r = {{STR_NULL, STR_NULL, STR_NULL, MSG_SEARCH_LATEST, 0}, 0, 0, 0};
	struct server_state st = SERVER_STATE_INIT;
	struct msg_search_result *res = arena_zalloc(ctx->arena, sizeof(*res));
	struct store_txn *txn = NULL;
	json_t *body = NULL, *channel = NULL, *messages = NULL, *out = NULL;
	uint64_t perms = 0;
	enum err rc;

	if (!res)
		return SE_RAISE(&ctx->ei, SE_NOMEM);
	if (api_who(ctx)->kind == AUTHN_BOT)
		return SE_RAISE(&ctx->ei, SE_IsBot);
	rc = api_body(ctx, &body);
	if (rc)
		return rc;
	rc = parse(ctx, body, &r);
	if (rc)
		goto out;
	rc = store_read_begin(api_app(ctx)->store, &txn);
	if (rc)
		goto out;
	rc = channel_load(txn, cid, &channel);
	if (rc == SE_NOT_FOUND)
		rc = SE_UnknownChannel;
	if (!rc)
		rc = server_channel_perms(txn, channel, api_who(ctx)->user_id, api_now_ms(), &st,
		                          &perms);
	if (!rc)
		rc = perm_require(perms, PERM_READ_MESSAGE_HISTORY, &ctx->ei);
	if (!rc)
		rc = r.has_query ? msg_search_query(txn, cid, &r.o, res)
		                 : list_ids(txn, ctx, cid, &r, res);
	/* no messages collection yet: nothing to find */
	if (rc == SE_INVAL)
		rc = SE_OK;
	messages = json_array();
	for (size_t i = 0; !rc && messages && i < res->n; i++) {
		json_t *m = NULL;

		if (msg_load(txn, str_from(res->ids[i]), &m) == SE_OK)
			json_array_append_new(messages, m);
	}
	if (!messages)
		rc = SE_NOMEM;
	if (!rc && r.include_users)
		rc = with_users(txn, ctx, channel, messages, &out);
	else if (!rc)
		out = json_incref(messages);
	store_read_end(txn);
out:
	server_state_release(&st);
	json_decref(channel);
	json_decref(messages);
	json_decref(body);
	if (rc) {
		json_decref(out);
		return ctx->ei.where ? rc : SE_RAISE(&ctx->ei, rc);
	}
	return api_json(ctx, 200, out);
}

static const struct route routes[] = {
    {HTTP_POST, "/api/channels/{target}/search", search, API_USER},
};

const struct route *api_search_table(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
