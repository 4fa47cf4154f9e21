/*
 * http/server.c: HTTP/1.1 on a libwebsockets event loop with a worker pool.
 *
 * The service thread parses requests (lws), copies everything a handler may
 * read into a job (method, path, query, headers, body) and queues it; a
 * worker runs the handler and serialises the whole response (status line,
 * headers, body) into one buffer; lws_cancel_service() wakes the service
 * thread, which writes that buffer with one lws_write; a streamed body
 * (http_stream: large files) follows the headers one HTTP_STREAM_CHUNK per
 * writable callback, read on the service thread. lws itself sets
 * TCP_NODELAY on accepted sockets. STYLE section 10 has the lws rules.
 * Copying requests, spooling bodies and serialising responses live in
 * server_req.c; the types both files share in server_int.h.
 *
 * Job ownership: the service thread owns a job while it is being parsed
 * and written; the work queue and then one worker own it while it runs; the
 * done list owns it until the service thread picks it up. A connection that
 * closes while a worker holds its job marks the job orphaned, and whoever
 * holds it then frees it. All hand-overs happen under srv->mu.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/http.h"
#include "http/server_int.h"

static void job_free(struct job *j)
{
	if (!j)
		return;
	http_resp_release(&j->resp);
	buf_release(&j->req.body);
	if (j->req.body_fd >= 0)
		close(j->req.body_fd);
	buf_release(&j->out);
	arena_release(&j->arena);
	pthread_mutex_lock(&j->srv->mu);
	j->srv->live--;
	pthread_mutex_unlock(&j->srv->mu);
	mem_free(j);
}

static struct job *job_new(struct http_server *srv, struct lws *wsi)
{
	struct job *j = mem_try_alloc(sizeof(*j));

	if (!j)
		return NULL;
	memset(j, 0, sizeof(*j));
	j->srv = srv;
	j->wsi = wsi;
	j->state = JOB_PARSING;
	arena_init(&j->arena, LIM_REQ_ARENA_MAX);
	j->req.arena = &j->arena;
	buf_init(&j->req.body, srv->opts.body_max);
	j->req.body_fd = -1;
	http_resp_init(&j->resp);
	buf_init(&j->out, LIM_RESPONSE_MAX + 65536);
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	pthread_mutex_lock(&srv->mu);
	srv->live++;
	pthread_mutex_unlock(&srv->mu);
	return j;
}

static void access_log(const struct job *j)
{
	struct timespec t1;
	char path[256];
	double ms;

	if (!j->srv->opts.access_log)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - j->t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - j->t0.tv_nsec) / 1e6;
	log_escape(path, sizeof(path), j->req.path.p ? j->req.path.p : "", j->req.path.n);
	log_info("http: %s %s %d %.3fms %s", http_method_name(j->req.method), path, j->resp.status,
	         ms, j->req.peer);
}

/* Worker side: hand a finished job back to the service thread. */
static void finish(struct job *j)
{
	struct http_server *srv = j->srv;
	bool orphan;

	http_serialise(j);
	access_log(j);
	pthread_mutex_lock(&srv->mu);
	orphan = j->orphan;
	if (!orphan) {
		j->state = JOB_DONE;
		j->next = srv->done;
		srv->done = j;
	}
	pthread_mutex_unlock(&srv->mu);
	if (orphan)
		job_free(j);
	/* Also after an orphan: a draining service thread waits for `live` to drop. */
	lws_cancel_service(srv->ctx);
}

static void *worker_main(void *arg)
{
	struct http_server *srv = arg;

	for (;;) {
		struct job *j;

		pthread_mutex_lock(&srv->mu);
		while (!srv->q_head && !srv->workers_exit)
			pthread_cond_wait(&srv->cv, &srv->mu);
		if (!srv->q_head) {
			pthread_mutex_unlock(&srv->mu);
			break;
		}
		j = srv->q_head;
		srv->q_head = j->next;
		if (!srv->q_head)
			srv->q_tail = NULL;
		srv->q_len--;
		j->next = NULL;
		j->state = JOB_RUNNING;
		pthread_mutex_unlock(&srv->mu);
		/* A complete request runs even if its client went away meanwhile. */
		srv->opts.handler(&j->req, &j->resp, srv->opts.handler_ctx);
		finish(j);
	}
	return NULL;
}

