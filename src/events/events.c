/*
 * events/events.c: the socket side of Revolt's event protocol (REVOLT.md
 * section 9; revoltchat/backend crates/bonfire/src/websocket.rs): token from
 * the query or an Authenticate message, then Authenticated, exactly one
 * Ready, presence, and the client messages Ping, BeginTyping, EndTyping and
 * Subscribe. Everything runs on the gateway's service thread.
 */
#include "events/events.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "bus/bus.h"
#include "core/cfg.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/mem.h"
#include "events/ev_int.h"

void ev_send_json(struct gw_conn *gc, const json_t *v)
{
	char *text = v ? jx_dump(v) : NULL;

	if (!text || gw_conn_send(gc, str_from(text)))
		log_debug("events: cannot queue a reply");
	mem_free(text);
}

void ev_replace_json(struct gw_conn *gc, const json_t *v)
{
	char *text = v ? jx_dump(v) : NULL;

	if (!text || gw_conn_replace(gc, str_from(text)))
		log_warn("events: cannot replace an event for a socket");
	mem_free(text);
}

/* {"type":"Error","data":{"type":<rc>,"location":...}} and close. */
static void fail(struct gw_conn *gc, struct ev_conn *c, enum err rc, const struct err_info *ei)
{
	const char *type = err_type(rc) ? err_type(rc) : "InternalError";
	json_t *e;

	if (rc != SE_InvalidSession)
		log_warn("events: %s: cannot start the session: %s (%s)",
		         c->who.user_id[0] ? c->who.user_id : "?", type, ei->detail);
	e = json_pack("{s:s,s:{s:s,s:s}}", "type", "Error", "data", "type", type, "location",
	              "src/events/events.c");
	ev_send_json(gc, e);
	json_decref(e);
	c->ready = false;
	gw_conn_close(gc, GW_CLOSE_POLICY);
}

static void authenticate(struct ev *ev, struct gw_conn *gc, struct ev_conn *c, struct str token)
{
	struct err_info ei = ERR_INFO_INIT;
	struct ev_ready_fields f;
	char *ready = NULL;
	enum err rc;

	rc = authn_resolve_token(ev->app->store, token, true, &c->who, &ei);
	if (rc) {
		fail(gc, c, rc == SE_InvalidSession ? rc : SE_InternalError, &ei);
		return;
	}
	c->authed = true;
	gw_conn_set_deadline(gc, 0);
	(void)gw_conn_send(gc, STR_LIT("{\"type\":\"Authenticated\"}"));
	ev_ready_fields_parse(gc, &f);
	rc = ev_ready_build(ev, gc, c, &f, &ready, &ei);
	ev_ready_fields_release(&f);
	mem_free(ready);
	if (rc) {
		fail(gc, c, rc == SE_InvalidSession ? rc : SE_InternalError, &ei);
		return;
	}
	c->ready = true;
	c->counted = true;
	ev_subs_trim(c);
	if (ev_presence_inc(ev, c->who.user_id))
		ev_presence_publish(ev, c, true);
}

static enum err on_open(void *ctx, struct gw_conn *gc)
{
	struct ev *ev = ctx;
	struct ev_conn *c = xcalloc(1, sizeof(*c));
	struct str token = gw_conn_query(gc, "token");

	c->tokens = EV_FLOOD_BURST;
	c->refill_ms = ev_now_ms();
	gw_conn_set_data(gc, c);
	if (token.p)
		authenticate(ev, gc, c, token);
	else if (ev->app->cfg->ws.auth_timeout)
		gw_conn_set_deadline(gc, ev->app->cfg->ws.auth_timeout);
	return SE_OK;
}

static void on_close(void *ctx, struct gw_conn *gc)
{
	struct ev *ev = ctx;
	struct ev_conn *c = gw_conn_data(gc);

	if (!c)
		return;
	if (c->counted && ev_presence_dec(ev, c->who.user_id))
		ev_presence_publish(ev, c, false);
	ev_sub_untick(ev, NULL, c);
	json_decref(c->rels);
	ev_subs_release(c);
	gw_conn_set_data(gc, NULL);
	mem_free(c);
}

