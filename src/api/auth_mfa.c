/*
 * api/auth_mfa.c: /auth/mfa/... — status, methods, tickets, recovery codes,
 * TOTP set-up and removal (REVOLT.md section 5, authifier's mfa routes).
 */
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "app.h"
#include "auth/account.h"
#include "auth/authn.h"
#include "auth/codes.h"
#include "auth/records.h"
#include "auth/totp.h"
#include "storage/store.h"

/*
 * The x-mfa-ticket guard of sensitive actions: a validated, unexpired ticket
 * of the caller's own account, consumed by this use.
 */
static enum err validated_ticket(struct req_ctx *ctx)
{
	struct str token = http_req_header(ctx->req, "x-mfa-ticket");
	struct store_txn *txn = NULL;
	struct authn_ticket t;
	enum err rc;

	if (!token.p) {
		ctx->ei.status = 401; /* authifier's ticket guard answers 401 */
		return SE_RAISE(&ctx->ei, SE_MissingHeaders);
	}
	rc = store_read_begin(api_app(ctx)->store, &txn);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = authn_ticket_find(txn, token, api_now_ms(), &t);
	store_read_end(txn);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	if (!t.validated || strcmp(t.account_id, api_who(ctx)->user_id) != 0)
		return SE_RAISE(&ctx->ei, SE_InvalidToken);
	return account_ticket_consume(api_app(ctx), str_from(t.id), &ctx->ei);
}

enum err api_auth_mfa_ticket_guard(struct req_ctx *ctx)
{
	return validated_ticket(ctx);
}

enum err api_auth_mfa_status(struct req_ctx *ctx)
{
	json_t *acct = NULL, *mfa;
	const char *totp;
	enum err rc = api_caller_account(ctx, &acct);

	if (rc)
		return rc;
	mfa = json_object_get(acct, "mfa");
	totp = json_string_value(json_object_get(json_object_get(mfa, "totp_token"), "status"));
	rc =
	    api_json(ctx, 200,
	             json_pack("{s:b, s:b, s:b, s:b, s:b, s:b}", "email_otp", 0, "trusted_handover",
	                       0, "email_mfa", 0, "totp_mfa", totp && strcmp(totp, "Disabled") != 0,
	                       "security_key_mfa", 0, "recovery_active",
	                       json_array_size(json_object_get(mfa, "recovery_codes")) > 0));
	json_decref(acct);
	return rc;
}

enum err api_auth_mfa_methods(struct req_ctx *ctx)
{
	json_t *acct = NULL;
	enum err rc = api_caller_account(ctx, &acct);

	if (rc)
		return rc;
	rc = api_json(ctx, 200, account_mfa_methods_json(account_mfa_methods(acct)));
	json_decref(acct);
	return rc;
}

/* PUT /auth/mfa/ticket: a session or an unvalidated ticket, plus an MFA response. */
enum err api_auth_mfa_ticket(struct req_ctx *ctx)
{
	const struct authn *who = api_who(ctx);
	struct str token = http_req_header(ctx->req, "x-mfa-ticket");
	char account[32] = "";
	json_t *body = NULL, *ticket = NULL;
	enum err rc;

	if (who->kind == AUTHN_SESSION && token.p)
		return SE_RAISE(&ctx->ei, SE_OperationFailed);
	if (who->kind == AUTHN_SESSION) {
		memcpy(account, who->user_id, sizeof(account));
	} else if (token.p) {
		struct store_txn *txn = NULL;
		struct authn_ticket t;

		rc = store_read_begin(api_app(ctx)->store, &txn);
		if (rc)
			return SE_RAISE(&ctx->ei, rc);
		rc = authn_ticket_find(txn, token, api_now_ms(), &t);
		store_read_end(txn);
		if (!rc && t.validated)
			rc = SE_InvalidToken;
		if (rc)
			return SE_RAISE(&ctx->ei, rc);
		rc = account_ticket_consume(api_app(ctx), str_from(t.id), &ctx->ei);
		if (rc)
			return rc;
		memcpy(account, t.account_id, sizeof(account));
	} else {
		return SE_RAISE(&ctx->ei, SE_InvalidToken);
	}
	rc = api_body(ctx, &body);
	if (!rc)
		rc = account_mfa_consume(api_app(ctx), str_from(account), body, &ctx->ei);
	if (!rc)
		rc = account_ticket_create(api_app(ctx), str_from(account), true, false, &ticket,
		                           &ctx->ei);
	json_decref(body);
	return rc ? rc : api_json(ctx, 200, ticket);
}

/* Changes to the caller's "mfa" object, made inside one write. */
enum mfa_change {
	MFA_RECOVERY_GENERATE,
	MFA_TOTP_SECRET,
	MFA_TOTP_ENABLE,
	MFA_TOTP_DISABLE,
};

struct mfa_change_op {
	struct str account_id;
	enum mfa_change what;
	struct str code; /* MFA_TOTP_ENABLE */
	int64_t now_s;
	json_t *out; /* recovery codes / secret */
};