/* Service thread: answer without a worker (errors found while parsing). */
static void answer_now(struct job *j, enum err e, const struct err_info *ei)
{
	http_resp_error(&j->resp, e, ei, false);
	http_serialise(j);
	access_log(j);
	j->state = JOB_WRITING;
	lws_callback_on_writable(j->wsi);
}

static void dispatch(struct job *j)
{
	struct http_server *srv = j->srv;
	bool full;

	pthread_mutex_lock(&srv->mu);
	full = srv->q_len >= LIM_HTTP_QUEUE;
	if (!full) {
		j->state = JOB_QUEUED;
		if (srv->q_tail)
			srv->q_tail->next = j;
		else
			srv->q_head = j;
		srv->q_tail = j;
		srv->q_len++;
		pthread_cond_signal(&srv->cv);
	}
	pthread_mutex_unlock(&srv->mu);
	if (full) {
		j->close_after = true;
		http_resp_set(&j->resp, 503, "application/json",
		              STR_LIT("{\"type\":\"InternalError\"}"));
		http_resp_header(&j->resp, "Retry-After", "1");
		http_serialise(j);
		access_log(j);
		j->state = JOB_WRITING;
		lws_callback_on_writable(j->wsi);
		return;
	}
	/* The handler may take a while; the connection must not time out. */
	lws_set_timeout(j->wsi, NO_PENDING_TIMEOUT, 0);
}

static int on_http(struct http_server *srv, struct pss *pss, struct lws *wsi, const char *uri)
{
	enum lws_token_indexes tok;
	struct err_info ei = ERR_INFO_INIT;
	char conn[32] = "";
	struct job *j;

	j = job_new(srv, wsi);
	if (!j)
		return -1;
	pss->job = j;
	j->req.method = http_method_of(wsi, &tok);
	if (lws_hdr_copy(wsi, conn, sizeof(conn), WSI_TOKEN_CONNECTION) > 0) {
		for (char *c = conn; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c + 32);
		if (strstr(conn, "close"))
			j->close_after = true;
		else if (strstr(conn, "keep-alive"))
			j->keepalive_hdr = true;
	}
	if (http_copy_request(j, wsi, uri ? uri : "/")) {
		answer_now(j, SE_NOMEM, NULL);
		return 0;
	}
	if (atomic_load(&srv->stopping)) {
		j->close_after = true;
		http_resp_set(&j->resp, 503, "application/json",
		              STR_LIT("{\"type\":\"InternalError\"}"));
		http_serialise(j);
		access_log(j);
		j->state = JOB_WRITING;
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (j->req.method == HTTP_METHOD__COUNT) {
		j->close_after = true;
		answer_now(j, SE_NotFound, &ei);
		return 0;
	}
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
		/*
		 * lws 4.1 does not decode chunked request bodies; its bytes would
		 * be parsed as the next request. Clients (browsers, revolt.js)
		 * send Content-Length, so refuse and close (RFC 9112 section 6.3).
		 */
		j->close_after = true;
		http_resp_set(&j->resp, 411, "application/json",
		              STR_LIT("{\"type\":\"FailedValidation\",\"error\":\"chunked request "
		                      "bodies are not supported: send Content-Length\"}"));
		http_serialise(j);
		access_log(j);
		j->state = JOB_WRITING;
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (http_wants_body(wsi)) {
		char cl[32];
		uint64_t announced = 0;

		if (lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 &&
		    str_to_u64(str_from(cl), UINT64_MAX, &announced) &&
		    announced > srv->opts.body_max) {
			/* refuse before reading a byte of it */
			j->close_after = true;
			answer_now(j, SE_PayloadTooLarge, NULL);
			return 0;
		}
		if (srv->opts.spool_threshold && srv->opts.spool_dir &&
		    announced > srv->opts.spool_threshold) {
			j->req.body_fd = http_spool_open(srv->opts.spool_dir);
			if (j->req.body_fd < 0) {
				log_warn("http: cannot open a spool file in '%s': %s",
				         srv->opts.spool_dir, strerror(errno));
				j->close_after = true;
				answer_now(j, SE_IO, NULL);
				return 0;
			}
		}
		lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, (int)srv->opts.body_timeout);
		return 0; /* LWS_CALLBACK_HTTP_BODY* follow */
	}
	dispatch(j);
	return 0;
}

