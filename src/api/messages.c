/*
 * api/messages.c: the messaging routes (revoltchat/backend crates/delta/
 * src/routes/channels/message_{send,fetch,edit,delete,bulk_delete,pin,
 * unpin}.rs) and the module's route table. Checks that must hold when a
 * change lands run inside its store write.
 * Deliberate difference: pinning in a DM needs ViewChannel (the backend
 * checks nothing there).
 */
#include <string.h>

#include "api/api.h"
#include "api/api_fed.h"
#include "api/api_int.h"
#include "api/messages_int.h"
#include "app.h"
#include "auth/records.h"
#include "channels/channel.h"
#include "channels/group.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "federation/outbox.h"
#include "messages/body.h"
#include "messages/message.h"
#include "perms/perms.h"
#include "servers/server.h"
#include "users/user.h"

/* bulk delete: ids per request, and the age limit of each (ULID time) */
#define BULK_MAX 100
#define BULK_AGE_MS (7ll * 24 * 3600 * 1000)
/* accounts younger than this cannot mention in discoverable servers (TRUST-0) */
#define MENTION_MIN_AGE_MS (12ll * 3600 * 1000)

/* After a committed change: federation failures are logged, the change stands. */
static void fed_hook(enum err rc, const char *what)
{
	if (rc)
		log_warn("api: cannot federate the %s: %s", what, err_type(rc));
}

static struct str jstr(const json_t *v)
{
	return (struct str){json_string_value(v), json_string_length(v)};
}

enum err api_chan_load(struct store_txn *txn, struct str uid, struct str channel_id, int64_t now_ms,
                       struct api_chan *out)
{
	struct api_chan c = API_CHAN_INIT;
	enum err rc = user_load(txn, uid, &c.me);

	if (rc == SE_NOT_FOUND)
		return SE_InvalidSession;
	if (rc)
		return rc;
	rc = channel_id.n > 0 && channel_id.n < 64 ? channel_load(txn, channel_id, &c.ch)
	                                           : SE_NOT_FOUND;
	if (rc) {
		json_decref(c.me);
		return rc == SE_NOT_FOUND ? SE_UnknownChannel : rc;
	}
	c.perms = group_channel_perms(txn, c.ch, c.me, uid, now_ms);
	*out = c;
	return SE_OK;
}

void api_chan_release(struct api_chan *c)
{
	json_decref(c->me);
	json_decref(c->ch);
	c->me = c->ch = NULL;
}

enum err api_msg_in_channel(struct store_txn *txn, struct str channel_id, struct str id,
                            json_t **out)
{
	json_t *m = NULL;
	enum err rc = msg_load(txn, id, &m);

	if (!rc && !str_eq(jstr(json_object_get(m, "channel")), channel_id))
		rc = SE_NOT_FOUND;
	if (rc) {
		json_decref(m);
		return rc == SE_NOT_FOUND ? SE_NotFound : rc;
	}
	*out = m;
	return SE_OK;
}

/* ---- send ---- */

struct send_auth {
	struct str uid;
	int64_t now;
};

/* msg_post's perms_fn: the caller's permissions, recomputed in the write. */
static uint64_t send_perms(struct store_txn *txn, const json_t *ch, void *arg)
{
	struct send_auth *a = arg;
	json_t *me = NULL;
	uint64_t p = 0;

	if (!user_load(txn, a->uid, &me))
		p = group_channel_perms(txn, ch, me, a->uid, a->now);
	json_decref(me);
	return p;
}

/* TRUST-0: no mentions from accounts under 12 h old in discoverable servers. */
static bool mentions_allowed(struct store_txn *txn, const json_t *ch, struct str uid, int64_t now)
{
	json_t *server = NULL;
	struct ulid u;
	bool ok = true;

	if (channel_type_of(ch) != CHANNEL_TEXT && channel_type_of(ch) != CHANNEL_VOICE)
		return true;
	if (server_load(txn, jstr(json_object_get(ch, "server")), &server))
		return true;
	if (json_is_true(json_object_get(server, "discoverable")) && !ulid_parse(uid, &u, NULL))
		ok = now - (int64_t)ulid_time_ms(&u) >= MENTION_MIN_AGE_MS;
	json_decref(server);
	return ok;
}

/* Send as `uid` (the route's caller, or a remote user through federation). */
static enum err send_as(struct app *app, struct str uid, struct str channel, const json_t *body,
                        struct str idempotency, json_t **out, struct err_info *ei)
{
	struct send_auth auth = {uid, api_now_ms()};
	struct api_chan c = API_CHAN_INIT;
	struct store_txn *txn = NULL;
	struct msg_post in;
	enum err rc;

