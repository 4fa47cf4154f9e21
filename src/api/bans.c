/*
 * api/bans.c: server bans (revoltchat/backend crates/delta/src/routes/
 * servers/ban_*.rs): list, ban (which also removes the member) and unban.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "api/members.h"
#include "app.h"
#include "auth/records.h"
#include "perms/perms.h"
#include "servers/server.h"
#include "users/user.h"

struct ban_listing {
	struct store_txn *txn;
	json_t *bans, *users;
};

/* BannedUser {_id, username, discriminator, avatar: File|null} */
static json_t *banned_user(const json_t *u)
{
	json_t *avatar = json_object_get(u, "avatar");

	return json_pack("{s:O, s:O, s:O, s:O}", "_id", json_object_get(u, "_id"), "username",
	                 json_object_get(u, "username"), "discriminator",
	                 json_object_get(u, "discriminator"), "avatar",
	                 avatar ? avatar : json_null());
}

static enum err ban_one(struct str id, void *arg)
{
	struct ban_listing *l = arg;
	struct str rec;
	json_t *b, *u = NULL;
	const char *uid;
	enum err rc = store_get(l->txn, BAN_COLL, id, &rec);

	if (rc == SE_NOT_FOUND)
		return SE_OK;
	if (rc)
		return rc;
	b = json_loadb(rec.p, rec.n, 0, NULL);
	if (!b)
		return SE_PARSE;
	json_array_append_new(l->bans, b);
	uid = json_string_value(json_object_get(json_object_get(b, "_id"), "user"));
	/* bans may name users that do not exist: only the bans list shows them */
	if (uid && !authrec_load(l->txn, USER_COLL, str_from(uid), &u)) {
		json_t *bu = banned_user(u);

		json_decref(u);
		if (!bu)
			return SE_NOMEM;
		json_array_append_new(l->users, bu);
	}
	return SE_OK;
}

enum err api_bans_list(struct req_ctx *ctx)
{
	struct str sid = ctx->req->params[0];
	struct api_srv s = API_SRV_INIT;
	struct ban_listing l = {NULL, json_array(), json_array()};
	struct store_txn *txn = NULL;
	enum err rc = l.bans && l.users ? store_read_begin(api_app(ctx)->store, &txn) : SE_NOMEM;

	if (rc)
		goto out;
	rc = api_srv_load(txn, sid, api_who(ctx)->user_id, api_now_ms(), &s);
	if (!rc)
		rc = perm_require(s.st.perms, PERM_BAN_MEMBERS, &ctx->ei);
	l.txn = txn;
	if (!rc)
		rc = member_walk(txn, BAN_COLL, BAN_IDX_SERVER, sid, MEMBER_LIST_MAX, ban_one, &l);
	if (rc == SE_FULL)
		rc = SE_OK;
out:
	store_read_end(txn);
	api_srv_release(&s);
	if (!rc)
		rc = api_json(ctx, 200, json_pack("{s:O, s:O}", "users", l.users, "bans", l.bans));
	else
		rc = SE_RAISE(&ctx->ei, rc);
	json_decref(l.bans);
	json_decref(l.users);
	return rc;
}

struct ban_op {
	struct str sid, target, reason;
	const char *me;
	int64_t now;
	bool was_member;
	json_t *ban; /* output */
};

static enum err ban_fn(struct store_wtxn *w, void *arg)
{
	struct ban_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	struct api_srv s = API_SRV_INIT;
	json_t *m = NULL;
	const char *owner;
	char tid[64];
	enum err rc = api_srv_load(txn, op->sid, op->me, op->now, &s);

	snprintf(tid, sizeof(tid), "%.*s", (int)op->target.n, op->target.p);
	op->was_member = false;
	if (rc)
		goto out;
	owner = json_string_value(json_object_get(s.server, "owner"));
	if (strcmp(tid, op->me) == 0)
		rc = SE_CannotRemoveYourself;
	else if (owner && strcmp(tid, owner) == 0)
		rc = SE_InvalidOperation;
	else
		rc = perm_require(s.st.perms, PERM_BAN_MEMBERS, store_wtxn_ei(w));
	if (rc)
		goto out;
	rc = server_member_load(txn, op->sid, op->target, &m);
	if (rc == SE_OK) {
		struct member_standing ts;

		member_standing_of(s.server, m, tid, op->now, &ts);
		if (ts.rank <= (s.st.member ? s.st.rank : INT64_MIN)) {
			rc = SE_NotElevated;
			goto out;
		}
		rc = member_drop(w, MEMBER_COLL, op->sid, op->target);
		op->was_member = rc == SE_OK;
	} else if (rc == SE_NOT_FOUND) {
		rc = SE_OK;
	}
	if (rc)
		goto out;
	json_decref(op->ban);
	op->ban = member_ban_new(op->sid, op->target, op->reason);
	rc = op->ban ? member_store(w, BAN_COLL, op->ban) : SE_NOMEM;
out:
	json_decref(m);
	api_srv_release(&s);
	return rc;
}

enum err api_ban_create(struct req_ctx *ctx)
{
	struct ban_op op = {ctx->req->params[0],
	                    ctx->req->params[1],
	                    STR_NULL,
	                    api_who(ctx)->user_id,
	                    api_now_ms(),
	                    false,
	                    NULL};
	json_t *body = NULL;
	enum err rc = api_body(ctx, &body);

	if (!rc)
		rc = api_str_opt(ctx, body, "reason", 0, &op.reason);
	if (rc == SE_NOT_FOUND) {
		op.reason = STR_NULL;
		rc = SE_OK;
	}
	if (!rc && op.reason.p && api_utf8_len(op.reason) > MEMBER_BAN_REASON_MAX)
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation,
		               "'reason' is longer than %d characters", MEMBER_BAN_REASON_MAX);
	if (!rc)
		rc = store_write(api_app(ctx)->store, ban_fn, &op, &ctx->ei);
	if (!rc) {
		if (op.was_member)
			api_member_left(ctx, op.sid, op.target, "Ban");
		rc = api_json(ctx, 200, op.ban);
		op.ban = NULL;
	}
	json_decref(op.ban);
	json_decref(body);
	return rc ? SE_RAISE(&ctx->ei, rc) : SE_OK;
}

struct unban_op {
	struct str sid, target;
	const char *me;
	int64_t now;
};

static enum err unban_fn(struct store_wtxn *w, void *arg)
{
	struct unban_op *op = arg;
	struct api_srv s = API_SRV_INIT;
	enum err rc = api_srv_load(store_wtxn_read(w), op->sid, op->me, op->now, &s);

	if (!rc)
		rc = perm_require(s.st.perms, PERM_BAN_MEMBERS, store_wtxn_ei(w));
	if (!rc)
		rc = member_drop(w, BAN_COLL, op->sid, op->target);
	if (rc == SE_NOT_FOUND)
		rc = SE_NotFound;
	api_srv_release(&s);
	return rc;
}

enum err api_ban_remove(struct req_ctx *ctx)
{
	struct unban_op op = {ctx->req->params[0], ctx->req->params[1], api_who(ctx)->user_id,
	                      api_now_ms()};
	enum err rc = store_write(api_app(ctx)->store, unban_fn, &op, &ctx->ei);

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	return api_no_content(ctx);
}
