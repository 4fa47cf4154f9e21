/*
 * api/users.c: the Users routes' table and the read-only ones: GET
 * /users/@me, /users/{target}, .../flags, .../profile, .../mutual and
 * .../default_avatar (REVOLT.md sections 6-8; backend
 * crates/delta/src/routes/users/).
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "api/users_int.h"
#include "app.h"
#include "events/events.h"
#include "perms/perms.h"
#include "storage/store.h"
#include "users/access.h"
#include "users/avatar.h"
#include "users/user.h"

/* topics one UserUpdate goes to: the user's own and one per server */
#define USER_TOPICS_MAX 256
/* Revolt's CachedFile header for the default avatars */
#define AVATAR_CACHE_CONTROL "public, max-age=31536000, immutable"

static const struct route users_routes[] = {
    /* literal segments before {target}: first match wins */
    {HTTP_GET, "/api/users/@me", api_users_fetch_self, API_USER},
    {HTTP_PATCH, "/api/users/@me/username", api_users_change_username, API_SESSION},
    {HTTP_GET, "/api/users/dms", api_users_dms, API_USER},
    {HTTP_POST, "/api/users/friend", api_users_friend_request, API_USER},
    {HTTP_GET, "/api/users/{target}", api_users_fetch, API_USER},
    {HTTP_PATCH, "/api/users/{target}", api_users_edit, API_USER},
    {HTTP_GET, "/api/users/{target}/flags", api_users_flags, 0},
    {HTTP_GET, "/api/users/{target}/profile", api_users_profile, API_USER},
    {HTTP_GET, "/api/users/{target}/mutual", api_users_mutual, API_USER},
    {HTTP_GET, "/api/users/{target}/default_avatar", api_users_default_avatar, 0},
    {HTTP_GET, "/api/users/{target}/dm", api_users_open_dm, API_USER},
    {HTTP_PUT, "/api/users/{target}/friend", api_users_friend_add, API_USER},
    {HTTP_DELETE, "/api/users/{target}/friend", api_users_friend_remove, API_USER},
    {HTTP_PUT, "/api/users/{target}/block", api_users_block, API_USER},
    {HTTP_DELETE, "/api/users/{target}/block", api_users_unblock, API_USER},
};

const struct route *api_users_table(size_t *n)
{
	*n = sizeof(users_routes) / sizeof(users_routes[0]);
	return users_routes;
}

enum err api_users_caller(struct req_ctx *ctx, struct store_txn *txn, json_t **out)
{
	enum err rc = user_load(txn, str_from(api_who(ctx)->user_id), out);

	if (rc == SE_NOT_FOUND)
		return SE_RAISE(&ctx->ei, SE_InvalidSession);
	return rc ? SE_RAISE(&ctx->ei, rc) : SE_OK;
}

enum err api_users_load(struct req_ctx *ctx, struct store_txn *txn, struct str id, json_t **out)
{
	enum err rc = user_load(txn, id, out);

	if (rc == SE_NOT_FOUND)
		return SE_RAISE(&ctx->ei, SE_UnknownUser);
	return rc ? SE_RAISE(&ctx->ei, rc) : SE_OK;
}

bool api_users_online(struct app *app, const char *user_id)
{
	return ev_user_online(app, str_from(user_id));
}

enum err api_users_view(struct req_ctx *ctx, struct store_txn *txn, const json_t *target,
                        const json_t *viewer, json_t **out)
{
	uint32_t perms = 0;
	enum err rc = user_perms(txn, viewer, target, &perms);
	json_t *v;

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	v = user_view_for(target, viewer, perms & PERM_USER_VIEW_PROFILE,
	                  api_users_online(api_app(ctx), user_id_of(target)));
	if (!v)
		return SE_RAISE(&ctx->ei, SE_NOMEM);
	*out = v;
	return SE_OK;
}

void api_users_publish_user(struct app *app, const char *user_id, json_t *event)
{
	struct str topics[USER_TOPICS_MAX];
	char member_topics[USER_TOPICS_MAX][40];
	struct store_txn *txn = NULL;
	json_t *servers = json_array(), *s;
	size_t n = 0, i;

	topics[n++] = str_from(user_id);
	if (servers && !store_read_begin(app->store, &txn)) {
		/* a failed listing still reaches the user's own sessions */
		if (user_server_ids(txn, str_from(user_id), USER_TOPICS_MAX - 1, servers))
			json_array_clear(servers);
		store_read_end(txn);
	}
	json_array_foreach(servers, i, s)
	{
		snprintf(member_topics[n], sizeof(member_topics[n]), "%su", json_string_value(s));
		topics[n] = str_from(member_topics[n]);
		n++;
	}
	api_publish_multi(app, topics, n, event);
	json_decref(servers);
}

enum err api_users_fetch_self(struct req_ctx *ctx)
{
	struct store_txn *txn = NULL;
	json_t *me = NULL, *v = NULL;
	enum err rc = store_read_begin(api_app(ctx)->store, &txn);

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = api_users_caller(ctx, txn, &me);
	store_read_end(txn);
	if (rc)
		return rc;
	v = user_view_self(me, api_users_online(api_app(ctx), user_id_of(me)));
	json_decref(me);
	return v ? api_json(ctx, 200, v) : SE_RAISE(&ctx->ei, SE_NOMEM);
}

