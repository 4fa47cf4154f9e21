/*
 * api/channels.c: GET and PATCH /channels/{target} (revoltchat/backend
 * crates/delta/src/routes/channels/channel_fetch.rs, channel_edit.rs):
 * fetching a channel the caller can see, and editing groups and server
 * channels with the ChannelUpdate event and the group system messages.
 * `archived` is accepted and ignored, as the backend does.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "files/file.h"
#include "api/api_int.h"
#include "api/messages_int.h"
#include "app.h"
#include "channels/channel.h"
#include "channels/group.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/mem.h"
#include "messages/body.h"
#include "messages/message.h"
#include "perms/perms.h"

#define NAME_MAX_CHARS 32
#define DESC_MAX_CHARS 1024
#define ICON_ID_MAX 128

static struct str jstr(const json_t *v)
{
	return (struct str){json_string_value(v), json_string_length(v)};
}

enum err api_channel_fetch(struct req_ctx *ctx)
{
	struct api_chan c = API_CHAN_INIT;
	struct store_txn *txn = NULL;
	enum err rc = store_read_begin(api_app(ctx)->store, &txn);

	if (!rc)
		rc = api_chan_load(txn, str_from(api_who(ctx)->user_id), ctx->req->params[0],
		                   api_now_ms(), &c);
	if (!rc)
		rc = perm_require(c.perms, PERM_VIEW_CHANNEL, &ctx->ei);
	store_read_end(txn);
	if (!rc)
		rc = api_json(ctx, 200, json_incref(c.ch));
	api_chan_release(&c);
	return rc ? SE_RAISE(&ctx->ei, rc) : SE_OK;
}

struct edit_op {
	struct str me, channel;
	int64_t now;
	const json_t *body;
	json_t *ch;    /* out: the channel after the edit */
	json_t *data;  /* out: PartialChannel */
	json_t *clear; /* out: FieldsChannel removed */
	char owner_from[32];
	bool group, noop;
};

static enum err check_str(struct req_ctx *ctx, const json_t *body, const char *key, size_t min,
                          size_t max)
{
	const json_t *v = json_object_get(body, key);
	size_t n;

	if (!v || json_is_null(v))
		return SE_OK;
	n = json_is_string(v) ? msg_chars(jstr(v)) : 0;
	if (!json_is_string(v) || n < min || n > max)
		return SE_RAISEF(&ctx->ei, SE_FailedValidation,
		                 "'%s' must be %zu to %zu characters", key, min, max);
	return SE_OK;
}

static enum err validate_edit(struct req_ctx *ctx, json_t *body)
{
	const json_t *remove = json_object_get(body, "remove"), *v;
	enum err rc = check_str(ctx, body, "name", 1, NAME_MAX_CHARS);
	size_t i;

	if (!rc)
		rc = check_str(ctx, body, "description", 0, DESC_MAX_CHARS);
	if (!rc)
		rc = check_str(ctx, body, "icon", 1, ICON_ID_MAX);
	if (!rc)
		rc = check_str(ctx, body, "owner", 1, 64);
	if (rc)
		return rc;
	for (i = 0; i < 2; i++) {
		v = json_object_get(body, i ? "archived" : "nsfw");
		if (v && !json_is_null(v) && !json_is_boolean(v))
			return SE_RAISEF(&ctx->ei, SE_FailedValidation, "'%s' must be a boolean",
			                 i ? "archived" : "nsfw");
	}
	if (remove && !json_is_null(remove) && !json_is_array(remove))
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "'remove' must be an array");
	json_array_foreach(remove, i, v)
	{
		if (!str_eq_cstr(jstr(v), "Description") && !str_eq_cstr(jstr(v), "Icon") &&
		    !str_eq_cstr(jstr(v), "DefaultPermissions"))
			return SE_RAISEF(&ctx->ei, SE_FailedValidation, "remove: unknown field");
	}
	return SE_OK;
}

static bool has(const json_t *body, const char *key)
{
	const json_t *v = json_object_get(body, key);

	return v && !json_is_null(v);
}

static enum err transfer_owner(struct edit_op *op, struct err_info *ei)
{
	const json_t *to = json_object_get(op->body, "owner");

	if (!op->group)
		return SE_RAISE(ei, SE_InvalidOperation);
	if (!str_eq(jstr(json_object_get(op->ch, "owner")), op->me))
		return SE_RAISE(ei, SE_NotOwner);
	if (!group_has_recipient(op->ch, jstr(to)))
		return SE_RAISE(ei, SE_NotInGroup);
	snprintf(op->owner_from, sizeof(op->owner_from), "%.*s",
	         (int)(op->me.n < 31 ? op->me.n : 31), op->me.p);
	if (json_object_set(op->ch, "owner", (json_t *)to) ||
	    json_object_set(op->data, "owner", (json_t *)to))
		return SE_NOMEM;
	return SE_OK;
}

static enum err apply(struct store_wtxn *w, struct edit_op *op)
{
	static const char *const keys[] = {"name", "description"};
	const json_t *remove = json_object_get(op->body, "remove"), *v;
	struct err_info *ei = store_wtxn_ei(w);
	enum err rc = SE_OK;
	size_t i;

