/*
 * http/server.h: the HTTP/1.1 listener.
 *
 * Owns: the listening socket and its connections, on a libwebsockets event
 * loop (one service thread, non-blocking I/O, so idle keep-alive and slow
 * clients cost a few hundred bytes each, never a thread), and a pool of
 * worker threads that run the blocking handler. docs/architecture.md has
 * the measurements behind this design.
 * Does not own: routing or any Revolt semantics (the handler does that).
 * Threads: http_server_* are called from the main thread; the handler runs
 * on worker threads, several at once.
 */
#ifndef SOL_HTTP_SERVER_H
#define SOL_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

struct http_req;
struct http_resp;
struct http_server;

/*
 * Handles one complete request: fills `resp` (initialised to 200, empty).
 * Runs on a worker thread; must not keep pointers into req or resp.
 */
typedef void http_handler_fn(struct http_req *req, struct http_resp *resp, void *ctx);

struct http_server_opts {
	const char *host;           /* IP address to bind; borrowed for the call */
	int port;                   /* 0 picks a free port */
	unsigned workers;           /* handler threads, 0 = 4 per CPU (min 4) */
	unsigned keepalive_timeout; /* seconds an idle keep-alive connection lives */
	unsigned header_timeout;    /* seconds to receive a request's headers */
	unsigned body_timeout;      /* seconds to receive a request's body */
	unsigned max_connections;   /* connections parsing headers at once */
	size_t body_max;            /* bytes; larger bodies get PayloadTooLarge */
	/*
	 * Bodies announced larger than spool_threshold bytes (0 = never) go to an
	 * unlinked temp file in spool_dir instead of memory: the handler reads
	 * req->body_fd from offset 0 (uploads stream through without being held).
	 */
	const char *spool_dir; /* borrowed for the server's life */
	size_t spool_threshold;
	bool access_log; /* one info line per request */
	http_handler_fn *handler;
	void *handler_ctx; /* borrowed for the server's life */
};

/*
 * Create the server and bind its socket. Errors: SE_IO with ei->detail
 * saying why the address cannot be used (in use, not local, ...).
 * On success *out is owned: release with http_server_free.
 */
enum err http_server_new(const struct http_server_opts *opts, struct http_server **out,
                         struct err_info *ei) __attribute__((warn_unused_result));
/* The bound port (the real one when opts->port was 0). */
int http_server_port(const struct http_server *srv);
/* Start the service thread and the workers. */
enum err http_server_start(struct http_server *srv) __attribute__((warn_unused_result));
/*
 * Stop accepting requests, let in-flight ones finish and be written (at most
 * `grace_ms`), close every connection and join every thread. Idempotent.
 */
void http_server_stop(struct http_server *srv, unsigned grace_ms);
/* Stops if needed, then frees. Accepts NULL. */
void http_server_free(struct http_server *srv);

/* Route libwebsockets' own log lines into core/log (warnings and errors). */
void http_lws_log_init(void);

#endif /* SOL_HTTP_SERVER_H */
