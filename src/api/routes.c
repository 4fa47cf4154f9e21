/*
 * api/routes.c: the route table and the request pipeline every route goes
 * through: /api/0.8 alias, CORS (REVOLT.md section 1: all origins, OPTIONS
 * answered on every path), matching, and Revolt error bodies.
 */
#include <string.h>

#include "api/api.h"
#include "app.h"
#include <time.h>

#include "api/api_int.h"
#include "auth/authn.h"
#include "auth/password.h"
#include "auth/records.h"
#include "core/arena.h"
#include "core/crypto.h"
#include "federation/csync.h"
#include "federation/fed.h"
#include "federation/keys_admin.h"
#include "http/ratelimit.h"
#include "mail/mailer.h"
#include "storage/queue.h"
#include "users/pchange.h"
#include "users/user.h"
#include "channels/channel.h"
#include "channels/sync.h"
#include "servers/server.h"
#include "messages/message.h"
#include "users/bot.h"
#include "users/report.h"
#include "files/file.h"
#include "channels/webhook.h"
#include "servers/emoji.h"
#include "federation/objmap.h"
#include "federation/inbox.h"
#include "core/cfg.h"
#include "core/mem.h"
#include "http/http.h"
#include "storage/store.h"
#include "federation/follows.h"
#include "federation/outbox.h"
#include "federation/policy.h"
#include "federation/keys.h"
#include "federation/deliver.h"
#include "federation/hosts.h"

static const struct route core_routes[] = {
    {HTTP_GET, "/api", api_root, 0},
    /* authifier: accounts */
    {HTTP_POST, "/api/auth/account/create", api_auth_account_create, API_AUTHIFIER},
    {HTTP_POST, "/api/auth/account/reverify", api_auth_account_reverify, API_AUTHIFIER},
    {HTTP_POST, "/api/auth/account/verify/{code}", api_auth_account_verify, API_AUTHIFIER},
    {HTTP_POST, "/api/auth/account/reset_password", api_auth_account_reset_send, API_AUTHIFIER},
    {HTTP_PATCH, "/api/auth/account/reset_password", api_auth_account_reset_confirm, API_AUTHIFIER},
    {HTTP_GET, "/api/auth/account", api_auth_account_fetch, API_AUTHIFIER | API_SESSION},
    {HTTP_PATCH, "/api/auth/account/change/password", api_auth_account_change_password,
     API_AUTHIFIER | API_SESSION},
    {HTTP_PATCH, "/api/auth/account/change/email", api_auth_account_change_email,
     API_AUTHIFIER | API_SESSION},
    {HTTP_POST, "/api/auth/account/disable", api_auth_account_disable, API_AUTHIFIER | API_SESSION},
    {HTTP_POST, "/api/auth/account/delete", api_auth_account_delete, API_AUTHIFIER | API_SESSION},
    {HTTP_PUT, "/api/auth/account/delete", api_auth_account_confirm_deletion, API_AUTHIFIER},
    /* authifier: sessions ("all" before "{id}": first match wins) */
    {HTTP_POST, "/api/auth/session/login", api_auth_login, API_AUTHIFIER},
    {HTTP_POST, "/api/auth/session/logout", api_auth_logout, API_AUTHIFIER | API_SESSION},
    {HTTP_GET, "/api/auth/session/all", api_auth_session_list, API_AUTHIFIER | API_SESSION},
    {HTTP_DELETE, "/api/auth/session/all", api_auth_session_revoke_all,
     API_AUTHIFIER | API_SESSION},
    {HTTP_DELETE, "/api/auth/session/{id}", api_auth_session_revoke, API_AUTHIFIER | API_SESSION},
    {HTTP_PATCH, "/api/auth/session/{id}", api_auth_session_edit, API_AUTHIFIER | API_SESSION},
    /* authifier: MFA */
    {HTTP_GET, "/api/auth/mfa", api_auth_mfa_status, API_AUTHIFIER | API_SESSION},
    {HTTP_GET, "/api/auth/mfa/methods", api_auth_mfa_methods, API_AUTHIFIER | API_SESSION},
    {HTTP_PUT, "/api/auth/mfa/ticket", api_auth_mfa_ticket, API_AUTHIFIER},
    {HTTP_POST, "/api/auth/mfa/recovery", api_auth_mfa_recovery_fetch, API_AUTHIFIER | API_SESSION},
    {HTTP_PATCH, "/api/auth/mfa/recovery", api_auth_mfa_recovery_generate,
     API_AUTHIFIER | API_SESSION},
    {HTTP_POST, "/api/auth/mfa/totp", api_auth_mfa_totp_secret, API_AUTHIFIER | API_SESSION},
    {HTTP_PUT, "/api/auth/mfa/totp", api_auth_mfa_totp_enable, API_AUTHIFIER | API_SESSION},
    {HTTP_DELETE, "/api/auth/mfa/totp", api_auth_mfa_totp_disable, API_AUTHIFIER | API_SESSION},
    /* onboarding (delta) */
    {HTTP_GET, "/api/onboard/hello", api_onboard_hello, API_SESSION},
    {HTTP_POST, "/api/onboard/complete", api_onboard_complete, API_SESSION},
    /* development only */
    {HTTP_POST, "/_dev/publish", api_dev_publish, API_DEV_ONLY},
};