/* One token of the socket's flood bucket; false when it is empty. */
static bool take_token(struct ev_conn *c)
{
	int64_t now = ev_now_ms();

	if (now > c->refill_ms) {
		c->tokens += (double)(now - c->refill_ms) * EV_FLOOD_PER_S / 1000.0;
		if (c->tokens > EV_FLOOD_BURST)
			c->tokens = EV_FLOOD_BURST;
	}
	c->refill_ms = now;
	if (c->tokens < 1.0)
		return false;
	c->tokens -= 1.0;
	return true;
}

static void pong(struct gw_conn *gc, const json_t *msg)
{
	const json_t *data = json_object_get(msg, "data");
	json_t *p;

	/* Revolt answers only Pings without "responded", with data as is */
	if (!data || json_object_get(msg, "responded"))
		return;
	p = json_pack("{s:s,s:O}", "type", "Pong", "data", data);
	ev_send_json(gc, p);
	json_decref(p);
}

static void typing(struct ev *ev, struct ev_conn *c, const json_t *msg, bool begin)
{
	const char *ch = json_string_value(json_object_get(msg, "channel"));
	const struct ev_sub *s = ch ? ev_sub_find(c, ch) : NULL;
	json_t *e;
	char *text;

	/* only for channels this socket can see, as Revolt relays */
	if (!s || s->kind != EV_SUB_CHANNEL)
		return;
	e = json_pack("{s:s,s:s,s:s}", "type", begin ? "ChannelStartTyping" : "ChannelStopTyping",
	              "id", ch, "user", c->who.user_id);
	text = e ? jx_dump(e) : NULL;
	if (!text || bus_publish(ev->app->bus, str_from(ch), str_from(text)))
		log_debug("events: cannot publish typing");
	mem_free(text);
	json_decref(e);
}

static void subscribe(struct ev *ev, struct gw_conn *gc, struct ev_conn *c, const json_t *msg)
{
	const char *sid = json_string_value(json_object_get(msg, "server_id"));
	const struct ev_sub *s;

	if (!sid)
		return;
	/* --dev: any topic, so tests can watch the bus before logging in */
	if (ev->app->cfg->dev.enabled && !ev_sub_find(c, sid)) {
		if (ev_sub_add(gc, c, EV_SUB_FIXED, sid, NULL))
			log_debug("events: subscribe refused");
		return;
	}
	if (!c->ready || c->who.kind == AUTHN_BOT)
		return;
	s = ev_sub_find(c, sid);
	if (s && s->kind == EV_SUB_SERVER)
		ev_sub_active(ev, gc, c, sid, ev_now_ms());
}

static void on_message(void *ctx, struct gw_conn *gc, struct str text)
{
	struct ev *ev = ctx;
	struct ev_conn *c = gw_conn_data(gc);
	json_t *msg;
	const char *type;

	if (!c || c->logged_out)
		return;
	msg = json_loadb(text.p, text.n, JSON_REJECT_DUPLICATES, NULL);
	type = json_string_value(json_object_get(msg, "type"));
	/* unknown or undecodable frames are ignored, as Revolt does */
	if (!type)
		goto out;
	if (strcmp(type, "Authenticate") == 0) {
		const char *token = json_string_value(json_object_get(msg, "token"));

		if (!c->authed && token)
			authenticate(ev, gc, c, str_from(token));
		goto out;
	}
	if (strcmp(type, "Ping") != 0 && strcmp(type, "BeginTyping") != 0 &&
	    strcmp(type, "EndTyping") != 0 && strcmp(type, "Subscribe") != 0)
		goto out;
	if (!take_token(c)) {
		log_debug("events: flood limit: dropping a %s", type);
		goto out;
	}
	ev_sub_expire(ev, gc, c, ev_now_ms());
	if (strcmp(type, "Ping") == 0)
		pong(gc, msg);
	else if (strcmp(type, "Subscribe") == 0)
		subscribe(ev, gc, c, msg);
	else if (c->ready)
		typing(ev, c, msg, strcmp(type, "BeginTyping") == 0);
out:
	json_decref(msg);
}