	memset(&in, 0, sizeof(in));
	rc = store_read_begin(app->store, &txn);
	if (!rc)
		rc = api_chan_load(txn, auth.uid, channel, auth.now, &c);
	if (!rc) {
		in.is_bot = user_is_bot(c.me);
		in.allow_mentions = mentions_allowed(txn, c.ch, auth.uid, auth.now);
	}
	store_read_end(txn);
	if (rc) {
		rc = SE_RAISE(ei, rc);
		goto out;
	}
	in.channel_id = channel;
	in.kind = MSG_AUTHOR_USER;
	in.author_id = auth.uid;
	in.perms = c.perms;
	in.perms_fn = send_perms;
	in.perms_arg = &auth;
	in.idempotency = idempotency;
	in.data = body;
	rc = msg_post(app, &in, out, ei);
out:
	api_chan_release(&c);
	return rc;
}

enum err api_fed_message_send(struct app *app, struct str user, struct str channel,
                              const json_t *data, struct str idempotency, json_t **out,
                              struct err_info *ei)
{
	return send_as(app, user, channel, data, idempotency, out, ei);
}

static enum err message_send(struct req_ctx *ctx)
{
	json_t *body = NULL, *out = NULL;
	enum err rc = api_body(ctx, &body);

	if (!rc)
		rc = send_as(api_app(ctx), str_from(api_who(ctx)->user_id), ctx->req->params[0],
		             body, http_req_header(ctx->req, "idempotency-key"), &out, &ctx->ei);
	if (!rc) {
		fed_hook(fout_message_create(api_app(ctx)->fed, out, NULL), "message create");
		rc = api_json(ctx, 200, out);
	}
	json_decref(body);
	return rc;
}

/* ---- fetch ---- */

static enum err message_fetch(struct req_ctx *ctx)
{
	struct api_chan c = API_CHAN_INIT;
	struct store_txn *txn = NULL;
	json_t *m = NULL;
	enum err rc = store_read_begin(api_app(ctx)->store, &txn);

	if (!rc)
		rc = api_chan_load(txn, str_from(api_who(ctx)->user_id), ctx->req->params[0],
		                   api_now_ms(), &c);
	if (!rc)
		rc = perm_require(c.perms, PERM_VIEW_CHANNEL, &ctx->ei);
	if (!rc)
		rc = api_msg_in_channel(txn, ctx->req->params[0], ctx->req->params[1], &m);
	store_read_end(txn);
	api_chan_release(&c);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	return api_json(ctx, 200, m);
}

/* ---- edit, delete, pin: one write each ---- */

enum msg_op_kind { OP_EDIT, OP_DELETE, OP_PIN, OP_UNPIN };

struct msg_op {
	enum msg_op_kind kind;
	struct str me, channel, id;
	int64_t now;
	const json_t *body; /* OP_EDIT */
	json_t *msg;        /* out: the message after the change */
	json_t *data;       /* out: OP_EDIT's partial */
};

/* Edit: the author only; Text embeds kept unless new ones are given (message_edit.rs). */
static enum err apply_edit(struct store_wtxn *w, struct msg_op *op, uint64_t perms)
{
	const json_t *content = json_object_get(op->body, "content");
	const json_t *embeds = json_object_get(op->body, "embeds"), *e;
	json_t *keep = json_array();
	char iso[32];
	size_t i;
	enum err rc = keep ? perm_require(perms, PERM_SEND_MESSAGE, store_wtxn_ei(w)) : SE_NOMEM;

	if (!rc && !str_eq(jstr(json_object_get(op->msg, "author")), op->me))
		rc = SE_RAISE(store_wtxn_ei(w), SE_CannotEditMessage);
	if (!rc && json_is_array(embeds))
		rc = perm_require(perms, PERM_SEND_EMBEDS, store_wtxn_ei(w));
	if (!rc && json_is_array(embeds)) {
		json_array_foreach(embeds, i, e)
		{
			json_t *t = NULL;

			rc = msg_text_embed(w, e, op->id, op->me, &t);
			if (rc || json_array_append_new(keep, t)) {
				rc = rc ? rc : SE_NOMEM;
				break;
			}
		}
	} else if (!rc) {
		json_array_foreach(json_object_get(op->msg, "embeds"), i, e)
		{
			if (str_eq_cstr(jstr(json_object_get(e, "type")), "Text"))
				json_array_append(keep, (json_t *)e);
		}
	}
	authrec_iso8601(op->now, iso);
	op->data = json_pack("{s:s}", "edited", iso);
	if (!rc &&
	    (!op->data || (content && json_object_set(op->data, "content", (json_t *)content)) ||
	     json_object_set(op->data, "embeds", keep)))
		rc = SE_NOMEM;
	if (!rc && json_object_update(op->msg, op->data))
		rc = SE_NOMEM;
	if (!rc && !json_array_size(keep))
		json_object_del(op->msg, "embeds");
	json_decref(keep);
	return rc;
}

