/*
 * messages/post.c: msg_post, Revolt's Message::create_from_api and send
 * (revoltchat/backend crates/core/database/src/models/messages/model.rs):
 * body validation, permissions the body needs, replies, mentions, flags,
 * the write and the Message event.
 * Deliberate differences: mass mentions (@everyone/@online, roles) only
 * count in server channels (elsewhere they are ignored, not refused);
 * replies must name a message of the same channel; allow_mentions=false
 * drops every mention, not only reply mentions.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "bus/bus.h"
#include "channels/channel.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "auth/records.h"
#include "messages/mentions.h"
#include "messages/message.h"
#include "messages/body.h"
#include "perms/perms.h"
#include "servers/server.h"
#include "servers/server_state.h"
#include "users/user.h"

struct post_op {
	const struct msg_post *in;
	const struct msg_mentions *mentions;
	bool everyone, online; /* mass mentions asked for */
	uint32_t flags;        /* suppress bit */
	uint64_t perms;        /* the author's, as checked in the write */
	char id[27];
	char nonce[MSG_NONCE_MAX + 1];
	int64_t now;
	json_t *msg;    /* out: the stored Message */
	json_t *member; /* out: the author's Member (server channels) */
};

static enum err bad(struct err_info *ei, const char *what)
{
	return SE_RAISEF(ei, SE_FailedValidation, "%s", what);
}

size_t msg_chars(struct str s)
{
	size_t n = 0;

	for (size_t i = 0; i < s.n; i++)
		n += ((unsigned char)s.p[i] & 0xC0) != 0x80;
	return n;
}

/* Optional string field within [min, max] characters; colour fields match RE_COLOUR. */
static enum err opt_str(const json_t *o, const char *key, size_t min, size_t max, bool colour,
                        struct err_info *ei)
{
	const json_t *v = json_object_get(o, key);
	struct str s;
	size_t n;

	if (!v || json_is_null(v))
		return SE_OK;
	if (!json_is_string(v))
		return SE_RAISEF(ei, SE_FailedValidation, "'%s' must be a string", key);
	s = (struct str){json_string_value(v), json_string_length(v)};
	n = msg_chars(s);
	if (n < min || n > max)
		return SE_RAISEF(ei, SE_FailedValidation, "'%s' must be %zu to %zu characters", key,
		                 min, max);
	if (colour && !server_colour_valid(s))
		return SE_RAISEF(ei, SE_FailedValidation, "'%s' is not a valid colour", key);
	return SE_OK;
}

enum err msg_embed_validate(const json_t *e, struct err_info *ei)
{
	enum err rc;

	if (!json_is_object(e))
		return bad(ei, "embeds: expected objects");
	rc = opt_str(e, "icon_url", 1, 256, false, ei);
	if (!rc)
		rc = opt_str(e, "url", 1, 256, false, ei);
	if (!rc)
		rc = opt_str(e, "title", 1, 100, false, ei);
	if (!rc)
		rc = opt_str(e, "description", 1, 2000, false, ei);
	if (!rc)
		rc = opt_str(e, "colour", 1, 128, true, ei);
	if (!rc)
		rc = opt_str(e, "media", 1, 128, false, ei);
	return rc;
}

enum err msg_text_embed(struct store_wtxn *w, const json_t *e, struct str msg_id, struct str author,
                        json_t **out)
{
	static const char *const keys[] = {"icon_url", "url", "title", "description"};
	json_t *t = json_pack("{s:s}", "type", "Text"), *file = NULL;
	const json_t *media = json_object_get(e, "media");
	enum err rc = t ? SE_OK : SE_NOMEM;

	for (size_t i = 0; !rc && i < sizeof(keys) / sizeof(keys[0]); i++) {
		const json_t *v = json_object_get(e, keys[i]);

		if (json_is_string(v) && json_object_set(t, keys[i], (json_t *)v))
			rc = SE_NOMEM;
	}
	if (!rc && json_is_string(media)) {
		rc = msg_attachment_claim(
		    w, (struct str){json_string_value(media), json_string_length(media)}, msg_id,
		    author, &file, store_wtxn_ei(w));
		if (!rc && json_object_set_new(t, "media", file))
			rc = SE_NOMEM;
	}
	if (!rc && json_is_string(json_object_get(e, "colour")) &&
	    json_object_set(t, "colour", json_object_get(e, "colour")))
		rc = SE_NOMEM;
	if (rc) {
		json_decref(t);
		return rc;
	}
	*out = t;
	return SE_OK;
}

