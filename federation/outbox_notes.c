/*
 * federation/outbox_notes.c: DM messages -> Create / Update / Delete of
 * direct Notes, reactions -> Like / EmojiReact and their Undo
 * (docs/federation.md "Direct messages", "Reactions"), and the Note
 * documents GET B/objects/{id} serves.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "channels/channel.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/cfg.h"
#include "core/jx.h"
#include "core/ulid.h"
#include "federation/actor.h"
#include "federation/as2.h"
#include "federation/fed.h"
#include "federation/mapping_int.h"
#include "federation/markdown.h"
#include "federation/objmap.h"
#include "federation/outbox.h"
#include "federation/process.h"
#include "federation/software.h"
#include "messages/message.h"
#include "storage/store.h"
#include "users/user.h"

/* Mention tags one Note carries at most */
#define OUT_MENTIONS_MAX 32

static const char *jget(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* ---- DM messages ---- */

/* The Note context of one DM message. */
struct note_ctx {
	struct fed *f;
	struct store_txn *txn;
	struct arena *a;
	const char *author, *author_url, *channel;
	struct fout_remote remote; /* the other participant */
	const char *remote_uid;
	json_t *tags; /* Mention tags (owned) */
	size_t n_mentions;
};

static bool tag_has(const json_t *tags, const char *href)
{
	size_t i;
	json_t *t;

	json_array_foreach(tags, i, t)
	{
		if (jget(t, "href") && !strcmp(jget(t, "href"), href))
			return true;
	}
	return false;
}

static void add_mention(struct note_ctx *c, const char *href, const char *handle)
{
	if (c->n_mentions >= OUT_MENTIONS_MAX || tag_has(c->tags, href))
		return;
	if (!json_array_append_new(c->tags, json_pack("{s:s, s:s, s:s+}", "type", "Mention", "href",
	                                              href, "name", "@", handle)))
		c->n_mentions++;
}

/* fmd_user_fn: "<@ULID>" -> the user's actor URL and handle; remote ones become Mention tags. */
static bool note_user(void *ctx, struct str user_id, const char **actor_url, const char **handle)
{
	struct note_ctx *c = ctx;
	struct fout_remote r;
	json_t *rec = NULL;
	const char *h;

	if (!fout_remote_of(c->txn, user_id, c->a, &r)) {
		*actor_url = r.id;
		*handle = r.username;
		add_mention(c, r.id, r.username);
		return true;
	}
	if (user_load(c->txn, user_id, &rec))
		return false;
	h = actor_handle(rec, c->a);
	json_decref(rec);
	*actor_url = fed_actor_url(c->f, c->a, user_id);
	*handle = h ? arena_printf(c->a, "%s@%s", h, c->f->host) : NULL;
	return *actor_url && *handle;
}

/*
 * The DM context of message `msg`: its channel is a DirectMessage whose
 * other participant is remote and whose author is local. SE_NOT_FOUND
 * otherwise (nothing to send). Opens c->txn (caller ends it).
 */
static enum err note_ctx_load(struct fed *f, struct arena *a, const json_t *msg, struct note_ctx *c)
{
	json_t *ch = NULL, *r;
	size_t i;
	enum err rc;

	memset(c, 0, sizeof(*c));
	c->f = f;
	c->a = a;
	c->author = jget(msg, "author");
	c->channel = jget(msg, "channel");
	if (!c->author || !c->channel || !jget(msg, "_id"))
		return SE_NOT_FOUND;
	rc = store_read_begin(f->store, &c->txn);
	if (rc)
		return rc;
	if (!fout_is_local(c->txn, str_from(c->author)))
		return SE_NOT_FOUND;
	rc = channel_load(c->txn, str_from(c->channel), &ch);
	if (rc)
		return rc == SE_PARSE ? rc : SE_NOT_FOUND;
	rc = SE_NOT_FOUND;
	if (channel_type_of(ch) == CHANNEL_DM) {
		json_array_foreach(json_object_get(ch, "recipients"), i, r)
		{
			const char *u = json_string_value(r);

			if (u && strcmp(u, c->author) &&
			    !fout_remote_of(c->txn, str_from(u), a, &c->remote)) {
				c->remote_uid = arena_strndup(a, u, strlen(u));
				rc = c->remote_uid ? SE_OK : SE_NOMEM;
				break;
			}
		}
	}
	json_decref(ch);
	if (rc)
		return rc;
	/* a DM warms the peer's software cache for later reactions (no wait) */
	fsoft_want(f, c->remote.inbox);
	c->author_url = fed_actor_url(f, a, str_from(c->author));
	c->tags = json_array();
	return c->author_url && c->tags ? SE_OK : SE_NOMEM;
}

/* The Note of `msg` (new reference). */
static json_t *note_render(struct note_ctx *c, const json_t *msg, struct err_info *ei)
{
	const char *id = jget(msg, "_id"), *content = jget(msg, "content");
	const char *edited = jget(msg, "edited"), *reply = NULL;
	struct fmd_opts mo = {note_user, NULL, c};
	struct buf html = BUF_INIT(FMD_OUTPUT_MAX);
	json_t *note = NULL, *atts = json_array(), *att, *first;
	char published[32];
	struct ulid u;
	size_t i;

	if (!atts)
		goto out;
	if (content && fmd_to_html_opts(str_from(content), &mo, &html, ei))
		goto out;
	/* the recipient is always mentioned: Mastodon shows a DM as a private mention */
	add_mention(c, c->remote.id, c->remote.username);
	first = json_array_get(json_object_get(msg, "replies"), 0);
	if (json_is_string(first)) {
		json_t *rm = NULL;

		if (!msg_load(c->txn, str_from(json_string_value(first)), &rm))
			reply = fout_note_id(c->f, c->txn, rm, c->a);
		json_decref(rm);
	}
	/* attachments: links to the files' originals (the bare Autumn URL serves a preview) */
	json_array_foreach(json_object_get(msg, "attachments"), i, att)
	{
		const char *fid = jget(att, "_id"), *tag = jget(att, "tag");
		const char *ct = jget(att, "content_type");

		if (!fid || !tag)
			continue;
		json_array_append_new(atts,
		                      json_pack("{s:s, s:s, s:s, s:s?}", "type", "Document", "url",
		                                arena_printf(c->a, "%s/%s/%s/original",
		                                             c->f->cfg->hosts.autumn, tag, fid),
		                                "mediaType", ct ? ct : "application/octet-stream",
		                                "name", jget(att, "filename")));
	}
	if (ulid_parse(str_from(id), &u, NULL))
		goto out;
	fout_iso8601((int64_t)ulid_time_ms(&u), published);
	note = json_pack("{s:s, s:s, s:s, s:[s], s:[], s:s, s:{s:s, s:s}, s:s, s:s, s:O, s:O}",
	                 "id", fed_object_url(c->f, c->a, str_from(id)), "type", "Note",
	                 "attributedTo", c->author_url, "to", c->remote.id, "cc", "content",
	                 buf_cstr(&html), "source", "content", content ? content : "", "mediaType",
	                 "text/markdown", "published", published, "context",
	                 arena_printf(c->a, "%s/channels/%s", c->f->base, c->channel), "tag",
	                 c->tags, "attachment", atts);
	if (note && reply)
		json_object_set_new(note, "inReplyTo", json_string(reply));
	if (note && edited)
		json_object_set_new(note, "updated", json_string(edited));
	if (note && !json_array_size(atts))
		json_object_del(note, "attachment");
out:
	json_decref(atts);
	buf_release(&html);
	return note;
}

enum err fout_note_doc(struct fed *f, const json_t *msg, struct arena *a, json_t **note,
                       const char **remote_host, struct err_info *ei)
{
	struct note_ctx c;
	json_t *n = NULL;
	enum err rc = note_ctx_load(f, a, msg, &c);

	if (!rc) {
		n = note_render(&c, msg, ei);
		rc = n && !json_object_set_new(n, "@context", as2_context()) ? SE_OK : SE_NOMEM;
	}
	store_read_end(c.txn);
	json_decref(c.tags);
	if (rc) {
		json_decref(n);
		return rc;
	}
	*note = n;
	*remote_host = c.remote.host;
	return SE_OK;
}

/* Create / Update / Delete of a DM message. */
static enum err message_send(struct fed *f, const char *type, const json_t *msg,
                             struct err_info *ei)
{
	struct arena a = ARENA_INIT(OUT_ARENA_MAX);
	struct note_ctx c;
	struct fout_write op;
	const char *id;
	char now_iso[32];
	json_t *obj = NULL, *act = NULL;
	enum err rc;

	if (!f || !msg)
		return SE_OK;
	memset(&op, 0, sizeof(op));
	rc = note_ctx_load(f, &a, msg, &c);
	if (rc == SE_NOT_FOUND) {
		rc = SE_OK;
		goto out;
	}
	if (rc)
		goto out;
	if (!strcmp(type, "Delete"))
		obj =
		    json_pack("{s:s, s:s}", "id", fed_object_url(f, &a, str_from(jget(msg, "_id"))),
		              "type", "Tombstone");
	else
		obj = note_render(&c, msg, ei);
	store_read_end(c.txn);
	c.txn = NULL;
	id = fed_activity_url(f, &a);
	act = obj && id ? fout_activity_new(type, id, c.author_url) : NULL;
	fout_iso8601(fout_now_ms(), now_iso);
	if (!act || json_object_set(act, "object", obj) || !fout_address_to(act, c.remote.id) ||
	    json_object_set_new(act, "published", json_string(now_iso))) {
		json_decref(act);
		rc = SE_NOMEM;
		goto out;
	}
	op.f = f;
	rc = fout_write_one(&op, &a, act, str_from(c.author), c.remote.inbox, ei);
out:
	store_read_end(c.txn);
	json_decref(c.tags);
	json_decref(obj);
	arena_release(&a);
	return rc ? SE_RAISE(ei, rc) : SE_OK;
}

enum err fout_message_create(struct fed *f, const json_t *message, struct err_info *ei)
{
	return message_send(f, "Create", message, ei);
}

enum err fout_message_update(struct fed *f, const json_t *message, struct err_info *ei)
{
	return message_send(f, "Update", message, ei);
}

enum err fout_message_delete(struct fed *f, const json_t *message, struct err_info *ei)
{
	return message_send(f, "Delete", message, ei);
}

/* ---- reactions ---- */

/*
 * The style follows the peer's software (federation/software.h, NodeInfo,
 * cached; never waited for): Mastodon-family peers get a plain Like for any
 * emoji (they drop EmojiReact; a favourite is better than nothing), Misskey
 * and forks Like{content, _misskey_reaction}, others (and unknown) the
 * default emoji as that Like and any other as EmojiReact.
 */
enum err fout_react(struct fed *f, struct str user, struct str message_id, struct str emoji,
                    bool add, struct err_info *ei)
{
	struct arena a = ARENA_INIT(OUT_ARENA_MAX);
	struct note_ctx c;
	struct fout_write op;
	struct str key;
	const char *id, *note, *rid = NULL;
	enum fsoft_react style = FSOFT_REACT_EMOJI_REACT;
	json_t *msg = NULL, *react = NULL, *act = NULL;
	enum err rc;

	memset(&c, 0, sizeof(c));
	memset(&op, 0, sizeof(op));
	if (!f)
		return SE_OK;
	rc = store_read_begin(f->store, &c.txn);
	if (!rc)
		rc = msg_load(c.txn, message_id, &msg);
	store_read_end(c.txn);
	c.txn = NULL;
	if (rc) {
		rc = rc == SE_NOT_FOUND ? SE_OK : rc;
		goto out;
	}
	/* the DM context as if `user` wrote the message: they must be local */
	if (json_object_set_new(msg, "author", json_stringn(user.p, user.n))) {
		rc = SE_NOMEM;
		goto out;
	}
	rc = note_ctx_load(f, &a, msg, &c);
	if (rc == SE_NOT_FOUND) {
		rc = SE_OK;
		goto out;
	}
	if (rc)
		goto out;
	json_decref(msg);
	msg = NULL;
	rc = msg_load(c.txn, message_id, &msg);
	note = rc ? NULL : fout_note_id(f, c.txn, msg, &a);
	key = str_from(arena_printf(&a, "%.*s/%.*s/%.*s", (int)message_id.n, message_id.p,
	                            (int)user.n, user.p, (int)emoji.n, emoji.p));
	if (!rc && !add && fmap_ap_of(c.txn, "react", key, &a, &rid))
		rid = NULL;
	store_read_end(c.txn);
	c.txn = NULL;
	if (rc || !note || !key.p) {
		rc = rc ? rc : SE_OK; /* a message without a Note id has nothing to react to */
		goto out;
	}
	id = fed_activity_url(f, &a);
	style =
	    fsoft_react_style(fsoft_get(f, c.remote.inbox), str_eq_cstr(emoji, FPROC_LIKE_EMOJI));
	react = id ? json_pack("{s:s, s:s, s:s, s:s}", "id",
	                       add   ? id
	                       : rid ? rid
	                             : id,
	                       "type", style == FSOFT_REACT_EMOJI_REACT ? "EmojiReact" : "Like",
	                       "actor", c.author_url, "object", note)
	           : NULL;
	if (react && style != FSOFT_REACT_LIKE &&
	    (json_object_set_new(react, "content", json_stringn(emoji.p, emoji.n)) ||
	     json_object_set_new(react, "_misskey_reaction", json_stringn(emoji.p, emoji.n)))) {
		json_decref(react);
		react = NULL;
	}
	if (!react) {
		rc = SE_NOMEM;
		goto out;
	}
	op.f = f;
	if (add) {
		json_object_set_new(react, "@context", as2_context());
		act = json_incref(react);
		op.map_ap = str_from(id);
		op.map_kind = "react";
		op.map_local = key;
	} else {
		act = fout_activity_new("Undo", id, c.author_url);
		if (act && json_object_set(act, "object", react)) {
			json_decref(act);
			act = NULL;
		}
		if (rid) {
			op.map_ap = str_from(rid);
			op.map_del = true;
		}
	}
	if (!act || !fout_address_to(act, c.remote.id)) {
		json_decref(act);
		rc = SE_NOMEM;
		goto out;
	}
	rc = fout_write_one(&op, &a, act, user, c.remote.inbox, ei);
out:
	store_read_end(c.txn);
	json_decref(c.tags);
	json_decref(react);
	json_decref(msg);
	arena_release(&a);
	return rc ? SE_RAISE(ei, rc) : SE_OK;
}