static int on_body(struct pss *pss, const void *in, size_t len)
{
	struct job *j = pss->job;

	if (!j || j->state != JOB_PARSING)
		return 0; /* already answered (too large): discard */
	if (len > j->srv->opts.body_max - j->req.body_len) {
		j->close_after = true;
		answer_now(j, SE_PayloadTooLarge, NULL);
		return 0;
	}
	j->req.body_len += len;
	if (j->req.body_fd >= 0) {
		/* Page-cache writes on the service thread: bounded by the disk, not the client. */
		if (!http_spool_write(j->req.body_fd, in, len)) {
			log_warn("http: cannot spool a request body: %s", strerror(errno));
			j->close_after = true;
			answer_now(j, SE_IO, NULL);
		}
		return 0;
	}
	buf_append(&j->req.body, in, len);
	if (buf_err(&j->req.body)) {
		j->close_after = true;
		answer_now(j, SE_PayloadTooLarge, NULL);
	}
	return 0;
}

/*
 * One chunk of a streamed body (http_stream): read into j->out after
 * LWS_PRE, write, and ask for the next writable callback. 1 while more is
 * to come, 0 when all was sent, -1 to close the connection (read error, or
 * a source shorter than its Content-Length).
 */
static int write_stream_chunk(struct job *j, struct lws *wsi)
{
	struct http_stream *s = j->resp.stream;
	uint64_t left = s->len - s->sent;
	size_t want = left < HTTP_STREAM_CHUNK ? (size_t)left : HTTP_STREAM_CHUNK, got = 0;
	unsigned char *p;

	buf_reset(&j->out);
	if (buf_grow(&j->out, LWS_PRE + want))
		return -1;
	p = (unsigned char *)j->out.ptr + LWS_PRE;
	while (got < want) {
		size_t n = 0;

		if (s->read(s->ctx, p + got, want - got, &n) || n == 0)
			return -1;
		got += n;
	}
	if (lws_write(wsi, p, got, LWS_WRITE_HTTP) != (int)got)
		return -1;
	s->sent += got;
	if (s->sent < s->len) {
		lws_callback_on_writable(wsi);
		return 1;
	}
	return 0;
}