/* Content bytes plus embed description bytes (Revolt's validate_sum). */
enum err msg_validate_sum(const json_t *content, const json_t *embeds, struct err_info *ei)
{
	size_t total = json_string_length(content);
	size_t i;
	const json_t *e;

	json_array_foreach(embeds, i, e)
	{
		total += json_string_length(json_object_get(e, "description"));
	}
	if (total > MSG_CONTENT_MAX)
		return SE_RAISEF(ei, SE_PayloadTooLarge, "content and embeds exceed %d bytes",
		                 MSG_CONTENT_MAX);
	return SE_OK;
}

static enum err check_array(const json_t *v, const char *key, struct err_info *ei)
{
	if (v && !json_is_null(v) && !json_is_array(v))
		return SE_RAISEF(ei, SE_FailedValidation, "'%s' must be an array", key);
	return SE_OK;
}

/* Shape and limits of a DataMessageSend that need no store. */
static enum err validate_body(const struct msg_post *in, struct post_op *op, struct err_info *ei)
{
	const json_t *d = in->data;
	const json_t *content = json_object_get(d, "content"), *v;
	const json_t *att = json_object_get(d, "attachments"), *emb = json_object_get(d, "embeds");
	const json_t *rep = json_object_get(d, "replies"), *masq = json_object_get(d, "masquerade");
	const json_t *inter = json_object_get(d, "interactions"),
	             *flags = json_object_get(d, "flags");
	enum err rc = SE_OK;
	size_t i;

