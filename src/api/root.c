/*
 * api/root.c: GET /api/ — the Revolt root document (REVOLT.md section 2),
 * rendered once at start-up from the configured public URLs.
 */
#include <jansson.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "core/cfg.h"
#include "core/jx.h"
#include "core/mem.h"
#include "http/http.h"

/* The Revolt API version whose surface we implement (revolt-api on npm). */
#define API_REVOLT_VERSION "0.8.9"

#ifndef SOL_GIT_SHA
#define SOL_GIT_SHA "<failed to generate>"
#endif
#ifndef SOL_GIT_TIME
#define SOL_GIT_TIME "<failed to generate>"
#endif
#ifndef SOL_GIT_DESC
#define SOL_GIT_DESC "<failed to generate>"
#endif
#ifndef SOL_GIT_ORIGIN
#define SOL_GIT_ORIGIN "<failed to generate>"
#endif

static json_t *enabled_url(const char *url)
{
	return json_pack("{s:b, s:s}", "enabled", url[0] != '\0', "url", url);
}

char *api_root_render(const struct app *app)
{
	const struct cfg *c = app->cfg;
	json_t *doc, *features;
	char *text;

	features =
	    json_pack("{s:{s:b, s:s}, s:b, s:b, s:o, s:o, s:{s:b, s:s, s:s}}", "captcha", "enabled",
	              c->captcha.hcaptcha_key[0] != '\0', "key", c->captcha.hcaptcha_sitekey,
	              "email", c->smtp.host[0] != '\0', "invite_only", c->api.invite_only, "autumn",
	              enabled_url(c->hosts.autumn), "january", enabled_url(c->hosts.january),
	              "voso", "enabled", c->hosts.voso_legacy[0] != '\0', "url",
	              c->hosts.voso_legacy, "ws", c->hosts.voso_legacy_ws);
	if (!features)
		return NULL;
	doc =
	    json_pack("{s:s, s:o, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}}", "revolt",
	              API_REVOLT_VERSION, "features", features, "ws", c->hosts.public_ws_url, "app",
	              c->hosts.app, "vapid", app->vapid_public ? app->vapid_public : "", "build",
	              "commit_sha", SOL_GIT_SHA, "commit_timestamp", SOL_GIT_TIME, "semver",
	              SOL_GIT_DESC, "origin_url", SOL_GIT_ORIGIN, "timestamp", SOL_GIT_TIME);
	if (!doc)
		return NULL;
	text = jx_dump(doc);
	json_decref(doc);
	return text;
}

enum err api_root(struct req_ctx *ctx)
{
	const struct app *app = ctx->app;

	http_resp_set(ctx->resp, 200, "application/json",
	              (struct str){app->root_json, app->root_len});
	return SE_OK;
}