static int on_writable(struct pss *pss, struct lws *wsi)
{
	struct job *j = pss->job;
	size_t n;
	bool close;

	if (!j || j->state != JOB_WRITING)
		return 0;
	if (!j->headers_sent) {
		n = j->out.len - LWS_PRE;
		if (lws_write(wsi, (unsigned char *)j->out.ptr + LWS_PRE, n,
		              LWS_WRITE_HTTP_HEADERS) != (int)n)
			return -1;
		j->headers_sent = true;
		if (j->resp.stream) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	} else if (j->resp.stream) {
		int k = write_stream_chunk(j, wsi);

		if (k != 0)
			return k < 0 ? -1 : 0;
	}
	close = j->close_after;
	pss->job = NULL;
	job_free(j);
	if (close)
		return -1;
	if (lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

static void on_closed(struct http_server *srv, struct pss *pss)
{
	struct job *j = pss->job;
	bool free_now = false;

	if (!j)
		return;
	pss->job = NULL;
	pthread_mutex_lock(&srv->mu);
	if (j->state == JOB_PARSING || j->state == JOB_WRITING) {
		free_now = true;
	} else {
		/* Queued, running or on the done list: its holder frees it. */
		j->orphan = true;
		j->wsi = NULL;
	}
	pthread_mutex_unlock(&srv->mu);
	if (free_now)
		job_free(j);
}

/* Service thread: collect finished jobs and ask for writable callbacks. */
static void drain_done(struct http_server *srv)
{
	struct job *list, *next;

	pthread_mutex_lock(&srv->mu);
	list = srv->done;
	srv->done = NULL;
	for (struct job *j = list; j; j = j->next)
		if (!j->orphan)
			j->state = JOB_WRITING;
	pthread_mutex_unlock(&srv->mu);
	for (struct job *j = list; j; j = next) {
		next = j->next;
		j->next = NULL;
		if (j->orphan)
			job_free(j);
		else
			lws_callback_on_writable(j->wsi);
	}
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason_, void *user, void *in,
                    size_t len)
{
	struct pss *pss = user;
	struct lws_vhost *vh = lws_get_vhost(wsi);
	struct http_server *srv = vh ? lws_get_vhost_user(vh) : NULL;

	switch (reason_) {
	case LWS_CALLBACK_HTTP:
		if (!pss || !srv)
			return -1;
		return on_http(srv, pss, wsi, in);
	case LWS_CALLBACK_HTTP_BODY:
		return pss ? on_body(pss, in, len) : 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (pss && pss->job && pss->job->state == JOB_PARSING)
			dispatch(pss->job);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return pss ? on_writable(pss, wsi) : 0;
	case LWS_CALLBACK_CLOSED_HTTP:
		if (srv && pss)
			on_closed(srv, pss);
		return 0;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (srv)
			drain_done(srv);
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason_, user, in, len);
	}
}

static void *service_main(void *arg)
{
	struct http_server *srv = arg;
	struct timespec deadline = {0};
	bool draining = false;

	for (;;) {
		if (atomic_load(&srv->stopping)) {
			struct timespec now;
			size_t live;

			clock_gettime(CLOCK_MONOTONIC, &now);
			if (!draining) {
				draining = true;
				deadline = now;
				deadline.tv_sec += srv->grace_ms / 1000;
				deadline.tv_nsec += (long)(srv->grace_ms % 1000) * 1000000L;
			}
			pthread_mutex_lock(&srv->mu);
			live = srv->live;
			pthread_mutex_unlock(&srv->mu);
			if (live == 0 || now.tv_sec > deadline.tv_sec ||
			    (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec))
				break;
		}
		/*
		 * lws 4 ignores this timeout and sleeps until its next event, so a
		 * stop relies on lws_cancel_service(): http_server_stop keeps
		 * calling it until this loop is left.
		 */
		if (lws_service(srv->ctx, 0) < 0)
			break;
	}
	atomic_store(&srv->service_done, 1);
	return NULL;
}

static int lws_to_log_level(int level)
{
	if (level & LLL_ERR)
		return LOG_LVL_ERROR;
	if (level & LLL_WARN)
		return LOG_LVL_WARN;
	return LOG_LVL_DEBUG;
}

static void lws_emit(int level, const char *line)
{
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	log_write((enum log_level)lws_to_log_level(level), "lws: %.*s", (int)n, line);
}

void http_lws_log_init(void)
{
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_emit);
}

/*
 * lws defers binding to an address this host does not have (it retries, for
 * interfaces that come up later), so probe the address ourselves first to
 * fail fast with the real reason.
 */
