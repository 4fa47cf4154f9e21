/*
 * messages/message.c: the messages collection, its indexes, inserting a
 * message with its channel's last_message_id (revoltchat/backend
 * crates/core/database/src/tasks/last_message_id.rs, done in the same
 * write here), loading, system messages and the attachment hook.
 */
#include "messages/message.h"

#include "files/file.h"

#include <stdio.h>
#include <string.h>

#include "app.h"
#include "channels/channel.h"
#include "servers/server.h"
#include "core/jx.h"
#include "core/mem.h"
#include "messages/acks.h"
#include "messages/search.h"

static json_t *parse(struct str rec)
{
	json_t *v = json_loadb(rec.p, rec.n, 0, NULL);

	if (!json_is_object(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

/* "<a>/<b>" when both fit; records without the field yield no key. */
static enum err add_pair(struct store_keys *out, const json_t *a, struct str b)
{
	char key[STORE_KEY_MAX];
	const char *ap = json_string_value(a);
	size_t an = json_string_length(a);

	if (!ap || an == 0 || an + 1 + b.n > sizeof(key))
		return SE_OK;
	memcpy(key, ap, an);
	key[an] = '/';
	memcpy(key + an + 1, b.p, b.n);
	return store_keys_add(out, (struct str){key, an + 1 + b.n});
}

static enum err x_channel(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	json_t *m = parse(rec);
	enum err rc;

	(void)arg;
	if (!m)
		return SE_PARSE;
	rc = add_pair(out, json_object_get(m, "channel"), id);
	json_decref(m);
	return rc;
}

static enum err x_nonce(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	json_t *m = parse(rec);
	const json_t *nonce;
	enum err rc = SE_OK;

	(void)arg;
	(void)id;
	if (!m)
		return SE_PARSE;
	nonce = json_object_get(m, "nonce");
	if (json_is_string(nonce) && json_string_length(nonce) > 0)
		rc = add_pair(out, json_object_get(m, "channel"),
		              (struct str){json_string_value(nonce), json_string_length(nonce)});
	json_decref(m);
	return rc;
}

static enum err x_pinned(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	json_t *m = parse(rec);
	enum err rc = SE_OK;

	(void)arg;
	if (!m)
		return SE_PARSE;
	if (json_is_true(json_object_get(m, "pinned")))
		rc = add_pair(out, json_object_get(m, "channel"), id);
	json_decref(m);
	return rc;
}

static enum err x_author(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	json_t *m = parse(rec);
	enum err rc;

	(void)arg;
	if (!m)
		return SE_PARSE;
	rc = add_pair(out, json_object_get(m, "author"), id);
	json_decref(m);
	return rc;
}

const struct store_index_def msg_idx[MSG_N_INDEXES] = {
    {MSG_IDX_CHANNEL, false, x_channel, NULL},         {MSG_IDX_NONCE, true, x_nonce, NULL},
    {MSG_IDX_PINNED, false, x_pinned, NULL},           {MSG_IDX_AUTHOR, false, x_author, NULL},
    {MSG_IDX_SEARCH, false, msg_search_extract, NULL},
};

enum err msg_load(struct store_txn *txn, struct str id, json_t **out)
{
	struct str raw;
	json_t *v;
	enum err rc;

	if (id.n == 0 || id.n >= STORE_ID_MAX)
		return SE_NOT_FOUND;
	rc = store_get(txn, MSG_COLL, id, &raw);
	if (rc)
		return rc;
	v = parse(raw);
	if (!v)
		return SE_PARSE;
	*out = v;
	return SE_OK;
}

/* The channel's last_message_id (and a DM's active flag) in this write. */
static enum err touch_channel(struct store_wtxn *w, struct str channel_id, const char *msg_id)
{
	json_t *ch = NULL;
	char *text = NULL;
	enum channel_type t;
	enum err rc = channel_load(store_wtxn_read(w), channel_id, &ch);

	if (rc)
		goto out;
	t = channel_type_of(ch);
	if (t != CHANNEL_TEXT && t != CHANNEL_DM && t != CHANNEL_GROUP)
		goto out;
	if (json_object_set_new(ch, "last_message_id", json_string(msg_id)) ||
	    (t == CHANNEL_DM && json_object_set_new(ch, "active", json_true()))) {
		rc = SE_NOMEM;
		goto out;
	}
	text = jx_dump(ch);
	rc = text ? store_update(w, CHANNEL_COLL, channel_id, str_from(text)) : SE_NOMEM;
out:
	mem_free(text);
	json_decref(ch);
	return rc;
}

enum err msg_insert(struct store_wtxn *w, const json_t *message)
{
	const json_t *id = json_object_get(message, "_id");
	const json_t *ch = json_object_get(message, "channel");
	char *text = NULL;
	enum err rc;

	if (!json_is_string(id) || !json_is_string(ch) ||
	    !json_is_string(json_object_get(message, "author")))
		return SE_PARSE;
	text = jx_dump(message);
	if (!text)
		return SE_NOMEM;
	rc = store_create(w, MSG_COLL, (struct str){json_string_value(id), json_string_length(id)},
	                  str_from(text));
	if (!rc)
		rc = touch_channel(w, (struct str){json_string_value(ch), json_string_length(ch)},
		                   json_string_value(id));
	if (!rc)
		rc = msg_mentions_record(
		    w, (struct str){json_string_value(ch), json_string_length(ch)},
		    (struct str){json_string_value(id), json_string_length(id)},
		    json_object_get(message, "mentions"));
	mem_free(text);
	return rc;
}

enum err msg_attachment_claim(struct store_wtxn *w, struct str file_id, struct str message_id,
                              struct str author_id, json_t **file, struct err_info *ei)
{
	json_t *rec = NULL;
	const char *uploader;
	enum err rc = file_load(store_wtxn_read(w), file_id, &rec);

	if (rc == SE_NOT_FOUND)
		return SE_RAISEF(ei, SE_UnknownAttachment, "no upload '%.*s'",
		                 (int)(file_id.n > 64 ? 64 : file_id.n), file_id.p);
	if (rc)
		return rc;
	/* Only the uploader may attach an upload (the backend matches uploader_id). */
	uploader = json_string_value(json_object_get(rec, "uploader_id"));
	rc = uploader && str_eq_cstr(author_id, uploader) ? SE_OK : SE_UnknownAttachment;
	json_decref(rec);
	if (rc)
		return SE_RAISEF(ei, rc, "upload '%.*s' is not yours",
		                 (int)(file_id.n > 64 ? 64 : file_id.n), file_id.p);
	return file_claim(w, file_id, "attachments", "Message", message_id, file);
}

enum err msg_system(struct app *app, struct str channel_id, json_t *system, struct err_info *ei)
{
	struct msg_post in;
	enum err rc;

	memset(&in, 0, sizeof(in));
	in.channel_id = channel_id;
	in.kind = MSG_AUTHOR_SYSTEM;
	in.author_id = STR_LIT(MSG_SYSTEM_AUTHOR);
	in.system = system;
	rc = system ? msg_post(app, &in, NULL, ei) : SE_NOMEM;
	json_decref(system);
	return rc;
}

enum err msg_server_system(struct app *app, struct str server_id, const char *type,
                           struct str user_id, struct err_info *ei)
{
	struct store_txn *txn = NULL;
	json_t *server = NULL;
	char channel[64] = "";
	const char *ch;
	enum err rc = store_read_begin(app->store, &txn);

	if (rc)
		return SE_RAISE(ei, rc);
	if (!server_load(txn, server_id, &server)) {
		ch = json_string_value(
		    json_object_get(json_object_get(server, "system_messages"), type));
		if (ch && strlen(ch) < sizeof(channel))
			snprintf(channel, sizeof(channel), "%s", ch);
	}
	store_read_end(txn);
	json_decref(server);
	if (!channel[0])
		return SE_OK;
	return msg_system(app, str_from(channel),
	                  json_pack("{s:s,s:s%}", "type", type, "id", user_id.p, user_id.n), ei);
}
