/*
 * events/ready.c: the Ready event and the topics it implies (REVOLT.md
 * section 9; revoltchat/backend crates/bonfire/src/events/impl.rs
 * generate_ready_payload).
 *
 * Ready is read from the store in one short read transaction on the
 * gateway's service thread: a user with a handful of servers takes well
 * under a millisecond (docs/internals/events.md has the measurements), and
 * a read never waits for a writer (LMDB). It is queued first, and only then
 * are the topics subscribed, so no event can overtake it (as in Revolt,
 * events published while Ready is built are not replayed).
 */
#include <string.h>
#include <time.h>

#include "channels/channel.h"
#include "channels/sync.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/mem.h"
#include "events/ev_int.h"
#include "perms/perms.h"
#include "servers/emoji.h"
#include "servers/members.h"
#include "servers/server.h"
#include "users/access.h"
#include "users/pchange.h"
#include "users/user.h"
#include "app.h"
#include "events/events.h"

/* private channels one Ready lists at most (servers: EV_READY_SERVERS_MAX) */
#define EV_READY_PRIVATE_MAX 10000

int64_t ev_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void ev_ready_fields_parse(struct gw_conn *gc, struct ev_ready_fields *f)
{
	struct str k, v;
	bool any = false;

	*f = (struct ev_ready_fields){true, true, true, true, true, false, true, NULL};
	for (size_t i = 0; gw_conn_query_at(gc, i, &k, &v); i++) {
		if (!str_eq_cstr(k, "ready"))
			continue;
		if (!any) {
			/* naming any field turns every other one off */
			any = true;
			*f = (struct ev_ready_fields){0};
		}
		if (str_eq_cstr(v, "users"))
			f->users = true;
		else if (str_eq_cstr(v, "servers"))
			f->servers = true;
		else if (str_eq_cstr(v, "channels"))
			f->channels = true;
		else if (str_eq_cstr(v, "members"))
			f->members = true;
		else if (str_eq_cstr(v, "emojis"))
			f->emojis = true;
		else if (str_eq_cstr(v, "channel_unreads"))
			f->channel_unreads = true;
		else if (str_eq_cstr(v, "policy_changes"))
			f->policy_changes = true;
		else if (str_has_prefix(v, STR_LIT("user_settings[")) && v.n > 15 &&
		         v.p[v.n - 1] == ']' && v.n - 15 <= SYNC_SETTING_KEY_MAX) {
			if (!f->user_settings)
				f->user_settings = json_array();
			if (f->user_settings &&
			    json_array_size(f->user_settings) < SYNC_SETTINGS_KEYS_MAX)
				json_array_append_new(f->user_settings,
				                      json_stringn(v.p + 14, v.n - 15));
		}
	}
}

void ev_ready_fields_release(struct ev_ready_fields *f)
{
	json_decref(f->user_settings);
	f->user_settings = NULL;
}

/* What Ready collects: the event's arrays and the topics to subscribe. */
struct ready {
	struct store_txn *txn;
	const char *uid;
	json_t *me;
	int64_t now;
	json_t *users, *servers, *channels, *members;
	json_t *known;         /* {user id: true}: relations and recipients */
	json_t *chan_topics;   /* [[channel, server or ""]] */
	json_t *server_topics; /* [server] */
	json_t *emojis;        /* every emoji of the joined servers */
};

/* At most this many emojis per server go into Ready (the per-server cap). */
#define READY_EMOJIS_PER_SERVER EMOJI_SERVER_MAX

/* Every emoji of the joined servers, off the emojis "server" index. */
static enum err collect_emojis(struct ready *r)
{
	struct store_hit hits[READY_EMOJIS_PER_SERVER];
	const json_t *v;
	size_t i;

	json_array_foreach(r->server_topics, i, v)
	{
		char prefix[EV_ID_MAX + 2];
		struct store_range range;
		size_t n = 0;
		enum err rc;

		snprintf(prefix, sizeof(prefix), "%s/", json_string_value(v));
		memset(&range, 0, sizeof(range));
		range.prefix = str_from(prefix);
		range.dir = STORE_ASC;
		rc = store_index_scan(r->txn, EMOJI_COLL, EMOJI_IDX_SERVER, &range, hits,
		                      READY_EMOJIS_PER_SERVER, &n);
		if (rc)
			return rc;
		for (size_t k = 0; k < n; k++) {
			json_t *e = NULL;

			if (emoji_load(r->txn, hits[k].id, &e) == SE_OK &&
			    json_array_append_new(r->emojis, e))
				return SE_NOMEM;
		}
	}
	return SE_OK;
}

