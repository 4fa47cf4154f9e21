/*
 * events/presence_redis.c: presence shared by every node of a Redis bus
 * ([bus] redis_url), so that "first socket" and "last socket" of a user are
 * decided cluster-wide and every node answers `online` the same way.
 *
 * Owns: one Redis connection (under a mutex; replies within
 * BUS_REDIS_TIMEOUT_MS), this node's registration and the heartbeat thread.
 * The local per-node count stays in presence.c; only a node's first and
 * last socket of a user reach Redis. Keys (EV_PRES_PREFIX):
 *   nodes      ZSET  node id -> last heartbeat (Redis TIME, ms)
 *   n:<node>   SET   users with a socket on that node
 *   u:<user>   SET   nodes with a socket of that user
 * A node is alive while its heartbeat is younger than the TTL. Every change
 * is one Lua script (atomic in Redis), so two nodes gaining a user's first
 * sockets at once cannot both (or neither) announce it. The heartbeat also
 * reaps dead nodes (a crashed node's sockets) and announces online:false
 * for users that had no socket left anywhere else.
 */
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "bus/bus.h"
#include "bus/bus_redis.h"
#include "core/log.h"
#include "core/mem.h"
#include "events/ev_int.h"

#define EV_PRES_PREFIX "solstice:presence:"
#define EV_PRES_NODES EV_PRES_PREFIX "nodes"

struct ev_pshared {
	struct ev *ev;
	struct bus_redis *r; /* borrowed: the bus backend */
	char node[EV_ID_MAX];
	int64_t ttl_ms;
	pthread_mutex_t mu; /* guards c */
	redisContext *c;
	pthread_t thread;
	bool started;
	pthread_mutex_t stop_mu;
	pthread_cond_t stop_cv;
	bool stop;
};

/* now (Redis TIME, ms) and alive(node) shared by the scripts */
#define LUA_PRELUDE                                                                                \
	"local t = redis.call('TIME')\n"                                                           \
	"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"                  \
	"local function alive(nodes, n, ttl)\n"                                                    \
	"  local s = redis.call('ZSCORE', nodes, n)\n"                                             \
	"  return s ~= false and s ~= nil and tonumber(s) >= now - ttl\n"                          \
	"end\n"                                                                                    \
	"local function others(uk, nodes, self, ttl)\n"                                            \
	"  local k = 0\n"                                                                          \
	"  for _, n in ipairs(redis.call('SMEMBERS', uk)) do\n"                                    \
	"    if n ~= self and alive(nodes, n, ttl) then k = k + 1 end\n"                           \
	"  end\n"                                                                                  \
	"  return k\n"                                                                             \
	"end\n"

/* KEYS u:<user> n:<node> nodes; ARGV node user ttl -> live other nodes before */
static const char lua_add[] =
    LUA_PRELUDE "redis.call('ZADD', KEYS[3], 'XX', string.format('%d', now), ARGV[1])\n"
                "redis.call('SADD', KEYS[2], ARGV[2])\n"
                "local k = others(KEYS[1], KEYS[3], ARGV[1], tonumber(ARGV[3]))\n"
                "redis.call('SADD', KEYS[1], ARGV[1])\n"
                "return k\n";

/* KEYS u:<user> n:<node> nodes; ARGV node user ttl -> live other nodes after */
static const char lua_remove[] = LUA_PRELUDE "redis.call('SREM', KEYS[1], ARGV[1])\n"
                                             "redis.call('SREM', KEYS[2], ARGV[2])\n"
                                             "return others(KEYS[1], KEYS[3], '', "
                                             "tonumber(ARGV[3]))\n";

/* KEYS u:<user> nodes; ARGV ttl -> live nodes */
static const char lua_online[] = LUA_PRELUDE "return others(KEYS[1], KEYS[2], '', "
                                             "tonumber(ARGV[1]))\n";