/* Collections of the object store; each module owns its definitions. */
/* One entry per line: each module adds its own line. */
/* clang-format off */
static const struct store_coll_def collections[] = {
    {"meta", NULL, 0},
    AUTHREC_COLL_DEFS,
    USER_COLL_DEF,
    USER_RL_COLL_DEF,
    QUEUE_COLL_DEF,
    SYNC_COLL_DEFS,
    PCHANGE_COLL_DEF,
    CHANNEL_COLL_DEF,
    SERVER_COLL_DEFS,
    MSG_COLL_DEF,
    BOT_COLL_DEF,
    REPORT_COLL_DEF,
    FILE_COLL_DEF,
    WEBHOOK_COLL_DEF,
    EMOJI_COLL_DEF,
    FFOLLOW_COLL_DEF,
    FMAP_COLL_DEF,
    POLICY_COLL_DEF,
    FKEYS_COLL_DEF,
    FDEL_COLL_DEFS,
    FHOST_COLL_DEF,
    FCSYNC_COLL_DEF,
};
/* clang-format on */

static const struct store_schema schema = {
    collections,
    sizeof(collections) / sizeof(collections[0]),
};

const struct store_schema *api_schema(void)
{
	return &schema;
}

static const struct route *core_table(size_t *n)
{
	*n = sizeof(core_routes) / sizeof(core_routes[0]);
	return core_routes;
}

/* Every module's route table, matched in this order (first match wins). */
/* clang-format off */
static api_table_fn *const tables[] = {
    core_table,
    api_users_table,
    api_groups_table,
    api_messages_table,
    api_sync_table,
    api_acks_table,
    api_servers_table,
    api_roles_table,
    api_permissions_table,
    api_members_table,
    api_invites_table,
    api_search_table,
    api_reactions_table,
    api_bots_table,
    api_push_table,
    api_safety_table,
    api_autumn_table,
    api_webhooks_table,
    api_webhooks_exec_table,
    api_emojis_table,
    api_fed_table,
    api_fed_admin_table,
    api_fed_keys_table,
    api_collections_table,
    api_inbox_table,
};
/* clang-format on */

enum err api_routes_build(struct route *out, size_t cap, size_t *n, struct err_info *ei)
{
	size_t total = 0;

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		size_t k = 0;
		const struct route *r = tables[t](&k);

		if (total + k > cap)
			return SE_RAISEF(ei, SE_FULL, "more than %zu routes", cap);
		memcpy(out + total, r, k * sizeof(*r));
		total += k;
	}
	*n = total;
	return router_check(out, total, ei);
}

/* A hash of a random password with the configured cost, for timing parity. */
static enum err make_dummy_hash(struct app *app, struct err_info *ei)
{
	char pw[33], hash[CRY_PWHASH_MAX];
	enum err rc;

	cry_token(pw, 32);
	rc = cry_pwhash(str_from(pw), app->cfg->auth.argon2_ops, app->cfg->auth.argon2_mem_kib,
	                hash);
	cry_wipe(pw, sizeof(pw));
	if (rc)
		return SE_RAISEF(ei, rc,
		                 "cannot hash with argon2id (auth.argon2_mem_kib too large?)");
	app->dummy_hash = xstrdup(hash);
	return SE_OK;
}

enum err api_init(struct app *app, struct err_info *ei)
{
	const struct cfg *c = app->cfg;
	enum err rc;

