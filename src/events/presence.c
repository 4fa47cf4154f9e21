/*
 * events/presence.c: who is online. A user is online while at least one of
 * their sockets has received Ready; the first such socket announces
 * UserUpdate{online:true}, the last one to close {online:false}, on the
 * user's topic and every server topic of theirs, as Revolt's bonfire does
 * (crates/bonfire/src/events/impl.rs broadcast_presence_change). An
 * Invisible user announces nothing. The table counts this process's
 * sockets; with a Redis bus a node's first and last socket of a user also
 * go to the shared view (presence_redis.c), which decides first/last
 * cluster-wide and answers ev_user_online.
 */
#include <string.h>

#include "app.h"
#include "bus/bus.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/mem.h"
#include "users/access.h"
#include "storage/store.h"
#include "events/events.h"
#include "events/ev_int.h"

struct ev_presence {
	struct ev_presence *next;
	char user[EV_ID_MAX];
	unsigned sockets;
};

static size_t bucket_of(const char *user, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)user[i]) * 16777619u;
	return h & (EV_PRESENCE_BUCKETS - 1);
}

static struct ev_presence **find(struct ev *ev, const char *user, size_t n)
{
	struct ev_presence **pp = &ev->buckets[bucket_of(user, n)];

	while (*pp && !(strlen((*pp)->user) == n && memcmp((*pp)->user, user, n) == 0))
		pp = &(*pp)->next;
	return pp;
}

bool ev_presence_inc(struct ev *ev, const char *user)
{
	size_t n = strlen(user);
	struct ev_presence **pp, *p;
	bool first;

	if (n == 0 || n >= EV_ID_MAX)
		return false;
	pthread_mutex_lock(&ev->mu);
	pp = find(ev, user, n);
	if (!*pp) {
		p = xcalloc(1, sizeof(*p));
		memcpy(p->user, user, n + 1);
		*pp = p;
	}
	first = (*pp)->sockets++ == 0;
	pthread_mutex_unlock(&ev->mu);
	/* on Redis failure the local answer stands (logged by presence_redis.c) */
	if (first && ev->ps && ev_pshared_add(ev->ps, user, &first))
		first = true;
	return first;
}

bool ev_presence_dec(struct ev *ev, const char *user)
{
	size_t n = strlen(user);
	struct ev_presence **pp, *p;
	bool last = false;

	pthread_mutex_lock(&ev->mu);
	pp = find(ev, user, n);
	p = *pp;
	if (p && --p->sockets == 0) {
		*pp = p->next;
		mem_free(p);
		last = true;
	}
	pthread_mutex_unlock(&ev->mu);
	if (last && ev->ps && ev_pshared_remove(ev->ps, user, &last))
		last = true;
	return last;
}

bool ev_user_online(struct app *app, struct str user_id)
{
	struct ev *ev = app ? app->ev : NULL;
	bool on;

	if (!ev || user_id.n == 0 || user_id.n >= EV_ID_MAX)
		return false;
	if (ev->ps && ev_pshared_online(ev->ps, user_id, &on) == SE_OK)
		return on;
	pthread_mutex_lock(&ev->mu);
	on = *find(ev, user_id.p, user_id.n) != NULL;
	pthread_mutex_unlock(&ev->mu);
	return on;
}

void ev_users_online(struct ev *ev, const char *const *users, size_t n, bool *on)
{
	size_t done = 0;

	if (ev->ps)
		while (done < n) {
			size_t k = n - done < EV_PRES_BATCH ? n - done : EV_PRES_BATCH;

			if (ev_pshared_online_many(ev->ps, users + done, k, on + done))
				break;
			done += k;
		}
	/* the rest (all without Redis, or after a Redis failure) from this node's table */
	pthread_mutex_lock(&ev->mu);
	for (size_t i = done; i < n; i++) {
		size_t len = strlen(users[i]);

		on[i] = len && len < EV_ID_MAX && *find(ev, users[i], len) != NULL;
	}
	pthread_mutex_unlock(&ev->mu);
}

void ev_presence_publish(struct ev *ev, const struct ev_conn *c, bool online)
{
	struct str *topics;
	size_t n = 0;
	json_t *e;
	char *text;

	if (c->invisible)
		return;
	topics = mem_try_alloc((c->n_subs + 1) * sizeof(*topics));
	if (!topics) {
		log_warn("events: cannot publish presence of '%s'", c->who.user_id);
		return;
	}
	topics[n++] = str_from(c->who.user_id);
	for (size_t i = 0; i < c->n_subs; i++)
		if (c->subs[i].kind == EV_SUB_SERVER)
			topics[n++] = str_from(c->subs[i].topic);
	/* one publish to every topic: a socket on several receives it once,
	 * so Revolt's event_id de-duplication is done and the id is null */
	e = json_pack("{s:s,s:s,s:{s:b},s:[],s:n}", "type", "UserUpdate", "id", c->who.user_id,
	              "data", "online", online, "clear", "event_id");
	text = e ? jx_dump(e) : NULL;
	if (!text || bus_publish_multi(ev->app->bus, topics, n, str_from(text)))
		log_warn("events: cannot publish presence of '%s'", c->who.user_id);
	mem_free(text);
	mem_free(topics);
	json_decref(e);
}

void ev_presence_publish_user(struct ev *ev, const char *user, bool online)
{
	struct str topics[1 + EV_READY_SERVERS_MAX];
	struct store_txn *txn = NULL;
	json_t *ids = json_array(), *id, *e = NULL;
	char *text = NULL;
	size_t n = 0, i;

	topics[n++] = str_from(user);
	if (ids && store_read_begin(ev->app->store, &txn) == SE_OK) {
		if (user_server_ids(txn, str_from(user), EV_READY_SERVERS_MAX, ids))
			log_warn("events: presence of '%s': cannot list its servers", user);
		store_read_end(txn);
	}
	json_array_foreach(ids, i, id)
	{
		if (json_is_string(id) && n < 1 + EV_READY_SERVERS_MAX)
			topics[n++] = str_from(json_string_value(id));
	}
	e = json_pack("{s:s,s:s,s:{s:b},s:[],s:n}", "type", "UserUpdate", "id", user, "data",
	              "online", online, "clear", "event_id");
	text = e ? jx_dump(e) : NULL;
	if (!text || bus_publish_multi(ev->app->bus, topics, n, str_from(text)))
		log_warn("events: cannot publish presence of '%s'", user);
	mem_free(text);
	json_decref(e);
	json_decref(ids);
}

size_t ev_presence_local_users(struct ev *ev, char (**out)[EV_ID_MAX])
{
	size_t n = 0, k = 0;

	pthread_mutex_lock(&ev->mu);
	for (size_t i = 0; i < EV_PRESENCE_BUCKETS; i++)
		for (struct ev_presence *p = ev->buckets[i]; p; p = p->next)
			n++;
	*out = xcalloc(n ? n : 1, sizeof(**out));
	for (size_t i = 0; i < EV_PRESENCE_BUCKETS; i++)
		for (struct ev_presence *p = ev->buckets[i]; p && k < n; p = p->next)
			memcpy((*out)[k++], p->user, EV_ID_MAX);
	pthread_mutex_unlock(&ev->mu);
	return k;
}

void ev_presence_release(struct ev *ev)
{
	for (size_t i = 0; i < EV_PRESENCE_BUCKETS; i++)
		while (ev->buckets[i]) {
			struct ev_presence *p = ev->buckets[i];

			ev->buckets[i] = p->next;
			mem_free(p);
		}
}