	if (!json_is_object(d))
		return bad(ei, "expected a JSON object");
	rc = opt_str(d, "nonce", 1, MSG_NONCE_MAX, false, ei);
	if (!rc)
		rc = opt_str(d, "content", 0, MSG_CONTENT_MAX, false, ei);
	if (!rc)
		rc = check_array(att, "attachments", ei);
	if (!rc)
		rc = check_array(emb, "embeds", ei);
	if (!rc)
		rc = check_array(rep, "replies", ei);
	if (rc)
		return rc;
	json_array_foreach(att, i, v)
	{
		if (!json_is_string(v))
			return bad(ei, "attachments: expected file ids");
	}
	json_array_foreach(emb, i, v)
	{
		rc = msg_embed_validate(v, ei);
		if (rc)
			return rc;
	}
	json_array_foreach(rep, i, v)
	{
		const json_t *m = json_object_get(v, "mention"), *f;

		f = json_object_get(v, "fail_if_not_exists");
		if (!json_is_object(v) || !json_is_string(json_object_get(v, "id")) ||
		    !json_is_boolean(m) || (f && !json_is_null(f) && !json_is_boolean(f)))
			return bad(ei, "replies: expected {id, mention, fail_if_not_exists?}");
	}
	if (masq && !json_is_null(masq)) {
		if (!json_is_object(masq))
			return bad(ei, "masquerade: expected an object");
		rc = opt_str(masq, "name", 1, MSG_MASQ_NAME_MAX, false, ei);
		if (!rc)
			rc = opt_str(masq, "avatar", 1, MSG_MASQ_AVATAR_MAX, false, ei);
		if (!rc)
			rc = opt_str(masq, "colour", 1, MSG_MASQ_COLOUR_MAX, true, ei);
		if (rc)
			return rc;
	}
	rc = msg_validate_sum(content, emb, ei);
	if (rc)
		return rc;
	if (json_string_length(content) == 0 && json_array_size(att) == 0 &&
	    json_array_size(emb) == 0)
		return SE_RAISE(ei, SE_EmptyMessage);
	if (flags && !json_is_null(flags)) {
		json_int_t f = json_is_integer(flags) ? json_integer_value(flags) : -1;

		if (f < 0)
			return bad(ei, "flags: expected an unsigned integer");
		if (f > 7)
			return SE_RAISE(ei, SE_InvalidProperty);
		op->flags = (uint32_t)f & MSG_FLAG_SUPPRESS;
		if (in->allow_mentions && (f & (MSG_FLAG_EVERYONE | MSG_FLAG_ONLINE))) {
			if (in->kind == MSG_AUTHOR_USER && !in->is_bot)
				return SE_RAISE(ei, SE_IsNotBot);
			if ((f & MSG_FLAG_EVERYONE) && (f & MSG_FLAG_ONLINE))
				return SE_RAISE(ei, SE_InvalidFlagValue);
			op->everyone = f & MSG_FLAG_EVERYONE;
			op->online = f & MSG_FLAG_ONLINE;
		}
	}
	if (inter && !json_is_null(inter)) {
		const json_t *r = json_object_get(inter, "reactions");
		const json_t *restrict_ = json_object_get(inter, "restrict_reactions");

		if (!json_is_object(inter) || (r && !json_is_null(r) && !json_is_array(r)) ||
		    (restrict_ && !json_is_boolean(restrict_)))
			return bad(ei, "interactions: expected {reactions?, restrict_reactions?}");
		json_array_foreach(r, i, v)
		{
			if (!json_is_string(v) || json_string_length(v) == 0)
				return bad(ei, "interactions.reactions: expected emoji ids");
		}
		if (json_is_true(restrict_) && json_array_size(r) == 0)
			return SE_RAISE(ei, SE_InvalidProperty);
		if (json_array_size(r) > MSG_REACTIONS_MAX)
			return SE_RAISE(ei, SE_InvalidOperation);
	}
	if (json_array_size(rep) > MSG_REPLIES_MAX) {
		ei->max = MSG_REPLIES_MAX;
		return SE_RAISE(ei, SE_TooManyReplies);
	}
	if (json_array_size(att) > MSG_ATTACHMENTS_MAX) {
		ei->max = MSG_ATTACHMENTS_MAX;
		return SE_RAISE(ei, SE_TooManyAttachments);
	}
	if (json_array_size(emb) > MSG_EMBEDS_MAX) {
		ei->max = MSG_EMBEDS_MAX;
		return SE_RAISE(ei, SE_TooManyEmbeds);
	}
	return SE_OK;
}

/* The permissions the body needs (message_send.rs and Interactions::validate). */
static enum err check_perms(const struct msg_post *in, uint64_t perms, struct err_info *ei)
{
	const json_t *d = in->data;
	const json_t *masq = json_object_get(d, "masquerade");
	const json_t *inter = json_object_get(d, "interactions");
	uint64_t need = PERM_SEND_MESSAGE;
	enum err rc;

	if (json_is_object(masq)) {
		need |= PERM_MASQUERADE;
		if (json_is_string(json_object_get(masq, "colour")))
			need |= PERM_MANAGE_ROLE;
	}
	if (json_array_size(json_object_get(d, "embeds")))
		need |= PERM_SEND_EMBEDS;
	if (json_array_size(json_object_get(d, "attachments")))
		need |= PERM_UPLOAD_FILES;
	if (json_is_array(json_object_get(inter, "reactions")))
		need |= PERM_REACT;
	rc = perm_require(perms, PERM_SEND_MESSAGE, ei);
	return rc ? rc : perm_require(perms, need, ei);
}

static struct str jstr(const json_t *v)
{
	return (struct str){json_string_value(v), json_string_length(v)};
}

static bool array_has(const json_t *a, struct str s)
{
	size_t i;
	const json_t *v;

	json_array_foreach(a, i, v)
	{
		if (json_string_length(v) == s.n && memcmp(json_string_value(v), s.p, s.n) == 0)
			return true;
	}
	return false;
}