static enum err probe_bind(const char *host, int port, struct err_info *ei)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1, r, err;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((unsigned short)port);
		len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((unsigned short)port);
		len = sizeof(*a6);
	} else {
		return SE_RAISEF(ei, SE_IO, "cannot listen on '%s:%d': not an IP address", host,
		                 port);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return SE_RAISEF(ei, SE_IO, "cannot listen on %s:%d: %s", host, port,
		                 strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	r = bind(fd, (struct sockaddr *)&ss, len);
	err = errno;
	close(fd);
	if (r)
		return SE_RAISEF(ei, SE_IO, "cannot listen on %s:%d: %s", host, port,
		                 strerror(err));
	return SE_OK;
}

enum err http_server_new(const struct http_server_opts *opts, struct http_server **out,
                         struct err_info *ei)
{
	struct lws_context_creation_info info;
	struct http_server *srv;
	struct lws_vhost *vh;
	enum err rc;

	rc = probe_bind(opts->host ? opts->host : "0.0.0.0", opts->port, ei);
	if (rc)
		return rc;
	srv = xcalloc(1, sizeof(*srv));

	srv->opts = *opts;
	srv->opts.host = NULL;
	if (!srv->opts.workers) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		srv->opts.workers = cpus > 1 ? (unsigned)cpus * 4 : 4;
	}
	if (!srv->opts.body_timeout)
		srv->opts.body_timeout = 30;
	pthread_mutex_init(&srv->mu, NULL);
	pthread_cond_init(&srv->cv, NULL);
	srv->protocols[0] = (struct lws_protocols){
	    .name = "http",
	    .callback = callback,
	    .per_session_data_size = sizeof(struct pss),
	    .rx_buffer_size = 0,
	};

	memset(&info, 0, sizeof(info));
	info.port = opts->port;
	info.iface = opts->host;
	info.protocols = srv->protocols;
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DISABLE_IPV6;
	if (opts->host && strchr(opts->host, ':'))
		info.options &= ~(uint64_t)LWS_SERVER_OPTION_DISABLE_IPV6;
	info.keepalive_timeout = (int)(opts->keepalive_timeout ? opts->keepalive_timeout : 5);
	info.timeout_secs = opts->header_timeout ? opts->header_timeout : 10;
	info.timeout_secs_ah_idle = opts->header_timeout ? opts->header_timeout : 10;
	info.max_http_header_pool =
	    (unsigned short)(opts->max_connections > 65535
	                         ? 65535
	                         : (opts->max_connections ? opts->max_connections : 4096));
	info.max_http_header_data = LIM_HEADERS_MAX;
	info.vhost_name = "solstice-http";
	info.user = srv;

	srv->ctx = lws_create_context(&info);
	if (!srv->ctx) {
		rc = SE_RAISEF(ei, SE_IO, "cannot create the HTTP event loop");
		goto out;
	}
	vh = lws_create_vhost(srv->ctx, &info);
	if (!vh) {
		rc = SE_RAISEF(ei, SE_IO, "cannot listen on %s:%d", opts->host ? opts->host : "*",
		               opts->port);
		goto out;
	}
	srv->port = lws_get_vhost_listen_port(vh);
	*out = srv;
	return SE_OK;
out:
	if (srv->ctx)
		lws_context_destroy(srv->ctx);
	pthread_cond_destroy(&srv->cv);
	pthread_mutex_destroy(&srv->mu);
	mem_free(srv);
	return rc;
}

int http_server_port(const struct http_server *srv)
{
	return srv->port;
}

enum err http_server_start(struct http_server *srv)
{
	srv->workers = xcalloc(srv->opts.workers, sizeof(*srv->workers));
	for (unsigned i = 0; i < srv->opts.workers; i++) {
		if (pthread_create(&srv->workers[i], NULL, worker_main, srv))
			break;
		srv->n_workers++;
	}
	if (srv->n_workers == 0 || pthread_create(&srv->service, NULL, service_main, srv)) {
		pthread_mutex_lock(&srv->mu);
		srv->workers_exit = true;
		pthread_cond_broadcast(&srv->cv);
		pthread_mutex_unlock(&srv->mu);
		for (unsigned i = 0; i < srv->n_workers; i++)
			pthread_join(srv->workers[i], NULL);
		srv->n_workers = 0;
		return SE_IO;
	}
	srv->started = true;
	return SE_OK;
}

void http_server_stop(struct http_server *srv, unsigned grace_ms)
{
	struct job *j, *next;

	if (!srv || srv->stopped)
		return;
	srv->stopped = true;
	srv->grace_ms = grace_ms;
	if (srv->started) {
		atomic_store(&srv->stopping, 1);
		/* Wake the loop until it notices (bounded by its own grace deadline). */
		while (!atomic_load(&srv->service_done)) {
			lws_cancel_service(srv->ctx);
			usleep(20 * 1000);
		}
		pthread_join(srv->service, NULL);
	}
	pthread_mutex_lock(&srv->mu);
	srv->workers_exit = true;
	pthread_cond_broadcast(&srv->cv);
	pthread_mutex_unlock(&srv->mu);
	for (unsigned i = 0; i < srv->n_workers; i++)
		pthread_join(srv->workers[i], NULL);
	srv->n_workers = 0;
	/* Closing the connections marks leftover jobs orphaned or frees them. */
	lws_context_destroy(srv->ctx);
	srv->ctx = NULL;
	for (j = srv->done; j; j = next) {
		next = j->next;
		job_free(j);
	}
	srv->done = NULL;
}

void http_server_free(struct http_server *srv)
{
	if (!srv)
		return;
	http_server_stop(srv, 0);
	if (srv->ctx)
		lws_context_destroy(srv->ctx);
	mem_free(srv->workers);
	pthread_cond_destroy(&srv->cv);
	pthread_mutex_destroy(&srv->mu);
	mem_free(srv);
}
