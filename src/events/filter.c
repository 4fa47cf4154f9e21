/*
 * events/filter.c: per-socket handling of events on their way out (the
 * effect of Revolt's State::handle_incoming_event_v1 and the Logout rule in
 * crates/bonfire/src/websocket.rs). Runs on the service thread just before
 * a queued message is written (gw_filter_fn), so the topic set follows what
 * the socket has been told: a server it joined, a channel it can now see,
 * a group it left. Most events pass untouched after a look at their type.
 */
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "events/ev_int.h"

/* The types that change a socket's state; everything else passes as is. */
static const char *const watched[] = {
    "Auth",
    "ChannelCreate",
    "ChannelDelete",
    "ChannelGroupJoin",
    "ChannelGroupLeave",
    "ChannelUpdate",
    "Message",
    "ServerCreate",
    "ServerDelete",
    "ServerMemberJoin",
    "ServerMemberLeave",
    "ServerMemberUpdate",
    "ServerRoleDelete",
    "ServerRoleUpdate",
    "ServerUpdate",
    "UserRelationship",
};

#define TYPE_PREFIX "{\"type\":\""
static const char logout[] = "{\"type\":\"Logout\"}";

static bool is_watched(struct str t)
{
	for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
		if (str_eq_cstr(t, watched[i]))
			return true;
	return false;
}

/* Worth parsing? Our producers put "type" first; others are searched. */
static bool worth_parsing(struct str text)
{
	char pat[64];

	if (text.n > sizeof(TYPE_PREFIX) &&
	    memcmp(text.p, TYPE_PREFIX, sizeof(TYPE_PREFIX) - 1) == 0) {
		struct str rest = {text.p + sizeof(TYPE_PREFIX) - 1,
		                   text.n - sizeof(TYPE_PREFIX) + 1};
		long q = str_index(rest, '"');

		return q > 0 && is_watched((struct str){rest.p, (size_t)q});
	}
	for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++) {
		int n = snprintf(pat, sizeof(pat), "\"type\":\"%s\"", watched[i]);

		if (memmem(text.p, text.n, pat, (size_t)n))
			return true;
	}
	return false;
}