static enum err add_unique(json_t *a, struct str s)
{
	if (array_has(a, s))
		return SE_OK;
	return json_array_append_new(a, json_stringn(s.p, s.n)) ? SE_NOMEM : SE_OK;
}

/* Replies (deduplicated, in order) and the authors that replies mention. */
static enum err resolve_replies(struct store_txn *txn, struct post_op *op, json_t *replies,
                                json_t *users, struct err_info *ei)
{
	const json_t *rep = json_object_get(op->in->data, "replies"), *r;
	size_t i;
	enum err rc = SE_OK;

	json_array_foreach(rep, i, r)
	{
		struct str id = jstr(json_object_get(r, "id"));
		const json_t *f = json_object_get(r, "fail_if_not_exists");
		json_t *m = NULL;

		rc = msg_load(txn, id, &m);
		if (!rc && !str_eq(jstr(json_object_get(m, "channel")), op->in->channel_id))
			rc = SE_NOT_FOUND;
		if (rc == SE_NOT_FOUND && json_is_false(f)) {
			json_decref(m);
			rc = SE_OK;
			continue;
		}
		if (rc == SE_NOT_FOUND)
			rc = SE_RAISEF(ei, SE_NotFound, "no message '%.*s' to reply to",
			               (int)(id.n > 32 ? 32 : id.n), id.p);
		if (!rc && json_is_true(json_object_get(r, "mention")) && op->in->allow_mentions)
			rc = add_unique(users, jstr(json_object_get(m, "author")));
		if (!rc)
			rc = add_unique(replies, id);
		json_decref(m);
		if (rc)
			break;
	}
	return rc;
}

/* Keep the users who can see the channel (REVOLT.md section 6, Message). */
static enum err filter_users(struct store_txn *txn, struct post_op *op, const json_t *ch,
                             const json_t *server, json_t *users, json_t **kept)
{
	json_t *out = json_array();
	enum channel_type t = channel_type_of(ch);
	const json_t *recipients = json_object_get(ch, "recipients"), *u;
	enum err rc = out ? SE_OK : SE_NOMEM;
	size_t i;

	json_array_foreach(users, i, u)
	{
		struct str uid = jstr(u);
		bool keep = false;

		if (rc)
			break;
		if (t == CHANNEL_DM || t == CHANNEL_GROUP) {
			keep = array_has(recipients, uid);
		} else if (server) {
			json_t *member = NULL;
			char id[32];

			snprintf(id, sizeof(id), "%.*s", (int)(uid.n < 31 ? uid.n : 31), uid.p);
			if (!server_member_load(txn, jstr(json_object_get(server, "_id")), uid,
			                        &member))
				keep = perm_channel_json(server, member, ch, id, op->now) &
				       PERM_VIEW_CHANNEL;
			json_decref(member);
		}
		if (keep && json_array_append(out, (json_t *)u))
			rc = SE_NOMEM;
	}
	if (rc) {
		json_decref(out);
		return rc;
	}
	*kept = out;
	return SE_OK;
}

/* Mentions: parsed users + reply authors, filtered; roles and mass mentions for servers. */
static enum err mentions(struct store_txn *txn, struct post_op *op, const json_t *ch,
                         const json_t *server, json_t *msg, json_t *users, uint32_t *flags,
                         struct err_info *ei)
{
	const struct msg_mentions *mm = op->mentions;
	bool everyone = op->everyone || mm->everyone, online = op->online || mm->online;
	json_t *roles = json_array(), *kept = NULL;
	enum err rc = roles ? SE_OK : SE_NOMEM;

