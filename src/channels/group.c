/*
 * channels/group.c: Group records, their recipients and ownership, and
 * purging a channel (revoltchat/backend models/channels/model.rs and the
 * MongoDB delete_channel).
 */
#include "channels/group.h"

#include <stdio.h>
#include <string.h>

#include "channels/channel.h"
#include "channels/sync.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/mem.h"
#include "perms/perms.h"
#include "servers/server.h"
#include "servers/server_state.h"
#include "users/access.h"
#include "users/user.h"
#include "messages/message.h"

/* invites removed per scan while purging */
#define PURGE_CHUNK 64
/* rounds of PURGE_CHUNK: bounds the loop far above any channel's invites */
#define PURGE_ROUNDS 4096

static bool str_is(const json_t *v, struct str s)
{
	const char *p = json_string_value(v);

	return p && json_string_length(v) == s.n && memcmp(p, s.p, s.n) == 0;
}

json_t *group_record_new(struct str id, struct str owner, struct str name, struct str description,
                         const json_t *recipients, bool nsfw)
{
	json_t *ch = json_pack("{s:s,s:s%,s:s%,s:s%}", "channel_type", "Group", "_id", id.p, id.n,
	                       "name", name.p, name.n, "owner", owner.p, owner.n);
	json_t *r = json_deep_copy(recipients);

	if (!ch || !json_is_array(r))
		goto fail;
	if (description.p &&
	    json_object_set_new(ch, "description", json_stringn(description.p, description.n)))
		goto fail;
	if (json_object_set_new(ch, "recipients", r)) {
		r = NULL;
		goto fail;
	}
	r = NULL;
	if (nsfw && json_object_set_new(ch, "nsfw", json_true()))
		goto fail;
	return ch;
fail:
	json_decref(r);
	json_decref(ch);
	return NULL;
}

bool group_has_recipient(const json_t *ch, struct str user)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(ch, "recipients"), i, v)
	{
		if (str_is(v, user))
			return true;
	}
	return false;
}

enum err group_recipient_add(json_t *ch, struct str user, struct err_info *ei)
{
	json_t *r = json_object_get(ch, "recipients");

	if (!json_is_array(r))
		return SE_PARSE;
	if (group_has_recipient(ch, user))
		return SE_AlreadyInGroup;
	if (json_array_size(r) >= GROUP_SIZE_MAX) {
		if (ei)
			ei->max = GROUP_SIZE_MAX;
		return SE_GroupTooLarge;
	}
	return json_array_append_new(r, json_stringn(user.p, user.n)) ? SE_NOMEM : SE_OK;
}

enum err group_recipient_remove(json_t *ch, struct str user)
{
	json_t *r = json_object_get(ch, "recipients"), *v;
	size_t i;

	json_array_foreach(r, i, v)
	{
		if (str_is(v, user))
			return json_array_remove(r, i) ? SE_NOMEM : SE_OK;
	}
	return SE_NotInGroup;
}

const char *group_next_owner(const json_t *ch, struct str leaving)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(ch, "recipients"), i, v)
	{
		if (json_is_string(v) && !str_is(v, leaving))
			return json_string_value(v);
	}
	return NULL;
}

bool group_user_is_friend(const json_t *user, struct str other)
{
	char id[32];

	if (other.n == 0 || other.n > 31)
		return false;
	snprintf(id, sizeof(id), "%.*s", (int)other.n, other.p);
	return user_relation(user, id) == PERM_REL_FRIEND;
}

/* DM: user permissions of `me` toward the other recipient (REVOLT.md section 8 rule 6). */
static uint32_t dm_user_perms(struct store_txn *txn, const json_t *ch, const json_t *me,
                              struct str uid)
{
	const json_t *v;
	json_t *other = NULL;
	const char *oid = NULL;
	uint32_t p;
	size_t i;

