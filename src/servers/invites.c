/*
 * servers/invites.c: invite records and codes (revoltchat/backend
 * channel_invites: 8 characters of its 54-symbol alphabet).
 */
#include "servers/invites.h"

#include <string.h>

#include "auth/codes.h"
#include "channels/channel.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "servers/server.h"

static json_t *invite_record(const json_t *channel, const char *code, struct str creator_id)
{
	const char *cid = json_string_value(json_object_get(channel, "_id"));
	const char *sid = json_string_value(json_object_get(channel, "server"));

	if (!cid)
		return NULL;
	switch (channel_type_of(channel)) {
	case CHANNEL_TEXT:
	case CHANNEL_VOICE:
		if (!sid)
			return NULL;
		return json_pack("{s:s, s:s, s:s, s:s%, s:s}", "type", "Server", "_id", code,
		                 "server", sid, "creator", creator_id.p, creator_id.n, "channel",
		                 cid);
	case CHANNEL_GROUP:
		return json_pack("{s:s, s:s, s:s%, s:s}", "type", "Group", "_id", code, "creator",
		                 creator_id.p, creator_id.n, "channel", cid);
	default:
		return NULL;
	}
}

enum err invite_create(struct store_wtxn *w, const json_t *channel, struct str creator_id,
                       json_t **out)
{
	enum channel_type t = channel_type_of(channel);
	enum err rc = SE_EXISTS;

	if (t != CHANNEL_TEXT && t != CHANNEL_VOICE && t != CHANNEL_GROUP)
		return SE_InvalidOperation;
	for (int i = 0; i < INVITE_CODE_TRIES && rc == SE_EXISTS; i++) {
		char code[CODES_INVITE_LEN + 1], *text;
		json_t *inv;

		codes_invite_new(code);
		inv = invite_record(channel, code, creator_id);
		if (!inv)
			return SE_NOMEM;
		text = json_dumps(inv, JSON_COMPACT | JSON_PRESERVE_ORDER);
		rc = text ? store_create(w, INVITE_COLL, str_from(code), str_from(text)) : SE_NOMEM;
		mem_free(text);
		if (!rc) {
			*out = inv;
			return SE_OK;
		}
		json_decref(inv);
	}
	return rc;
}

enum err invite_find(struct store_txn *txn, struct str code, json_t **out)
{
	struct str rec;
	json_t *inv, *server = NULL, *first;
	enum err rc;

	if (code.n == 0 || code.n > 32)
		return SE_NOT_FOUND;
	if (!ulid_is_valid(code)) {
		rc = store_get(txn, INVITE_COLL, code, &rec);
		if (rc)
			return rc;
		inv = json_loadb(rec.p, rec.n, 0, NULL);
		if (!json_is_object(inv)) {
			json_decref(inv);
			return SE_PARSE;
		}
		*out = inv;
		return SE_OK;
	}
	rc = server_load(txn, code, &server);
	if (rc)
		return rc;
	first = json_array_get(json_object_get(server, "channels"), 0);
	if (!json_is_true(json_object_get(server, "discoverable")) || !json_is_string(first)) {
		json_decref(server);
		return SE_NOT_FOUND;
	}
	inv = json_pack("{s:s, s:s%, s:O, s:O, s:O}", "type", "Server", "_id", code.p, code.n,
	                "server", json_object_get(server, "_id"), "creator",
	                json_object_get(server, "owner"), "channel", first);
	json_decref(server);
	if (!inv)
		return SE_NOMEM;
	*out = inv;
	return SE_OK;
}
