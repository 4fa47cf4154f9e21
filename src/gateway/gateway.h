/*
 * gateway/gateway.h: the WebSocket listener (Revolt "bonfire" transport).
 *
 * Owns: one libwebsockets context with its own service thread, the sockets,
 * per-socket bounded send queues, message reassembly and the handler table.
 * Does not own: the event protocol (authentication, Ready, Revolt semantics),
 * which plugs in through struct gw_handler; topics and fan-out (bus/bus.h).
 * Threads: gw_new/gw_start/gw_stop/gw_free from one controlling thread;
 * gw_port and gw_conn_count from any thread; gw_conn_* only on the service
 * thread (inside a handler). Bus deliveries may come from any thread.
 * Memory: incoming text is borrowed for the handler call; outgoing text is
 * copied. Slow sockets are closed, never waited for (docs/internals/gateway.md).
 */
#ifndef SOL_GATEWAY_GATEWAY_H
#define SOL_GATEWAY_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/str.h"

struct bus;
struct gw;
struct gw_conn;

/* Defaults used when a gw_opts field is 0. */
#define GW_HANDSHAKE_TIMEOUT_S 10
#define GW_HEADER_POOL 256
/* seconds of silence before the server pings a socket, and before it hangs up */
#define GW_PING_S 30
#define GW_HANGUP_S 75
/* query parameters kept per connection; more are ignored */
#define GW_QUERY_PARAMS_MAX 32

/* Close codes (RFC 6455 §7.4.1). */
#define GW_CLOSE_NORMAL 1000
#define GW_CLOSE_GOING_AWAY 1001
#define GW_CLOSE_POLICY 1008
#define GW_CLOSE_TOO_BIG 1009

/*
 * Handler callbacks, all on the service thread. on_open runs once the
 * handshake is done; returning non-SE_OK closes the socket (1008). on_message
 * gets each complete text message (`text` borrowed for the call). on_close
 * runs once for every connection on_open accepted, before its state is freed.
 * `ctx` is gw_handler.ctx.
 */
typedef enum err gw_open_fn(void *ctx, struct gw_conn *c);
typedef void gw_message_fn(void *ctx, struct gw_conn *c, struct str text);
typedef void gw_close_fn(void *ctx, struct gw_conn *c);

/* What a filter decides about one queued message. */
enum gw_verdict {
	GW_PASS, /* send it */
	GW_DROP, /* do not send it */
};

/*
 * Per-socket filter, on the service thread, for every queued message (bus
 * deliveries and gw_conn_send replies alike) just before it is written.
 * `text` is borrowed for the call. It may call gw_conn_replace (write
 * another message in this one's place), gw_conn_send (queued behind what is
 * already queued), gw_conn_subscribe/unsubscribe and gw_conn_close: this is
 * where a protocol applies per-socket state (visibility, logout).
 */
typedef enum gw_verdict gw_filter_fn(void *ctx, struct gw_conn *c, struct str text);

struct gw_handler {
	gw_open_fn *on_open;       /* NULL: accept */
	gw_message_fn *on_message; /* NULL: gw_handle_basic */
	gw_close_fn *on_close;     /* NULL: nothing */
	void *ctx;
};

struct gw_opts {
	const char *host;                 /* bind address, e.g. "127.0.0.1"; NULL: all */
	int port;                         /* 0: pick a free port (see gw_port) */
	size_t sendq_max;                 /* bytes queued per socket; 0: LIM_WS_SENDQ_MAX */
	size_t max_message;               /* bytes of one incoming message; 0: LIM_WS_MSG_MAX */
	unsigned handshake_timeout_s;     /* 0: GW_HANDSHAKE_TIMEOUT_S */
	unsigned header_pool;             /* concurrent handshakes; 0: GW_HEADER_POOL */
	unsigned ping_s;                  /* 0: GW_PING_S */
	unsigned hangup_s;                /* 0: GW_HANGUP_S; must exceed ping_s */
	const struct gw_handler *handler; /* borrowed for the gateway's life; NULL: basic */
	gw_filter_fn *filter;             /* called with handler->ctx; NULL: send everything */
};

/* Lifecycle */

/*
 * Create the context and bind the listener (nothing is served until
 * gw_start). `opts` is read during the call; `bus` is borrowed for the life
 * of the gateway. On success *out is owned (gw_free). Returns SE_IO when the
 * address cannot be bound (ei->detail says why), SE_INVAL for bad options.
 */
enum err gw_new(const struct gw_opts *opts, struct bus *bus, struct gw **out, struct err_info *ei)
    __attribute__((warn_unused_result));
/* The port actually bound (useful with port 0). Any thread. */
int gw_port(const struct gw *gw);
/* Spawn the service thread. SE_OK, SE_BUSY if already started, SE_IO. */
enum err gw_start(struct gw *gw) __attribute__((warn_unused_result));
/*
 * Close every socket (1001 to those that can take it, within ~1 s), stop and
 * join the service thread, and destroy the context. Any thread except the
 * service thread; idempotent.
 */
void gw_stop(struct gw *gw);
/* gw_stop if needed, then free; accepts NULL. */
void gw_free(struct gw *gw);
/* Open connections (handshake done, not yet closed). Any thread. */
size_t gw_conn_count(const struct gw *gw);

/* Connection API: service thread only, with a connection passed to a handler. */

/*
 * Queue a text message (copied). SE_TOO_LARGE over LIM_EVENT_MAX, SE_NOMEM,
 * or SE_FULL when the send queue overflowed: the socket is being closed.
 */
enum err gw_conn_send(struct gw_conn *c, struct str text);
/*
 * Only inside the filter: write `text` (copied) instead of the message being
 * filtered, at its place in the queue, whatever the verdict; a second call
 * replaces the first. SE_INVAL outside the filter, SE_TOO_LARGE, SE_NOMEM.
 */
enum err gw_conn_replace(struct gw_conn *c, struct str text);
/* Subscribe to a bus topic; errors as bus_sub_add_topic. */
enum err gw_conn_subscribe(struct gw_conn *c, struct str topic);
/* Unsubscribe; SE_NOT_FOUND when not subscribed. */
enum err gw_conn_unsubscribe(struct gw_conn *c, struct str topic);
/* Close with `code` once already queued messages are sent. */
void gw_conn_close(struct gw_conn *c, int code);
/*
 * The value of the first query parameter named `key` (URL-decoded, borrowed
 * until on_close returns), or STR_NULL (p == NULL) when absent.
 */
struct str gw_conn_query(const struct gw_conn *c, const char *key);
/* The i-th query parameter; false past the end. For repeated keys. */
bool gw_conn_query_at(const struct gw_conn *c, size_t i, struct str *key, struct str *val);
/*
 * Drop the socket `secs` seconds from now (no close frame) unless called
 * again; 0 cancels. For deadlines such as "authenticate within N seconds".
 */
void gw_conn_set_deadline(struct gw_conn *c, unsigned secs);
/* Per-connection pointer for the handler; NULL until set. */
void gw_conn_set_data(struct gw_conn *c, void *data);
void *gw_conn_data(const struct gw_conn *c);

/*
 * The built-in message handler, for until the events protocol replaces it:
 * {"type":"Ping","data":X} -> {"type":"Pong","data":X} (none when
 * "responded" is present), {"type":"Subscribe","server_id":T} -> subscribe to
 * T. Anything else, or bad JSON, is ignored with a debug log line.
 */
void gw_handle_basic(void *ctx, struct gw_conn *c, struct str text);

#endif /* SOL_GATEWAY_GATEWAY_H */
