/*
 * api/messages_query.c: GET /channels/{target}/messages (revoltchat/backend
 * crates/delta/src/routes/channels/message_query.rs and
 * Message::fetch_with_users): a page of history off the channel index,
 * optionally with the authors' users and members.
 */
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "api/messages_int.h"
#include "app.h"
#include "channels/channel.h"
#include "messages/history.h"
#include "messages/message.h"
#include "perms/perms.h"
#include "servers/server.h"
#include "users/user.h"

static struct str jstr(const json_t *v)
{
	return (struct str){json_string_value(v), json_string_length(v)};
}

/* Rocket's bool form values. */
static enum err parse_bool(struct str v, bool *out)
{
	if (str_eq_nocase(v, STR_LIT("true")) || str_eq_cstr(v, "1") || v.n == 0) {
		*out = true;
		return SE_OK;
	}
	if (str_eq_nocase(v, STR_LIT("false")) || str_eq_cstr(v, "0")) {
		*out = false;
		return SE_OK;
	}
	return SE_INVAL;
}

static enum err parse_id(struct req_ctx *ctx, const char *name, struct str *out)
{
	struct str v = http_req_query(ctx->req, name);

	*out = STR_NULL;
	if (!v.p)
		return SE_OK;
	if (v.n != 26)
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "'%s' must be 26 characters", name);
	*out = v;
	return SE_OK;
}

static enum err parse_query(struct req_ctx *ctx, struct msg_query *q, bool *users)
{
	struct str limit = http_req_query(ctx->req, "limit");
	struct str sort = http_req_query(ctx->req, "sort");
	struct str inc = http_req_query(ctx->req, "include_users");
	uint64_t n = MSG_HISTORY_DEFAULT;
	enum err rc;

	if (limit.p && (!str_to_u64(limit, MSG_HISTORY_MAX, &n) || n < 1))
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "limit must be 1 to %d",
		                 MSG_HISTORY_MAX);
	q->limit = (size_t)n;
	rc = parse_id(ctx, "before", &q->before);
	if (!rc)
		rc = parse_id(ctx, "after", &q->after);
	if (!rc)
		rc = parse_id(ctx, "nearby", &q->nearby);
	if (rc)
		return rc;
	if (sort.p && str_eq_cstr(sort, "Relevance"))
		return SE_RAISEF(&ctx->ei, SE_InvalidOperation, "sort Relevance needs a search");
	if (sort.p && !str_eq_cstr(sort, "Latest") && !str_eq_cstr(sort, "Oldest"))
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "sort: Latest or Oldest");
	q->oldest = sort.p && str_eq_cstr(sort, "Oldest");
	*users = false;
	if (inc.p && parse_bool(inc, users))
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "include_users must be a boolean");
	return SE_OK;
}

/* {messages, users, members?}: the authors as the caller sees them. */
static enum err with_users(struct store_txn *txn, const struct api_chan *c, json_t *msgs,
                           json_t **out)
{
	json_t *res = json_pack("{s:O,s:[]}", "messages", msgs, "users");
	json_t *users = json_object_get(res, "users"), *members = NULL, *seen = json_object();
	const json_t *server_id = json_object_get(c->ch, "server"), *m;
	enum err rc = res && seen ? SE_OK : SE_NOMEM;
	size_t i;

	if (!rc && json_is_string(server_id)) {
		members = json_array();
		if (!members || json_object_set_new(res, "members", members))
			rc = SE_NOMEM;
	}
	json_array_foreach(msgs, i, m)
	{
		const json_t *a = json_object_get(m, "author");
		json_t *rec = NULL, *mem = NULL;

		if (rc || !json_is_string(a) || json_object_get(seen, json_string_value(a)))
			continue;
		json_object_set_new(seen, json_string_value(a), json_true());
		if (user_load(txn, jstr(a), &rec))
			continue;
		if (json_array_append_new(users, user_view_for(rec, c->me, false, false)))
			rc = SE_NOMEM;
		if (!rc && members && !server_member_load(txn, jstr(server_id), jstr(a), &mem) &&
		    json_array_append_new(members, mem))
			rc = SE_NOMEM;
		json_decref(rec);
	}
	json_decref(seen);
	if (rc) {
		json_decref(res);
		return rc;
	}
	*out = res;
	return SE_OK;
}

enum err api_messages_query(struct req_ctx *ctx)
{
	struct msg_query q;
	struct api_chan c = API_CHAN_INIT;
	struct store_txn *txn = NULL;
	json_t *msgs = NULL, *res = NULL;
	bool users = false;
	enum err rc;

	memset(&q, 0, sizeof(q));
	rc = parse_query(ctx, &q, &users);
	if (rc)
		return rc;
	q.channel_id = ctx->req->params[0];
	rc = store_read_begin(api_app(ctx)->store, &txn);
	if (!rc)
		rc = api_chan_load(txn, str_from(api_who(ctx)->user_id), q.channel_id, api_now_ms(),
		                   &c);
	if (!rc)
		rc = perm_require(c.perms, PERM_READ_MESSAGE_HISTORY, &ctx->ei);
	if (!rc)
		rc = msg_history(txn, &q, &msgs);
	if (!rc && users)
		rc = with_users(txn, &c, msgs, &res);
	store_read_end(txn);
	api_chan_release(&c);
	if (rc) {
		json_decref(msgs);
		return SE_RAISE(&ctx->ei, rc);
	}
	if (res) {
		json_decref(msgs);
		msgs = res;
	}
	return api_json(ctx, 200, msgs);
}