	json_array_foreach(json_object_get(ch, "recipients"), i, v)
	{
		if (json_is_string(v) && !str_is(v, uid))
			oid = json_string_value(v);
	}
	if (!oid || user_load(txn, str_from(oid), &other))
		return 0;
	p = user_perms_known(me, other, true); /* the DM itself is the mutual connection */
	json_decref(other);
	return p;
}

/* Server channel: servers/server_state.h loads the server and member records. */
static uint64_t server_side_perms(struct store_txn *txn, const json_t *ch, const char *uid,
                                  int64_t now)
{
	struct server_state st = SERVER_STATE_INIT;
	uint64_t p = 0;

	if (server_channel_perms(txn, ch, uid, now, &st, &p))
		p = 0;
	server_state_release(&st);
	return p;
}

uint64_t group_channel_perms(struct store_txn *txn, const json_t *ch, const json_t *me,
                             struct str uid, int64_t now)
{
	bool priv = json_is_true(json_object_get(me, "privileged"));
	char id[32];

	snprintf(id, sizeof(id), "%.*s", (int)(uid.n < 31 ? uid.n : 31), uid.p);
	switch (channel_type_of(ch)) {
	case CHANNEL_SAVED:
	case CHANNEL_GROUP:
		return perm_private_channel_json(ch, id, priv, 0);
	case CHANNEL_DM:
		return perm_private_channel_json(
		    ch, id, priv,
		    group_has_recipient(ch, uid) ? dm_user_perms(txn, ch, me, uid) : 0);
	case CHANNEL_TEXT:
	case CHANNEL_VOICE:
		return priv ? PERM_GRANT_ALL_SAFE : server_side_perms(txn, ch, id, now);
	default:
		return 0;
	}
}

/* Delete every invite pointing at channel `id` (index "<channel>/<code>"). */
static enum err drop_invites(struct store_wtxn *w, struct str id)
{
	struct store_hit hits[PURGE_CHUNK];
	char prefix[40], codes[PURGE_CHUNK][STORE_ID_MAX];
	size_t lens[PURGE_CHUNK], n;
	struct store_range r = {STR_NULL, STR_NULL, STR_NULL, STORE_ASC};
	enum err rc;
	int pn;

	if (id.n == 0 || id.n > 31)
		return SE_INVAL;
	pn = snprintf(prefix, sizeof(prefix), "%.*s/", (int)id.n, id.p);
	r.prefix = (struct str){prefix, (size_t)pn};
	for (int round = 0; round < PURGE_ROUNDS; round++) {
		rc = store_index_scan(store_wtxn_read(w), INVITE_COLL, INVITE_IDX_CHANNEL, &r, hits,
		                      PURGE_CHUNK, &n);
		if (rc || n == 0)
			return rc;
		/* scan results are borrowed until the next change: copy first */
		for (size_t i = 0; i < n; i++) {
			lens[i] = hits[i].id.n < STORE_ID_MAX ? hits[i].id.n : STORE_ID_MAX - 1;
			memcpy(codes[i], hits[i].id.p, lens[i]);
		}
		for (size_t i = 0; i < n; i++) {
			rc = store_delete(w, INVITE_COLL, (struct str){codes[i], lens[i]});
			if (rc && rc != SE_NOT_FOUND)
				return rc;
		}
	}
	return SE_FULL;
}

enum err group_channel_purge(struct store_wtxn *w, struct str id)
{
	enum err rc = store_delete(w, CHANNEL_COLL, id);

	if (!rc)
		rc = drop_invites(w, id);
	if (!rc)
		rc = sync_unreads_drop_channel(w, id);
	return rc;
}

void group_sysmsg_emit(struct app *app, struct str channel_id, json_t *system)
{
	struct err_info ei = ERR_INFO_INIT;

	if (msg_system(app, channel_id, system, &ei))
		log_warn("group: cannot post a system message in '%.*s' (%s)",
		         (int)(channel_id.n > 32 ? 32 : channel_id.n), channel_id.p, ei.detail);
}
