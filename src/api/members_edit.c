/*
 * api/members_edit.c: PATCH /servers/{id}/members/{member} (revoltchat/
 * backend crates/delta/src/routes/servers/member_edit.rs): nickname, avatar,
 * roles and timeout, with Revolt's permission and ranking rules, and the
 * ServerMemberUpdate event.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "api/members.h"
#include "app.h"
#include "auth/records.h"
#include "files/file.h"
#include "perms/perms.h"
#include "servers/server.h"

/* roles one edit may list (Revolt global.server_roles) */
#define EDIT_ROLES_MAX 200

enum edit_field {
	F_NICKNAME = 1 << 0,
	F_AVATAR = 1 << 1,
	F_ROLES = 1 << 2,
	F_TIMEOUT = 1 << 3,
	F_JOINED_AT = 1 << 4,
};

static const struct {
	const char *name;
	enum edit_field bit;
	const char *key;
} fields[] = {
    {"Nickname", F_NICKNAME, "nickname"}, {"Avatar", F_AVATAR, "avatar"},
    {"Roles", F_ROLES, "roles"},          {"Timeout", F_TIMEOUT, "timeout"},
    {"JoinedAt", F_JOINED_AT, NULL},
};

struct edit_op {
	struct str sid, target;
	const char *me;
	int64_t now;
	unsigned set, remove; /* enum edit_field bits */
	struct str nickname;
	const json_t *roles;   /* borrowed from the body */
	const json_t *clear;   /* the body's "remove", borrowed */
	char timeout[32];      /* normalised ISO 8601 */
	struct str avatar_id;  /* a file to claim (files/file.h) when F_AVATAR is set */
	json_t *avatar;        /* the claimed File */
	json_t *member, *data; /* outputs */
};

static enum err parse_body(struct req_ctx *ctx, const json_t *body, struct edit_op *op)
{
	struct err_info *ei = &ctx->ei;
	const json_t *v;
	struct str s;
	int64_t ms;
	size_t i;
	enum err rc = api_str_opt(ctx, body, "nickname", 0, &op->nickname);

	if (!rc) {
		size_t n = api_utf8_len(op->nickname);

		if (n < 1 || n > MEMBER_NICKNAME_MAX)
			return SE_RAISEF(ei, SE_FailedValidation,
			                 "'nickname' must be 1-%d characters", MEMBER_NICKNAME_MAX);
		op->set |= F_NICKNAME;
	} else if (rc != SE_NOT_FOUND) {
		return rc;
	}
	rc = api_str_opt(ctx, body, "avatar", 128, &s);
	if (!rc) {
		op->set |= F_AVATAR;
		op->avatar_id = s;
	} else if (rc != SE_NOT_FOUND)
		return rc;
	v = json_object_get(body, "roles");
	if (v && !json_is_null(v)) {
		if (!json_is_array(v) || json_array_size(v) > EDIT_ROLES_MAX)
			return SE_RAISEF(ei, SE_FailedValidation,
			                 "'roles' must be an array of at most %d role ids",
			                 EDIT_ROLES_MAX);
		for (i = 0; i < json_array_size(v); i++)
			if (!json_is_string(json_array_get(v, i)))
				return SE_RAISEF(ei, SE_FailedValidation,
				                 "'roles' must hold strings");
		op->roles = v;
		op->set |= F_ROLES;
	}
	rc = api_str_opt(ctx, body, "timeout", 64, &s);
	if (!rc) {
		if (member_time_parse(s, &ms))
			return SE_RAISEF(ei, SE_FailedValidation,
			                 "'timeout' is not an ISO 8601 time");
		authrec_iso8601(ms, op->timeout);
		op->set |= F_TIMEOUT;
	} else if (rc != SE_NOT_FOUND) {
		return rc;
	}
	v = json_object_get(body, "remove");
	if (v && !json_is_null(v) && !json_is_array(v))
		return SE_RAISEF(ei, SE_FailedValidation, "'remove' must be an array");
	for (i = 0; i < json_array_size(v); i++) {
		const char *name = json_string_value(json_array_get(v, i));
		size_t f = 0;

		while (f < sizeof(fields) / sizeof(fields[0]) &&
		       (!name || strcmp(name, fields[f].name) != 0))
			f++;
		if (f == sizeof(fields) / sizeof(fields[0]))
			return SE_RAISEF(ei, SE_FailedValidation,
			                 "'remove' holds an unknown field");
		op->remove |= fields[f].bit;
	}
	op->clear = json_is_array(v) ? v : NULL;
	return SE_OK;
}

static bool has_role(const json_t *roles, const char *id)
{
	const json_t *r;
	size_t i;

	json_array_foreach(roles, i, r)
	{
		if (json_is_string(r) && strcmp(json_string_value(r), id) == 0)
			return true;
	}
	return false;
}

