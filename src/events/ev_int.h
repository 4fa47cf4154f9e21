/*
 * events/ev_int.h: what the files of src/events/ share (STYLE rule 1:
 * nothing outside src/events/ includes this).
 *
 * Threads: everything here runs on the gateway's service thread, except the
 * presence table, which has its own mutex.
 */
#ifndef SOL_EVENTS_EV_INT_H
#define SOL_EVENTS_EV_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "auth/authn.h"
#include "core/err.h"
#include "core/str.h"
#include "gateway/gateway.h"

struct app;

/* bytes of an id we keep (ULIDs are 26) */
#define EV_ID_MAX 32
/* Subscribe{server_id}: member-presence topics a user socket keeps (Revolt's LRU) */
#define EV_ACTIVE_MAX 5
#define EV_ACTIVE_MS (15LL * 60 * 1000)
/* flood limit per socket for Ping/typing/Subscribe: burst and refill per second */
#define EV_FLOOD_BURST 20
#define EV_FLOOD_PER_S 5
/* servers one Ready lists at most (also: server topics of a presence change) */
#define EV_READY_SERVERS_MAX 1000
/* presence table buckets (power of two) */
#define EV_PRESENCE_BUCKETS 1024

enum ev_sub_kind {
	EV_SUB_SERVER,  /* "<server>" */
	EV_SUB_CHANNEL, /* "<channel>"; server set for server channels */
	EV_SUB_USER,    /* "<user>" (self, friends, DM and group partners) */
	EV_SUB_ACTIVE,  /* "<server>u" after Subscribe (bots: always) */
	EV_SUB_FIXED,   /* "<user>!" and topics added by --dev Subscribe */
};

struct ev_sub {
	enum ev_sub_kind kind;
	char topic[EV_ID_MAX + 2];
	char server[EV_ID_MAX]; /* EV_SUB_CHANNEL of a server; "" otherwise */
	int64_t at_ms;          /* EV_SUB_ACTIVE: last Subscribe */
};

/* One socket's protocol state (gw_conn_data). */
struct ev_conn {
	struct authn who;
	bool authed;     /* token accepted */
	bool ready;      /* Ready queued: events flow */
	bool counted;    /* counted in the presence table */
	bool invisible;  /* the user's presence is Invisible */
	bool logged_out; /* Logout queued: drop everything else */
	struct ev_sub *subs;
	size_t n_subs, cap_subs;
	double tokens; /* flood bucket */
	int64_t refill_ms;
	json_t *rels; /* {user id: relationship name}, this user's side (owned) */
	bool ticking; /* subscribed to EV_TICK_TOPIC for Subscribe expiry */
};

struct ev_presence;
struct ev_pshared;

/* presence shared through Redis: a node is dead after this long without a heartbeat */
#define EV_PRES_TTL_MS 30000LL
/* test-only: that TTL in milliseconds (300..EV_PRES_TTL_MS) */
#define EV_PRES_TTL_ENV "SOLSTICE_TEST_PRESENCE_TTL_MS"

/*
 * The expiry sweep: a thread publishes a tick to this topic every
 * active_ms / 4 (at most EV_TICK_MAX_MS) while some socket holds a
 * Subscribe topic; the filter expires that socket's topics and drops it.
 */
#define EV_TICK_TOPIC "sol:ev-tick"
#define EV_TICK_TEXT "{\"type\":\"SolTick\"}"
#define EV_TICK_MAX_MS 30000LL
/* test-only: Subscribe expiry in milliseconds instead of EV_ACTIVE_MS */
#define EV_ACTIVE_ENV "SOLSTICE_TEST_WS_SUBSCRIBE_EXPIRY_MS"

/* The CLOCK_REALTIME instant `ms` from now (pthread_cond_timedwait's deadline). */
struct timespec ev_deadline_in(int64_t ms);
/*
 * A test-only duration: the milliseconds in environment variable `env` when
 * set, else `def`; a value that is not a number in lo..def is logged and
 * ignored. `what` names the setting in the log ("presence TTL").
 */
