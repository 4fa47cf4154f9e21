/*
 * api/routes.c: the route table and the request pipeline every route goes
 * through: /api/0.8 alias, CORS (REVOLT.md section 1: all origins, OPTIONS
 * answered on every path), matching, and Revolt error bodies.
 */
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "core/arena.h"
#include "core/cfg.h"
#include "core/mem.h"
#include "http/http.h"
#include "storage/store.h"

static const struct route routes[] = {
    {HTTP_GET, "/api", api_root, 0},
    {HTTP_POST, "/_dev/publish", api_dev_publish, API_DEV_ONLY},
};

/* Collections arrive with the issues that need them; one holds instance metadata. */
static const struct store_coll_def collections[] = {
    {"meta", NULL, 0},
};

static const struct store_schema schema = {
    collections,
    sizeof(collections) / sizeof(collections[0]),
};

const struct store_schema *api_schema(void)
{
	return &schema;
}

const struct route *api_routes(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}

enum err api_init(struct app *app, struct err_info *ei)
{
	enum err rc = router_check(routes, sizeof(routes) / sizeof(routes[0]), ei);

	if (rc)
		return rc;
	app->root_json = api_root_render(app);
	if (!app->root_json)
		return SE_RAISEF(ei, SE_NOMEM, "cannot render the root document");
	app->root_len = strlen(app->root_json);
	return SE_OK;
}

void api_release(struct app *app)
{
	mem_free(app->root_json);
	app->root_json = NULL;
	app->root_len = 0;
}

static const char allowed_methods[] =
    "GET, PUT, POST, DELETE, OPTIONS, HEAD, TRACE, CONNECT, PATCH";

/*
 * Revolt (rocket_cors, all origins) echoes the caller's Origin. Headers a
 * browser client must read (rate limits) are exposed.
 */
static void cors(const struct http_req *req, struct http_resp *resp, struct arena *a)
{
	struct str origin = http_req_header(req, "origin");
	char *o = origin.p ? arena_strndup(a, origin.p, origin.n) : NULL;

	if (!o) {
		http_resp_header(resp, "Access-Control-Allow-Origin", "*");
		return;
	}
	http_resp_header(resp, "Access-Control-Allow-Origin", o);
	http_resp_header(resp, "Vary", "Origin");
	http_resp_header(resp, "Access-Control-Expose-Headers",
	                 "X-RateLimit-Limit, X-RateLimit-Bucket, X-RateLimit-Remaining, "
	                 "X-RateLimit-Reset-After");
}

static void preflight(const struct http_req *req, struct http_resp *resp, struct arena *a)
{
	struct str h = http_req_header(req, "access-control-request-headers");
	char *hv = h.p ? arena_strndup(a, h.p, h.n) : NULL;

	http_resp_header(resp, "Access-Control-Allow-Methods", allowed_methods);
	http_resp_header(resp, "Access-Control-Allow-Headers",
	                 hv ? hv
	                    : "Content-Type, X-Session-Token, X-Bot-Token, X-MFA-Ticket, "
	                      "Idempotency-Key");
	http_resp_header(resp, "Access-Control-Max-Age", "86400");
	resp->status = 204;
}

/* "/api/0.8/x" is served as "/api/x": delta mounts every route twice. */
static struct str strip_version(struct str path, struct arena *a)
{
	static const struct str v = STR_LIT("/api/0.8");
	char *p;

	if (!str_has_prefix(path, v) || (path.n > v.n && path.p[v.n] != '/'))
		return path;
	p = arena_printf(a, "/api%.*s", (int)(path.n - v.n), path.p + v.n);
	return p ? str_from(p) : path;
}

void api_handle(struct http_req *req, struct http_resp *resp, void *vapp)
{
	struct app *app = vapp;
	struct req_ctx ctx = {req, resp, req->arena, app, ERR_INFO_INIT};
	const struct route *r = NULL;
	struct str path;
	enum router_result res;
	enum err rc;

	path = strip_version(req->path, req->arena);
	cors(req, resp, req->arena);
	if (req->method == HTTP_OPTIONS) {
		preflight(req, resp, req->arena);
		return;
	}
	res = router_match(routes, sizeof(routes) / sizeof(routes[0]), req->method, path, &r,
	                   req->params, &req->n_params, NULL);
	if (res == ROUTER_MATCH && (r->flags & API_DEV_ONLY) && !app->cfg->dev.enabled)
		res = ROUTER_NO_PATH;
	if (res != ROUTER_MATCH) {
		/* Rocket answers unmatched paths and methods alike with 404. */
		http_resp_error(resp, SE_NotFound, NULL, false);
		return;
	}
	rc = r->fn(&ctx);
	if (rc)
		http_resp_error(resp, rc, &ctx.ei, !(r->flags & API_AUTHIFIER));
}
