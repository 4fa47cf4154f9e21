/*
 * api/auth_account_self.c: the signed-in account's own routes —
 * fetch, change password and e-mail, disable, delete and confirm deletion
 * (REVOLT.md section 5, authifier's account routes).
 */
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "api/auth_int.h"
#include "app.h"
#include "auth/account.h"
#include "auth/codes.h"
#include "auth/email.h"
#include "auth/password.h"
#include "auth/records.h"
#include "core/buf.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "core/ulid.h"
#include "mail/mailer.h"
#include "mail/templates.h"
#include "storage/store.h"

/* lifetimes of the e-mailed tokens (authifier's defaults) */
/* --- signed-in account changes --- */

enum err api_auth_account_fetch(struct req_ctx *ctx)
{
	json_t *acct = NULL;
	enum err rc = api_caller_account(ctx, &acct);

	if (rc)
		return rc;
	rc = api_json(ctx, 200,
	              json_pack("{s:O, s:O}", "_id", json_object_get(acct, "_id"), "email",
	                        json_object_get(acct, "email")));
	json_decref(acct);
	return rc;
}

struct set_op {
	struct str id;
	const char *field; /* "password", or NULL for an e-mail change */
	struct str value;  /* new hash, or new e-mail */
	struct str norm;
	char token[ACCOUNT_MAIL_TOKEN_LEN + 1];
	bool smtp;
	int64_t now;
	struct mail_msg verify;
};

static enum err set_fn(struct store_wtxn *w, void *arg)
{
	struct set_op *op = arg;
	json_t *acct = NULL;
	enum err rc = account_load(store_wtxn_read(w), op->id, &acct);

	if (rc)
		return rc;
	if (op->field) {
		json_object_set_new(acct, op->field, json_stringn(op->value.p, op->value.n));
	} else if (op->smtp) {
		json_object_set_new(acct, "verification",
		                    json_pack("{s:s, s:s%, s:s%, s:s, s:I}", "status", "Moving",
		                              "new_email", op->value.p, op->value.n,
		                              "new_email_normalised", op->norm.p, op->norm.n,
		                              "token", op->token, "expiry",
		                              (json_int_t)(op->now + VERIFY_LIFE_MS)));
		rc = acctapi_msg_queue(w, &op->verify, op->now);
	} else {
		json_object_set_new(acct, "email", json_stringn(op->value.p, op->value.n));
		json_object_set_new(acct, "email_normalised", json_stringn(op->norm.p, op->norm.n));
	}
	if (!rc)
		rc = authrec_save(w, AUTHREC_ACCOUNTS, acct, false);
	json_decref(acct);
	/* the address belongs to another account (unique index) */
	return rc == SE_EXISTS ? SE_IncorrectData : rc;
}

enum err api_auth_account_change_password(struct req_ctx *ctx)
{
	struct app *app = api_app(ctx);
	struct set_op op;
	char hash[CRY_PWHASH_MAX];
	struct str password, current;
	json_t *body = NULL, *acct = NULL;
	enum err rc;

	memset(&op, 0, sizeof(op));
	acctapi_msg_init(&op.verify);
	rc = api_body(ctx, &body);
	if (!rc)
		rc = api_str(ctx, body, "password", 0, &password);
	if (!rc)
		rc = api_str(ctx, body, "current_password", PASSWORD_MAX, &current);
	if (!rc)
		rc = acctapi_check_password(ctx, password);
	if (!rc)
		rc = api_caller_account(ctx, &acct);
	if (rc)
		goto out;
	if (!account_password_ok(acct, current)) {
		rc = SE_RAISE(&ctx->ei, SE_InvalidCredentials);
		goto out;
	}
	rc = account_hash_password(app, password, hash);
	if (rc) {
		SE_RAISE(&ctx->ei, rc);
		goto out;
	}
	op.id = str_from(api_who(ctx)->user_id);
	op.field = "password";
	op.value = str_from(hash);
	rc = store_write(app->store, set_fn, &op, &ctx->ei);
	rc = rc ? SE_RAISE(&ctx->ei, rc) : api_no_content(ctx);
out:
	cry_wipe(hash, sizeof(hash));
	acctapi_msg_release(&op.verify);
	json_decref(acct);
	json_decref(body);
	return rc;
}

