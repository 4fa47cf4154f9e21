/*
 * events/presence.c: who is online. A user is online while at least one of
 * their sockets has received Ready; the first such socket announces
 * UserUpdate{online:true}, the last one to close {online:false}, on the
 * user's topic and every server topic of theirs, as Revolt's bonfire does
 * (crates/bonfire/src/events/impl.rs broadcast_presence_change). An
 * Invisible user announces nothing. The table is in memory: one process.
 */
#include <string.h>

#include "app.h"
#include "bus/bus.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/mem.h"
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
	return last;
}

bool ev_user_online(struct app *app, struct str user_id)
{
	struct ev *ev = app ? app->ev : NULL;
	bool on;

	if (!ev || user_id.n == 0 || user_id.n >= EV_ID_MAX)
		return false;
	pthread_mutex_lock(&ev->mu);
	on = *find(ev, user_id.p, user_id.n) != NULL;
	pthread_mutex_unlock(&ev->mu);
	return on;
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

void ev_presence_release(struct ev *ev)
{
	for (size_t i = 0; i < EV_PRESENCE_BUCKETS; i++)
		while (ev->buckets[i]) {
			struct ev_presence *p = ev->buckets[i];

			ev->buckets[i] = p->next;
			mem_free(p);
		}
}
