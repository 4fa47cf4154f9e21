/*
 * gateway/gateway.c: WebSocket listener on its own libwebsockets context and
 * service thread (RFC 6455; Revolt bonfire transport, REVOLT.md §9). Bus
 * deliveries enqueue under a per-socket mutex and wake the loop with
 * lws_cancel_service; the service thread drains in WRITEABLE, one lws_write
 * per callback (STYLE §10). See docs/internals/gateway.md.
 */
#include "gateway/gateway.h"

#include <jansson.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "bus/bus.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "gateway/wire.h"

/* lws's per-socket receive buffer: client messages are small (Authenticate,
 * Ping, typing), so a small chunk keeps idle sockets cheap */
#define GW_RX_CHUNK 512
/* one WRITEABLE writes at most this many queued events (bytes, frames) */
#define GW_COALESCE_BYTES (16u << 10)
#define GW_COALESCE_FRAMES 64
#define GW_FRAME_HDR_MAX 10
/* bytes charged per queued message on top of its payload (ring slot, frame) */
#define GW_MSG_OVERHEAD 32
/* how long gw_stop waits for sockets to take their close frame */
#define GW_STOP_GRACE_US (1000 * LWS_US_PER_MS)
#define GW_STOP_TICK_US (20 * LWS_US_PER_MS)

/* One query parameter: offsets and lengths in gw_conn.query (< LIM_URL_MAX). */
struct gw_qparam {
	uint16_t ko, kn, vo, vn;
};
_Static_assert(LIM_URL_MAX <= UINT16_MAX, "gw_qparam offsets are 16-bit");

struct gw_conn {
	struct gw *gw;
	struct lws *wsi;
	struct bus_sub *sub;
	struct gw_conn *prev, *next; /* gw->conns; service thread */

	/* send queue: under mu */
	pthread_mutex_t mu;
	struct bus_msg **q; /* ring */
	size_t qhead, qlen, qcap, qbytes;
	bool dropped; /* overflowed: the socket is being killed */
	bool closing; /* gw_conn_close: accept nothing more */

	/* pending list: under gw->mu */
	struct gw_conn *pnext;
	bool in_pending;

	/* service thread only */
	int close_code;
	bool opened, kill_logged, rx_active, rx_binary;
	bool msgpack;                /* format=msgpack: binary frames both ways (gateway/wire.h) */
	bool in_filter;              /* gw->filter is running for this socket */
	struct bus_msg *replacement; /* gw_conn_replace's message (referenced) */
	size_t rx_n;                 /* bytes of the message being received */
	struct buf rx;
	char *query;              /* "k\0v\0" pairs, owned */
	struct gw_qparam *params; /* nparams offsets into query, owned */
	size_t nparams;
	void *data;
};

/* lws per-session data: just our pointer, so we own the lifetime. */
struct gw_pss {
	struct gw_conn *conn;
};

struct gw {
	struct lws_context *ctx;
	struct bus *bus;
	struct gw_handler handler;
	gw_filter_fn *filter;
	size_t sendq_max, max_message;
	int port;
	struct lws_protocols protocols[2];
	pthread_t thread;
	bool started, stopped;
	atomic_bool stop;
	atomic_bool wake; /* a lws_cancel_service is outstanding */
	atomic_size_t nconns;

	pthread_mutex_t ctx_mu; /* gw_stop's lws_cancel_service vs. destroy */
	pthread_mutex_t mu;     /* guards pending */
	struct gw_conn *pending;

	/* service thread only */
	struct gw_conn *conns;
	char *scratch; /* LWS_PRE + payload for lws_write */
	size_t scratch_cap;
	struct bus_msg *mp_msg; /* referenced: the message mp holds in msgpack */
	struct buf mp;
	lws_sorted_usec_list_t tick;
	lws_retry_bo_t retry; /* ping/hang-up policy; lws keeps a pointer */
};

static void lws_emit(int level, const char *line)
{
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	log_write(level == LLL_ERR ? LOG_LVL_ERROR : LOG_LVL_WARN, "gateway: lws: %.*s", (int)n,
	          line);
}

/* ---- send queue (any thread) ---- */

static void queue_clear(struct gw_conn *c)
{
	while (c->qlen) {
		bus_msg_unref(c->q[c->qhead]);
		c->qhead = (c->qhead + 1) & (c->qcap - 1);
		c->qlen--;
	}
	c->qbytes = 0;
}