int64_t ev_env_ms(const char *env, int64_t lo, int64_t def, const char *what);

struct ev {
	struct app *app;
	struct gw_handler handler;
	pthread_mutex_t mu; /* guards buckets */
	struct ev_presence *buckets[EV_PRESENCE_BUCKETS];
	struct ev_pshared *ps; /* presence across nodes (Redis bus), or NULL */
	int64_t active_ms;     /* Subscribe expiry (EV_ACTIVE_MS unless EV_ACTIVE_ENV) */
	/* the tick thread; `ticking` counts sockets on EV_TICK_TOPIC (atomic) */
	pthread_t tick_thread;
	pthread_mutex_t tick_mu;
	pthread_cond_t tick_cv;
	bool tick_stop, tick_started;
	long ticking;
};

/* Which parts of Ready a socket asked for (the `ready` query). */
struct ev_ready_fields {
	bool users, servers, channels, members, emojis, channel_unreads, policy_changes;
	json_t *user_settings; /* array of keys (owned), or NULL */
};

int64_t ev_now_ms(void);

/* ---- subscriptions (subs.c) ---- */

/* Subscribe `c` to `topic` and remember why. Errors as gw_conn_subscribe. */
enum err ev_sub_add(struct gw_conn *gc, struct ev_conn *c, enum ev_sub_kind kind, const char *topic,
                    const char *server);
/* Unsubscribe from `topic` if subscribed. */
void ev_sub_remove(struct gw_conn *gc, struct ev_conn *c, const char *topic);
/* The entry for `topic`, or NULL. */
struct ev_sub *ev_sub_find(struct ev_conn *c, const char *topic);
/* Unsubscribe server `id`, its channels and "<id>u". */
void ev_sub_drop_server(struct gw_conn *gc, struct ev_conn *c, const char *id);
/* Subscribe{server_id} for a user socket: LRU of EV_ACTIVE_MAX; joins the tick. */
void ev_sub_active(struct ev *ev, struct gw_conn *gc, struct ev_conn *c, const char *server,
                   int64_t now_ms);
/* Drop "<server>u" topics older than ev->active_ms; leave the tick when none is left. */
void ev_sub_expire(struct ev *ev, struct gw_conn *gc, struct ev_conn *c, int64_t now_ms);
/* Leave the tick topic's count (on close). */
void ev_sub_untick(struct ev *ev, struct gw_conn *gc, struct ev_conn *c);
/* Shrinks the subscription array to its length (after Ready: idle sockets stay small). */
void ev_subs_trim(struct ev_conn *c);
void ev_subs_release(struct ev_conn *c);

/* ---- Ready (ready.c) ---- */

/* Parse the socket's `ready` query parameters into `f` (release with ev_ready_fields_release). */
void ev_ready_fields_parse(struct gw_conn *gc, struct ev_ready_fields *f);
void ev_ready_fields_release(struct ev_ready_fields *f);
/*
 * Build the Ready event for c->who from the store (one read transaction)
 * and subscribe `gc` to every topic it implies. *out is the event as
 * compact JSON (owned, mem_free). SE_InvalidSession when the user is gone,
 * store errors otherwise.
 */
enum err ev_ready_build(struct ev *ev, struct gw_conn *gc, struct ev_conn *c,
                        const struct ev_ready_fields *f, char **out, struct err_info *ei)
    __attribute__((warn_unused_result));
/*
 * Can c->who see server channel `channel_id`? Loads the channel, server
 * and membership; false on any error. For visibility changes.
 */
bool ev_can_view_channel(struct ev *ev, const struct ev_conn *c, struct str channel_id,
                         char server_out[EV_ID_MAX]);
/* Subscribe to server `id` and its visible channels (after ServerCreate). */
void ev_sub_server_load(struct ev *ev, struct gw_conn *gc, struct ev_conn *c, const char *id);

/* ---- presence (presence.c) ---- */

/*
 * Count one more socket of `user`; true when it is the user's first socket
 * anywhere (every node, with a Redis bus; this node otherwise). Blocks on
 * Redis for one round trip when this node gains its first socket of `user`.
 */