enum err api_auth_account_change_email(struct req_ctx *ctx)
{
	struct app *app = api_app(ctx);
	struct buf norm = BUF_INIT(512);
	struct set_op op;
	struct str email, current;
	json_t *body = NULL, *acct = NULL;
	enum err rc;

	memset(&op, 0, sizeof(op));
	acctapi_msg_init(&op.verify);
	rc = api_body(ctx, &body);
	if (!rc)
		rc = api_str(ctx, body, "email", EMAIL_MAX * 4, &email);
	if (!rc)
		rc = api_str(ctx, body, "current_password", PASSWORD_MAX, &current);
	if (!rc)
		rc = acctapi_check_email(ctx, email, &norm);
	if (!rc)
		rc = api_caller_account(ctx, &acct);
	if (rc)
		goto out;
	if (!account_password_ok(acct, current)) {
		rc = SE_RAISE(&ctx->ei, SE_InvalidCredentials);
		goto out;
	}
	op.id = str_from(api_who(ctx)->user_id);
	op.value = email;
	op.norm = buf_str(&norm);
	op.smtp = acctapi_smtp_on(app);
	op.now = api_now_ms();
	if (op.smtp) {
		codes_token_new(op.token, ACCOUNT_MAIL_TOKEN_LEN);
		/* the confirmation goes to the new address */
		if (acctapi_render(app, MAIL_VERIFY, email,
		                   (struct str){op.token, ACCOUNT_MAIL_TOKEN_LEN}, &op.verify)) {
			rc = SE_RAISE(&ctx->ei, SE_RenderFail);
			goto out;
		}
	}
	rc = store_write(app->store, set_fn, &op, &ctx->ei);
	if (rc) {
		if (rc == SE_IncorrectData)
			ctx->ei.with = "email";
		SE_RAISE(&ctx->ei, rc);
		goto out;
	}
	if (op.smtp)
		mail_kick(app->mail);
	rc = api_no_content(ctx);
out:
	acctapi_msg_release(&op.verify);
	buf_release(&norm);
	json_decref(acct);
	json_decref(body);
	return rc;
}

/* --- disable, delete --- */

struct disable_op {
	struct str id;
	bool schedule;    /* deletion confirmed: schedule it a week out */
	struct str token; /* or find the account by deletion token */
	int64_t now;
	char found[32];
	size_t deleted;
};

static enum err disable_fn(struct store_wtxn *w, void *arg)
{
	struct disable_op *op = arg;
	json_t *acct = NULL;
	enum err rc;

	if (op->token.p) {
		rc = authrec_find_id(store_wtxn_read(w), AUTHREC_ACCOUNTS, "deletion", op->token,
		                     op->found);
		if (rc)
			return rc == SE_NOT_FOUND ? SE_InvalidToken : rc;
	} else {
		memcpy(op->found, op->id.p, op->id.n < 31 ? op->id.n : 31);
		op->found[op->id.n < 31 ? op->id.n : 31] = '\0';
	}
	rc = account_load(store_wtxn_read(w), str_from(op->found), &acct);
	if (rc)
		return rc;
	if (op->token.p && json_integer_value(json_object_get(json_object_get(acct, "deletion"),
	                                                      "expiry")) < op->now) {
		json_decref(acct);
		return SE_InvalidToken;
	}
	if (op->schedule)
		json_object_set_new(acct, "deletion",
		                    json_pack("{s:s, s:I}", "status", "Scheduled", "after",
		                              (json_int_t)(op->now + DELETION_DELAY_MS)));
	json_object_set_new(acct, "disabled", json_true());
	rc = authrec_save(w, AUTHREC_ACCOUNTS, acct, false);
	json_decref(acct);
	if (!rc)
		rc = account_sessions_delete(w, str_from(op->found), STR_NULL, &op->deleted);
	return rc;
}

