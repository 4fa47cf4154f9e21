/*
 * api/auth_session.c: /auth/session/... — login (password or MFA ticket,
 * lock-out), logout, list, rename, revoke one or all (REVOLT.md section 5,
 * authifier's rocket routes).
 */
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "app.h"
#include "auth/account.h"
#include "auth/email.h"
#include "auth/password.h"
#include "auth/records.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "storage/store.h"

/* bytes of a session's friendly name */
#define SESSION_NAME_MAX 256
/* sessions listed by GET /auth/session/all */
#define SESSION_LIST_MAX 1000

struct lock_op {
	struct str id;
	bool failed; /* record a failure, or clear the lock-out */
	int64_t now_ms;
};

static enum err lock_fn(struct store_wtxn *w, void *arg)
{
	struct lock_op *op = arg;
	json_t *acct = NULL, *lock;
	enum err rc = account_load(store_wtxn_read(w), op->id, &acct);

	if (rc)
		return rc;
	lock = json_object_get(acct, "lockout");
	if (op->failed) {
		int64_t attempts = json_integer_value(json_object_get(lock, "attempts")) + 1;
		int64_t wait = account_lockout_ms(attempts);

		lock = json_pack("{s:I}", "attempts", (json_int_t)attempts);
		if (lock && wait)
			json_object_set_new(lock, "expiry", json_integer(op->now_ms + wait));
		json_object_set_new(acct, "lockout", lock);
	} else if (lock) {
		json_object_del(acct, "lockout");
	} else {
		json_decref(acct);
		return SE_OK;
	}
	rc = authrec_save(w, AUTHREC_ACCOUNTS, acct, false);
	json_decref(acct);
	return rc;
}

static bool is_pending(const json_t *acct)
{
	const char *s =
	    json_string_value(json_object_get(json_object_get(acct, "verification"), "status"));

	return s && strcmp(s, "Pending") == 0;
}

static enum err login_email(struct req_ctx *ctx, const json_t *body, json_t **acct_out)
{
	struct app *app = api_app(ctx);
	struct buf norm = BUF_INIT(512);
	struct store_txn *txn = NULL;
	struct str email, password;
	struct lock_op lop;
	json_t *acct = NULL;
	int64_t now = api_now_ms(), expiry;
	enum err rc;

	rc = api_str(ctx, body, "email", 0, &email);
	if (!rc)
		rc = api_str(ctx, body, "password", 0, &password);
	if (rc)
		goto out;
	/* Unparseable addresses cannot belong to an account. */
	if (email_normalise(email, &norm) || buf_err(&norm)) {
		account_password_dummy(app, password);
		rc = SE_RAISE(&ctx->ei, SE_InvalidCredentials);
		goto out;
	}
	rc = store_read_begin(app->store, &txn);
	if (rc)
		goto out;
	rc = account_find_by_email(txn, buf_str(&norm), &acct);
	store_read_end(txn);
	if (rc == SE_NOT_FOUND) {
		/* Same time and answer as a wrong password: no account enumeration. */
		account_password_dummy(app, password);
		rc = SE_RAISE(&ctx->ei, SE_InvalidCredentials);
		goto out;
	}
	if (rc)
		goto out;
	if (is_pending(acct)) {
		rc = SE_RAISE(&ctx->ei, SE_UnverifiedAccount);
		goto out;
	}
	rc = pw_check(app->pw, password);
	if (rc == SE_ShortPassword)
		rc = SE_OK; /* authifier only scans for compromised passwords here */
	if (rc) {
		SE_RAISE(&ctx->ei, rc);
		goto out;
	}
	expiry = json_integer_value(json_object_get(json_object_get(acct, "lockout"), "expiry"));
	if (expiry > now) {
		rc = SE_RAISE(&ctx->ei, SE_LockedOut);
		goto out;
	}
	lop =
	    (struct lock_op){str_from(json_string_value(json_object_get(acct, "_id"))), false, now};
	if (!account_password_ok(acct, password)) {
		lop.failed = true;
		if (store_write(app->store, lock_fn, &lop, &ctx->ei))
			log_warn("auth: cannot record a failed login");
		rc = SE_RAISE(&ctx->ei, SE_InvalidCredentials);
		goto out;
	}
	rc = store_write(app->store, lock_fn, &lop, &ctx->ei);
	if (rc)
		goto out;
	*acct_out = acct;
	acct = NULL;
out:
	json_decref(acct);
	buf_release(&norm);
	return rc;
}

static enum err login_ticket(struct req_ctx *ctx, const json_t *body, json_t **acct_out)
{
	struct app *app = api_app(ctx);
	struct authn_ticket t;
	struct store_txn *txn = NULL;
	const json_t *response = json_object_get(body, "mfa_response");
	struct str token;
	json_t *acct = NULL;
	enum err rc = api_str(ctx, body, "mfa_ticket", 0, &token);