static enum err save_msg(struct store_wtxn *w, const json_t *m, struct str id)
{
	char *text = jx_dump(m);
	enum err rc = text ? store_update(w, MSG_COLL, id, str_from(text)) : SE_NOMEM;

	mem_free(text);
	return rc;
}

static enum err msg_op_fn(struct store_wtxn *w, void *arg)
{
	struct msg_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	struct err_info *ei = store_wtxn_ei(w);
	struct api_chan c = API_CHAN_INIT;
	enum err rc;

	json_decref(op->msg);
	json_decref(op->data);
	op->msg = op->data = NULL;
	rc = api_chan_load(txn, op->me, op->channel, op->now, &c);
	if (!rc)
		rc = api_msg_in_channel(txn, op->channel, op->id, &op->msg);
	if (rc)
		goto out;
	switch (op->kind) {
	case OP_EDIT:
		rc = apply_edit(w, op, c.perms);
		if (!rc)
			rc = save_msg(w, op->msg, op->id);
		break;
	case OP_DELETE:
		if (!str_eq(jstr(json_object_get(op->msg, "author")), op->me))
			rc = perm_require(c.perms, PERM_MANAGE_MESSAGES, ei);
		if (!rc)
			rc = store_delete(w, MSG_COLL, op->id);
		break;
	case OP_PIN:
	case OP_UNPIN:
		rc = perm_require(c.perms,
		                  channel_type_of(c.ch) == CHANNEL_DM ? PERM_VIEW_CHANNEL
		                                                      : PERM_MANAGE_MESSAGES,
		                  ei);
		if (rc)
			break;
		if (op->kind == OP_PIN && json_is_true(json_object_get(op->msg, "pinned")))
			rc = SE_RAISE(ei, SE_AlreadyPinned);
		else if (op->kind == OP_UNPIN && !json_is_true(json_object_get(op->msg, "pinned")))
			rc = SE_RAISE(ei, SE_NotPinned);
		else if (op->kind == OP_PIN)
			rc = json_object_set_new(op->msg, "pinned", json_true()) ? SE_NOMEM : SE_OK;
		else
			json_object_del(op->msg, "pinned");
		if (!rc)
			rc = save_msg(w, op->msg, op->id);
		break;
	}
out:
	api_chan_release(&c);
	return rc;
}

static enum err run_op_as(struct app *app, struct msg_op *op, enum msg_op_kind kind, struct str me,
                          struct str channel, struct str id, const json_t *body,
                          struct err_info *ei)
{
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->body = body;
	op->me = me;
	op->channel = channel;
	op->id = id;
	op->now = api_now_ms();
	return store_write(app->store, msg_op_fn, op, ei);
}

static enum err run_op(struct req_ctx *ctx, struct msg_op *op, enum msg_op_kind kind,
                       const json_t *body)
{
	return run_op_as(api_app(ctx), op, kind, str_from(api_who(ctx)->user_id),
	                 ctx->req->params[0], ctx->req->params[1], body, &ctx->ei);
}

static void op_release(struct msg_op *op)
{
	json_decref(op->msg);
	json_decref(op->data);
}

static void publish_update(struct app *app, struct msg_op *op, json_t *data, const char *clear)
{
	json_t *ev =
	    json_pack("{s:s,s:s%,s:s%,s:o,s:[]}", "type", "MessageUpdate", "id", op->id.p, op->id.n,
	              "channel", op->channel.p, op->channel.n, "data", data, "clear");

	if (ev && clear)
		json_array_append_new(json_object_get(ev, "clear"), json_string(clear));
	api_publish(app, op->channel, ev);
}

/* Validates an edit body in place (null fields dropped) and applies it as `me`. */
static enum err edit_as(struct app *app, struct msg_op *op, struct str me, struct str channel,
                        struct str id, json_t *body, struct err_info *ei)
{
	const json_t *content = json_object_get(body, "content");
	const json_t *embeds = json_object_get(body, "embeds"), *e;
	size_t i;
	enum err rc = SE_OK;