static bool queue_grow(struct gw_conn *c)
{
	size_t ncap = c->qcap ? c->qcap * 2 : 8;
	struct bus_msg **nq = mem_try_alloc(ncap * sizeof(*nq));

	if (!nq)
		return false;
	for (size_t i = 0; i < c->qlen; i++)
		nq[i] = c->q[(c->qhead + i) & (c->qcap - 1)];
	mem_free(c->q);
	c->q = nq;
	c->qcap = ncap;
	c->qhead = 0;
	return true;
}

/*
 * Queue a reference to `m`. Returns true when the service thread must look
 * at the connection: the queue went from empty to non-empty, or it just
 * overflowed. Sets *rc to SE_OK or SE_FULL.
 */
static bool enqueue(struct gw_conn *c, struct bus_msg *m, enum err *rc)
{
	size_t cost = bus_msg_data(m).n + GW_MSG_OVERHEAD;
	bool notify = false;

	*rc = SE_OK;
	pthread_mutex_lock(&c->mu);
	if (c->dropped || c->closing) {
		*rc = SE_FULL;
		goto out;
	}
	if (c->qbytes + cost > c->gw->sendq_max || (c->qlen == c->qcap && !queue_grow(c))) {
		/* Slow socket: drop it and its backlog; never block the publisher. */
		c->dropped = true;
		queue_clear(c);
		*rc = SE_FULL;
		notify = true;
		goto out;
	}
	c->q[(c->qhead + c->qlen) & (c->qcap - 1)] = bus_msg_ref(m);
	c->qlen++;
	c->qbytes += cost;
	notify = c->qlen == 1;
out:
	pthread_mutex_unlock(&c->mu);
	return notify;
}

/* bus_deliver_fn: publisher's thread. Enqueue, then wake the loop once. */
static void conn_deliver(void *ctx, struct bus_msg *m)
{
	struct gw_conn *c = ctx;
	struct gw *gw = c->gw;
	bool add = false;
	enum err rc;

	if (!enqueue(c, m, &rc))
		return;
	pthread_mutex_lock(&gw->mu);
	if (!c->in_pending) {
		c->in_pending = true;
		c->pnext = gw->pending;
		gw->pending = c;
		add = true;
	}
	pthread_mutex_unlock(&gw->mu);
	/*
	 * Coalesce wake-ups: at most one byte sits in the lws cancel pipe, so
	 * a publisher can never block on a full pipe while holding the bus lock.
	 */
	if (add && !atomic_exchange(&gw->wake, true))
		lws_cancel_service(gw->ctx);
}

/* ---- service thread ---- */

