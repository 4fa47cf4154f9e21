/*
 * api/reactions.c: PUT and DELETE /channels/{target}/messages/{msg}/
 * reactions/{emoji}, DELETE /channels/{target}/messages/{msg}/reactions
 * (revoltchat/backend crates/delta/src/routes/channels/message_react.rs,
 * message_unreact.rs, message_clear_reactions.rs; Message::add_reaction,
 * remove_reaction, clear_reaction in crates/core/database).
 * Reactions live in the message record as {emoji: [user ids]} in insertion
 * order; each change is one store write that re-reads the message.
 */
#include <string.h>
#include <unictype.h>
#include <unistr.h>

#include "api/api.h"
#include "api/api_fed.h"
#include "api/api_int.h"
#include "app.h"
#include "channels/channel.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "federation/outbox.h"
#include "messages/message.h"
#include "perms/perms.h"
#include "servers/server_state.h"
#include "storage/store.h"

/* the custom emojis collection (another module); absent means none exist */
#define EMOJI_COLL "emojis"
/* bytes of a unicode emoji (the longest ZWJ family sequences are ~35) */
#define EMOJI_BYTES_MAX 64

/* Percent-decode path segment `s` into the arena. SE_PARSE on a bad escape. */
static enum err pct_decode(struct arena *a, struct str s, struct str *out)
{
	char *b = arena_alloc(a, s.n + 1);
	size_t n = 0;

	if (!b)
		return SE_NOMEM;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] != '%') {
			b[n++] = s.p[i];
			continue;
		}
		if (i + 2 >= s.n)
			return SE_PARSE;
		{
			char hex[3] = {s.p[i + 1], s.p[i + 2], 0};
			uint64_t v = 0;

			for (int k = 0; k < 2; k++) {
				char c = hex[k];
				int d = c >= '0' && c <= '9'   ? c - '0'
				        : c >= 'a' && c <= 'f' ? c - 'a' + 10
				        : c >= 'A' && c <= 'F' ? c - 'A' + 10
				                               : -1;
				if (d < 0)
					return SE_PARSE;
				v = v * 16 + (uint64_t)d;
			}
			b[n++] = (char)v;
			i += 2;
		}
	}
	b[n] = '\0';
	*out = (struct str){b, n};
	return SE_OK;
}

/*
 * An emoji-ish string: valid UTF-8 of emoji code points, components, ZWJ
 * and variation selectors, with at least one pictograph, regional
 * indicator or keycap. Stands in for the backend's list of permissible
 * emojis (crates/core/database/src/models/emojis/unicode_emoji.txt).
 */
static bool is_unicode_emoji(struct str e)
{
	const uint8_t *p = (const uint8_t *)e.p;
	bool pict = false;
	size_t i = 0;

	if (e.n == 0 || e.n > EMOJI_BYTES_MAX || u8_check(p, e.n))
		return false;
	while (i < e.n) {
		ucs4_t c;
		int len = u8_mbtouc(&c, p + i, e.n - i);

		i += (size_t)len;
		if (uc_is_property_extended_pictographic(c) ||
		    uc_is_property_regional_indicator(c) || c == 0x20E3)
			pict = true;
		else if (!(uc_is_property_emoji(c) || uc_is_property_emoji_component(c) ||
		           c == 0x200D || c == 0xFE0F || c == 0xFE0E))
			return false;
	}
	return pict;
}

/* The message (new reference) of channel `cid`, or UnknownMessage. */
static enum err load_message(struct store_txn *txn, struct str cid, struct str mid, json_t **out)
{
	const char *ch;
	enum err rc = msg_load(txn, mid, out);

	if (rc == SE_NOT_FOUND || rc == SE_INVAL)
		return SE_UnknownMessage;
	if (rc)
		return rc;
	ch = json_string_value(json_object_get(*out, "channel"));
	if (!ch || !str_eq(str_from(ch), cid)) {
		json_decref(*out);
		*out = NULL;
		return SE_UnknownMessage;
	}
	return SE_OK;
}

/* The caller's permissions in channel `cid`; UnknownChannel when missing. */
static enum err channel_perms(struct app *app, const char *uid, struct str cid, uint64_t *perms)
{
	struct server_state st = SERVER_STATE_INIT;
	struct store_txn *txn = NULL;
	json_t *channel = NULL;
	enum err rc = store_read_begin(app->store, &txn);

	if (rc)
		return rc;
	rc = channel_load(txn, cid, &channel);
	if (rc == SE_NOT_FOUND)
		rc = SE_UnknownChannel;
	if (!rc)
		rc = server_channel_perms(txn, channel, uid, api_now_ms(), &st, perms);
	store_read_end(txn);
	server_state_release(&st);
	json_decref(channel);
	return rc;
}

enum react_kind {
	REACT_ADD,
	REACT_REMOVE, /* one user's reaction */
	REACT_CLEAR,  /* one emoji, every user */
	REACT_CLEAR_ALL,
};

struct react_op {
	enum react_kind kind;
	struct str channel, message, emoji, user;
	bool custom; /* emoji is a ULID: it must exist in EMOJI_COLL */
};