	if (rc)
		return rc;
	rc = store_read_begin(app->store, &txn);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = authn_ticket_find(txn, token, api_now_ms(), &t);
	if (!rc)
		rc = account_load(txn, str_from(t.account_id), &acct);
	store_read_end(txn);
	if (rc)
		return SE_RAISE(&ctx->ei, rc == SE_NOT_FOUND ? SE_InvalidToken : rc);
	if (response && !json_is_null(response)) {
		if (!json_is_object(response))
			rc = SE_RAISEF(&ctx->ei, SE_FailedValidation,
			               "'mfa_response' must be an object");
		else
			rc = account_mfa_consume(app, str_from(t.account_id), response, &ctx->ei);
	} else if (!t.authorised) {
		rc = SE_RAISE(&ctx->ei, SE_InvalidToken);
	}
	/* A ticket logs in once. */
	if (!rc)
		rc = account_ticket_consume(app, str_from(t.id), &ctx->ei);
	if (rc) {
		json_decref(acct);
		return rc;
	}
	*acct_out = acct;
	return SE_OK;
}

enum err api_auth_login(struct req_ctx *ctx)
{
	struct app *app = api_app(ctx);
	json_t *body = NULL, *acct = NULL, *resp = NULL;
	struct str name = STR_LIT("Unknown"), id;
	enum err rc = api_body(ctx, &body);

	if (rc)
		return rc;
	rc = api_str_opt(ctx, body, "friendly_name", SESSION_NAME_MAX, &name);
	if (rc == SE_NOT_FOUND) {
		name = STR_LIT("Unknown");
		rc = SE_OK;
	}
	if (rc)
		goto out;
	if (json_object_get(body, "mfa_ticket"))
		rc = login_ticket(ctx, body, &acct);
	else
		rc = login_email(ctx, body, &acct);
	if (rc)
		goto out;
	id = str_from(json_string_value(json_object_get(acct, "_id")));
	/* A password login with MFA on continues with a ticket. */
	if (!json_object_get(body, "mfa_ticket") &&
	    !(account_mfa_methods(acct) & ACCOUNT_MFA_PASSWORD)) {
		json_t *ticket = NULL;

		rc = account_ticket_create(app, id, false, false, &ticket, &ctx->ei);
		if (rc)
			goto out;
		resp = json_pack("{s:s, s:O, s:o}", "result", "MFA", "ticket",
		                 json_object_get(ticket, "token"), "allowed_methods",
		                 account_mfa_methods_json(account_mfa_methods(acct)));
		json_decref(ticket);
		rc = api_json(ctx, 200, resp);
		goto out;
	}
	if (json_is_true(json_object_get(acct, "disabled"))) {
		rc =
		    api_json(ctx, 200,
		             json_pack("{s:s, s:s%}", "result", "Disabled", "user_id", id.p, id.n));
		goto out;
	}
	rc = account_session_create(app, id, name, &resp, &ctx->ei);
	if (!rc)
		rc = api_json(ctx, 200, resp);
out:
	json_decref(acct);
	json_decref(body);
	return rc;
}

struct delete_one_op {
	struct str session_id;
	struct str user_id; /* the caller: only their own sessions */
};

static enum err delete_one_fn(struct store_wtxn *w, void *arg)
{
	struct delete_one_op *op = arg;
	json_t *s = NULL;
	enum err rc = authrec_load(store_wtxn_read(w), AUTHREC_SESSIONS, op->session_id, &s);

	if (rc)
		return rc == SE_NOT_FOUND ? SE_UnknownUser : rc;
	if (!str_eq_cstr(op->user_id, json_string_value(json_object_get(s, "user_id")) ?: ""))
		rc = SE_InvalidToken;
	json_decref(s);
	return rc ? rc : store_delete(w, AUTHREC_SESSIONS, op->session_id);
}

enum err api_auth_logout(struct req_ctx *ctx)
{
	const struct authn *who = api_who(ctx);
	struct delete_one_op op = {str_from(who->session_id), str_from(who->user_id)};
	enum err rc = store_write(api_app(ctx)->store, delete_one_fn, &op, &ctx->ei);

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	account_publish_delete_session(api_app(ctx), op.user_id, op.session_id);
	return api_no_content(ctx);
}

enum err api_auth_session_revoke(struct req_ctx *ctx)
{
	const struct authn *who = api_who(ctx);
	struct delete_one_op op = {ctx->req->params[0], str_from(who->user_id)};
	enum err rc = store_write(api_app(ctx)->store, delete_one_fn, &op, &ctx->ei);

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	account_publish_delete_session(api_app(ctx), op.user_id, op.session_id);
	return api_no_content(ctx);
}