/* KEYS u:<user>...; ARGV ttl nodes -> {live nodes of each user} */
static const char lua_online_many[] = LUA_PRELUDE
    "local out = {}\n"
    "for i, k in ipairs(KEYS) do out[i] = others(k, ARGV[2], '', tonumber(ARGV[1])) end\n"
    "return out\n";

/*
 * KEYS nodes; ARGV node ttl prefix -> {1 if this node was (re)added, users
 * with no live node left after reaping the dead nodes...}
 */
static const char lua_beat[] = LUA_PRELUDE
    "local ttl = tonumber(ARGV[2])\n"
    "local out = {redis.call('ZADD', KEYS[1], string.format('%d', now), ARGV[1])}\n"
    "local seen = {}\n"
    "local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%d', now "
    "- ttl))\n"
    "for _, d in ipairs(dead) do\n"
    "  local nk = ARGV[3] .. 'n:' .. d\n"
    "  for _, u in ipairs(redis.call('SMEMBERS', nk)) do\n"
    "    local uk = ARGV[3] .. 'u:' .. u\n"
    "    redis.call('SREM', uk, d)\n"
    "    if not seen[u] and others(uk, KEYS[1], '', ttl) == 0 then\n"
    "      seen[u] = true\n"
    "      out[#out + 1] = u\n"
    "    end\n"
    "  end\n"
    "  redis.call('DEL', nk)\n"
    "  redis.call('ZREM', KEYS[1], d)\n"
    "end\n"
    "return out\n";

/*
 * Run one command under the mutex, reconnecting once if the connection is
 * gone. Returns the reply (owned: freeReplyObject) or NULL (logged).
 */
static redisReply *run(struct ev_pshared *ps, int argc, const char **argv)
{
	redisReply *rep = NULL;
	char why[128] = "";

	pthread_mutex_lock(&ps->mu);
	for (int attempt = 0; attempt < 2 && !rep; attempt++) {
		if (!ps->c || ps->c->err) {
			if (ps->c)
				redisFree(ps->c);
			ps->c = bus_redis_connect(ps->r, why, sizeof(why));
			if (!ps->c)
				break;
		}
		rep = redisCommandArgv(ps->c, argc, argv, NULL);
		if (!rep)
			snprintf(why, sizeof(why), "%s", ps->c->errstr);
	}
	pthread_mutex_unlock(&ps->mu);
	if (rep && rep->type == REDIS_REPLY_ERROR) {
		log_warn("events: presence: redis: %s", rep->str);
		freeReplyObject(rep);
		return NULL;
	}
	if (!rep)
		log_warn("events: presence: redis unreachable: %s", why);
	return rep;
}

/* A script with the user's keys; *n gets its integer result. */
static enum err user_script(struct ev_pshared *ps, const char *script, const char *user,
                            long long *n)
{
	char uk[sizeof(EV_PRES_PREFIX) + EV_ID_MAX + 2], nk[sizeof(EV_PRES_PREFIX) + EV_ID_MAX + 2];
	char ttl[24];
	const char *argv[] = {"EVAL", script, "3", uk, nk, EV_PRES_NODES, ps->node, user, ttl};
	redisReply *rep;
	enum err rc = SE_IO;

	snprintf(uk, sizeof(uk), EV_PRES_PREFIX "u:%s", user);
	snprintf(nk, sizeof(nk), EV_PRES_PREFIX "n:%s", ps->node);
	snprintf(ttl, sizeof(ttl), "%" PRId64, ps->ttl_ms);
	rep = run(ps, 9, argv);
	if (rep && rep->type == REDIS_REPLY_INTEGER) {
		*n = rep->integer;
		rc = SE_OK;
	}
	if (rep)
		freeReplyObject(rep);
	return rc;
}

enum err ev_pshared_add(struct ev_pshared *ps, const char *user, bool *first)
{
	long long others = 0;
	enum err rc = user_script(ps, lua_add, user, &others);

	*first = others == 0;
	return rc;
}