	for (size_t i = 0; !rc && i < mm->n_users; i++)
		rc = add_unique(users, str_from(mm->users[i]));
	if (!rc && server) {
		const json_t *defined = json_object_get(server, "roles");

		for (size_t i = 0; !rc && i < mm->n_roles; i++)
			if (json_object_get(defined, mm->roles[i]))
				rc = add_unique(roles, str_from(mm->roles[i]));
	} else {
		everyone = online = false;
	}
	if (!rc && everyone && online)
		everyone = online = false;
	if (!rc && op->in->kind == MSG_AUTHOR_SYSTEM &&
	    (everyone || online || json_array_size(roles)))
		rc = SE_RAISE(ei, SE_InvalidProperty);
	if (!rc && op->in->kind == MSG_AUTHOR_USER && (everyone || online))
		rc = perm_require(op->perms, PERM_MENTION_EVERYONE, ei);
	if (!rc && op->in->kind == MSG_AUTHOR_USER && json_array_size(roles))
		rc = perm_require(op->perms, PERM_MENTION_ROLES, ei);
	if (!rc && json_array_size(users))
		rc = filter_users(txn, op, ch, server, users, &kept);
	if (!rc && json_array_size(kept) && json_object_set(msg, "mentions", kept))
		rc = SE_NOMEM;
	if (!rc && json_array_size(roles) && json_object_set(msg, "role_mentions", roles))
		rc = SE_NOMEM;
	*flags |= (everyone ? MSG_FLAG_EVERYONE : 0) | (online ? MSG_FLAG_ONLINE : 0);
	json_decref(kept);
	json_decref(roles);
	return rc;
}

static enum err set_copy(json_t *msg, const char *key, const json_t *v)
{
	return json_object_set(msg, key, (json_t *)v) ? SE_NOMEM : SE_OK;
}

/* Attachments and embeds, claimed inside the write. */
static enum err media(struct store_wtxn *w, struct post_op *op, json_t *msg)
{
	const json_t *d = op->in->data, *v;
	json_t *files = json_array(), *embeds = json_array();
	struct str id = str_from(op->id);
	enum err rc = files && embeds ? SE_OK : SE_NOMEM;
	size_t i;

	json_array_foreach(json_object_get(d, "attachments"), i, v)
	{
		json_t *f = NULL;

		if (rc)
			break;
		rc = msg_attachment_claim(w, jstr(v), id, op->in->author_id, &f, store_wtxn_ei(w));
		if (!rc && json_array_append_new(files, f))
			rc = SE_NOMEM;
	}
	json_array_foreach(json_object_get(d, "embeds"), i, v)
	{
		json_t *e = NULL;

		if (rc)
			break;
		rc = msg_text_embed(w, v, id, op->in->author_id, &e);
		if (!rc && json_array_append_new(embeds, e))
			rc = SE_NOMEM;
	}
	if (!rc && json_array_size(files))
		rc = set_copy(msg, "attachments", files);
	if (!rc && json_array_size(embeds))
		rc = set_copy(msg, "embeds", embeds);
	json_decref(files);
	json_decref(embeds);
	return rc;
}

/* interactions (only when not default) and masquerade (string fields only). */
static enum err extras(const json_t *d, json_t *msg)
{
	const json_t *inter = json_object_get(d, "interactions");
	const json_t *masq = json_object_get(d, "masquerade");
	static const char *const mk[] = {"name", "avatar", "colour"};
	enum err rc = SE_OK;

	if (json_is_object(inter) && (json_is_array(json_object_get(inter, "reactions")) ||
	                              json_is_true(json_object_get(inter, "restrict_reactions")))) {
		json_t *o = json_object(), *r = json_array();
		size_t i;
		const json_t *v;

		json_array_foreach(json_object_get(inter, "reactions"), i, v)
		{
			if (!array_has(r, jstr(v)))
				json_array_append(r, (json_t *)v);
		}
		if (!o || !r || json_object_set_new(o, "reactions", r) ||
		    (json_is_true(json_object_get(inter, "restrict_reactions")) &&
		     json_object_set_new(o, "restrict_reactions", json_true())))
			rc = SE_NOMEM;
		else
			rc = set_copy(msg, "interactions", o);
		json_decref(o);
	}
	if (!rc && json_is_object(masq)) {
		json_t *o = json_object();

		for (size_t i = 0; o && i < 3; i++)
			if (json_is_string(json_object_get(masq, mk[i])))
				json_object_set(o, mk[i], json_object_get(masq, mk[i]));
		rc = o ? set_copy(msg, "masquerade", o) : SE_NOMEM;
		json_decref(o);
	}
	return rc;
}

