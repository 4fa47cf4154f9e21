/*
 * http/server_int.h: what http/server.c (the event loop, workers, job
 * hand-over) and http/server_req.c (copying a request out of lws, spooling
 * bodies, serialising responses) share (STYLE rule 1: nothing outside
 * src/http/ includes this).
 * Threads and memory: as http/server.h; a job is owned as server.c's top
 * comment describes.
 */
#ifndef SOL_HTTP_SERVER_INT_H
#define SOL_HTTP_SERVER_INT_H

#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "http/http.h"
#include "http/server.h"

/* query parameters copied per request */
#define MAX_QUERY_ARGS 64
/* request headers copied per request */
#define MAX_HEADERS 64

/* Headers lws does not know by name that handlers read (server_req.c). */
extern const char *const http_custom_headers[];
extern const size_t http_n_custom_headers;

enum job_state {
	JOB_PARSING, /* service thread: headers copied, body arriving */
	JOB_QUEUED,  /* work queue */
	JOB_RUNNING, /* a worker */
	JOB_DONE,    /* done list */
	JOB_WRITING, /* service thread: response being written */
};

struct job {
	struct http_req req;
	struct http_resp resp;
	struct arena arena;
	struct http_server *srv;
	struct lws *wsi;  /* NULL once orphaned */
	struct job *next; /* queue / done list link */
	enum job_state state;
	bool orphan;
	bool close_after;   /* send "Connection: close" and close */
	bool keepalive_hdr; /* HTTP/1.0 client asked for keep-alive */
	bool headers_sent;  /* the serialised head went out; a stream follows */
	struct buf out;     /* LWS_PRE bytes, then the serialised response */
	struct timespec t0;
};

struct pss {
	struct job *job;
};

struct http_server {
	struct http_server_opts opts;
	struct lws_context *ctx;
	struct lws_protocols protocols[2];
	pthread_t service;
	pthread_t *workers;
	unsigned n_workers;
	bool started;
	bool stopped;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *q_head, *q_tail; /* waiting for a worker */
	size_t q_len;
	struct job *done; /* finished, waiting for the service thread */
	size_t live;      /* jobs allocated and not yet freed */
	bool workers_exit;

	atomic_int stopping;
	atomic_int service_done; /* the service thread has left its loop */
	unsigned grace_ms;
	int port;
};

/* The reason phrase of a status code ("OK", "Not Found", ...). */
const char *http_reason(int status);
/* Serialise status line, headers and body into j->out after LWS_PRE bytes. */
void http_serialise(struct job *j);
/* The request method from lws' header table; HTTP_METHOD__COUNT if unknown. */
enum http_method http_method_of(struct lws *wsi, enum lws_token_indexes *tok);
/* Copy method, path, headers, query and peer out of lws into the job's arena. */
enum err http_copy_request(struct job *j, struct lws *wsi, const char *uri);
/* True when the request announces a body (Content-Length above 0). */
bool http_wants_body(struct lws *wsi);
/* An unlinked temp file in `dir` for a large body; -1 (errno set) when none. */
int http_spool_open(const char *dir);
/* Write all of p; false on error (errno set). */
bool http_spool_write(int fd, const void *p, size_t n);

#endif /* SOL_HTTP_SERVER_INT_H */