static const char *sval(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool is_me(const struct ev_conn *c, const char *id)
{
	return id && strcmp(id, c->who.user_id) == 0;
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

/* Auth{DeleteSession|DeleteAllSessions}: true when this socket must log out. */
static bool ends_session(const struct ev_conn *c, const json_t *e)
{
	const char *kind = sval(e, "event_type");
	const char *excl;

	if (c->who.kind != AUTHN_SESSION || !kind || !is_me(c, sval(e, "user_id")))
		return false;
	if (strcmp(kind, "DeleteSession") == 0)
		return sval(e, "session_id") &&
		       strcmp(sval(e, "session_id"), c->who.session_id) == 0;
	if (strcmp(kind, "DeleteAllSessions") == 0) {
		excl = sval(e, "exclude_session_id");
		return !excl || strcmp(excl, c->who.session_id) != 0;
	}
	return false;
}

static void channel_created(struct ev *ev, struct gw_conn *gc, struct ev_conn *c, const json_t *e)
{
	const char *id = sval(e, "_id");
	char server[EV_ID_MAX];

	if (!id || ev_sub_find(c, id))
		return;
	if (ev_can_view_channel(ev, c, str_from(id), server))
		(void)ev_sub_add(gc, c, EV_SUB_CHANNEL, id, server[0] ? server : NULL);
}

void ev_rels_load(struct ev_conn *c, const json_t *me)
{
	json_t *rels = NULL, *r; /* NULL while empty: most sockets have none */
	size_t i;

	json_array_foreach(json_object_get(me, "relations"), i, r)
	{
		const char *id = sval(r, "_id"), *st = sval(r, "status");

		if (!id || !st || strcmp(st, "None") == 0)
			continue;
		if (!rels)
			rels = json_object();
		if (rels)
			json_object_set_new(rels, id, json_string(st));
	}
	json_decref(c->rels);
	c->rels = rels;
}

static void user_relationship(struct gw_conn *gc, struct ev_conn *c, const json_t *e)
{
	const json_t *u = json_object_get(e, "user");
	const char *id = sval(u, "_id"), *rel = sval(u, "relationship");

	if (!id || !rel || is_me(c, id))
		return;
	/* the socket's own view of the other user, for Message events */
	if (is_me(c, sval(e, "id"))) {
		if (strcmp(rel, "None") == 0) {
			json_object_del(c->rels, id);
		} else {
			if (!c->rels)
				c->rels = json_object();
			if (c->rels)
				json_object_set_new(c->rels, id, json_string(rel));
		}
	}
	if (strcmp(rel, "Friend") == 0 || strcmp(rel, "Incoming") == 0 ||
	    strcmp(rel, "Outgoing") == 0)
		(void)ev_sub_add(gc, c, EV_SUB_USER, id, NULL);
}

/*
 * Message: the author snapshot's "relationship" as this socket's user sees
 * the author (REVOLT.md section 9), from the relations kept since Ready.
 * Only when it differs from the published value is the event re-serialised
 * and written in its place (gw_conn_replace, so its order is kept).
 */
static enum gw_verdict message_relationship(struct gw_conn *gc, struct ev_conn *c, json_t *e)
{
	json_t *user = json_object_get(e, "user");
	const char *author = sval(e, "author"), *have = sval(user, "relationship");
	const char *want;

	if (!author || !json_is_object(user) || !have)
		return GW_PASS;
	if (is_me(c, author))
		want = "User";
	else
		want = json_string_value(json_object_get(c->rels, author));
	if (!want)
		want = "None";
	if (strcmp(want, have) == 0)
		return GW_PASS;
	if (json_object_set_new(user, "relationship", json_string(want)))
		return GW_PASS;
	ev_replace_json(gc, e);
	return GW_DROP;
}

/*
 * The events that can change which channels of a server the socket sees
 * (REVOLT.md section 9): own roles, a role's rank or permissions, the
 * server's default permissions, a role deleted.
 */
static enum gw_verdict server_perms(struct ev *ev, struct gw_conn *gc, struct ev_conn *c,
                                    const char *type, const json_t *e)
{
	const json_t *data = json_object_get(e, "data");
	const json_t *id = json_object_get(e, "id");

	if (strcmp(type, "ServerMemberUpdate") == 0) {
		if (!is_me(c, sval(id, "user")))
			return GW_PASS;
		if (!json_object_get(data, "roles") &&
		    !has_string(json_object_get(e, "clear"), "Roles"))
			return GW_PASS;
		return ev_vis_server(ev, gc, c, sval(id, "server"), NULL, e);
	}
	if (strcmp(type, "ServerRoleUpdate") == 0) {
		if (!json_object_get(data, "rank") && !json_object_get(data, "permissions"))
			return GW_PASS;
		return ev_vis_server(ev, gc, c, sval(e, "id"), sval(e, "role_id"), e);
	}
	if (strcmp(type, "ServerRoleDelete") == 0)
		return ev_vis_server(ev, gc, c, sval(e, "id"), NULL, e);
	if (strcmp(type, "ServerUpdate") == 0 && json_object_get(data, "default_permissions"))
		return ev_vis_server(ev, gc, c, sval(e, "id"), NULL, e);
	return GW_PASS;
}

/*
 * A Message this socket would receive as published: its user has no
 * relations and did not write it (the common case, decided without parsing).
 */
static bool message_unchanged(const struct ev_conn *c, struct str text)
{
	char pat[EV_ID_MAX + 16];
	int n;

	if (text.n < sizeof(TYPE_PREFIX "Message\"") ||
	    memcmp(text.p, TYPE_PREFIX "Message\"", sizeof(TYPE_PREFIX "Message\"") - 1) != 0)
		return false;
	if (json_object_size(c->rels) > 0)
		return false;
	n = snprintf(pat, sizeof(pat), "\"author\":\"%s\"", c->who.user_id);
	return n > 0 && (size_t)n < sizeof(pat) && !memmem(text.p, text.n, pat, (size_t)n);
}

enum gw_verdict ev_filter(void *ctx, struct gw_conn *gc, struct str text)
{
	struct ev *ev = ctx;
	struct ev_conn *c = gw_conn_data(gc);
	enum gw_verdict verdict = GW_PASS;
	const char *type;
	json_t *e;

	if (!c)
		return GW_PASS;
	/* after a logout only the Logout itself goes out, then the close */
	if (c->logged_out)
		return str_eq_cstr(text, logout) ? GW_PASS : GW_DROP;
	/* the expiry sweep's tick: never sent */
	if (str_eq_cstr(text, EV_TICK_TEXT)) {
		ev_sub_expire(ev, gc, c, ev_now_ms());
		return GW_DROP;
	}
	if (!c->ready || !worth_parsing(text) || message_unchanged(c, text))
		return GW_PASS;
	e = json_loadb(text.p, text.n, 0, NULL);
	type = sval(e, "type");
	if (!type)
		goto out;
	if (strcmp(type, "Message") == 0) {
		verdict = message_relationship(gc, c, e);
	} else if (strcmp(type, "Auth") == 0) {
		if (ends_session(c, e)) {
			c->logged_out = true;
			/* in the Auth event's place: nothing queued after it goes out */
			if (gw_conn_replace(gc, STR_LIT(logout)))
				log_debug("events: cannot queue Logout");
			gw_conn_close(gc, GW_CLOSE_NORMAL);
			json_decref(e);
			return GW_DROP;
		}
	} else if (strcmp(type, "ChannelCreate") == 0) {
		channel_created(ev, gc, c, e);
	} else if (strcmp(type, "ChannelDelete") == 0) {
		if (sval(e, "id"))
			ev_sub_remove(gc, c, sval(e, "id"));
	} else if (strcmp(type, "ChannelGroupJoin") == 0) {
		if (is_me(c, sval(e, "user")) && sval(e, "id")) {
			json_t *ch = json_pack("{s:s}", "_id", sval(e, "id"));

			if (ch)
				channel_created(ev, gc, c, ch);
			json_decref(ch);
		} else if (sval(e, "user"))
			(void)ev_sub_add(gc, c, EV_SUB_USER, sval(e, "user"), NULL);
	} else if (strcmp(type, "ChannelGroupLeave") == 0) {
		if (is_me(c, sval(e, "user")) && sval(e, "id"))
			ev_sub_remove(gc, c, sval(e, "id"));
	} else if (strcmp(type, "ServerCreate") == 0 ||
	           (strcmp(type, "ServerMemberJoin") == 0 && is_me(c, sval(e, "user")))) {
		if (sval(e, "id") && !ev_sub_find(c, sval(e, "id")))
			ev_sub_server_load(ev, gc, c, sval(e, "id"));
	} else if (strcmp(type, "ServerDelete") == 0 ||
	           (strcmp(type, "ServerMemberLeave") == 0 && is_me(c, sval(e, "user")))) {
		if (sval(e, "id"))
			ev_sub_drop_server(gc, c, sval(e, "id"));
	} else if (strcmp(type, "UserRelationship") == 0) {
		user_relationship(gc, c, e);
	} else if (strcmp(type, "ChannelUpdate") == 0) {
		if (ev_vis_is_perm_update(e))
			verdict = ev_vis_channel(ev, gc, c, e);
	} else {
		verdict = server_perms(ev, gc, c, type, e);
	}
out:
	json_decref(e);
	return verdict;
}
