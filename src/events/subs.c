/*
 * events/subs.c: a socket's topics and why it has them (REVOLT.md section 9,
 * "Fan-out model"). The gateway keeps the topic set itself; this list adds
 * the kind and, for server channels, their server, so a ServerDelete or an
 * own ServerMemberLeave can drop a server's channels without the store.
 */
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "events/ev_int.h"

struct ev_sub *ev_sub_find(struct ev_conn *c, const char *topic)
{
	for (size_t i = 0; i < c->n_subs; i++)
		if (strcmp(c->subs[i].topic, topic) == 0)
			return &c->subs[i];
	return NULL;
}

enum err ev_sub_add(struct gw_conn *gc, struct ev_conn *c, enum ev_sub_kind kind, const char *topic,
                    const char *server)
{
	struct ev_sub *s;
	size_t n = strlen(topic);
	enum err rc;

	if (n == 0 || n >= sizeof(s->topic))
		return SE_INVAL;
	if (ev_sub_find(c, topic))
		return SE_OK;
	if (c->n_subs == c->cap_subs) {
		size_t ncap = c->cap_subs ? c->cap_subs * 2 : 4;
		struct ev_sub *p;

		if (ncap > LIM_TOPICS_PER_CONN)
			return SE_FULL;
		p = mem_try_realloc(c->subs, ncap * sizeof(*p));
		if (!p)
			return SE_NOMEM;
		c->subs = p;
		c->cap_subs = ncap;
	}
	rc = gw_conn_subscribe(gc, (struct str){topic, n});
	if (rc)
		return rc;
	s = &c->subs[c->n_subs++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	memcpy(s->topic, topic, n + 1);
	if (server && strlen(server) < sizeof(s->server))
		memcpy(s->server, server, strlen(server) + 1);
	return SE_OK;
}

static void remove_at(struct gw_conn *gc, struct ev_conn *c, size_t i)
{
	(void)gw_conn_unsubscribe(gc, str_from(c->subs[i].topic));
	c->subs[i] = c->subs[--c->n_subs];
}

void ev_sub_remove(struct gw_conn *gc, struct ev_conn *c, const char *topic)
{
	for (size_t i = 0; i < c->n_subs; i++)
		if (strcmp(c->subs[i].topic, topic) == 0) {
			remove_at(gc, c, i);
			return;
		}
}

void ev_sub_drop_server(struct gw_conn *gc, struct ev_conn *c, const char *id)
{
	char active[EV_ID_MAX + 2];

	snprintf(active, sizeof(active), "%su", id);
	for (size_t i = 0; i < c->n_subs;) {
		struct ev_sub *s = &c->subs[i];

		if (strcmp(s->topic, id) == 0 || strcmp(s->topic, active) == 0 ||
		    (s->kind == EV_SUB_CHANNEL && strcmp(s->server, id) == 0))
			remove_at(gc, c, i);
		else
			i++;
	}
}

/* Join the tick topic (the first Subscribe topic of this socket). */
static void tick_join(struct ev *ev, struct gw_conn *gc, struct ev_conn *c)
{
	if (c->ticking)
		return;
	if (gw_conn_subscribe(gc, STR_LIT(EV_TICK_TOPIC))) {
		log_debug("events: cannot subscribe to the expiry tick");
		return;
	}
	c->ticking = true;
	__atomic_add_fetch(&ev->ticking, 1, __ATOMIC_RELAXED);
}

void ev_sub_untick(struct ev *ev, struct gw_conn *gc, struct ev_conn *c)
{
	if (!c->ticking)
		return;
	if (gc)
		(void)gw_conn_unsubscribe(gc, STR_LIT(EV_TICK_TOPIC));
	c->ticking = false;
	__atomic_sub_fetch(&ev->ticking, 1, __ATOMIC_RELAXED);
}

void ev_sub_expire(struct ev *ev, struct gw_conn *gc, struct ev_conn *c, int64_t now_ms)
{
	size_t left = 0;

	if (c->who.kind == AUTHN_BOT)
		return;
	for (size_t i = 0; i < c->n_subs;) {
		if (c->subs[i].kind != EV_SUB_ACTIVE) {
			i++;
		} else if (now_ms - c->subs[i].at_ms >= ev->active_ms) {
			remove_at(gc, c, i);
		} else {
			left++;
			i++;
		}
	}
	if (!left)
		ev_sub_untick(ev, gc, c);
}

void ev_sub_active(struct ev *ev, struct gw_conn *gc, struct ev_conn *c, const char *server,
                   int64_t now_ms)
{
	char topic[EV_ID_MAX + 2];
	struct ev_sub *s;
	size_t n = 0, oldest = 0;

	if (strlen(server) >= EV_ID_MAX)
		return;
	snprintf(topic, sizeof(topic), "%su", server);
	s = ev_sub_find(c, topic);
	if (s) {
		s->at_ms = now_ms;
		return;
	}
	/* Revolt keeps the member-activity topics of the 5 servers used last */
	for (size_t i = 0; i < c->n_subs; i++) {
		if (c->subs[i].kind != EV_SUB_ACTIVE)
			continue;
		if (n == 0 || c->subs[i].at_ms < c->subs[oldest].at_ms)
			oldest = i;
		n++;
	}
	if (n >= EV_ACTIVE_MAX)
		remove_at(gc, c, oldest);
	if (ev_sub_add(gc, c, EV_SUB_ACTIVE, topic, server) == SE_OK) {
		s = ev_sub_find(c, topic);
		if (s)
			s->at_ms = now_ms;
		tick_join(ev, gc, c);
	} else {
		log_debug("events: cannot subscribe to member activity");
	}
}

void ev_subs_trim(struct ev_conn *c)
{
	struct ev_sub *p;

	if (c->n_subs == 0 || c->n_subs == c->cap_subs)
		return;
	p = mem_try_realloc(c->subs, c->n_subs * sizeof(*p));
	if (!p)
		return; /* keep the larger array */
	c->subs = p;
	c->cap_subs = c->n_subs;
}

void ev_subs_release(struct ev_conn *c)
{
	mem_free(c->subs);
	c->subs = NULL;
	c->n_subs = c->cap_subs = 0;
}