	memset(op, 0, sizeof(*op));
	if (content && !json_is_null(content) &&
	    (!json_is_string(content) || msg_chars(jstr(content)) < 1 ||
	     msg_chars(jstr(content)) > MSG_CONTENT_MAX))
		rc = SE_RAISEF(ei, SE_FailedValidation, "content must be 1 to %d characters",
		               MSG_CONTENT_MAX);
	else if (embeds && !json_is_null(embeds) &&
	         (!json_is_array(embeds) || json_array_size(embeds) > MSG_EDIT_EMBEDS_MAX))
		rc = SE_RAISEF(ei, SE_FailedValidation, "embeds: at most %d", MSG_EDIT_EMBEDS_MAX);
	json_array_foreach(embeds, i, e)
	{
		if (!rc)
			rc = msg_embed_validate(e, ei);
	}
	if (!rc)
		rc = msg_validate_sum(content, embeds, ei);
	if (rc)
		return rc;
	if (json_is_null(content))
		json_object_del(body, "content");
	if (json_is_null(embeds))
		json_object_del(body, "embeds");
	rc = run_op_as(app, op, OP_EDIT, me, channel, id, body, ei);
	if (!rc)
		publish_update(app, op, json_incref(op->data), NULL);
	return rc;
}

enum err api_fed_message_edit(struct app *app, struct str user, struct str channel, struct str id,
                              const json_t *body, struct err_info *ei)
{
	struct msg_op op;
	json_t *copy = json_deep_copy(body);
	enum err rc = copy ? edit_as(app, &op, user, channel, id, copy, ei) : SE_NOMEM;

	if (copy)
		op_release(&op);
	json_decref(copy);
	return rc;
}

static enum err message_edit(struct req_ctx *ctx)
{
	struct msg_op op;
	json_t *body = NULL;
	enum err rc = api_body(ctx, &body);

	memset(&op, 0, sizeof(op));
	if (!rc)
		rc = edit_as(api_app(ctx), &op, str_from(api_who(ctx)->user_id),
		             ctx->req->params[0], ctx->req->params[1], body, &ctx->ei);
	if (rc)
		goto out;
	fed_hook(fout_message_update(api_app(ctx)->fed, op.msg, NULL), "message update");
	rc = api_json(ctx, 200, json_incref(op.msg));
out:
	op_release(&op);
	json_decref(body);
	return rc ? SE_RAISE(&ctx->ei, rc) : SE_OK;
}

static void publish_delete(struct app *app, struct msg_op *op)
{
	api_publish(app, op->channel,
	            json_pack("{s:s,s:s%,s:s%}", "type", "MessageDelete", "id", op->id.p, op->id.n,
	                      "channel", op->channel.p, op->channel.n));
}

enum err api_fed_message_delete(struct app *app, struct str user, struct str channel, struct str id,
                                struct err_info *ei)
{
	struct msg_op op;
	enum err rc = run_op_as(app, &op, OP_DELETE, user, channel, id, NULL, ei);

	if (!rc)
		publish_delete(app, &op);
	op_release(&op);
	return rc;
}

static enum err message_delete(struct req_ctx *ctx)
{
	struct msg_op op;
	enum err rc = run_op(ctx, &op, OP_DELETE, NULL);

	if (!rc) {
		publish_delete(api_app(ctx), &op);
		fed_hook(fout_message_delete(api_app(ctx)->fed, op.msg, NULL), "message delete");
	}
	op_release(&op);
	return rc ? SE_RAISE(&ctx->ei, rc) : api_no_content(ctx);
}

static void pin_sysmsg(struct req_ctx *ctx, struct msg_op *op, const char *type)
{
	struct err_info ei = ERR_INFO_INIT;

	if (msg_system(api_app(ctx), op->channel,
	               json_pack("{s:s,s:s%,s:s%}", "type", type, "id", op->id.p, op->id.n, "by",
	                         op->me.p, op->me.n),
	               &ei))
		log_warn("messages: cannot post '%s' (%s)", type, ei.detail);
}

static enum err message_pin(struct req_ctx *ctx)
{
	struct msg_op op;
	enum err rc = run_op(ctx, &op, OP_PIN, NULL);

	if (!rc) {
		publish_update(api_app(ctx), &op, json_pack("{s:b}", "pinned", 1), NULL);
		pin_sysmsg(ctx, &op, "message_pinned");
	}
	op_release(&op);
	return rc ? SE_RAISE(&ctx->ei, rc) : api_no_content(ctx);
}

static enum err message_unpin(struct req_ctx *ctx)
{
	struct msg_op op;
	enum err rc = run_op(ctx, &op, OP_UNPIN, NULL);