static enum err add_server(struct ready *r, const char *sid)
{
	json_t *server = NULL, *member = NULL, *ids;
	size_t i;
	json_t *cid;
	enum err rc;

	rc = server_load(r->txn, str_from(sid), &server);
	if (rc == SE_OK)
		rc = server_member_load(r->txn, str_from(sid), str_from(r->uid), &member);
	if (rc) {
		/* an index entry racing a deletion: leave the server out */
		json_decref(server);
		return rc == SE_NOT_FOUND ? SE_OK : rc;
	}
	json_array_append(r->servers, server);
	json_array_append(r->members, member);
	json_array_append_new(r->server_topics, json_string(sid));
	ids = json_object_get(server, "channels");
	json_array_foreach(ids, i, cid)
	{
		json_t *ch = NULL;

		if (!json_is_string(cid) ||
		    channel_load(r->txn, str_from(json_string_value(cid)), &ch) != SE_OK)
			continue;
		if (perm_channel_json(server, member, ch, r->uid, r->now) & PERM_VIEW_CHANNEL) {
			json_array_append(r->channels, ch);
			json_array_append_new(r->chan_topics,
			                      json_pack("[s,s]", json_string_value(cid), sid));
		}
		json_decref(ch);
	}
	json_decref(server);
	json_decref(member);
	return SE_OK;
}

static void add_private(struct ready *r, const char *cid)
{
	json_t *ch = NULL, *rcp;
	size_t i;

	if (channel_load(r->txn, str_from(cid), &ch) != SE_OK)
		return;
	json_array_foreach(json_object_get(ch, "recipients"), i, rcp)
	{
		if (json_is_string(rcp))
			json_object_set(r->known, json_string_value(rcp), json_true());
	}
	json_array_append(r->channels, ch);
	json_array_append_new(r->chan_topics, json_pack("[s,s]", cid, ""));
	json_decref(ch);
}

static void add_users(struct ready *r, struct ev *ev)
{
	const char *id, **ids;
	json_t *v, *rel;
	size_t i, n, k = 0;
	bool *on;

	json_array_foreach(json_object_get(r->me, "relations"), i, rel)
	{
		const char *o = json_string_value(json_object_get(rel, "_id"));

		if (o)
			json_object_set(r->known, o, json_true());
	}
	json_object_del(r->known, r->uid);
	/* who is online, in one question (one Redis round trip with a Redis bus) */
	n = json_object_size(r->known);
	ids = xcalloc(n ? n : 1, sizeof(*ids));
	on = xcalloc(n ? n : 1, sizeof(*on));
	json_object_foreach(r->known, id, v) ids[k++] = id;
	ev_users_online(ev, ids, k, on);
	k = 0;
	json_object_foreach(r->known, id, v)
	{
		json_t *target = NULL, *view;
		uint32_t perms = 0;
		bool online = on[k++];

		if (user_load(r->txn, str_from(id), &target) != SE_OK)
			continue;
		if (user_perms(r->txn, r->me, target, &perms) != SE_OK)
			perms = 0;
		view = user_view_for(target, r->me, (perms & PERM_USER_VIEW_PROFILE) != 0, online);
		if (view)
			json_array_append_new(r->users, view);
		json_decref(target);
	}
	mem_free(ids);
	mem_free(on);
	/* the own user comes last, online (revolt.js shows it as such) */
	v = user_view_self(r->me, true);
	if (v)
		json_array_append_new(r->users, v);
}

static enum err collect(struct ev *ev, struct ready *r, const struct ev_ready_fields *f,
                        json_t *out)
{
	json_t *ids = json_array(), *id, *v = NULL;
	size_t i;
	enum err rc;

	if (!ids)
		return SE_NOMEM;
	rc = user_server_ids(r->txn, str_from(r->uid), EV_READY_SERVERS_MAX, ids);
	json_array_foreach(ids, i, id)
	{
		if (rc)
			break;
		rc = add_server(r, json_string_value(id));
	}
	json_array_clear(ids);
	if (!rc)
		rc = user_private_channel_ids(r->txn, str_from(r->uid), EV_READY_PRIVATE_MAX, ids);
	json_array_foreach(ids, i, id)
	{
		if (rc)
			break;
		add_private(r, json_string_value(id));
	}
	json_decref(ids);
	if (rc)
		return rc;
	add_users(r, ev);
	if (f->user_settings) {
		rc = sync_settings_fetch(r->txn, str_from(r->uid), f->user_settings, &v);
		if (rc)
			return rc;
		json_object_set_new(out, "user_settings", v);
	}
	if (f->channel_unreads) {
		rc = sync_unreads_list(r->txn, str_from(r->uid), &v);
		if (rc)
			return rc;
		json_object_set_new(out, "channel_unreads", v);
	}
	return SE_OK;
}