struct delete_all_op {
	struct str user_id;
	struct str keep;
	size_t deleted;
};

static enum err delete_all_fn(struct store_wtxn *w, void *arg)
{
	struct delete_all_op *op = arg;

	return account_sessions_delete(w, op->user_id, op->keep, &op->deleted);
}

enum err api_auth_session_revoke_all(struct req_ctx *ctx)
{
	const struct authn *who = api_who(ctx);
	struct str rs = http_req_query(ctx->req, "revoke_self");
	bool revoke_self = rs.p && str_eq_cstr(rs, "true");
	struct delete_all_op op = {str_from(who->user_id),
	                           revoke_self ? STR_NULL : str_from(who->session_id), 0};
	enum err rc;

	if (rs.p && !revoke_self && !str_eq_cstr(rs, "false"))
		return SE_RAISEF(&ctx->ei, SE_FailedValidation,
		                 "'revoke_self' must be true or false");
	rc = store_write(api_app(ctx)->store, delete_all_fn, &op, &ctx->ei);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	account_publish_delete_all(api_app(ctx), op.user_id, op.keep);
	return api_no_content(ctx);
}

enum err api_auth_session_list(struct req_ctx *ctx)
{
	const struct authn *who = api_who(ctx);
	struct app *app = api_app(ctx);
	struct store_hit *hits = NULL;
	struct store_txn *txn = NULL;
	struct store_range r;
	char prefix[40];
	json_t *list = json_array();
	size_t n = 0;
	enum err rc;

	if (!list)
		return SE_RAISE(&ctx->ei, SE_NOMEM);
	hits = arena_alloc(ctx->arena, SESSION_LIST_MAX * sizeof(*hits));
	if (!hits) {
		json_decref(list);
		return SE_RAISE(&ctx->ei, SE_NOMEM);
	}
	snprintf(prefix, sizeof(prefix), "%s/", who->user_id);
	memset(&r, 0, sizeof(r));
	r.prefix = str_from(prefix);
	r.dir = STORE_ASC;
	rc = store_read_begin(app->store, &txn);
	if (!rc)
		rc =
		    store_index_scan(txn, AUTHREC_SESSIONS, "user", &r, hits, SESSION_LIST_MAX, &n);
	for (size_t i = 0; !rc && i < n; i++) {
		json_t *s = NULL;

		if (authrec_load(txn, AUTHREC_SESSIONS, hits[i].id, &s))
			continue;
		json_array_append_new(list,
		                      json_pack("{s:O, s:O}", "_id", json_object_get(s, "_id"),
		                                "name", json_object_get(s, "name")));
		json_decref(s);
	}
	store_read_end(txn);
	if (rc) {
		json_decref(list);
		return SE_RAISE(&ctx->ei, rc);
	}
	return api_json(ctx, 200, list);
}

struct rename_op {
	struct str session_id;
	struct str user_id;
	struct str name;
	json_t *out;
};

static enum err rename_fn(struct store_wtxn *w, void *arg)
{
	struct rename_op *op = arg;
	json_t *s = NULL;
	enum err rc = authrec_load(store_wtxn_read(w), AUTHREC_SESSIONS, op->session_id, &s);

	if (rc)
		return rc == SE_NOT_FOUND ? SE_UnknownUser : rc;
	if (!str_eq_cstr(op->user_id, json_string_value(json_object_get(s, "user_id")) ?: "")) {
		json_decref(s);
		return SE_InvalidSession;
	}
	json_object_set_new(s, "name", json_stringn(op->name.p, op->name.n));
	rc = authrec_save(w, AUTHREC_SESSIONS, s, false);
	json_decref(op->out);
	op->out = rc ? NULL
	             : json_pack("{s:O, s:O}", "_id", json_object_get(s, "_id"), "name",
	                         json_object_get(s, "name"));
	json_decref(s);
	return rc;
}

enum err api_auth_session_edit(struct req_ctx *ctx)
{
	const struct authn *who = api_who(ctx);
	struct rename_op op = {ctx->req->params[0], str_from(who->user_id), STR_NULL, NULL};
	json_t *body = NULL;
	enum err rc = api_body(ctx, &body);

	if (!rc)
		rc = api_str(ctx, body, "friendly_name", SESSION_NAME_MAX, &op.name);
	if (!rc)
		rc = store_write(api_app(ctx)->store, rename_fn, &op, &ctx->ei);
	json_decref(body);
	if (rc) {
		json_decref(op.out);
		return SE_RAISE(&ctx->ei, rc);
	}
	return api_json(ctx, 200, op.out);
}