static bool interactions_allow(const json_t *msg, const char *emoji)
{
	const json_t *in = json_object_get(msg, "interactions");
	const json_t *list = json_object_get(in, "reactions");
	size_t i;
	json_t *v;

	if (!json_is_true(json_object_get(in, "restrict_reactions")))
		return true;
	json_array_foreach(list, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), emoji) == 0)
			return true;
	}
	return false;
}

static enum err apply(struct store_wtxn *w, struct react_op *op, json_t *msg, const char *emoji)
{
	json_t *reactions = json_object_get(msg, "reactions");
	json_t *users = json_object_get(reactions, emoji);
	struct str raw;
	size_t i;
	json_t *v;
	enum err rc;

	switch (op->kind) {
	case REACT_ADD:
		if (!users && json_object_size(reactions) >= MSG_REACTIONS_MAX)
			return SE_InvalidOperation;
		if (!interactions_allow(msg, emoji))
			return SE_InvalidOperation;
		if (op->custom) {
			rc = store_get(store_wtxn_read(w), EMOJI_COLL, op->emoji, &raw);
			if (rc == SE_NOT_FOUND || rc == SE_INVAL)
				return SE_NotFound;
			if (rc)
				return rc;
		}
		if (!json_is_object(reactions)) {
			reactions = json_object();
			if (!reactions || json_object_set_new(msg, "reactions", reactions))
				return SE_NOMEM;
		}
		if (!users) {
			users = json_array();
			if (!users || json_object_set_new(reactions, emoji, users))
				return SE_NOMEM;
		}
		json_array_foreach(users, i, v)
		{
			if (json_is_string(v) && str_eq(str_from(json_string_value(v)), op->user))
				return SE_OK; /* already there: nothing to write */
		}
		if (json_array_append_new(users, json_stringn(op->user.p, op->user.n)))
			return SE_NOMEM;
		break;
	case REACT_REMOVE: {
		bool found = false;

		json_array_foreach(users, i, v)
		{
			if (json_is_string(v) && str_eq(str_from(json_string_value(v)), op->user)) {
				found = true;
				break;
			}
		}
		if (!found)
			return SE_NotFound;
		json_array_remove(users, i);
		if (json_array_size(users) == 0)
			json_object_del(reactions, emoji);
		break;
	}
	case REACT_CLEAR:
		json_object_del(reactions, emoji);
		break;
	case REACT_CLEAR_ALL:
		if (json_object_set_new(msg, "reactions", json_object()))
			return SE_NOMEM;
		break;
	}
	{
		char *text = jx_dump(msg);

		if (!text)
			return SE_NOMEM;
		rc = store_update(w, MSG_COLL, op->message, str_from(text));
		mem_free(text);
	}
	return rc;
}

static enum err react_fn(struct store_wtxn *w, void *arg)
{
	struct react_op *op = arg;
	json_t *msg = NULL;
	char emoji[EMOJI_BYTES_MAX + 1] = "";
	enum err rc = load_message(store_wtxn_read(w), op->channel, op->message, &msg);

	if (rc)
		return rc;
	/* clearing every reaction has no emoji (STR_NULL) */
	if (op->emoji.n > 0 && op->emoji.n < sizeof(emoji)) {
		memcpy(emoji, op->emoji.p, op->emoji.n);
		emoji[op->emoji.n] = '\0';
	}
	rc = apply(w, op, msg, emoji);
	json_decref(msg);
	return rc;
}

static void publish(struct app *app, const struct react_op *op)
{
	json_t *ev = NULL;

	switch (op->kind) {
	case REACT_ADD:
	case REACT_REMOVE:
		ev = json_pack("{s:s,s:s%,s:s%,s:s%,s:s%}", "type",
		               op->kind == REACT_ADD ? "MessageReact" : "MessageUnreact", "id",
		               op->message.p, op->message.n, "channel_id", op->channel.p,
		               op->channel.n, "user_id", op->user.p, op->user.n, "emoji_id",
		               op->emoji.p, op->emoji.n);
		break;
	case REACT_CLEAR:
		ev = json_pack("{s:s,s:s%,s:s%,s:s%}", "type", "MessageRemoveReaction", "id",
		               op->message.p, op->message.n, "channel_id", op->channel.p,
		               op->channel.n, "emoji_id", op->emoji.p, op->emoji.n);
		break;
	case REACT_CLEAR_ALL:
		ev = json_pack("{s:s,s:s%,s:s%,s:{s:{}},s:[]}", "type", "MessageUpdate", "id",
		               op->message.p, op->message.n, "channel", op->channel.p,
		               op->channel.n, "data", "reactions", "clear");
		break;
	}
	api_publish(app, op->channel, ev);
}

/* Permissions, then the write, then the event: the routes' and federation's path. */
static enum err run_as(struct app *app, const char *uid, struct react_op *op, uint64_t need,
                       uint64_t then, struct err_info *ei)
{
	uint64_t perms = 0;
	enum err rc = channel_perms(app, uid, op->channel, &perms);

	/* in the backend's order: React first, then ManageMessages */
	if (!rc)
		rc = perm_require(perms, need, ei);
	if (!rc && then)
		rc = perm_require(perms, then, ei);
	if (!rc)
		rc = store_write(app->store, react_fn, op, ei);
	if (rc)
		return SE_RAISE(ei, rc);
	publish(app, op);
	return SE_OK;
}