static void subscribe_all(struct gw_conn *gc, struct ev_conn *c, const struct ready *r, bool bot)
{
	char topic[EV_ID_MAX + 2];
	const json_t *v;
	size_t i;
	bool failed = false;

	snprintf(topic, sizeof(topic), "%s!", r->uid);
	failed |= ev_sub_add(gc, c, EV_SUB_FIXED, topic, NULL) != SE_OK;
	failed |= ev_sub_add(gc, c, EV_SUB_USER, r->uid, NULL) != SE_OK;
	json_array_foreach(r->users, i, v)
	{
		const char *id = json_string_value(json_object_get(v, "_id"));

		if (id && strcmp(id, r->uid) != 0)
			failed |= ev_sub_add(gc, c, EV_SUB_USER, id, NULL) != SE_OK;
	}
	json_array_foreach(r->server_topics, i, v)
	{
		const char *sid = json_string_value(v);

		failed |= ev_sub_add(gc, c, EV_SUB_SERVER, sid, NULL) != SE_OK;
		if (bot) {
			snprintf(topic, sizeof(topic), "%su", sid);
			failed |= ev_sub_add(gc, c, EV_SUB_ACTIVE, topic, sid) != SE_OK;
		}
	}
	json_array_foreach(r->chan_topics, i, v)
	{
		const char *sid = json_string_value(json_array_get(v, 1));

		failed |= ev_sub_add(gc, c, EV_SUB_CHANNEL, json_string_value(json_array_get(v, 0)),
		                     sid && *sid ? sid : NULL) != SE_OK;
	}
	if (failed)
		log_warn("events: %s: some topics could not be subscribed", r->uid);
}

enum err ev_ready_build(struct ev *ev, struct gw_conn *gc, struct ev_conn *c,
                        const struct ev_ready_fields *f, char **out, struct err_info *ei)
{
	struct ready r = {0};
	json_t *ready = json_object(), *policy = NULL;
	const char *pres;
	bool bot;
	char *text = NULL;
	int64_t t0 = mono_us();
	enum err rc;

	r.uid = c->who.user_id;
	r.now = ev_now_ms();
	r.users = json_array();
	r.servers = json_array();
	r.channels = json_array();
	r.members = json_array();
	r.known = json_object();
	r.chan_topics = json_array();
	r.server_topics = json_array();
	r.emojis = json_array();
	if (!ready || !r.users || !r.servers || !r.channels || !r.members || !r.known ||
	    !r.chan_topics || !r.server_topics || !r.emojis) {
		rc = SE_RAISE(ei, SE_NOMEM);
		goto out;
	}
	rc = store_read_begin(ev->app->store, &r.txn);
	if (rc) {
		rc = SE_RAISE(ei, rc);
		goto out;
	}
	rc = user_load(r.txn, str_from(r.uid), &r.me);
	if (rc == SE_NOT_FOUND)
		rc = SE_InvalidSession;
	if (!rc)
		rc = collect(ev, &r, f, ready);
	if (!rc && f->emojis)
		rc = collect_emojis(&r);
	/* unacknowledged platform policy changes; absent for bots (Revolt) */
	if (!rc && f->policy_changes && !user_is_bot(r.me)) {
		policy = json_array();
		rc = policy ? pchange_pending(r.txn, str_from(r.uid), policy) : SE_NOMEM;
	}
	store_read_end(r.txn);
	if (rc) {
		rc = SE_RAISE(ei, rc);
		goto out;
	}
	bot = user_is_bot(r.me);
	ev_rels_load(c, r.me);
	pres = json_string_value(json_object_get(json_object_get(r.me, "status"), "presence"));
	c->invisible = pres && strcmp(pres, "Invisible") == 0;
	json_object_set_new(ready, "type", json_string("Ready"));
	if (f->users)
		json_object_set(ready, "users", r.users);
	if (f->servers)
		json_object_set(ready, "servers", r.servers);
	if (f->channels)
		json_object_set(ready, "channels", r.channels);
	if (f->members)
		json_object_set(ready, "members", r.members);
	if (f->emojis)
		json_object_set(ready, "emojis", r.emojis);
	if (policy && !bot)
		json_object_set(ready, "policy_changes", policy);
	text = jx_dump(ready);
	if (!text) {
		rc = SE_RAISE(ei, SE_NOMEM);
		goto out;
	}
	rc = gw_conn_send(gc, str_from(text));
	if (rc) {
		rc = SE_RAISEF(ei, rc, "Ready of %zu bytes cannot be queued", strlen(text));
		goto out;
	}
	subscribe_all(gc, c, &r, bot);
	log_info("events: %s ready: %zu servers, %zu channels, %zu users, %zu bytes in %lld us",
	         r.uid, json_array_size(r.servers), json_array_size(r.channels),
	         json_array_size(r.users), strlen(text), (long long)(mono_us() - t0));
	*out = text;
	text = NULL;
out:
	mem_free(text);
	json_decref(ready);
	json_decref(r.me);
	json_decref(r.users);
	json_decref(r.servers);
	json_decref(r.channels);
	json_decref(r.members);
	json_decref(r.known);
	json_decref(r.chan_topics);
	json_decref(r.server_topics);
	json_decref(r.emojis);
	json_decref(policy);
	return rc;
}