	if (has(op->body, "owner"))
		rc = transfer_owner(op, ei);
	json_array_foreach(remove, i, v)
	{
		if (!rc && (str_eq_cstr(jstr(v), "Description") || str_eq_cstr(jstr(v), "Icon"))) {
			json_object_del(op->ch,
			                str_eq_cstr(jstr(v), "Icon") ? "icon" : "description");
			if (json_array_append(op->clear, (json_t *)v))
				rc = SE_NOMEM;
		}
	}
	if (!rc && has(op->body, "icon")) {
		json_t *file = NULL;

		rc = file_claim(w, jstr(json_object_get(op->body, "icon")), "icons", "ChannelIcon",
		                op->channel, &file);
		if (!rc && (json_object_set(op->ch, "icon", file) ||
		            json_object_set(op->data, "icon", file)))
			rc = SE_NOMEM;
		json_decref(file);
	}
	for (i = 0; !rc && i < 2; i++) {
		v = json_object_get(op->body, keys[i]);
		if (json_is_string(v) && (json_object_set(op->ch, keys[i], (json_t *)v) ||
		                          json_object_set(op->data, keys[i], (json_t *)v)))
			rc = SE_NOMEM;
	}
	v = json_object_get(op->body, "nsfw");
	if (!rc && json_is_boolean(v)) {
		if (json_is_true(v))
			rc = json_object_set_new(op->ch, "nsfw", json_true()) ? SE_NOMEM : SE_OK;
		else
			json_object_del(op->ch, "nsfw");
		if (!rc && json_object_set(op->data, "nsfw", (json_t *)v))
			rc = SE_NOMEM;
	}
	return rc;
}

static enum err edit_fn(struct store_wtxn *w, void *arg)
{
	struct edit_op *op = arg;
	struct api_chan c = API_CHAN_INIT;
	enum channel_type t;
	char *text = NULL;
	enum err rc;

	json_decref(op->ch);
	json_decref(op->data);
	json_decref(op->clear);
	op->ch = NULL;
	op->data = json_object();
	op->clear = json_array();
	op->owner_from[0] = '\0';
	if (!op->data || !op->clear)
		return SE_NOMEM;
	rc = api_chan_load(store_wtxn_read(w), op->me, op->channel, op->now, &c);
	if (!rc)
		rc = perm_require(c.perms, PERM_MANAGE_CHANNEL, store_wtxn_ei(w));
	if (rc)
		goto out;
	op->ch = json_incref(c.ch);
	t = channel_type_of(op->ch);
	op->group = t == CHANNEL_GROUP;
	op->noop = !has(op->body, "name") && !has(op->body, "description") &&
	           !has(op->body, "icon") && !has(op->body, "nsfw") && !has(op->body, "owner") &&
	           json_array_size(json_object_get(op->body, "remove")) == 0;
	if (op->noop)
		goto out;
	if (t != CHANNEL_GROUP && t != CHANNEL_TEXT && t != CHANNEL_VOICE) {
		rc = SE_RAISE(store_wtxn_ei(w), SE_InvalidOperation);
		goto out;
	}
	rc = apply(w, op);
	if (!rc)
		text = jx_dump(op->ch);
	if (!rc)
		rc = text ? store_update(w, CHANNEL_COLL, op->channel, str_from(text)) : SE_NOMEM;
out:
	mem_free(text);
	api_chan_release(&c);
	return rc;
}

static void sysmsg(struct req_ctx *ctx, struct str channel, json_t *system)
{
	struct err_info ei = ERR_INFO_INIT;

	if (msg_system(api_app(ctx), channel, system, &ei))
		log_warn("channels: cannot post a system message (%s)", ei.detail);
}

static void group_sysmsgs(struct req_ctx *ctx, struct edit_op *op)
{
	const json_t *name = json_object_get(op->data, "name");

	if (op->owner_from[0])
		sysmsg(ctx, op->channel,
		       json_pack("{s:s,s:s,s:O}", "type", "channel_ownership_changed", "from",
		                 op->owner_from, "to", json_object_get(op->data, "owner")));
	if (name)
		sysmsg(ctx, op->channel,
		       json_pack("{s:s,s:O,s:s%}", "type", "channel_renamed", "name", name, "by",
		                 op->me.p, op->me.n));
	if (json_object_get(op->data, "description"))
		sysmsg(ctx, op->channel,
		       json_pack("{s:s,s:s%}", "type", "channel_description_changed", "by",
		                 op->me.p, op->me.n));
	if (json_object_get(op->data, "icon"))
		sysmsg(ctx, op->channel,
		       json_pack("{s:s,s:s%}", "type", "channel_icon_changed", "by", op->me.p,
		                 op->me.n));
}

enum err api_channel_edit(struct req_ctx *ctx)
{
	struct edit_op op;
	json_t *body = NULL;
	enum err rc = api_body(ctx, &body);

	memset(&op, 0, sizeof(op));
	if (!rc)
		rc = validate_edit(ctx, body);
	if (rc)
		goto out;
	op.me = str_from(api_who(ctx)->user_id);
	op.channel = ctx->req->params[0];
	op.now = api_now_ms();
	op.body = body;
	rc = store_write(api_app(ctx)->store, edit_fn, &op, &ctx->ei);
	if (rc)
		goto out;
	if (!op.noop) {
		if (op.group)
			group_sysmsgs(ctx, &op);
		api_publish(api_app(ctx), op.channel,
		            json_pack("{s:s,s:s%,s:O,s:O}", "type", "ChannelUpdate", "id",
		                      op.channel.p, op.channel.n, "data", op.data, "clear",
		                      op.clear));
	}
	rc = api_json(ctx, 200, json_incref(op.ch));
out:
	json_decref(op.ch);
	json_decref(op.data);
	json_decref(op.clear);
	json_decref(body);
	return rc ? SE_RAISE(&ctx->ei, rc) : SE_OK;
}
