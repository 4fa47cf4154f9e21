/*
 * api/sync.c: POST /sync/settings/fetch, POST /sync/settings/set,
 * GET /sync/unreads and POST /policy/acknowledge (revoltchat/backend
 * crates/delta/src/routes/sync/ and routes/policy/). The settings key
 * "solstice:federation" (federation/prefs.h) is ours: its value is checked
 * before it is stored, and a change of the effective auto-accept setting
 * sends Update{Person} to the user's remote followers.
 */
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "app.h"
#include "channels/sync.h"
#include "core/arena.h"
#include "core/cfg.h"
#include "core/log.h"
#include "federation/outbox.h"
#include "federation/prefs.h"
#include "storage/store.h"
#include "users/user.h"

/* A session without a user record is not a user (delta's User guard: 401). */
static enum err require_user(struct store_txn *txn, struct str user)
{
	struct str raw;
	enum err rc = store_get(txn, USER_COLL, user, &raw);

	return rc == SE_NOT_FOUND ? SE_InvalidSession : rc;
}

/* ---- POST /sync/settings/fetch {keys: [..]} ---- */

static enum err settings_fetch(struct req_ctx *ctx)
{
	struct store_txn *txn = NULL;
	json_t *body = NULL, *res = NULL;
	enum err rc = api_body(ctx, &body);

	if (rc)
		return rc;
	if (!json_is_array(json_object_get(body, "keys"))) {
		json_decref(body);
		return SE_RAISEF(&ctx->ei, SE_FailedValidation,
		                 "'keys' must be an array of strings");
	}
	rc = store_read_begin(api_app(ctx)->store, &txn);
	if (!rc) {
		rc = require_user(txn, str_from(api_who(ctx)->user_id));
		if (!rc)
			rc = sync_settings_fetch(txn, str_from(api_who(ctx)->user_id),
			                         json_object_get(body, "keys"), &res);
		store_read_end(txn);
	}
	json_decref(body);
	if (rc == SE_PARSE)
		return SE_RAISEF(&ctx->ei, SE_FailedValidation,
		                 "'keys' must be an array of strings");
	if (rc == SE_FULL)
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "at most %d keys",
		                 SYNC_SETTINGS_KEYS_MAX);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	return api_json(ctx, 200, res);
}

/* ---- POST /sync/settings/set?timestamp= {key: "<json>", ..} ---- */

struct set_op {
	struct str user;
	const json_t *values;
	int64_t ts;
	json_t *applied;
	bool dflt;                  /* federation.auto_accept_follows */
	bool accept_was, accept_is; /* the user's effective auto-accept, before and after */
};

static enum err set_fn(struct store_wtxn *w, void *arg)
{
	struct set_op *op = arg;

	enum err rc = require_user(store_wtxn_read(w), op->user);

	json_decref(op->applied);
	op->applied = NULL;
	if (rc)
		return rc;
	op->accept_was = fprefs_auto_accept(store_wtxn_read(w), op->user, op->dflt);
	rc = sync_settings_set(w, op->user, op->values, op->ts, &op->applied);
	if (!rc)
		op->accept_is = fprefs_auto_accept(store_wtxn_read(w), op->user, op->dflt);
	return rc;
}

/* Our own key must hold what federation/prefs.h reads (other keys are the clients'). */
static enum err check_prefs(struct req_ctx *ctx, const json_t *body)
{
	const json_t *v = json_object_get(body, FPREFS_KEY);
	struct err_info why = {0};
	struct fprefs p;

	if (!json_is_string(v) ||
	    !fprefs_parse((struct str){json_string_value(v), json_string_length(v)}, &p, &why))
		return SE_OK; /* absent, or not a string: sync_settings_set answers */
	return SE_RAISEF(&ctx->ei, SE_FailedValidation, "%s", why.detail);
}

/* The revision: ?timestamp= if given and not in the future, else now (as delta). */
static enum err revision(struct req_ctx *ctx, int64_t now, int64_t *out)
{
	struct str q = http_req_query(ctx->req, "timestamp");
	bool neg = q.n > 0 && q.p[0] == '-';
	uint64_t v;