/* The permission checks of member_edit.rs, in its order. */
static enum err check(struct store_wtxn *w, struct edit_op *op, const struct api_srv *s,
                      const json_t *m, const char *tid)
{
	struct err_info *ei = store_wtxn_ei(w);
	bool self = strcmp(tid, op->me) == 0;
	unsigned touched = op->set | op->remove;
	int64_t mine = s->st.member ? s->st.rank : INT64_MIN;
	struct member_standing ts;
	const json_t *r;
	size_t i;
	enum err rc = SE_OK;

	if (touched & F_NICKNAME)
		rc = perm_require(s->st.perms, self ? PERM_CHANGE_NICKNAME : PERM_MANAGE_NICKNAMES,
		                  ei);
	if (!rc && (touched & F_AVATAR))
		rc = self ? perm_require(s->st.perms, PERM_CHANGE_AVATAR, ei) : SE_InvalidOperation;
	if (!rc && (touched & F_ROLES))
		rc = perm_require(s->st.perms, PERM_ASSIGN_ROLES, ei);
	if (!rc && (touched & F_TIMEOUT))
		rc = (op->set & F_TIMEOUT) && self
		         ? SE_CannotTimeoutYourself
		         : perm_require(s->st.perms, PERM_TIMEOUT_MEMBERS, ei);
	if (rc)
		return rc;
	member_standing_of(s->server, m, tid, op->now, &ts);
	if (!self && ts.rank <= mine)
		return SE_NotElevated;
	json_array_foreach(op->roles, i, r)
	{
		const char *id = json_string_value(r);
		const json_t *role = json_object_get(json_object_get(s->server, "roles"), id);
		const json_t *rank = json_object_get(role, "rank");

		if (has_role(json_object_get(m, "roles"), id))
			continue;
		if (!role)
			return SE_InvalidRole;
		if ((json_is_integer(rank) ? json_integer_value(rank) : 0) <= mine)
			return SE_NotElevated;
	}
	return SE_OK;
}

/* Apply the edit to a copy of `m` and build the event's data. */
static enum err apply(struct edit_op *op, const json_t *m)
{
	json_t *nm = json_deep_copy(m), *data = json_object();

	if (!nm || !data) {
		json_decref(nm);
		json_decref(data);
		return SE_NOMEM;
	}
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
		if ((op->remove & fields[f].bit) && fields[f].key)
			json_object_del(nm, fields[f].key);
	if (op->set & F_NICKNAME) {
		json_object_set_new(nm, "nickname", json_stringn(op->nickname.p, op->nickname.n));
		json_object_set(data, "nickname", json_object_get(nm, "nickname"));
	}
	if (op->set & F_ROLES) {
		json_t *roles = json_deep_copy(op->roles);

		json_object_set(data, "roles", roles);
		/* an empty list is omitted from the record, as Revolt stores it */
		if (json_array_size(roles))
			json_object_set_new(nm, "roles", roles);
		else {
			json_object_del(nm, "roles");
			json_decref(roles);
		}
	}
	if ((op->set & F_AVATAR) && op->avatar) {
		json_object_set(nm, "avatar", op->avatar);
		json_object_set(data, "avatar", op->avatar);
	}
	if (op->set & F_TIMEOUT) {
		json_object_set_new(nm, "timeout", json_string(op->timeout));
		json_object_set(data, "timeout", json_object_get(nm, "timeout"));
	}
	json_decref(op->member);
	json_decref(op->data);
	op->member = nm;
	op->data = data;
	return SE_OK;
}

static enum err edit_fn(struct store_wtxn *w, void *arg)
{
	struct edit_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	struct api_srv s = API_SRV_INIT;
	json_t *m = NULL;
	char tid[64];
	enum err rc = api_srv_load(txn, op->sid, op->me, op->now, &s);

	snprintf(tid, sizeof(tid), "%.*s", (int)op->target.n, op->target.p);
	if (!rc)
		rc = server_member_load(txn, op->sid, op->target, &m);
	if (rc == SE_NOT_FOUND)
		rc = SE_NotFound;
	if (!rc)
		rc = check(w, op, &s, m, tid);
	/* files hook (member_edit.rs): the old avatar is flagged deleted, the new one claimed */
	if (!rc && (op->remove & F_AVATAR)) {
		const char *old =
		    json_string_value(json_object_get(json_object_get(m, "avatar"), "_id"));

		rc = old ? file_mark_deleted(w, str_from(old)) : SE_OK;
		if (rc == SE_NOT_FOUND)
			rc = SE_OK;
	}
	json_decref(op->avatar);
	op->avatar = NULL;
	if (!rc && (op->set & F_AVATAR))
		rc = file_claim(w, op->avatar_id, "avatars", "UserAvatar", str_from(op->me),
		                &op->avatar);
	if (!rc)
		rc = apply(op, m);
	if (!rc)
		rc = member_store(w, MEMBER_COLL, op->member);
	json_decref(m);
	api_srv_release(&s);
	return rc;
}

enum err api_member_edit(struct req_ctx *ctx)
{
	struct edit_op op;
	json_t *body = NULL, *clear;
	enum err rc;

	memset(&op, 0, sizeof(op));
	op.sid = ctx->req->params[0];
	op.target = ctx->req->params[1];
	op.me = api_who(ctx)->user_id;
	op.now = api_now_ms();
	rc = api_body(ctx, &body);
	if (!rc)
		rc = parse_body(ctx, body, &op);
	if (!rc)
		rc = store_write(api_app(ctx)->store, edit_fn, &op, &ctx->ei);
	if (rc)
		goto out;
	clear = op.clear ? json_deep_copy(op.clear) : json_array();
	api_publish(api_app(ctx), op.sid,
	            json_pack("{s:s, s:{s:s%, s:s%}, s:O, s:o}", "type", "ServerMemberUpdate", "id",
	                      "server", op.sid.p, op.sid.n, "user", op.target.p, op.target.n,
	                      "data", op.data, "clear", clear));
	rc = api_json(ctx, 200, json_incref(op.member));
out:
	json_decref(op.member);
	json_decref(op.data);
	json_decref(op.avatar);
	json_decref(body);
	return rc ? SE_RAISE(&ctx->ei, rc) : SE_OK;
}