/* Shared by the three routes. */
static enum err run(struct req_ctx *ctx, struct react_op *op, uint64_t need, uint64_t then)
{
	enum err rc = run_as(api_app(ctx), api_who(ctx)->user_id, op, need, then, &ctx->ei);

	if (rc)
		return rc;
	/* a local user's own reaction on a federated DM goes out (not moderation clears) */
	if ((op->kind == REACT_ADD || op->kind == REACT_REMOVE) &&
	    str_eq(op->user, str_from(api_who(ctx)->user_id))) {
		rc = fout_react(api_app(ctx)->fed, op->user, op->message, op->emoji,
		                op->kind == REACT_ADD, NULL);
		if (rc)
			log_warn("api: cannot federate a reaction: %s", err_type(rc));
	}
	return api_no_content(ctx);
}

enum err api_fed_react(struct app *app, struct str user, struct str channel, struct str message,
                       struct str emoji, bool add, struct err_info *ei)
{
	char uid[STORE_ID_MAX];
	struct react_op op = {
	    add ? REACT_ADD : REACT_REMOVE, channel, message, emoji, user, ulid_is_valid(emoji)};

	if (user.n == 0 || user.n >= sizeof(uid) || emoji.n == 0 || emoji.n > EMOJI_BYTES_MAX)
		return SE_RAISE(ei, SE_InvalidOperation);
	if (!op.custom && !is_unicode_emoji(emoji))
		return SE_RAISE(ei, SE_InvalidOperation);
	memcpy(uid, user.p, user.n);
	uid[user.n] = '\0';
	return run_as(app, uid, &op, PERM_REACT, 0, ei);
}

/* The {emoji} parameter: a custom emoji id or a unicode emoji. */
static enum err emoji_param(struct req_ctx *ctx, struct react_op *op)
{
	enum err rc = pct_decode(ctx->arena, ctx->req->params[2], &op->emoji);

	if (rc == SE_NOMEM)
		return SE_RAISE(&ctx->ei, rc);
	if (rc)
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "emoji: bad percent-encoding");
	op->custom = ulid_is_valid(op->emoji);
	if (!op->custom && !is_unicode_emoji(op->emoji))
		return SE_RAISE(&ctx->ei, SE_InvalidOperation);
	return SE_OK;
}

/* ---- PUT /channels/{target}/messages/{msg}/reactions/{emoji} ---- */

static enum err react(struct req_ctx *ctx)
{
	struct react_op op = {REACT_ADD,
	                      ctx->req->params[0],
	                      ctx->req->params[1],
	                      STR_NULL,
	                      str_from(api_who(ctx)->user_id),
	                      false};
	enum err rc = emoji_param(ctx, &op);

	return rc ? rc : run(ctx, &op, PERM_REACT, 0);
}

/* ---- DELETE /channels/{target}/messages/{msg}/reactions/{emoji}?user_id&remove_all ---- */

static enum err unreact(struct req_ctx *ctx)
{
	struct react_op op = {REACT_REMOVE,
	                      ctx->req->params[0],
	                      ctx->req->params[1],
	                      STR_NULL,
	                      str_from(api_who(ctx)->user_id),
	                      false};
	struct str uid = http_req_query(ctx->req, "user_id");
	struct str all = http_req_query(ctx->req, "remove_all");
	uint64_t then = 0;
	enum err rc = emoji_param(ctx, &op);

	if (rc)
		return rc;
	if (all.p && !str_eq_cstr(all, "true") && !str_eq_cstr(all, "false"))
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "remove_all: expected a boolean");
	if (uid.p && uid.n > 0) {
		if (!ulid_is_valid(uid))
			return SE_RAISEF(&ctx->ei, SE_FailedValidation,
			                 "user_id: expected a user id");
		op.user = uid;
		then = PERM_MANAGE_MESSAGES;
	}
	if (all.p && str_eq_cstr(all, "true")) {
		op.kind = REACT_CLEAR;
		then = PERM_MANAGE_MESSAGES;
	}
	return run(ctx, &op, PERM_REACT, then);
}

/* ---- DELETE /channels/{target}/messages/{msg}/reactions ---- */

static enum err clear_all(struct req_ctx *ctx)
{
	struct react_op op = {REACT_CLEAR_ALL,
	                      ctx->req->params[0],
	                      ctx->req->params[1],
	                      STR_NULL,
	                      str_from(api_who(ctx)->user_id),
	                      false};

	return run(ctx, &op, PERM_MANAGE_MESSAGES, 0);
}

static const struct route routes[] = {
    {HTTP_PUT, "/api/channels/{target}/messages/{msg}/reactions/{emoji}", react, API_USER},
    {HTTP_DELETE, "/api/channels/{target}/messages/{msg}/reactions/{emoji}", unreact, API_USER},
    {HTTP_DELETE, "/api/channels/{target}/messages/{msg}/reactions", clear_all, API_USER},
};

const struct route *api_reactions_table(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
