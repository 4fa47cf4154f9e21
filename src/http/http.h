/*
 * http/http.h: the request and response value types every handler sees.
 *
 * Owns: `struct http_req` (method, decoded path, query, headers, body,
 * route parameters, the request arena) and `struct http_resp` (status,
 * extra headers, body), plus their accessors and response builders.
 * Does not own: sockets and threads (http/server.h), route matching
 * (http/router.h), the Revolt error body (http_resp_error renders it here
 * because every listener answers errors in the same shape).
 * Threads: a request and its response belong to one worker at a time.
 * Memory: every slice in a request lives in its arena; the response owns
 * its bufs until the server sends them.
 */
#ifndef SOL_HTTP_HTTP_H
#define SOL_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/str.h"

struct arena;

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_PUT,
	HTTP_PATCH,
	HTTP_DELETE,
	HTTP_OPTIONS,
	HTTP_METHOD__COUNT
};

/* A name/value pair; header names are lower case. */
struct http_kv {
	struct str name;
	struct str value;
};

struct http_req {
	enum http_method method;
	struct str path; /* percent-decoded, without the query */
	struct http_kv *query;
	size_t n_query;
	struct http_kv *headers;
	size_t n_headers;
	struct buf body;                     /* raw request body; empty when none was sent */
	int body_fd;                         /* >= 0: the body was spooled to this file instead */
	size_t body_len;                     /* bytes of the body, in memory or spooled */
	struct str params[LIM_ROUTE_PARAMS]; /* captured by the router */
	size_t n_params;
	char peer[64]; /* remote address, for logs and rate limits */
	struct arena *arena;
};

/*
 * A response body produced piece by piece after the handler has returned
 * (large files): the server sends `len` bytes, reading them with `read`
 * on its service thread, HTTP_STREAM_CHUNK bytes per writable callback, so
 * at most one chunk per connection is held in memory. `read` must not
 * block for long (local file I/O of one chunk; open network sources in the
 * handler); it fills up to `cap` bytes and sets `*n` (0 = the source ended
 * early: the connection is closed, as after an error). `close` frees `ctx`;
 * it is called exactly once, whether the body was sent or not.
 */
struct http_stream {
	enum err (*read)(void *ctx, void *p, size_t cap, size_t *n);
	void (*close)(void *ctx);
	void *ctx;
	uint64_t len; /* the body's exact size (Content-Length) */
	uint64_t sent;
};
/* bytes read and written per writable callback of a streamed body */
#define HTTP_STREAM_CHUNK (64u * 1024)

struct http_resp {
	int status;
	const char *content_type; /* static string, NULL for no body */
	struct buf headers;       /* extra "Name: value\r\n" lines */
	struct buf body;
	struct http_stream *stream; /* owned; replaces body when set */
};

/* Per-request context handed to route handlers. */
struct req_ctx {
	struct http_req *req;
	struct http_resp *resp;
	struct arena *arena; /* == req->arena */
	void *app;           /* the daemon's struct app, opaque here */
	void *who;           /* the handler layer's caller identity, opaque here */
	struct err_info ei;  /* filled by whatever raised the error */
};

const char *http_method_name(enum http_method m);

/* Header value by lower-case name (first occurrence); STR_NULL if absent. */
struct str http_req_header(const struct http_req *req, const char *name);
bool http_req_has_header(const struct http_req *req, const char *name);
/* Query parameter value (already decoded); STR_NULL if absent. */
struct str http_req_query(const struct http_req *req, const char *name);

/* Initialise with status 200, no body, empty header list. */
void http_resp_init(struct http_resp *resp);
void http_resp_release(struct http_resp *resp);
/* Append a header line; name and value must not contain CR or LF. */
void http_resp_header(struct http_resp *resp, const char *name, const char *value);
/* Replace the body with `body` (copied) and set status and type (drops a stream). */
void http_resp_set(struct http_resp *resp, int status, const char *content_type, struct str body);
/*
 * Answer `status` with a streamed body (`*s` copied; the response owns it
 * from here: s->close runs once, even on SE_NOMEM, which is returned
 * when the copy cannot be made).
 */
enum err http_resp_stream(struct http_resp *resp, int status, const char *content_type,
                          const struct http_stream *s) __attribute__((warn_unused_result));
/*
 * Render the Revolt error body for `e` (mapped with err_to_wire) with the
 * payload fields from `ei` and set the matching status. `with_location`
 * adds Revolt's "location" field (delta routes do); without it the body is
 * authifier's (no location; DatabaseError names the collection "with").
 */
void http_resp_error(struct http_resp *resp, enum err e, const struct err_info *ei,
                     bool with_location);

#endif /* SOL_HTTP_HTTP_H */