static enum err change_fn(struct store_wtxn *w, void *arg)
{
	struct mfa_change_op *op = arg;
	json_t *acct = NULL, *mfa, *totp;
	const char *status;
	enum err rc = account_load(store_wtxn_read(w), op->account_id, &acct);

	if (rc)
		return rc;
	mfa = json_object_get(acct, "mfa");
	if (!json_is_object(mfa)) {
		mfa = json_object();
		json_object_set_new(acct, "mfa", mfa);
	}
	totp = json_object_get(mfa, "totp_token");
	status = json_string_value(json_object_get(totp, "status"));
	json_decref(op->out);
	op->out = NULL;
	switch (op->what) {
	case MFA_RECOVERY_GENERATE: {
		char codes[10][12];
		json_t *a = json_array();

		codes_recovery_new(codes);
		for (int i = 0; a && i < 10; i++)
			json_array_append_new(a, json_string(codes[i]));
		json_object_set_new(mfa, "recovery_codes", a);
		op->out = json_incref(a);
		break;
	}
	case MFA_TOTP_SECRET: {
		char secret[17];

		if (status && strcmp(status, "Enabled") == 0) {
			rc = SE_TotpAlreadyEnabled;
			goto out;
		}
		totp_secret_new(secret);
		json_object_set_new(mfa, "totp_token",
		                    json_pack("{s:s, s:s}", "status", "Pending", "secret", secret));
		op->out = json_pack("{s:s}", "secret", secret);
		break;
	}
	case MFA_TOTP_ENABLE: {
		const json_t *secret = json_object_get(totp, "secret");
		int64_t step = 0;

		if (!status || strcmp(status, "Pending") != 0 || !json_is_string(secret) ||
		    !totp_check((struct str){json_string_value(secret), json_string_length(secret)},
		                op->code, op->now_s, &step)) {
			rc = SE_InvalidToken;
			goto out;
		}
		json_object_set_new(totp, "status", json_string("Enabled"));
		json_object_set_new(mfa, "totp_last_step", json_integer(step));
		break;
	}
	case MFA_TOTP_DISABLE:
		json_object_del(mfa, "totp_token");
		json_object_del(mfa, "totp_last_step");
		break;
	}
	rc = authrec_save(w, AUTHREC_ACCOUNTS, acct, false);
out:
	json_decref(acct);
	return rc;
}

static enum err change(struct req_ctx *ctx, enum mfa_change what, struct str code, json_t **out)
{
	struct mfa_change_op op = {str_from(api_who(ctx)->user_id), what, code, api_now_ms() / 1000,
	                           NULL};
	enum err rc = store_write(api_app(ctx)->store, change_fn, &op, &ctx->ei);

	if (rc) {
		json_decref(op.out);
		return SE_RAISE(&ctx->ei, rc);
	}
	if (out)
		*out = op.out;
	else
		json_decref(op.out);
	return SE_OK;
}

enum err api_auth_mfa_recovery_fetch(struct req_ctx *ctx)
{
	json_t *acct = NULL, *codes;
	enum err rc = validated_ticket(ctx);

	if (!rc)
		rc = api_caller_account(ctx, &acct);
	if (rc)
		return rc;
	codes = json_object_get(json_object_get(acct, "mfa"), "recovery_codes");
	rc = api_json(ctx, 200, codes ? json_incref(codes) : json_array());
	json_decref(acct);
	return rc;
}

enum err api_auth_mfa_recovery_generate(struct req_ctx *ctx)
{
	json_t *codes = NULL;
	enum err rc = validated_ticket(ctx);

	if (!rc)
		rc = change(ctx, MFA_RECOVERY_GENERATE, STR_NULL, &codes);
	return rc ? rc : api_json(ctx, 200, codes);
}

enum err api_auth_mfa_totp_secret(struct req_ctx *ctx)
{
	json_t *secret = NULL;
	enum err rc = validated_ticket(ctx);

	if (!rc)
		rc = change(ctx, MFA_TOTP_SECRET, STR_NULL, &secret);
	return rc ? rc : api_json(ctx, 200, secret);
}

enum err api_auth_mfa_totp_enable(struct req_ctx *ctx)
{
	json_t *body = NULL;
	struct str code;
	enum err rc = api_body(ctx, &body);

	if (!rc && api_str_opt(ctx, body, "totp_code", 16, &code))
		rc = SE_RAISE(&ctx->ei, SE_InvalidToken);
	if (!rc)
		rc = change(ctx, MFA_TOTP_ENABLE, code, NULL);
	json_decref(body);
	return rc ? rc : api_no_content(ctx);
}

enum err api_auth_mfa_totp_disable(struct req_ctx *ctx)
{
	enum err rc = validated_ticket(ctx);

	if (!rc)
		rc = change(ctx, MFA_TOTP_DISABLE, STR_NULL, NULL);
	return rc ? rc : api_no_content(ctx);
}
