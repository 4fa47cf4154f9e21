/*
 * events/visibility.c: re-evaluating which server channels a socket may see
 * when permissions change (REVOLT.md section 9; the ChannelUpdate and
 * recalculate_server rules of crates/bonfire/src/events/impl.rs). Called by
 * the filter on the service thread, only for the events that can change
 * ViewChannel, and only for the one server concerned; each call is one short
 * read transaction.
 */
#include <string.h>

#include "app.h"
#include "channels/channel.h"
#include "core/log.h"
#include "events/ev_int.h"
#include "perms/perms.h"
#include "servers/server.h"

static const char *sval(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool has_string(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

/* {"type":"ChannelCreate", ...channel} (new reference) or NULL. */
static json_t *channel_create(const json_t *ch)
{
	json_t *e = json_pack("{s:s}", "type", "ChannelCreate");

	if (e && json_object_update(e, (json_t *)ch)) {
		json_decref(e);
		return NULL;
	}
	return e;
}

/* Send `v` instead of the event being filtered, in its place. */
static enum gw_verdict replace(struct gw_conn *gc, json_t *v)
{
	if (!v)
		return GW_PASS;
	ev_replace_json(gc, v);
	json_decref(v);
	return GW_DROP;
}

bool ev_vis_is_perm_update(const json_t *e)
{
	const json_t *data = json_object_get(e, "data");

	return json_object_get(data, "default_permissions") ||
	       json_object_get(data, "role_permissions") ||
	       has_string(json_object_get(e, "clear"), "DefaultPermissions");
}

enum gw_verdict ev_vis_channel(struct ev *ev, struct gw_conn *gc, struct ev_conn *c,
                               const json_t *e)
{
	const char *id = sval(e, "id"), *sid;
	struct store_txn *txn = NULL;
	json_t *ch = NULL, *server = NULL, *member = NULL;
	enum gw_verdict verdict = GW_PASS;
	bool was, now = false, known = false;
	char server_id[EV_ID_MAX];

	if (!id || strlen(id) >= EV_ID_MAX || store_read_begin(ev->app->store, &txn))
		return GW_PASS;
	if (channel_load(txn, str_from(id), &ch))
		goto out;
	if (channel_type_of(ch) != CHANNEL_TEXT && channel_type_of(ch) != CHANNEL_VOICE)
		goto out;
	sid = sval(ch, "server");
	if (!sid || strlen(sid) >= EV_ID_MAX || server_load(txn, str_from(sid), &server))
		goto out;
	memcpy(server_id, sid, strlen(sid) + 1);
	known = true;
	/* not a member (any more): nothing of this server is visible */
	if (server_member_load(txn, str_from(sid), str_from(c->who.user_id), &member) == SE_OK)
		now = (perm_channel_json(server, member, ch, c->who.user_id, ev_now_ms()) &
		       PERM_VIEW_CHANNEL) != 0;
out:
	store_read_end(txn);
	if (known) {
		was = ev_sub_find(c, id) != NULL;
		if (was && !now) {
			ev_sub_remove(gc, c, id);
			verdict =
			    replace(gc, json_pack("{s:s,s:s}", "type", "ChannelDelete", "id", id));
		} else if (!was && now) {
			if (ev_sub_add(gc, c, EV_SUB_CHANNEL, id, server_id))
				log_debug("events: cannot subscribe to a channel now visible");
			verdict = replace(gc, channel_create(ch));
		} else if (!was && !now) {
			/* an override of a channel this socket does not see */
			verdict = GW_DROP;
		}
	}
	json_decref(ch);
	json_decref(server);
	json_decref(member);
	return verdict;
}

/*
 * Walk the server's channels in one read transaction: `adds` gets the
 * channels now visible and not subscribed, `dels` the ids subscribed and no
 * longer visible. False when nothing is to be done.
 */
static bool collect(struct ev *ev, struct ev_conn *c, const char *sid, const char *role_id,
                    json_t *adds, json_t *dels)
{
	struct store_txn *txn = NULL;
	json_t *server = NULL, *member = NULL, *cid;
	int64_t now = ev_now_ms();
	bool ok = false;
	size_t i;

	if (store_read_begin(ev->app->store, &txn))
		return false;
	if (server_load(txn, str_from(sid), &server) ||
	    server_member_load(txn, str_from(sid), str_from(c->who.user_id), &member))
		goto out;
	/* a role this member does not hold changes nothing for them */
	if (role_id && !has_string(json_object_get(member, "roles"), role_id))
		goto out;
	ok = true;
	json_array_foreach(json_object_get(server, "channels"), i, cid)
	{
		const char *id = json_string_value(cid);
		json_t *ch = NULL;
		bool vis, sub;

		if (!id || strlen(id) >= EV_ID_MAX || channel_load(txn, str_from(id), &ch))
			continue;
		vis = (perm_channel_json(server, member, ch, c->who.user_id, now) &
		       PERM_VIEW_CHANNEL) != 0;
		sub = ev_sub_find(c, id) != NULL;
		if (vis && !sub)
			json_array_append(adds, ch);
		else if (!vis && sub)
			json_array_append_new(dels, json_string(id));
		json_decref(ch);
	}
out:
	store_read_end(txn);
	json_decref(server);
	json_decref(member);
	return ok;
}

enum gw_verdict ev_vis_server(struct ev *ev, struct gw_conn *gc, struct ev_conn *c, const char *sid,
                              const char *role_id, const json_t *e)
{
	json_t *adds, *dels, *v, *x;
	enum gw_verdict verdict = GW_PASS;
	size_t i;

	/* only a server this socket is in (it got the event through the server topic) */
	if (!sid || strlen(sid) >= EV_ID_MAX || !ev_sub_find(c, sid))
		return GW_PASS;
	adds = json_array();
	dels = json_array();
	v = json_array();
	if (!adds || !dels || !v || !collect(ev, c, sid, role_id, adds, dels))
		goto out;
	json_array_foreach(adds, i, x)
	{
		if (ev_sub_add(gc, c, EV_SUB_CHANNEL, sval(x, "_id"), sid) == SE_OK)
			json_array_append_new(v, channel_create(x));
	}
	json_array_foreach(dels, i, x)
	{
		ev_sub_remove(gc, c, json_string_value(x));
		json_array_append_new(v, json_pack("{s:s,s:O}", "type", "ChannelDelete", "id", x));
	}
	if (json_array_size(v) == 0)
		goto out;
	json_array_append(v, (json_t *)e);
	verdict = replace(gc, json_pack("{s:s,s:O}", "type", "Bulk", "v", v));
out:
	json_decref(adds);
	json_decref(dels);
	json_decref(v);
	return verdict;
}