/*
 * Load the caller and (unless it is the caller) the path target, and check
 * that the caller holds `need` toward it. *target is NULL for the caller.
 */
static enum err caller_and_target(struct req_ctx *ctx, struct store_txn *txn, uint32_t need,
                                  json_t **me, json_t **target, uint32_t *perms)
{
	struct str id = ctx->req->params[0];
	enum err rc = api_users_caller(ctx, txn, me);

	*target = NULL;
	*perms = PERM_USER_ALL;
	if (rc)
		return rc;
	if (str_eq(id, str_from(user_id_of(*me))))
		return SE_OK;
	rc = api_users_load(ctx, txn, id, target);
	if (rc)
		return rc;
	rc = user_perms(txn, *me, *target, perms);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	return perm_require_user(*perms, need, &ctx->ei);
}

enum err api_users_fetch(struct req_ctx *ctx)
{
	struct store_txn *txn = NULL;
	json_t *me = NULL, *target = NULL, *v = NULL;
	uint32_t perms = 0;
	enum err rc = store_read_begin(api_app(ctx)->store, &txn);

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = caller_and_target(ctx, txn, PERM_USER_ACCESS, &me, &target, &perms);
	store_read_end(txn);
	if (rc)
		goto out;
	if (!target)
		v = user_view_self(me, api_users_online(api_app(ctx), user_id_of(me)));
	else
		v = user_view_for(target, me, perms & PERM_USER_VIEW_PROFILE,
		                  api_users_online(api_app(ctx), user_id_of(target)));
	rc = v ? api_json(ctx, 200, v) : SE_RAISE(&ctx->ei, SE_NOMEM);
out:
	json_decref(me);
	json_decref(target);
	return rc;
}

enum err api_users_flags(struct req_ctx *ctx)
{
	struct store_txn *txn = NULL;
	json_t *target = NULL;
	json_int_t flags = 0;
	enum err rc = store_read_begin(api_app(ctx)->store, &txn);

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	/* unknown users have no flags: the backend answers 0, not an error */
	rc = user_load(txn, ctx->req->params[0], &target);
	store_read_end(txn);
	if (rc && rc != SE_NOT_FOUND)
		return SE_RAISE(&ctx->ei, rc);
	if (!rc)
		flags = json_integer_value(json_object_get(target, "flags"));
	json_decref(target);
	return api_json(ctx, 200, json_pack("{s:I}", "flags", flags));
}

enum err api_users_profile(struct req_ctx *ctx)
{
	struct store_txn *txn = NULL;
	json_t *me = NULL, *target = NULL, *v = NULL, *p;
	uint32_t perms = 0;
	enum err rc = store_read_begin(api_app(ctx)->store, &txn);

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = caller_and_target(ctx, txn, PERM_USER_VIEW_PROFILE, &me, &target, &perms);
	store_read_end(txn);
	if (rc)
		goto out;
	p = json_object_get(target ? target : me, "profile");
	v = json_object();
	if (v && json_is_string(json_object_get(p, "content")))
		json_object_set(v, "content", json_object_get(p, "content"));
	if (v && json_is_object(json_object_get(p, "background")))
		json_object_set(v, "background", json_object_get(p, "background"));
	rc = v ? api_json(ctx, 200, v) : SE_RAISE(&ctx->ei, SE_NOMEM);
out:
	json_decref(me);
	json_decref(target);
	return rc;
}

enum err api_users_mutual(struct req_ctx *ctx)
{
	struct store_txn *txn = NULL;
	json_t *me = NULL, *target = NULL, *servers = json_array(), *channels = json_array();
	json_t *users = NULL;
	uint32_t perms = 0;
	enum err rc;

	if (!servers || !channels) {
		rc = SE_RAISE(&ctx->ei, SE_NOMEM);
		goto out;
	}
	rc = store_read_begin(api_app(ctx)->store, &txn);
	if (rc) {
		rc = SE_RAISE(&ctx->ei, rc);
		goto out;
	}
	rc = caller_and_target(ctx, txn, PERM_USER_VIEW_PROFILE, &me, &target, &perms);
	if (!rc && !target)
		rc = SE_RAISE(&ctx->ei, SE_InvalidOperation);
	if (!rc) {
		struct str a = str_from(user_id_of(me)), b = str_from(user_id_of(target));

		rc = user_mutual_servers(txn, a, b, USER_SCAN_MAX, servers);
		if (!rc)
			rc = user_mutual_channels(txn, a, b, USER_SCAN_MAX, channels);
		if (rc)
			rc = SE_RAISE(&ctx->ei, rc);
	}
	store_read_end(txn);
	if (rc)
		goto out;
	users = user_mutual_friends(me, target);
	if (!users) {
		rc = SE_RAISE(&ctx->ei, SE_NOMEM);
		goto out;
	}
	rc = api_json(
	    ctx, 200,
	    json_pack("{s:o, s:O, s:O}", "users", users, "servers", servers, "channels", channels));
out:
	json_decref(servers);
	json_decref(channels);
	json_decref(me);
	json_decref(target);
	return rc;
}

enum err api_users_default_avatar(struct req_ctx *ctx)
{
	struct str png;
	enum err rc = user_avatar_png(ctx->req->params[0], &png);

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	http_resp_set(ctx->resp, 200, "image/png", png);
	http_resp_header(ctx->resp, "Cache-Control", AVATAR_CACHE_CONTROL);
	return SE_OK;
}
