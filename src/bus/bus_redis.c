/*
 * bus/bus_redis.c: the event bus across nodes over Redis pub/sub (PUBLISH /
 * SUBSCRIBE, https://redis.io/docs/latest/develop/interact/pubsub/), with
 * hiredis. Frame between nodes, all lengths decimal:
 *   "SOL1 <node-ulid> <ntopics> <len1> ... <lenN>\n" <topics...> <payload>
 */
#include "bus/bus_redis.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/ulid.h"

#define HOST_MAX 256
#define PASS_MAX 256
/* how long the subscriber waits on its socket before looking at `stop` */
#define POLL_MS 100
/* after a failed connect, publishing skips Redis for this long */
#define RETRY_MS 1000

struct bus_redis {
	char host[HOST_MAX];
	char pass[PASS_MAX]; /* "" = no AUTH */
	int port;
	char node[ULID_LEN + 1];
	struct bus *bus; /* borrowed; set by bus_redis_start */

	pthread_mutex_t pub_mu; /* guards pub, pub_retry_at */
	redisContext *pub;
	int64_t pub_retry_at;

	pthread_t thread;
	bool started;
	atomic_bool stop;
	atomic_ulong received;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum err parse_url(struct bus_redis *r, const char *url, struct err_info *ei)
{
	struct str s = str_from(url), hostport, pass = STR_NULL, host, port;
	uint64_t p = 6379;
	const char *at;

	if (!str_has_prefix(s, STR_LIT("redis://")))
		return SE_RAISEF(ei, SE_CONFIG, "config: bus.redis_url must start with redis://");
	s = (struct str){s.p + 8, s.n - 8};
	hostport = str_cut(&s, '/'); /* the database number does not matter to pub/sub */
	at = memchr(hostport.p, '@', hostport.n);
	if (at) {
		pass = (struct str){hostport.p, (size_t)(at - hostport.p)};
		hostport = (struct str){at + 1, hostport.n - pass.n - 1};
		/* "user:password" or ":password" */
		if (memchr(pass.p, ':', pass.n))
			(void)str_cut(&pass, ':');
	}
	host = hostport;
	port = STR_NULL;
	if (hostport.n && hostport.p[hostport.n - 1] != ']' &&
	    memchr(hostport.p, ':', hostport.n)) {
		const char *colon = memrchr(hostport.p, ':', hostport.n);

		host = (struct str){hostport.p, (size_t)(colon - hostport.p)};
		port = (struct str){colon + 1, hostport.n - host.n - 1};
		if (!str_to_u64(port, 65535, &p) || p == 0)
			return SE_RAISEF(ei, SE_CONFIG, "config: bus.redis_url has a bad port");
	}
	if (host.n >= 2 && host.p[0] == '[' && host.p[host.n - 1] == ']')
		host = (struct str){host.p + 1, host.n - 2};
	if (host.n == 0 || host.n >= HOST_MAX || pass.n >= PASS_MAX)
		return SE_RAISEF(ei, SE_CONFIG, "config: bus.redis_url has a bad host");
	memcpy(r->host, host.p, host.n);
	r->host[host.n] = '\0';
	memcpy(r->pass, pass.p ? pass.p : "", pass.n);
	r->pass[pass.n] = '\0';
	r->port = (int)p;
	return SE_OK;
}

/* A connected, authenticated context with reply timeouts, or NULL. */
static redisContext *connect_redis(struct bus_redis *r, char *why, size_t whyn)
{
	struct timeval tv = {BUS_REDIS_TIMEOUT_MS / 1000, (BUS_REDIS_TIMEOUT_MS % 1000) * 1000};
	redisContext *c = redisConnectWithTimeout(r->host, r->port, tv);
	redisReply *rep;

	if (!c || c->err) {
		snprintf(why, whyn, "%s", c ? c->errstr : "out of memory");
		goto fail;
	}
	if (redisSetTimeout(c, tv) != REDIS_OK) {
		snprintf(why, whyn, "cannot set a timeout");
		goto fail;
	}
	if (r->pass[0]) {
		rep = redisCommand(c, "AUTH %s", r->pass);
		if (!rep || rep->type == REDIS_REPLY_ERROR) {
			snprintf(why, whyn, "AUTH refused");
			if (rep)
				freeReplyObject(rep);
			goto fail;
		}
		freeReplyObject(rep);
	}
	return c;
fail:
	if (c)
		redisFree(c);
	return NULL;
}

enum err bus_redis_new(const char *url, struct bus_redis **out, struct err_info *ei)
{
	struct bus_redis *r = xcalloc(1, sizeof(*r));
	struct ulid u;
	char why[128];
	enum err rc;

