/*
 * api/acks.c: PUT /channels/{target}/ack/{message} and PUT|POST
 * /servers/{target}/ack (revoltchat/backend crates/delta/src/routes/
 * channels/channel_ack.rs, servers/server_ack.rs). Listed before the
 * servers table in routes.c, so this server ack is the one served.
 */
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "app.h"
#include "channels/channel.h"
#include "channels/sync.h"
#include "core/arena.h"
#include "core/ulid.h"
#include "messages/acks.h"
#include "perms/perms.h"
#include "servers/server_state.h"
#include "storage/store.h"

/* ---- PUT /channels/{target}/ack/{message} ---- */

struct chan_ack {
	struct str channel, user, message;
};

static enum err chan_ack_fn(struct store_wtxn *w, void *arg)
{
	struct chan_ack *op = arg;

	return sync_unread_ack(w, op->channel, op->user, op->message, NULL);
}

static enum err channel_ack(struct req_ctx *ctx)
{
	struct server_state st = SERVER_STATE_INIT;
	struct chan_ack op = {ctx->req->params[0], str_from(api_who(ctx)->user_id),
	                      ctx->req->params[1]};
	struct store_txn *txn = NULL;
	json_t *channel = NULL, *ev;
	uint64_t perms = 0;
	char *topic;
	enum err rc;

	if (api_who(ctx)->kind == AUTHN_BOT)
		return SE_RAISE(&ctx->ei, SE_IsBot);
	if (!ulid_is_valid(op.message))
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "message: expected a message id");
	rc = store_read_begin(api_app(ctx)->store, &txn);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = channel_load(txn, op.channel, &channel);
	if (rc == SE_NOT_FOUND)
		rc = SE_UnknownChannel;
	if (!rc)
		rc = server_channel_perms(txn, channel, op.user.p, api_now_ms(), &st, &perms);
	store_read_end(txn);
	server_state_release(&st);
	json_decref(channel);
	if (!rc)
		rc = perm_require(perms, PERM_VIEW_CHANNEL, &ctx->ei);
	if (!rc)
		rc = store_write(api_app(ctx)->store, chan_ack_fn, &op, &ctx->ei);
	if (rc == SE_INVAL)
		rc = SE_UnknownChannel;
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	topic = arena_printf(ctx->arena, "%s!", op.user.p);
	ev = json_pack("{s:s,s:s%,s:s%,s:s%}", "type", "ChannelAck", "id", op.channel.p,
	               op.channel.n, "user", op.user.p, op.user.n, "message_id", op.message.p,
	               op.message.n);
	if (topic)
		api_publish(api_app(ctx), str_from(topic), ev);
	else
		json_decref(ev);
	return api_no_content(ctx);
}

/* ---- PUT|POST /servers/{target}/ack ---- */

struct server_ack_op {
	struct str server, user;
	const char *now_id;
	bool member;
};

/* Membership and the channel list are read in the write itself. */
static enum err server_ack_fn(struct store_wtxn *w, void *arg)
{
	struct server_ack_op *op = arg;
	struct server_state st = SERVER_STATE_INIT;
	enum err rc =
	    server_state_load(store_wtxn_read(w), op->server, op->user.p, api_now_ms(), &st);

	if (rc)
		return rc;
	op->member = st.member != NULL;
	if (op->member)
		rc = msg_ack_channels(w, op->user, json_object_get(st.server, "channels"),
		                      str_from(op->now_id));
	server_state_release(&st);
	return rc;
}

static enum err server_ack(struct req_ctx *ctx)
{
	struct server_ack_op op = {ctx->req->params[0], str_from(api_who(ctx)->user_id), NULL,
	                           false};
	char now_id[ULID_LEN + 1];
	struct ulid u;
	enum err rc;

	if (api_who(ctx)->kind == AUTHN_BOT)
		return SE_RAISE(&ctx->ei, SE_IsBot);
	rc = ulid_generate(NULL, &u);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	ulid_encode(&u, now_id);
	op.now_id = now_id;
	rc = store_write(api_app(ctx)->store, server_ack_fn, &op, &ctx->ei);
	if (!rc && !op.member)
		rc = SE_NotFound;
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	return api_no_content(ctx);
}

static const struct route routes[] = {
    {HTTP_PUT, "/api/channels/{target}/ack/{message}", channel_ack, API_USER},
    {HTTP_PUT, "/api/servers/{target}/ack", server_ack, API_USER},
    {HTTP_POST, "/api/servers/{target}/ack", server_ack, API_USER},
};

const struct route *api_acks_table(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
