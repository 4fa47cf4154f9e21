/*
 * http/router.h: method + path-pattern routing with captured parameters.
 *
 * Owns: matching a request path against a static route table. Patterns are
 * '/'-separated literal segments and `{name}` segments that capture one
 * non-empty segment ("/api/users/{target}/profile"), or `lit{name}` segments
 * that match a segment starting with the literal and capture the non-empty
 * rest ("/@{handle}"). A trailing slash in the
 * request is ignored except for the root "/". The table is the caller's
 * (static, borrowed for the router's life).
 * Threads: matching is pure and reentrant.
 */
#ifndef SOL_HTTP_ROUTER_H
#define SOL_HTTP_ROUTER_H

#include <stddef.h>

#include "core/err.h"
#include "core/str.h"
#include "http/http.h"

typedef enum err route_fn(struct req_ctx *ctx);

struct route {
	enum http_method method;
	const char *pattern;
	route_fn *fn;
	unsigned flags; /* free for the caller (auth kind, error style, ...) */
};

/* Outcome of a match. */
enum router_result {
	ROUTER_MATCH,
	ROUTER_NO_PATH,   /* no pattern matches the path */
	ROUTER_NO_METHOD, /* a pattern matches, but not for this method */
};

/*
 * Match `method` and `path` against `table` (n entries, first match wins).
 * On ROUTER_MATCH *out is the route and params[0..*n_params) hold slices of
 * `path` for each `{name}` in order. HEAD matches GET routes. `allow` (may be
 * NULL) receives, as bits (1 << method), the methods the path accepts.
 * Paths with more than LIM_PATH_SEGMENTS segments never match.
 */
enum router_result router_match(const struct route *table, size_t n, enum http_method method,
                                struct str path, const struct route **out,
                                struct str params[LIM_ROUTE_PARAMS], size_t *n_params,
                                unsigned *allow);

/* Checks a table at start-up: patterns well formed, params within limits.
 * Returns SE_OK or SE_INVAL with ei->detail naming the pattern. */
enum err router_check(const struct route *table, size_t n, struct err_info *ei);

#endif /* SOL_HTTP_ROUTER_H */