	rc = parse_url(r, url, ei);
	if (rc)
		goto out;
	rc = ulid_generate(NULL, &u);
	if (rc)
		goto out;
	ulid_encode(&u, r->node);
	r->pub = connect_redis(r, why, sizeof(why));
	if (!r->pub) {
		rc = SE_RAISEF(ei, SE_IO, "bus: cannot connect to redis at %s:%d: %s", r->host,
		               r->port, why);
		goto out;
	}
	pthread_mutex_init(&r->pub_mu, NULL);
out:
	if (rc) {
		if (r->pub)
			redisFree(r->pub);
		mem_free(r);
		return rc;
	}
	*out = r;
	return SE_OK;
}

/* ---- publishing (any thread) ---- */

static enum err frame(struct bus_redis *r, const struct str *topics, size_t n, struct str payload,
                      struct buf *out)
{
	buf_printf(out, "SOL1 %s %zu", r->node, n);
	for (size_t i = 0; i < n; i++)
		buf_printf(out, " %zu", topics[i].n);
	buf_putc(out, '\n');
	for (size_t i = 0; i < n; i++)
		buf_append_str(out, topics[i]);
	buf_append_str(out, payload);
	return buf_err(out);
}

static bool publish_remote(struct bus_redis *r, struct str msg)
{
	redisReply *rep = NULL;
	char why[128] = "";
	bool ok = false;

	pthread_mutex_lock(&r->pub_mu);
	for (int attempt = 0; attempt < 2 && !ok; attempt++) {
		if (!r->pub || r->pub->err) {
			if (r->pub)
				redisFree(r->pub);
			r->pub = NULL;
			/* Redis is down: do not make every publisher wait for a connect. */
			if (now_ms() < r->pub_retry_at)
				break;
			r->pub = connect_redis(r, why, sizeof(why));
			if (!r->pub) {
				r->pub_retry_at = now_ms() + RETRY_MS;
				break;
			}
		}
		rep = redisCommand(r->pub, "PUBLISH %s %b", BUS_REDIS_CHANNEL, msg.p, msg.n);
		ok = rep && rep->type == REDIS_REPLY_INTEGER;
		if (rep)
			freeReplyObject(rep);
		else
			snprintf(why, sizeof(why), "%s", r->pub->errstr);
	}
	pthread_mutex_unlock(&r->pub_mu);
	if (!ok)
		log_warn("bus: redis publish failed, other nodes miss an event: %s", why);
	return ok;
}

static enum err rb_publish(void *be, const struct str *topics, size_t n, struct str payload)
{
	struct bus_redis *r = be;
	struct buf msg = BUF_INIT(LIM_EVENT_MAX + BUS_REDIS_TOPICS_MAX * (LIM_TOPIC_MAX + 8));
	enum err rc;