enum err ev_pshared_remove(struct ev_pshared *ps, const char *user, bool *last)
{
	long long others = 0;
	enum err rc = user_script(ps, lua_remove, user, &others);

	*last = others == 0;
	return rc;
}

enum err ev_pshared_online(struct ev_pshared *ps, struct str user, bool *on)
{
	char uk[sizeof(EV_PRES_PREFIX) + EV_ID_MAX + 2], ttl[24];
	const char *argv[] = {"EVAL", lua_online, "2", uk, EV_PRES_NODES, ttl};
	redisReply *rep;
	enum err rc = SE_IO;

	if (user.n == 0 || user.n >= EV_ID_MAX)
		return SE_INVAL;
	snprintf(uk, sizeof(uk), EV_PRES_PREFIX "u:%.*s", (int)user.n, user.p);
	snprintf(ttl, sizeof(ttl), "%" PRId64, ps->ttl_ms);
	rep = run(ps, 6, argv);
	if (rep && rep->type == REDIS_REPLY_INTEGER) {
		*on = rep->integer > 0;
		rc = SE_OK;
	}
	if (rep)
		freeReplyObject(rep);
	return rc;
}

enum err ev_pshared_online_many(struct ev_pshared *ps, const char *const *users, size_t n, bool *on)
{
	enum { KEY_N = sizeof(EV_PRES_PREFIX) + EV_ID_MAX + 2 };
	const char **argv = NULL;
	char(*keys)[KEY_N] = NULL, nk[24], ttl[24];
	redisReply *rep = NULL;
	enum err rc = SE_IO;

	if (n == 0)
		return SE_OK;
	if (n > EV_PRES_BATCH)
		return SE_INVAL;
	argv = xcalloc(n + 5, sizeof(*argv));
	keys = xcalloc(n, sizeof(*keys));
	snprintf(nk, sizeof(nk), "%zu", n);
	snprintf(ttl, sizeof(ttl), "%" PRId64, ps->ttl_ms);
	argv[0] = "EVAL";
	argv[1] = lua_online_many;
	argv[2] = nk;
	for (size_t i = 0; i < n; i++) {
		snprintf(keys[i], KEY_N, EV_PRES_PREFIX "u:%.*s", EV_ID_MAX - 1, users[i]);
		argv[3 + i] = keys[i];
	}
	argv[3 + n] = ttl;
	argv[4 + n] = EV_PRES_NODES;
	rep = run(ps, (int)(n + 5), argv);
	if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == n) {
		rc = SE_OK;
		for (size_t i = 0; i < n; i++)
			on[i] = rep->element[i]->type == REDIS_REPLY_INTEGER &&
			        rep->element[i]->integer > 0;
	}
	if (rep)
		freeReplyObject(rep);
	mem_free(argv);
	mem_free(keys);
	return rc;
}

/* Register this node again after other nodes reaped it (it missed beats). */
static void reregister(struct ev_pshared *ps)
{
	char(*users)[EV_ID_MAX] = NULL;
	size_t n = ev_presence_local_users(ps->ev, &users);

	log_warn("events: presence: this node had been reaped; registering %zu users again", n);
	for (size_t i = 0; i < n; i++) {
		bool first = false;

		if (ev_pshared_add(ps, users[i], &first) == SE_OK && first)
			ev_presence_publish_user(ps->ev, users[i], true);
	}
	mem_free(users);
}

/* One heartbeat: refresh this node, reap dead ones, announce who went offline. */
static enum err beat(struct ev_pshared *ps, bool first_beat)
{
	char ttl[24];
	const char *argv[] = {"EVAL", lua_beat, "1", EV_PRES_NODES, ps->node, ttl, EV_PRES_PREFIX};
	redisReply *rep;
	bool readded;