	*out = now;
	if (!q.p)
		return SE_OK;
	if (neg) {
		q.p++;
		q.n--;
	}
	if (!str_to_u64(q, INT64_MAX, &v))
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "timestamp must be an integer");
	if (neg)
		*out = -(int64_t)v;
	else if ((int64_t)v < now)
		*out = (int64_t)v;
	return SE_OK;
}

static enum err settings_set(struct req_ctx *ctx)
{
	struct set_op op = {.user = str_from(api_who(ctx)->user_id),
	                    .dflt = api_app(ctx)->cfg->federation.auto_accept_follows};
	json_t *body = NULL, *ev;
	enum err rc = revision(ctx, api_now_ms(), &op.ts);

	if (!rc)
		rc = api_body(ctx, &body);
	if (rc)
		return rc;
	rc = check_prefs(ctx, body);
	if (rc) {
		json_decref(body);
		return rc;
	}
	op.values = body;
	rc = store_write(api_app(ctx)->store, set_fn, &op, &ctx->ei);
	json_decref(body);
	if (rc == SE_PARSE)
		return SE_RAISEF(&ctx->ei, SE_FailedValidation,
		                 "settings must map keys of 1-%d bytes to strings",
		                 SYNC_SETTING_KEY_MAX);
	if (rc == SE_FULL)
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "at most %d settings keys",
		                 SYNC_SETTINGS_KEYS_MAX);
	if (rc == SE_TOO_LARGE)
		return SE_RAISE(&ctx->ei, SE_PayloadTooLarge);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	if (json_object_size(op.applied) > 0) {
		char *topic = arena_printf(ctx->arena, "%s!", api_who(ctx)->user_id);

		ev = json_pack("{s:s,s:s,s:O}", "type", "UserSettingsUpdate", "id",
		               api_who(ctx)->user_id, "update", op.applied);
		if (topic)
			api_publish(api_app(ctx), str_from(topic), ev);
		else
			json_decref(ev);
	}
	json_decref(op.applied);
	/* manuallyApprovesFollowers changed: Update{Person} to the followers */
	if (op.accept_was != op.accept_is && fout_profile_update(api_app(ctx)->fed, op.user, NULL))
		log_warn("api: cannot federate the auto-accept change of '%s'",
		         api_who(ctx)->user_id);
	return api_no_content(ctx);
}

/* ---- GET /sync/unreads ---- */

static enum err unreads(struct req_ctx *ctx)
{
	struct store_txn *txn = NULL;
	json_t *res = NULL;
	enum err rc = store_read_begin(api_app(ctx)->store, &txn);

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = require_user(txn, str_from(api_who(ctx)->user_id));
	if (!rc)
		rc = sync_unreads_list(txn, str_from(api_who(ctx)->user_id), &res);
	store_read_end(txn);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	return api_json(ctx, 200, res);
}

/* ---- POST /policy/acknowledge ---- */

struct ack_op {
	struct str user;
	int64_t now;
};

static enum err ack_fn(struct store_wtxn *w, void *arg)
{
	struct ack_op *op = arg;
	enum err rc = require_user(store_wtxn_read(w), op->user);

	return rc ? rc : sync_policy_ack(w, op->user, op->now);
}

/* delta answers `()`: 200 with an empty body */
static enum err policy_ack(struct req_ctx *ctx)
{
	struct ack_op op = {str_from(api_who(ctx)->user_id), api_now_ms()};
	enum err rc = store_write(api_app(ctx)->store, ack_fn, &op, &ctx->ei);

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	http_resp_set(ctx->resp, 200, NULL, STR_NULL);
	return SE_OK;
}

static const struct route sync_routes[] = {
    {HTTP_POST, "/api/sync/settings/fetch", settings_fetch, API_USER},
    {HTTP_POST, "/api/sync/settings/set", settings_set, API_USER},
    {HTTP_GET, "/api/sync/unreads", unreads, API_USER},
    {HTTP_POST, "/api/policy/acknowledge", policy_ack, API_USER},
};

const struct route *api_sync_table(size_t *n)
{
	*n = sizeof(sync_routes) / sizeof(sync_routes[0]);
	return sync_routes;
}