/* The period of the expiry tick: a quarter of the expiry, within [10 ms, EV_TICK_MAX_MS]. */
static int64_t tick_period_ms(const struct ev *ev)
{
	int64_t p = ev->active_ms / 4;

	return p < 10 ? 10 : p > EV_TICK_MAX_MS ? EV_TICK_MAX_MS : p;
}

/*
 * The expiry sweep: while some socket holds a Subscribe topic, publish a
 * tick to EV_TICK_TOPIC; each such socket's filter expires its topics on
 * the service thread (where its state lives) and drops the tick.
 */
static void *tick_main(void *arg)
{
	struct ev *ev = arg;
	int64_t period = tick_period_ms(ev);
	struct timespec until;

	pthread_mutex_lock(&ev->tick_mu);
	while (!ev->tick_stop) {
		until = ev_deadline_in(period);
		(void)pthread_cond_timedwait(&ev->tick_cv, &ev->tick_mu, &until);
		if (ev->tick_stop || !__atomic_load_n(&ev->ticking, __ATOMIC_RELAXED))
			continue;
		pthread_mutex_unlock(&ev->tick_mu);
		if (ev->app->bus &&
		    bus_publish(ev->app->bus, STR_LIT(EV_TICK_TOPIC), STR_LIT(EV_TICK_TEXT)))
			log_debug("events: cannot publish the expiry tick");
		pthread_mutex_lock(&ev->tick_mu);
	}
	pthread_mutex_unlock(&ev->tick_mu);
	return NULL;
}

struct timespec ev_deadline_in(int64_t ms)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += (time_t)(ms / 1000);
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

int64_t ev_env_ms(const char *env, int64_t lo, int64_t def, const char *what)
{
	const char *v = getenv(env);
	long long n;
	char *end;

	if (!v || !*v)
		return def;
	n = strtoll(v, &end, 10);
	if (*end || n < lo || n > def) {
		log_warn("events: ignoring %s=%s (%lld..%lld)", env, v, (long long)lo,
		         (long long)def);
		return def;
	}
	log_warn("events: %s %lld ms (%s, for tests)", what, n, env);
	return n;
}

struct ev *ev_new(struct app *app)
{
	struct ev *ev = xcalloc(1, sizeof(*ev));

	ev->app = app;
	ev->active_ms =
	    ev_env_ms(EV_ACTIVE_ENV, 100, EV_ACTIVE_MS, "Subscribe topics expire after");
	pthread_mutex_init(&ev->mu, NULL);
	pthread_mutex_init(&ev->tick_mu, NULL);
	pthread_cond_init(&ev->tick_cv, NULL);
	ev->ps = ev->app->bus ? ev_pshared_new(ev) : NULL;
	ev->tick_started = pthread_create(&ev->tick_thread, NULL, tick_main, ev) == 0;
	if (!ev->tick_started)
		log_warn(
		    "events: no expiry tick thread: Subscribe topics expire on the next message");
	ev->handler = (struct gw_handler){on_open, on_message, on_close, ev};
	return ev;
}

void ev_free(struct ev *ev)
{
	if (!ev)
		return;
	if (ev->tick_started) {
		pthread_mutex_lock(&ev->tick_mu);
		ev->tick_stop = true;
		pthread_cond_signal(&ev->tick_cv);
		pthread_mutex_unlock(&ev->tick_mu);
		pthread_join(ev->tick_thread, NULL);
	}
	pthread_cond_destroy(&ev->tick_cv);
	pthread_mutex_destroy(&ev->tick_mu);
	ev_pshared_free(ev->ps);
	ev_presence_release(ev);
	pthread_mutex_destroy(&ev->mu);
	mem_free(ev);
}

const struct gw_handler *ev_handler(struct ev *ev)
{
	return &ev->handler;
}

gw_filter_fn *ev_filter_fn(void)
{
	return ev_filter;
}