	snprintf(ttl, sizeof(ttl), "%" PRId64, ps->ttl_ms);
	rep = run(ps, 7, argv);
	if (!rep)
		return SE_IO;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 1 ||
	    rep->element[0]->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(rep);
		return SE_IO;
	}
	readded = rep->element[0]->integer == 1;
	for (size_t i = 1; i < rep->elements; i++) {
		const redisReply *u = rep->element[i];

		if (u->type != REDIS_REPLY_STRING || u->len == 0 || u->len >= EV_ID_MAX)
			continue;
		/* a user of ours cannot have been reaped: only dead nodes are */
		log_info("events: presence: '%s' went offline with a dead node", u->str);
		ev_presence_publish_user(ps->ev, u->str, false);
	}
	freeReplyObject(rep);
	if (readded && !first_beat)
		reregister(ps);
	return SE_OK;
}

static void *beat_main(void *arg)
{
	struct ev_pshared *ps = arg;
	int64_t period = ps->ttl_ms / 3;
	struct timespec until;

	pthread_mutex_lock(&ps->stop_mu);
	while (!ps->stop) {
		until = ev_deadline_in(period);
		(void)pthread_cond_timedwait(&ps->stop_cv, &ps->stop_mu, &until);
		if (ps->stop)
			break;
		pthread_mutex_unlock(&ps->stop_mu);
		(void)beat(ps, false);
		pthread_mutex_lock(&ps->stop_mu);
	}
	pthread_mutex_unlock(&ps->stop_mu);
	return NULL;
}

struct ev_pshared *ev_pshared_new(struct ev *ev)
{
	const struct bus_backend_ops *ops = NULL;
	void *be = bus_backend(ev->app->bus, &ops);
	struct ev_pshared *ps;

	if (!be || ops != &bus_redis_ops)
		return NULL;
	ps = xcalloc(1, sizeof(*ps));
	ps->ev = ev;
	ps->r = be;
	snprintf(ps->node, sizeof(ps->node), "%s", bus_redis_node(ps->r));
	ps->ttl_ms = ev_env_ms(EV_PRES_TTL_ENV, 300, EV_PRES_TTL_MS, "presence TTL");
	pthread_mutex_init(&ps->mu, NULL);
	pthread_mutex_init(&ps->stop_mu, NULL);
	pthread_cond_init(&ps->stop_cv, NULL);
	/* register before the first socket, so that add's ZADD XX finds us */
	if (beat(ps, true))
		log_warn("events: presence: cannot register node %s in redis yet", ps->node);
	ps->started = pthread_create(&ps->thread, NULL, beat_main, ps) == 0;
	if (!ps->started)
		log_warn("events: presence: no heartbeat thread: other nodes will reap this one");
	log_info("events: presence shared through redis as node %s (ttl %" PRId64 " ms)", ps->node,
	         ps->ttl_ms);
	return ps;
}

void ev_pshared_free(struct ev_pshared *ps)
{
	const char *argv[] = {"ZREM", EV_PRES_NODES, NULL};
	char nk[sizeof(EV_PRES_PREFIX) + EV_ID_MAX + 2];
	const char *del[] = {"DEL", nk};
	redisReply *rep;

	if (!ps)
		return;
	if (ps->started) {
		pthread_mutex_lock(&ps->stop_mu);
		ps->stop = true;
		pthread_cond_signal(&ps->stop_cv);
		pthread_mutex_unlock(&ps->stop_mu);
		pthread_join(ps->thread, NULL);
	}
	/* a clean stop: every socket closed already, so nothing is left to announce */
	argv[2] = ps->node;
	snprintf(nk, sizeof(nk), EV_PRES_PREFIX "n:%s", ps->node);
	rep = run(ps, 3, argv);
	if (rep)
		freeReplyObject(rep);
	rep = run(ps, 2, del);
	if (rep)
		freeReplyObject(rep);
	if (ps->c)
		redisFree(ps->c);
	pthread_cond_destroy(&ps->stop_cv);
	pthread_mutex_destroy(&ps->stop_mu);
	pthread_mutex_destroy(&ps->mu);
	mem_free(ps);
}