	if (n > BUS_REDIS_TOPICS_MAX)
		return SE_INVAL;
	/* Local subscribers first; this also validates topics and payload. */
	if (r->bus) {
		rc = bus_backend_deliver(r->bus, topics, n, payload);
		if (rc || n == 0)
			return rc;
	}
	rc = frame(r, topics, n, payload, &msg);
	if (!rc)
		(void)publish_remote(r, buf_str(&msg));
	buf_release(&msg);
	/* Other nodes are best effort (pub/sub): a Redis outage is only logged. */
	return rc;
}

/* ---- receiving (subscriber thread) ---- */

static bool take_num(struct str *s, uint64_t *v)
{
	struct str tok = str_cut(s, ' ');

	return str_to_u64(tok, UINT32_MAX, v);
}

/* Deliver one framed message from Redis; bad frames are logged and dropped. */
static void receive(struct bus_redis *r, const char *p, size_t len)
{
	struct str all = {p, len}, line, magic, node;
	struct str *topics = NULL;
	uint64_t n, tl, off;
	const char *nl = memchr(p, '\n', len);

	if (!nl)
		goto bad;
	line = (struct str){p, (size_t)(nl - p)};
	magic = str_cut(&line, ' ');
	node = str_cut(&line, ' ');
	if (!str_eq_cstr(magic, "SOL1") || node.n != ULID_LEN || !take_num(&line, &n) ||
	    n > BUS_REDIS_TOPICS_MAX)
		goto bad;
	if (str_eq_cstr(node, r->node))
		return; /* our own: delivered locally when published */
	topics = mem_try_alloc((n ? n : 1) * sizeof(*topics));
	if (!topics) {
		log_warn("bus: out of memory for a message from redis");
		return;
	}
	off = (uint64_t)(nl - p) + 1;
	for (uint64_t i = 0; i < n; i++) {
		if (!take_num(&line, &tl) || tl == 0 || tl > LIM_TOPIC_MAX || tl > all.n - off)
			goto bad;
		topics[i] = (struct str){p + off, (size_t)tl};
		off += tl;
	}
	if (line.n)
		goto bad;
	if (bus_backend_deliver(r->bus, topics, n, (struct str){p + off, (size_t)(all.n - off)}))
		goto bad;
	atomic_fetch_add(&r->received, 1);
	mem_free(topics);
	return;
bad:
	mem_free(topics);
	log_warn("bus: dropping a malformed message from redis (%zu bytes)", len);
}

static void handle_reply(struct bus_redis *r, redisReply *rep)
{
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 3 ||
	    rep->element[0]->type != REDIS_REPLY_STRING ||
	    rep->element[2]->type != REDIS_REPLY_STRING) {
		if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 3 &&
		    rep->element[0]->type == REDIS_REPLY_STRING &&
		    strcmp(rep->element[0]->str, "subscribe") == 0)
			log_info("bus: redis subscriber listening on '%s'", BUS_REDIS_CHANNEL);
		return;
	}
	if (strcmp(rep->element[0]->str, "message") != 0)
		return;
	receive(r, rep->element[2]->str, rep->element[2]->len);
}

/* Read messages until the connection fails or stop is set. */
static void subscribe_loop(struct bus_redis *r, redisContext *c)
{
	int done = 0;

	if (redisAppendCommand(c, "SUBSCRIBE %s", BUS_REDIS_CHANNEL) != REDIS_OK)
		return;
	while (!done)
		if (redisBufferWrite(c, &done) != REDIS_OK)
			return;
	while (!atomic_load(&r->stop)) {
		struct pollfd pf = {c->fd, POLLIN, 0};
		void *rep = NULL;

		if (redisGetReplyFromReader(c, &rep) != REDIS_OK)
			return;
		if (rep) {
			handle_reply(r, rep);
			freeReplyObject(rep);
			continue;
		}
		if (poll(&pf, 1, POLL_MS) > 0 && redisBufferRead(c) != REDIS_OK)
			return;
	}
}

static void *sub_main(void *arg)
{
	struct bus_redis *r = arg;
	bool warned = false;

	while (!atomic_load(&r->stop)) {
		char why[128];
		redisContext *c = connect_redis(r, why, sizeof(why));

		if (c) {
			if (warned)
				log_info("bus: redis subscriber reconnected");
			warned = false;
			subscribe_loop(r, c);
			if (!atomic_load(&r->stop))
				log_warn("bus: redis subscriber lost its connection: %s",
				         c->err ? c->errstr : "protocol error");
			redisFree(c);
		} else if (!warned) {
			log_warn("bus: redis subscriber cannot connect: %s", why);
			warned = true;
		}
		for (int i = 0; i < RETRY_MS / POLL_MS && !atomic_load(&r->stop); i++)
			poll(NULL, 0, POLL_MS);
	}
	return NULL;
}

enum err bus_redis_start(struct bus_redis *r, struct bus *bus)
{
	if (r->started)
		return SE_BUSY;
	r->bus = bus;
	if (pthread_create(&r->thread, NULL, sub_main, r) != 0)
		return SE_RAISE(NULL, SE_IO);
	r->started = true;
	return SE_OK;
}

const char *bus_redis_node(const struct bus_redis *r)
{
	return r->node;
}

struct redisContext *bus_redis_connect(struct bus_redis *r, char *why, size_t whyn)
{
	return connect_redis(r, why, whyn);
}

unsigned long bus_redis_received(const struct bus_redis *r)
{
	return atomic_load(&((struct bus_redis *)r)->received);
}

static void rb_free(void *be)
{
	struct bus_redis *r = be;

	if (!r)
		return;
	atomic_store(&r->stop, true);
	if (r->started)
		pthread_join(r->thread, NULL);
	if (r->pub)
		redisFree(r->pub);
	pthread_mutex_destroy(&r->pub_mu);
	mem_free(r);
}

const struct bus_backend_ops bus_redis_ops = {
    .publish = rb_publish,
    .topic_add = NULL,
    .topic_remove = NULL,
    .free = rb_free,
};