static void conn_kill(struct gw_conn *c)
{
	if (!c->kill_logged) {
		c->kill_logged = true;
		log_warn("gateway: send queue over %zu bytes, dropping slow socket",
		         c->gw->sendq_max);
	}
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* Look at one connection after an enqueue from another thread. */
static void conn_poke(struct gw_conn *c)
{
	bool dropped, has;

	pthread_mutex_lock(&c->mu);
	dropped = c->dropped;
	has = c->qlen > 0;
	pthread_mutex_unlock(&c->mu);
	if (dropped)
		conn_kill(c);
	else if (has)
		lws_callback_on_writable(c->wsi);
}

static void drain_pending(struct gw *gw)
{
	struct gw_conn *list, *c;

	atomic_store(&gw->wake, false);
	pthread_mutex_lock(&gw->mu);
	list = gw->pending;
	gw->pending = NULL;
	pthread_mutex_unlock(&gw->mu);
	/*
	 * Entries keep in_pending until looked at, so publishers do not relink
	 * them while we walk; clearing it before reading the queue means an
	 * enqueue that saw in_pending set is seen by conn_poke.
	 */
	while (list) {
		c = list;
		pthread_mutex_lock(&gw->mu);
		list = c->pnext;
		c->pnext = NULL;
		c->in_pending = false;
		pthread_mutex_unlock(&gw->mu);
		conn_poke(c);
	}
}

static void capture_query(struct gw_conn *c)
{
	struct buf b = BUF_INIT(LIM_URL_MAX);
	size_t off[GW_QUERY_PARAMS_MAX][2], lens[GW_QUERY_PARAMS_MAX][2];
	char frag[LIM_URL_MAX];
	size_t n = 0;

	for (int i = 0; i < GW_QUERY_PARAMS_MAX; i++) {
		int k =
		    lws_hdr_copy_fragment(c->wsi, frag, sizeof(frag), WSI_TOKEN_HTTP_URI_ARGS, i);
		struct str v, key;

		if (k < 0)
			break;
		v = (struct str){frag, (size_t)k};
		key = str_cut(&v, '=');
		off[n][0] = b.len;
		lens[n][0] = key.n;
		buf_append_str(&b, key);
		buf_putc(&b, '\0');
		off[n][1] = b.len;
		lens[n][1] = v.n;
		buf_append_str(&b, v);
		buf_putc(&b, '\0');
		n++;
	}
	if (buf_err(&b) || n == 0) {
		buf_release(&b);
		return;
	}
	c->query = buf_take(&b, NULL);
	c->params = xmalloc(n * sizeof(*c->params));
	for (size_t i = 0; i < n; i++)
		c->params[i] = (struct gw_qparam){(uint16_t)off[i][0], (uint16_t)lens[i][0],
		                                  (uint16_t)off[i][1], (uint16_t)lens[i][1]};
	c->nparams = n;
}

static void conn_open(struct gw *gw, struct lws *wsi, struct gw_pss *pss)
{
	struct gw_conn *c = xcalloc(1, sizeof(*c));

	c->gw = gw;
	c->wsi = wsi;
	pthread_mutex_init(&c->mu, NULL);
	buf_init(&c->rx, gw->max_message);
	c->sub = bus_sub_new(gw->bus, conn_deliver, c);
	c->next = gw->conns;
	if (gw->conns)
		gw->conns->prev = c;
	gw->conns = c;
	pss->conn = c;
	atomic_fetch_add(&gw->nconns, 1);
	capture_query(c);
	c->msgpack = str_eq_cstr(gw_conn_query(c, "format"), "msgpack");
	if (gw->handler.on_open && gw->handler.on_open(gw->handler.ctx, c) != SE_OK) {
		gw_conn_close(c, GW_CLOSE_POLICY);
		return;
	}
	c->opened = true;
}

/* Runs on CLOSED or, failing that, WSI_DESTROY; idempotent via pss. */
static void conn_gone(struct gw *gw, struct gw_pss *pss)
{
	struct gw_conn *c = pss ? pss->conn : NULL;

	if (!c)
		return;
	pss->conn = NULL;
	/* After this no delivery is running or will run for c. */
	bus_sub_free(c->sub);
	c->sub = NULL;
	pthread_mutex_lock(&gw->mu);
	if (c->in_pending) {
		struct gw_conn **pp = &gw->pending;

		while (*pp != c)
			pp = &(*pp)->pnext;
		*pp = c->pnext;
		c->in_pending = false;
	}
	pthread_mutex_unlock(&gw->mu);
	if (c->opened && gw->handler.on_close)
		gw->handler.on_close(gw->handler.ctx, c);
	if (c->prev)
		c->prev->next = c->next;
	else
		gw->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	atomic_fetch_sub(&gw->nconns, 1);
	queue_clear(c);
	mem_free(c->q);
	buf_release(&c->rx);
	mem_free(c->query);
	mem_free(c->params);
	pthread_mutex_destroy(&c->mu);
	mem_free(c);
}

/*
 * The msgpack form of `m` for a format=msgpack socket. A fan-out hands the
 * same message to many sockets in a row, so the last conversion is kept
 * (with a reference, so the pointer cannot be reused meanwhile).
 */
static enum err msgpack_of(struct gw *gw, struct bus_msg *m, struct str *out)
{
	enum err rc;

	if (gw->mp_msg != m) {
		bus_msg_unref(gw->mp_msg);
		gw->mp_msg = NULL;
		buf_reset(&gw->mp);
		rc = wire_json_to_msgpack(bus_msg_data(m), &gw->mp, NULL);
		if (rc)
			return rc;
		gw->mp_msg = bus_msg_ref(m);
	}
	*out = buf_str(&gw->mp);
	return SE_OK;
}

/* WRITEABLE: exactly one lws_write. Returns -1 to close. */
/* Room in gw->scratch for `n` more bytes after LWS_PRE + used. */
static bool scratch_reserve(struct gw *gw, size_t used, size_t n)
{
	char *p;

	if (gw->scratch_cap >= LWS_PRE + used + n)
		return true;
	p = mem_try_realloc(gw->scratch, LWS_PRE + used + n);
	if (!p)
		return false;
	gw->scratch = p;
	gw->scratch_cap = LWS_PRE + used + n;
	return true;
}

/* An unmasked server frame header (RFC 6455 5.2) into h; returns its length. */
static size_t frame_header(unsigned char h[GW_FRAME_HDR_MAX], bool binary, size_t n)
{
	h[0] = binary ? 0x82 : 0x81;
	if (n < 126) {
		h[1] = (unsigned char)n;
		return 2;
	}
	if (n <= 0xffff) {
		h[1] = 126;
		h[2] = (unsigned char)(n >> 8);
		h[3] = (unsigned char)n;
		return 4;
	}
	h[1] = 127;
	for (int i = 0; i < 8; i++)
		h[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
	return 10;
}

/*
 * WRITEABLE: takes queued messages (filtered, msgpack-converted) into the
 * scratch buffer, each behind its own frame header, up to GW_COALESCE_BYTES /
 * GW_COALESCE_FRAMES, and writes them with one lws_write: one send per
 * callback however many events wait. A lone message goes through lws's own
 * framing; several go out as LWS_WRITE_RAW (we framed them; no extensions
 * are negotiated). Copies per socket, so the shared messages stay untouched.
 */
static int conn_writeable(struct gw *gw, struct gw_conn *c)
{
	size_t used = 0, first_hdr = 0, first_n = 0;
	int frames = 0, n;
	bool more;

	for (;;) {
		unsigned char h[GW_FRAME_HDR_MAX];
		struct bus_msg *m = NULL;
		struct str d;
		size_t hn;

		pthread_mutex_lock(&c->mu);
		if (c->qlen) {
			m = c->q[c->qhead];
			c->qhead = (c->qhead + 1) & (c->qcap - 1);
			c->qlen--;
			c->qbytes -= bus_msg_data(m).n + GW_MSG_OVERHEAD;
		}
		pthread_mutex_unlock(&c->mu);
		if (!m)
			break;
		d = bus_msg_data(m);
		if (gw->filter) {
			enum gw_verdict v;

			c->in_filter = true;
			v = gw->filter(gw->handler.ctx, c, d);
			c->in_filter = false;
			if (c->replacement) {
				/* written in the filtered message's place: order kept */
				bus_msg_unref(m);
				m = c->replacement;
				c->replacement = NULL;
				d = bus_msg_data(m);
			} else if (v == GW_DROP) {
				/* the filter may have queued a reply or asked for a close */
				bus_msg_unref(m);
				continue;
			}
		}
		if (c->msgpack && msgpack_of(gw, m, &d)) {
			log_warn(
			    "gateway: dropping an event that is not JSON for a msgpack socket");
			bus_msg_unref(m);
			continue;
		}
		hn = frame_header(h, c->msgpack, d.n);
		if (!scratch_reserve(gw, used, hn + d.n)) {
			bus_msg_unref(m);
			return -1;
		}
		memcpy(gw->scratch + LWS_PRE + used, h, hn);
		memcpy(gw->scratch + LWS_PRE + used + hn, d.p, d.n);
		bus_msg_unref(m);
		if (!frames) {
			first_hdr = hn;
			first_n = d.n;
		}
		used += hn + d.n;
		frames++;
		if (used >= GW_COALESCE_BYTES || frames >= GW_COALESCE_FRAMES || c->close_code)
			break;
	}
	if (frames == 1) {
		/* lws frames it: its header goes where ours is, in front of the payload */
		n = lws_write(c->wsi, (unsigned char *)gw->scratch + LWS_PRE + first_hdr, first_n,
		              c->msgpack ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
		if (n < (int)first_n)
			return -1;
	} else if (frames > 1) {
		n = lws_write(c->wsi, (unsigned char *)gw->scratch + LWS_PRE, used, LWS_WRITE_RAW);
		if (n < (int)used)
			return -1;
	}
	pthread_mutex_lock(&c->mu);
	more = c->qlen > 0;
	pthread_mutex_unlock(&c->mu);
	if (!frames && !more && c->close_code) {
		lws_close_reason(c->wsi, (enum lws_close_status)c->close_code, NULL, 0);
		return -1;
	}
	if (more || c->close_code)
		lws_callback_on_writable(c->wsi);
	return 0;
}

/* RECEIVE: reassemble one message up to max_message. Returns -1 to close. */
static int conn_receive(struct gw *gw, struct gw_conn *c, const void *in, size_t len)
{
	size_t remaining = lws_remaining_packet_payload(c->wsi);

	if (!c->rx_active) {
		c->rx_active = true;
		c->rx_binary = lws_frame_is_binary(c->wsi);
		c->rx_n = 0;
		buf_reset(&c->rx);
	}
	c->rx_n += len;
	if (c->rx_n + remaining > gw->max_message) {
		lws_close_reason(c->wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
		return -1;
	}
	/* Binary frames are msgpack on format=msgpack sockets; elsewhere skipped. */
	if (!c->rx_binary || c->msgpack)
		buf_append(&c->rx, in, len);
	if (buf_err(&c->rx))
		return -1;
	if (!lws_is_final_fragment(c->wsi) || remaining)
		return 0;
	c->rx_active = false;
	if ((!c->rx_binary || c->msgpack) && !c->closing) {
		struct str text = {c->rx.ptr ? c->rx.ptr : "", c->rx.len};
		struct buf js = BUF_INIT(LIM_EVENT_MAX);

		if (c->rx_binary) {
			if (wire_msgpack_to_json(text, &js, NULL)) {
				log_debug("gateway: ignoring a bad msgpack message");
				buf_release(&js);
				goto done;
			}
			text = buf_str(&js);
		}

		if (gw->handler.on_message)
			gw->handler.on_message(gw->handler.ctx, c, text);
		else
			gw_handle_basic(NULL, c, text);
		buf_release(&js);
	}
done:
	/* No reassembly buffer is kept per idle socket (messages in are rare). */
	buf_release(&c->rx);
	return 0;
}

static int gw_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
	struct lws_context *lctx = lws_get_context(wsi);
	struct gw *gw = lctx ? lws_context_user(lctx) : NULL;
	struct gw_pss *pss = user;

	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (gw)
			drain_pending(gw);
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		conn_open(gw, wsi, pss);
		return 0;
	case LWS_CALLBACK_CLOSED:
	case LWS_CALLBACK_WSI_DESTROY:
		if (gw && pss)
			conn_gone(gw, pss);
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return pss && pss->conn ? conn_writeable(gw, pss->conn) : 0;
	case LWS_CALLBACK_RECEIVE:
		return pss && pss->conn ? conn_receive(gw, pss->conn, in, len) : -1;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* ---- lifecycle ---- */

enum err gw_new(const struct gw_opts *opts, struct bus *bus, struct gw **out, struct err_info *ei)
{
	struct lws_context_creation_info info;
	struct lws_vhost *vh;
	struct gw *gw = NULL;
	enum err rc = SE_OK;
	unsigned ping = opts && opts->ping_s ? opts->ping_s : GW_PING_S;
	unsigned hangup = opts && opts->hangup_s ? opts->hangup_s : GW_HANGUP_S;

	if (!opts || !bus || opts->port < 0 || opts->port > 65535 || hangup > 65535 ||
	    hangup <= ping)
		return SE_RAISEF(ei, SE_INVAL, "gateway: bad options");
	gw = xcalloc(1, sizeof(*gw));
	gw->bus = bus;
	if (opts->handler)
		gw->handler = *opts->handler;
	gw->filter = opts->filter;
	gw->sendq_max = opts->sendq_max ? opts->sendq_max : LIM_WS_SENDQ_MAX;
	gw->max_message = opts->max_message ? opts->max_message : LIM_WS_MSG_MAX;
	buf_init(&gw->mp, LIM_EVENT_MAX * 2);
	pthread_mutex_init(&gw->mu, NULL);
	pthread_mutex_init(&gw->ctx_mu, NULL);
	gw->protocols[0] = (struct lws_protocols){
	    .name = "solstice-bonfire",
	    .callback = gw_callback,
	    .per_session_data_size = sizeof(struct gw_pss),
	    /* lws keeps this (+ LWS_PRE) per socket for its whole life; longer
	     * frames arrive in pieces and are reassembled in gw_conn.rx up to
	     * max_message. Sends are not bounded by it (tx_packet_size). */
	    .rx_buffer_size = GW_RX_CHUNK,
	    .tx_packet_size = 4096,
	};
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_emit);

	memset(&info, 0, sizeof(info));
	info.options =
	    LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
	if (opts->host && !strchr(opts->host, ':'))
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	info.protocols = gw->protocols;
	info.user = gw;
	info.timeout_secs =
	    opts->handshake_timeout_s ? opts->handshake_timeout_s : GW_HANDSHAKE_TIMEOUT_S;
	info.timeout_secs_ah_idle = info.timeout_secs;
	info.max_http_header_pool =
	    (unsigned short)(opts->header_pool ? opts->header_pool : GW_HEADER_POOL);
	info.max_http_header_data = LIM_HEADERS_MAX;
	gw->retry.secs_since_valid_ping = (uint16_t)ping;
	gw->retry.secs_since_valid_hangup = (uint16_t)hangup;
	info.retry_and_idle_policy = &gw->retry;
	info.vhost_name = "bonfire";
	info.iface = opts->host;
	info.port = opts->port;
	gw->ctx = lws_create_context(&info);
	if (!gw->ctx) {
		rc = SE_RAISEF(ei, SE_IO, "gateway: cannot create lws context");
		goto out;
	}
	vh = lws_create_vhost(gw->ctx, &info);
	if (!vh) {
		rc = SE_RAISEF(ei, SE_IO, "gateway: cannot listen on %s:%d",
		               opts->host ? opts->host : "*", opts->port);
		goto out;
	}
	gw->port = lws_get_vhost_listen_port(vh);
out:
	if (rc) {
		gw_free(gw);
		return rc;
	}
	*out = gw;
	return rc;
}

int gw_port(const struct gw *gw)
{
	return gw->port;
}

size_t gw_conn_count(const struct gw *gw)
{
	return atomic_load(&((struct gw *)gw)->nconns);
}

static void stop_tick(lws_sorted_usec_list_t *sul)
{
	struct gw *gw = lws_container_of(sul, struct gw, tick);

	/* Only wakes lws_service up during the close grace period. */
	lws_sul_schedule(gw->ctx, 0, &gw->tick, stop_tick, GW_STOP_TICK_US);
}

static void *service_main(void *arg)
{
	struct gw *gw = arg;
	lws_usec_t deadline;

	while (!atomic_load(&gw->stop))
		if (lws_service(gw->ctx, 0) < 0)
			break;
	for (struct gw_conn *c = gw->conns; c; c = c->next)
		gw_conn_close(c, GW_CLOSE_GOING_AWAY);
	lws_sul_schedule(gw->ctx, 0, &gw->tick, stop_tick, GW_STOP_TICK_US);
	deadline = lws_now_usecs() + GW_STOP_GRACE_US;
	while (gw->conns && lws_now_usecs() < deadline)
		if (lws_service(gw->ctx, 0) < 0)
			break;
	lws_sul_cancel(&gw->tick);
	/*
	 * Unsubscribe everyone before the context goes: a publisher must not
	 * call lws_cancel_service while the context is being destroyed.
	 */
	for (struct gw_conn *c = gw->conns; c; c = c->next) {
		bus_sub_free(c->sub);
		c->sub = NULL;
	}
	/* Destroyed here so that every callback, on_close included, runs on this thread. */
	pthread_mutex_lock(&gw->ctx_mu);
	lws_context_destroy(gw->ctx);
	gw->ctx = NULL;
	pthread_mutex_unlock(&gw->ctx_mu);
	return NULL;
}

enum err gw_start(struct gw *gw)
{
	if (gw->started)
		return SE_BUSY;
	if (pthread_create(&gw->thread, NULL, service_main, gw) != 0)
		return SE_RAISE(NULL, SE_IO);
	gw->started = true;
	return SE_OK;
}

void gw_stop(struct gw *gw)
{
	if (!gw || gw->stopped)
		return;
	gw->stopped = true;
	if (gw->started) {
		pthread_mutex_lock(&gw->ctx_mu);
		atomic_store(&gw->stop, true);
		if (gw->ctx)
			lws_cancel_service(gw->ctx);
		pthread_mutex_unlock(&gw->ctx_mu);
		pthread_join(gw->thread, NULL);
	}
	/* Never started (or the loop failed early): no other thread is left. */
	if (gw->ctx)
		lws_context_destroy(gw->ctx);
	gw->ctx = NULL;
}

void gw_free(struct gw *gw)
{
	if (!gw)
		return;
	gw_stop(gw);
	mem_free(gw->scratch);
	bus_msg_unref(gw->mp_msg);
	buf_release(&gw->mp);
	pthread_mutex_destroy(&gw->mu);
	pthread_mutex_destroy(&gw->ctx_mu);
	mem_free(gw);
}

/* ---- connection API (service thread) ---- */

enum err gw_conn_send(struct gw_conn *c, struct str text)
{
	struct bus_msg *m = NULL;
	enum err rc;

	rc = bus_msg_new(text, &m);
	if (rc)
		goto out;
	if (enqueue(c, m, &rc))
		conn_poke(c);
out:
	bus_msg_unref(m);
	return rc;
}

enum err gw_conn_replace(struct gw_conn *c, struct str text)
{
	struct bus_msg *m = NULL;
	enum err rc;

	if (!c->in_filter)
		return SE_INVAL;
	rc = bus_msg_new(text, &m);
	if (rc)
		return rc;
	bus_msg_unref(c->replacement);
	c->replacement = m;
	return SE_OK;
}

enum err gw_conn_subscribe(struct gw_conn *c, struct str topic)
{
	return bus_sub_add_topic(c->sub, topic);
}

enum err gw_conn_unsubscribe(struct gw_conn *c, struct str topic)
{
	return bus_sub_remove_topic(c->sub, topic);
}

void gw_conn_close(struct gw_conn *c, int code)
{
	pthread_mutex_lock(&c->mu);
	c->closing = true;
	pthread_mutex_unlock(&c->mu);
	if (!c->close_code)
		c->close_code = code;
	lws_callback_on_writable(c->wsi);
}

struct str gw_conn_query(const struct gw_conn *c, const char *key)
{
	for (size_t i = 0; i < c->nparams; i++) {
		const struct gw_qparam *q = &c->params[i];

		if (str_eq_cstr((struct str){c->query + q->ko, q->kn}, key))
			return (struct str){c->query + q->vo, q->vn};
	}
	return STR_NULL;
}

bool gw_conn_query_at(const struct gw_conn *c, size_t i, struct str *key, struct str *val)
{
	if (i >= c->nparams)
		return false;
	*key = (struct str){c->query + c->params[i].ko, c->params[i].kn};
	*val = (struct str){c->query + c->params[i].vo, c->params[i].vn};
	return true;
}

void gw_conn_set_deadline(struct gw_conn *c, unsigned secs)
{
	if (secs)
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, (int)secs);
	else
		lws_set_timeout(c->wsi, NO_PENDING_TIMEOUT, 0);
}

void gw_conn_set_data(struct gw_conn *c, void *data)
{
	c->data = data;
}

void *gw_conn_data(const struct gw_conn *c)
{
	return c->data;
}

/* ---- the built-in handler ---- */

static void send_json(struct gw_conn *c, json_t *v)
{
	struct buf b = BUF_INIT(LIM_EVENT_MAX);
	size_t n = json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);

	if (n == 0 || buf_grow(&b, n))
		goto out;
	b.len = json_dumpb(v, b.ptr, n, JSON_COMPACT | JSON_ENCODE_ANY);
	b.ptr[b.len] = '\0';
	if (gw_conn_send(c, buf_str(&b)))
		log_debug("gateway: cannot queue reply");
out:
	buf_release(&b);
}

void gw_handle_basic(void *ctx, struct gw_conn *c, struct str text)
{
	json_error_t je;
	json_t *root = json_loadb(text.p, text.n, JSON_REJECT_DUPLICATES, &je);
	const char *type;
	char esc[64];

	(void)ctx;
	if (!json_is_object(root)) {
		log_debug("gateway: ignoring unparseable message: %s",
		          log_escape(esc, sizeof(esc), je.text, strlen(je.text)));
		goto out;
	}
	type = json_string_value(json_object_get(root, "type"));
	if (type && strcmp(type, "Ping") == 0) {
		json_t *data = json_object_get(root, "data");
		json_t *pong;

		/* Revolt answers only Pings without "responded", with data as is. */
		if (!data || json_object_get(root, "responded"))
			goto out;
		pong = json_pack("{s:s,s:O}", "type", "Pong", "data", data);
		if (pong)
			send_json(c, pong);
		json_decref(pong);
	} else if (type && strcmp(type, "Subscribe") == 0) {
		const char *sid = json_string_value(json_object_get(root, "server_id"));

		if (sid && gw_conn_subscribe(c, str_from(sid)) != SE_OK)
			log_debug("gateway: subscribe refused");
	} else {
		log_debug("gateway: ignoring message of type '%s'",
		          type ? log_escape(esc, sizeof(esc), type, strlen(type)) : "?");
	}
out:
	json_decref(root);
}