bool ev_presence_inc(struct ev *ev, const char *user);
/* Count one socket less; true when it was the user's last one anywhere. */
bool ev_presence_dec(struct ev *ev, const char *user);
/* Publish UserUpdate{online} to the user topic and the socket's server topics. */
void ev_presence_publish(struct ev *ev, const struct ev_conn *c, bool online);
/* The same for a user without a socket here: the servers come from the store. Any thread. */
void ev_presence_publish_user(struct ev *ev, const char *user, bool online);
/*
 * ev_user_online for n users at once into on[n] (one Redis round trip per
 * EV_PRES_BATCH users with a Redis bus). Service thread or any thread.
 */
void ev_users_online(struct ev *ev, const char *const *users, size_t n, bool *on);
/* Users with a socket on this node, copied into *out (owned, mem_free); returns how many. */
size_t ev_presence_local_users(struct ev *ev, char (**out)[EV_ID_MAX]);
void ev_presence_release(struct ev *ev);

/* ---- presence across nodes (presence_redis.c) ---- */

/* The shared presence of a Redis bus (owned), or NULL for an in-process bus. Registers this node.
 */
struct ev_pshared *ev_pshared_new(struct ev *ev);
/* Stops the heartbeat and unregisters this node; accepts NULL. After the last socket closed. */
void ev_pshared_free(struct ev_pshared *ps);
/* This node's first socket of `user`: *first when no other live node has one. SE_IO (logged). */
enum err ev_pshared_add(struct ev_pshared *ps, const char *user, bool *first);
/* This node's last socket of `user` closed: *last when no other live node has one. SE_IO. */
enum err ev_pshared_remove(struct ev_pshared *ps, const char *user, bool *last);
/* users one Redis script asks about at most */
#define EV_PRES_BATCH 512
/* ev_pshared_online for n <= EV_PRES_BATCH users into on[n]. SE_IO, SE_INVAL. Any thread. */
enum err ev_pshared_online_many(struct ev_pshared *ps, const char *const *users, size_t n,
                                bool *on);
/* Does any live node have a socket of `user`? SE_IO, SE_INVAL. Any thread. */
enum err ev_pshared_online(struct ev_pshared *ps, struct str user, bool *on);

/* ---- the per-socket filter (filter.c) ---- */

/* c->rels from a user record's "relations" (borrowed); replaces the old table. */
void ev_rels_load(struct ev_conn *c, const json_t *me);

enum gw_verdict ev_filter(void *ctx, struct gw_conn *gc, struct str text);

/* ---- visibility changes (visibility.c) ---- */

/* Does ChannelUpdate `e` change the channel's permission overrides? */
bool ev_vis_is_perm_update(const json_t *e);
/*
 * ChannelUpdate `e` (borrowed) of permission overrides: when the channel's
 * visibility to c->who changed, (un)subscribe it and queue ChannelCreate /
 * ChannelDelete instead (GW_DROP); drop it for a socket that neither saw nor
 * sees the channel; GW_PASS otherwise.
 */
enum gw_verdict ev_vis_channel(struct ev *ev, struct gw_conn *gc, struct ev_conn *c,
                               const json_t *e);
/*
 * Recompute which channels of server `sid` c->who can view (only when the
 * socket is in the server; with `role_id`, only when the member holds that
 * role), (un)subscribe the differences and queue
 * Bulk{v:[ChannelCreate..., ChannelDelete..., e]} instead of `e` (GW_DROP).
 * GW_PASS when nothing changed.
 */
enum gw_verdict ev_vis_server(struct ev *ev, struct gw_conn *gc, struct ev_conn *c, const char *sid,
                              const char *role_id, const json_t *e);

/* Queue `v` (borrowed) as compact JSON on `gc`. */
void ev_send_json(struct gw_conn *gc, const json_t *v);
/* Inside the filter: write `v` (borrowed) as compact JSON in place of the filtered event. */
void ev_replace_json(struct gw_conn *gc, const json_t *v);

#endif /* SOL_EVENTS_EV_INT_H */