	if (!rc) {
		publish_update(api_app(ctx), &op, json_object(), "Pinned");
		pin_sysmsg(ctx, &op, "message_unpinned");
	}
	op_release(&op);
	return rc ? SE_RAISE(&ctx->ei, rc) : api_no_content(ctx);
}

/* ---- bulk delete ---- */

struct bulk_op {
	struct str me, channel;
	int64_t now;
	const json_t *ids;
	json_t *deleted; /* out: ids that existed in the channel */
};

static enum err bulk_fn(struct store_wtxn *w, void *arg)
{
	struct bulk_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	struct api_chan c = API_CHAN_INIT;
	const json_t *v;
	size_t i;
	enum err rc;

	json_decref(op->deleted);
	op->deleted = json_array();
	if (!op->deleted)
		return SE_NOMEM;
	rc = api_chan_load(txn, op->me, op->channel, op->now, &c);
	if (!rc)
		rc = perm_require(c.perms, PERM_MANAGE_MESSAGES, store_wtxn_ei(w));
	json_array_foreach(op->ids, i, v)
	{
		json_t *m = NULL;
		enum err r;

		if (rc)
			break;
		r = api_msg_in_channel(txn, op->channel, jstr(v), &m);
		json_decref(m);
		if (r == SE_NotFound)
			continue;
		rc = r ? r : store_delete(w, MSG_COLL, jstr(v));
		if (!rc && json_array_append(op->deleted, (json_t *)v))
			rc = SE_NOMEM;
	}
	api_chan_release(&c);
	return rc;
}

static enum err message_bulk_delete(struct req_ctx *ctx)
{
	struct bulk_op op = {str_from(api_who(ctx)->user_id), ctx->req->params[0], api_now_ms(),
	                     NULL, NULL};
	json_t *body = NULL, *ids;
	const json_t *v;
	size_t i;
	enum err rc = api_body(ctx, &body);

	if (rc)
		goto out;
	ids = json_object_get(body, "ids");
	if (!json_is_array(ids) || json_array_size(ids) < 1 || json_array_size(ids) > BULK_MAX) {
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "ids: 1 to %d message ids", BULK_MAX);
		goto out;
	}
	json_array_foreach(ids, i, v)
	{
		struct ulid u;
		int64_t age;

		if (!json_is_string(v) || ulid_parse(jstr(v), &u, NULL)) {
			rc = SE_RAISEF(&ctx->ei, SE_InvalidOperation, "ids: not a message id");
			goto out;
		}
		age = op.now - (int64_t)ulid_time_ms(&u);
		if (age > BULK_AGE_MS || age < -BULK_AGE_MS) {
			rc = SE_RAISEF(&ctx->ei, SE_InvalidOperation, "ids: older than 7 days");
			goto out;
		}
	}
	op.ids = ids;
	rc = store_write(api_app(ctx)->store, bulk_fn, &op, &ctx->ei);
	if (!rc && json_array_size(op.deleted))
		api_publish(api_app(ctx), op.channel,
		            json_pack("{s:s,s:s%,s:O}", "type", "BulkMessageDelete", "channel",
		                      op.channel.p, op.channel.n, "ids", op.deleted));
out:
	json_decref(op.deleted);
	json_decref(body);
	return rc ? SE_RAISE(&ctx->ei, rc) : api_no_content(ctx);
}

static const struct route message_routes[] = {
    {HTTP_GET, "/api/channels/{target}", api_channel_fetch, API_USER},
    {HTTP_PATCH, "/api/channels/{target}", api_channel_edit, API_USER},
    {HTTP_GET, "/api/channels/{target}/messages", api_messages_query, API_USER},
    {HTTP_POST, "/api/channels/{target}/messages", message_send, API_USER},
    {HTTP_DELETE, "/api/channels/{target}/messages/bulk", message_bulk_delete, API_USER},
    {HTTP_GET, "/api/channels/{target}/messages/{msg}", message_fetch, API_USER},
    {HTTP_PATCH, "/api/channels/{target}/messages/{msg}", message_edit, API_USER},
    {HTTP_DELETE, "/api/channels/{target}/messages/{msg}", message_delete, API_USER},
    {HTTP_POST, "/api/channels/{target}/messages/{msg}/pin", message_pin, API_USER},
    {HTTP_DELETE, "/api/channels/{target}/messages/{msg}/pin", message_unpin, API_USER},
};

const struct route *api_messages_table(size_t *n)
{
	*n = sizeof(message_routes) / sizeof(message_routes[0]);
	return message_routes;
}