static enum err disable(struct req_ctx *ctx, struct disable_op *op)
{
	enum err rc = store_write(api_app(ctx)->store, disable_fn, op, &ctx->ei);

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	account_publish_delete_all(api_app(ctx), str_from(op->found), STR_NULL);
	return api_no_content(ctx);
}

enum err api_auth_account_disable(struct req_ctx *ctx)
{
	struct disable_op op = {
	    str_from(api_who(ctx)->user_id), false, STR_NULL, api_now_ms(), "", 0};
	enum err rc = api_auth_mfa_ticket_guard(ctx);

	return rc ? rc : disable(ctx, &op);
}

struct deletion_mail_op {
	struct str id;
	char token[ACCOUNT_MAIL_TOKEN_LEN + 1];
	int64_t now;
	struct mail_msg msg;
};

static enum err deletion_mail_fn(struct store_wtxn *w, void *arg)
{
	struct deletion_mail_op *op = arg;
	json_t *acct = NULL;
	enum err rc = account_load(store_wtxn_read(w), op->id, &acct);

	if (rc)
		return rc;
	json_object_set_new(acct, "deletion",
	                    json_pack("{s:s, s:s, s:I}", "status", "WaitingForVerification",
	                              "token", op->token, "expiry",
	                              (json_int_t)(op->now + DELETION_LIFE_MS)));
	rc = authrec_save(w, AUTHREC_ACCOUNTS, acct, false);
	json_decref(acct);
	return rc ? rc : acctapi_msg_queue(w, &op->msg, op->now);
}

enum err api_auth_account_delete(struct req_ctx *ctx)
{
	struct app *app = api_app(ctx);
	struct deletion_mail_op op;
	json_t *acct = NULL;
	enum err rc = api_auth_mfa_ticket_guard(ctx);

	if (rc)
		return rc;
	if (!acctapi_smtp_on(app)) {
		struct disable_op dop = {
		    str_from(api_who(ctx)->user_id), true, STR_NULL, api_now_ms(), "", 0};

		return disable(ctx, &dop);
	}
	memset(&op, 0, sizeof(op));
	acctapi_msg_init(&op.msg);
	rc = api_caller_account(ctx, &acct);
	if (rc)
		goto out;
	op.id = str_from(api_who(ctx)->user_id);
	op.now = api_now_ms();
	codes_token_new(op.token, ACCOUNT_MAIL_TOKEN_LEN);
	{
		const json_t *e = json_object_get(acct, "email");

		if (acctapi_render(app, MAIL_DELETION,
		                   (struct str){json_string_value(e), json_string_length(e)},
		                   (struct str){op.token, ACCOUNT_MAIL_TOKEN_LEN}, &op.msg)) {
			rc = SE_RAISE(&ctx->ei, SE_RenderFail);
			goto out;
		}
	}
	rc = store_write(app->store, deletion_mail_fn, &op, &ctx->ei);
	if (rc) {
		SE_RAISE(&ctx->ei, rc);
		goto out;
	}
	mail_kick(app->mail);
	rc = api_no_content(ctx);
out:
	acctapi_msg_release(&op.msg);
	json_decref(acct);
	return rc;
}

enum err api_auth_account_confirm_deletion(struct req_ctx *ctx)
{
	struct disable_op op = {STR_NULL, true, STR_NULL, api_now_ms(), "", 0};
	json_t *body = NULL;
	enum err rc = api_body(ctx, &body);

	if (!rc)
		rc = api_str(ctx, body, "token", 64, &op.token);
	if (!rc)
		rc = disable(ctx, &op);
	json_decref(body);
	return rc;
}