bool ev_can_view_channel(struct ev *ev, const struct ev_conn *c, struct str channel_id,
                         char server_out[EV_ID_MAX])
{
	struct store_txn *txn = NULL;
	json_t *ch = NULL, *server = NULL, *member = NULL, *v;
	const char *sid;
	bool ok = false;
	size_t i;

	server_out[0] = '\0';
	if (store_read_begin(ev->app->store, &txn))
		return false;
	if (channel_load(txn, channel_id, &ch))
		goto out;
	switch (channel_type_of(ch)) {
	case CHANNEL_TEXT:
	case CHANNEL_VOICE:
		sid = json_string_value(json_object_get(ch, "server"));
		if (!sid || strlen(sid) >= EV_ID_MAX || server_load(txn, str_from(sid), &server))
			goto out;
		if (server_member_load(txn, str_from(sid), str_from(c->who.user_id), &member))
			goto out;
		ok = (perm_channel_json(server, member, ch, c->who.user_id, ev_now_ms()) &
		      PERM_VIEW_CHANNEL) != 0;
		memcpy(server_out, sid, strlen(sid) + 1);
		break;
	case CHANNEL_SAVED:
		v = json_object_get(ch, "user");
		ok = json_is_string(v) && strcmp(json_string_value(v), c->who.user_id) == 0;
		break;
	default:
		json_array_foreach(json_object_get(ch, "recipients"), i, v)
		{
			if (json_is_string(v) && strcmp(json_string_value(v), c->who.user_id) == 0)
				ok = true;
		}
		break;
	}
out:
	store_read_end(txn);
	json_decref(ch);
	json_decref(server);
	json_decref(member);
	return ok;
}

void ev_sub_server_load(struct ev *ev, struct gw_conn *gc, struct ev_conn *c, const char *id)
{
	struct ready r = {0};
	const json_t *v;
	char topic[EV_ID_MAX + 2];
	size_t i;

	if (strlen(id) >= EV_ID_MAX)
		return;
	r.uid = c->who.user_id;
	r.now = ev_now_ms();
	r.servers = json_array();
	r.members = json_array();
	r.channels = json_array();
	r.chan_topics = json_array();
	r.server_topics = json_array();
	if (r.servers && r.members && r.channels && r.chan_topics && r.server_topics &&
	    store_read_begin(ev->app->store, &r.txn) == SE_OK) {
		if (add_server(&r, id))
			log_warn("events: cannot load server %s for a subscription", id);
		store_read_end(r.txn);
	}
	if (json_array_size(r.server_topics)) {
		(void)ev_sub_add(gc, c, EV_SUB_SERVER, id, NULL);
		if (c->who.kind == AUTHN_BOT) {
			snprintf(topic, sizeof(topic), "%su", id);
			(void)ev_sub_add(gc, c, EV_SUB_ACTIVE, topic, id);
		}
	}
	json_array_foreach(r.chan_topics, i, v)
	{
		(void)ev_sub_add(gc, c, EV_SUB_CHANNEL, json_string_value(json_array_get(v, 0)),
		                 id);
	}
	json_decref(r.servers);
	json_decref(r.members);
	json_decref(r.channels);
	json_decref(r.chan_topics);
	json_decref(r.server_topics);
	json_decref(r.emojis);
}