static enum err head(struct post_op *op, json_t *msg)
{
	const struct msg_post *in = op->in;
	const json_t *content = json_object_get(in->data, "content");

	if (json_object_set_new(msg, "_id", json_string(op->id)) ||
	    json_object_set_new(msg, "nonce", json_string(op->nonce)) ||
	    json_object_set_new(msg, "channel", json_stringn(in->channel_id.p, in->channel_id.n)) ||
	    json_object_set_new(msg, "author", json_stringn(in->author_id.p, in->author_id.n)))
		return SE_NOMEM;
	if (in->kind == MSG_AUTHOR_WEBHOOK &&
	    json_object_set_new(
	        msg, "webhook",
	        json_pack("{s:s%,s:o}", "name", in->webhook_name.p, in->webhook_name.n, "avatar",
	                  in->webhook_avatar.p
	                      ? json_stringn(in->webhook_avatar.p, in->webhook_avatar.n)
	                      : json_null())))
		return SE_NOMEM;
	if (json_string_length(content) && set_copy(msg, "content", content))
		return SE_NOMEM;
	if (in->system && set_copy(msg, "system", in->system))
		return SE_NOMEM;
	return SE_OK;
}

static enum err post_fn(struct store_wtxn *w, void *arg)
{
	struct post_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	struct err_info *ei = store_wtxn_ei(w);
	json_t *ch = NULL, *server = NULL, *msg = json_object(), *users = json_array();
	json_t *replies = json_array();
	enum channel_type t;
	uint32_t flags = op->flags;
	enum err rc = msg && users && replies ? SE_OK : SE_NOMEM;

	json_decref(op->msg);
	json_decref(op->member);
	op->msg = op->member = NULL;
	if (!rc)
		rc = channel_load(txn, op->in->channel_id, &ch);
	if (rc == SE_NOT_FOUND)
		rc = SE_RAISE(ei, SE_UnknownChannel);
	if (rc)
		goto out;
	op->perms = op->in->perms_fn ? op->in->perms_fn(txn, ch, op->in->perms_arg) : op->in->perms;
	if (op->in->kind != MSG_AUTHOR_SYSTEM)
		rc = check_perms(op->in, op->perms, ei);
	if (rc)
		goto out;
	t = channel_type_of(ch);
	if (t == CHANNEL_TEXT || t == CHANNEL_VOICE) {
		rc = server_load(txn, jstr(json_object_get(ch, "server")), &server);
		if (!rc && op->in->kind == MSG_AUTHOR_USER &&
		    server_member_load(txn, jstr(json_object_get(server, "_id")), op->in->author_id,
		                       &op->member))
			op->member = NULL;
		if (rc)
			goto out;
	}
	rc = head(op, msg);
	if (!rc && op->in->data)
		rc = resolve_replies(txn, op, replies, users, ei);
	if (!rc && op->in->allow_mentions)
		rc = mentions(txn, op, ch, server, msg, users, &flags, ei);
	if (!rc && op->in->data)
		rc = media(w, op, msg);
	if (!rc && json_array_size(replies))
		rc = set_copy(msg, "replies", replies);
	if (!rc)
		rc = extras(op->in->data, msg);
	if (!rc && flags && json_object_set_new(msg, "flags", json_integer(flags)))
		rc = SE_NOMEM;
	if (!rc)
		rc = msg_insert(w, msg);
	if (rc == SE_EXISTS)
		rc = SE_RAISE(ei, SE_DuplicateNonce);
	if (!rc) {
		op->msg = msg;
		msg = NULL;
	}
out:
	json_decref(msg);
	json_decref(users);
	json_decref(replies);
	json_decref(server);
	json_decref(ch);
	return rc;
}