	app->routes = xcalloc(API_ROUTES_MAX, sizeof(*app->routes));
	rc = api_routes_build(app->routes, API_ROUTES_MAX, &app->n_routes, ei);
	if (rc)
		return rc;
	app->root_json = api_root_render(app);
	if (!app->root_json)
		return SE_RAISEF(ei, SE_NOMEM, "cannot render the root document");
	app->root_len = strlen(app->root_json);
	rc = pw_policy_new(c->auth.password_min, c->auth.compromised_passwords, &app->pw, ei);
	if (rc)
		return rc;
	rc = make_dummy_hash(app, ei);
	if (rc)
		return rc;
	rc = rl_new(&c->ratelimit, &app->rl);
	if (rc)
		return SE_RAISEF(ei, rc, "cannot create the rate limiter");
	if (c->smtp.host[0]) {
		rc = mail_new(c, app->store, &app->mail, ei);
		if (!rc)
			rc = mail_start(app->mail);
		if (rc)
			return rc;
	}
	return SE_OK;
}

void api_stop(struct app *app)
{
	mail_stop(app->mail);
}

void api_release(struct app *app)
{
	mail_free(app->mail);
	app->mail = NULL;
	rl_free(app->rl);
	app->rl = NULL;
	pw_policy_free(app->pw);
	app->pw = NULL;
	mem_free(app->dummy_hash);
	app->dummy_hash = NULL;
	mem_free(app->root_json);
	app->root_json = NULL;
	app->root_len = 0;
	mem_free(app->routes);
	app->routes = NULL;
	app->n_routes = 0;
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

/* The client address for rate limits: CF-Connecting-IP only when trusted. */
static struct str client_ip(const struct app *app, const struct http_req *req)
{
	if (app->cfg->api.trust_cloudflare) {
		struct str cf = http_req_header(req, "cf-connecting-ip");

		if (cf.p && cf.n > 0 && cf.n < 64)
			return cf;
	}
	return str_from(req->peer);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Count the request in its Revolt bucket; false when it must be refused (answered). */
static bool rate_limit(struct app *app, struct http_req *req, struct http_resp *resp,
                       struct str path, const struct authn *who)
{
	struct rl_key_parts parts;
	struct rl_result res;
	struct str id =
	    who->kind == AUTHN_SESSION ? str_from(who->session_id) : client_ip(app, req);

	if (!rl_path_counted(path))
		return true;
	path.p += 4;
	path.n -= 4;
	rl_classify(req->method, path.n ? path : STR_LIT("/"), &parts);
	if (rl_hit(app->rl, id, &parts, mono_ms(), &res))
		return true; /* the limiter fails open */
	rl_headers(&res, resp);
	if (!res.allowed) {
		rl_deny(&res, resp);
		return false;
	}
	return true;
}

void api_handle(struct http_req *req, struct http_resp *resp, void *vapp)
{
	struct app *app = vapp;
	struct authn who;
	struct req_ctx ctx = {req, resp, req->arena, app, &who, ERR_INFO_INIT};
	struct err_info aei = ERR_INFO_INIT;
	const struct route *r = NULL;
	enum router_result res;
	enum err rc = SE_OK, arc = SE_OK;
	struct str path;
	bool authifier;

	memset(&who, 0, sizeof(who));
	path = strip_version(req->path, req->arena);
	cors(req, resp, req->arena);
	if (req->method == HTTP_OPTIONS) {
		preflight(req, resp, req->arena);
		return;
	}
	res = router_match(app->routes, app->n_routes, req->method, path, &r, req->params,
	                   &req->n_params, NULL);
	if (res == ROUTER_MATCH && (r->flags & API_DEV_ONLY) && !app->cfg->dev.enabled)
		res = ROUTER_NO_PATH;
	authifier = res == ROUTER_MATCH && (r->flags & API_AUTHIFIER);
	/* authifier's routes read x-session-token only; delta's take bots too */
	arc = authn_resolve(app->store, req, !authifier, authrec_now_ms(), &who, &aei);
	if (!rate_limit(app, req, resp, path, &who))
		return;
	if (res != ROUTER_MATCH) {
		/* Rocket answers unmatched paths and methods alike with 404. */
		http_resp_error(resp, SE_NotFound, NULL, false);
		return;
	}
	if (r->flags & (API_SESSION | API_USER)) {
		bool ok =
		    who.kind == AUTHN_SESSION || (who.kind == AUTHN_BOT && (r->flags & API_USER));

		if (arc) {
			rc = SE_RAISE(&ctx.ei, SE_InvalidSession);
		} else if (!ok) {
			/* the session guard answers 401 whatever the type */
			ctx.ei.status = 401;
			rc = SE_RAISE(&ctx.ei, authifier ? SE_MissingHeaders : SE_NotAuthenticated);
		}
	}
	if (!rc)
		rc = r->fn(&ctx);
	if (rc)
		http_resp_error(resp, rc, &ctx.ei, !authifier);
}