/* The message with `user` and `member` right after "author", as Revolt orders it. */
static json_t *with_snapshots(const json_t *msg, const json_t *user, const json_t *member)
{
	json_t *o = json_object();
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)msg, k, v)
	{
		if (!o || json_object_set(o, k, v))
			break;
		if (strcmp(k, "author") == 0) {
			if (user)
				json_object_set(o, "user", (json_t *)user);
			if (member)
				json_object_set(o, "member", (json_t *)member);
		}
	}
	return o;
}

static json_t *author_view(struct app *app, struct str id)
{
	struct store_txn *txn = NULL;
	json_t *rec = NULL, *view = NULL;
	struct user_view_opts o = {PERM_REL_NONE, false, true, false};

	if (store_read_begin(app->store, &txn))
		return NULL;
	if (!user_load(txn, id, &rec))
		view = user_view(rec, &o);
	store_read_end(txn);
	json_decref(rec);
	return view;
}

static void publish(struct app *app, struct str channel, const json_t *view)
{
	json_t *ev = json_pack("{s:s}", "type", "Message");
	char *text = NULL;

	if (ev && !json_object_update(ev, (json_t *)view))
		text = jx_dump(ev);
	if (!text || bus_publish(app->bus, channel, str_from(text)))
		log_warn("messages: cannot publish a Message event in '%.*s'",
		         (int)(channel.n > 32 ? 32 : channel.n), channel.p);
	mem_free(text);
	json_decref(ev);
}

static void make_nonce(const struct msg_post *in, char out[MSG_NONCE_MAX + 1])
{
	const json_t *n = json_object_get(in->data, "nonce");

	if (in->idempotency.p && in->idempotency.n)
		snprintf(out, MSG_NONCE_MAX + 1, "%.*s", (int)in->idempotency.n, in->idempotency.p);
	else if (json_is_string(n))
		snprintf(out, MSG_NONCE_MAX + 1, "%s", json_string_value(n));
	else
		out[0] = '\0';
}

enum err msg_post(struct app *app, const struct msg_post *in, json_t **out, struct err_info *ei)
{
	struct post_op op;
	struct msg_mentions *mm = xcalloc(1, sizeof(*mm));
	json_t *user = NULL, *view = NULL;
	struct ulid u;
	enum err rc = SE_OK;

	memset(&op, 0, sizeof(op));
	op.in = in;
	op.mentions = mm;
	op.now = authrec_now_ms();
	if (in->idempotency.n > MSG_NONCE_MAX) {
		rc = SE_RAISEF(ei, SE_FailedValidation, "Idempotency-Key is longer than %d bytes",
		               MSG_NONCE_MAX);
		goto out;
	}
	if (in->kind == MSG_AUTHOR_SYSTEM) {
		if (!json_is_object(in->system)) {
			rc = SE_RAISEF(ei, SE_FailedValidation, "a system message needs 'system'");
			goto out;
		}
	} else {
		rc = validate_body(in, &op, ei);
		if (!rc)
			rc = msg_mentions_parse(jstr(json_object_get(in->data, "content")), mm);
		if (rc == SE_FULL)
			rc = SE_RAISE(ei, SE_PayloadTooLarge);
		if (rc)
			goto out;
	}
	rc = ulid_generate(NULL, &u);
	if (rc)
		goto out;
	ulid_encode(&u, op.id);
	make_nonce(in, op.nonce);
	if (!op.nonce[0]) {
		rc = ulid_generate(NULL, &u);
		if (rc)
			goto out;
		ulid_encode(&u, op.nonce);
	}
	rc = store_write(app->store, post_fn, &op, ei);
	if (rc)
		goto out;
	if (in->kind == MSG_AUTHOR_USER && !in->user)
		user = author_view(app, in->author_id);
	view =
	    with_snapshots(op.msg, in->user ? in->user : user, in->member ? in->member : op.member);
	if (!view) {
		rc = SE_RAISE(ei, SE_NOMEM);
		goto out;
	}
	publish(app, in->channel_id, view);
	if (out) {
		*out = view;
		view = NULL;
	}
out:
	json_decref(view);
	json_decref(user);
	json_decref(op.msg);
	json_decref(op.member);
	mem_free(mm);
	return rc;
}
