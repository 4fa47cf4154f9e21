/*
 * api/auth_account.c: /auth/account/... — create, verify, reverify and the
 * password reset (REVOLT.md section 5, authifier's account routes), plus the
 * helpers auth_int.h shares with auth_account_self.c. With SMTP configured the e-mail
 * steps send mail (queued in the same write as the account change);
 * without it accounts are verified at once, as Revolt does.
 */
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "api/auth_int.h"
#include "app.h"
#include "auth/captcha.h"
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
bool acctapi_smtp_on(const struct app *app)
{
	return app->cfg->smtp.host[0] != '\0';
}

void acctapi_msg_init(struct mail_msg *m)
{
	buf_init(&m->to, 1024);
	buf_init(&m->subject, 1024);
	buf_init(&m->body, 64 * 1024);
}

void acctapi_msg_release(struct mail_msg *m)
{
	buf_release(&m->to);
	buf_release(&m->subject);
	buf_release(&m->body);
}

enum err acctapi_msg_queue(struct store_wtxn *w, const struct mail_msg *m, int64_t now)
{
	return mail_enqueue(w, buf_str(&m->to), buf_str(&m->subject), buf_str(&m->body), now);
}

enum err acctapi_render(const struct app *app, enum mail_kind kind, struct str to, struct str token,
                        struct mail_msg *m)
{
	enum err rc = SE_OK;

	buf_append_str(&m->to, to);
	switch (kind) {
	case MAIL_VERIFY:
		rc = mailtpl_verify(app->cfg, token, &m->subject, &m->body);
		break;
	case MAIL_RESET:
		rc = mailtpl_reset(app->cfg, token, &m->subject, &m->body);
		break;
	case MAIL_RESET_EXISTING:
		rc = mailtpl_reset_existing(app->cfg, token, &m->subject, &m->body);
		break;
	case MAIL_DELETION:
		rc = mailtpl_deletion(app->cfg, token, &m->subject, &m->body);
		break;
	case MAIL_NONE:
		break;
	}
	if (!rc)
		rc = buf_err(&m->to)
		         ? buf_err(&m->to)
		         : (buf_err(&m->subject) ? buf_err(&m->subject) : buf_err(&m->body));
	return rc;
}

enum err acctapi_check_email(struct req_ctx *ctx, struct str email, struct buf *norm)
{
	enum err rc = email_validate(email, &ctx->ei);

	if (rc)
		return rc;
	rc = email_normalise(email, norm);
	if (!rc)
		rc = buf_err(norm);
	if (rc)
		return SE_RAISE(&ctx->ei, rc == SE_NOMEM ? SE_NOMEM : SE_IncorrectData);
	return SE_OK;
}

enum err acctapi_check_password(struct req_ctx *ctx, struct str pw)
{
	enum err rc;

	if (pw.n > PASSWORD_MAX)
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "password longer than %d bytes",
		                 PASSWORD_MAX);
	rc = pw_check(api_app(ctx)->pw, pw);
	return rc ? SE_RAISE(&ctx->ei, rc) : SE_OK;
}

/* --- create --- */

struct create_op {
	struct str email, norm, hash;
	struct str invite; /* STR_NULL unless invite-only */
	bool smtp;
	char id[32]; /* new account id (generated before the write) */
	char token[ACCOUNT_MAIL_TOKEN_LEN + 1];
	int64_t now;
	struct mail_msg verify, reset_existing;
	enum mail_kind sent; /* out: which mail went into the queue */
};

static enum err create_fn(struct store_wtxn *w, void *arg)
{
	struct create_op *op = arg;
	json_t *acct = NULL, *ver;
	enum err rc;

	op->sent = MAIL_NONE;
	if (op->invite.p) {
		json_t *inv = NULL;

		rc = authrec_load(store_wtxn_read(w), AUTHREC_INVITES, op->invite, &inv);
		if (rc)
			return rc == SE_NOT_FOUND ? SE_InvalidInvite : rc;
		if (json_is_true(json_object_get(inv, "used"))) {
			json_decref(inv);
			return SE_InvalidInvite;
		}
		json_object_set_new(inv, "used", json_true());
		json_object_set_new(inv, "claimed_by", json_string(op->id));
		rc = authrec_save(w, AUTHREC_INVITES, inv, false);
		json_decref(inv);
		if (rc)
			return rc;
	}
	rc = account_find_by_email(store_wtxn_read(w), op->norm, &acct);
	if (rc == SE_OK) {
		/* Existing address: re-send what it needs, answer the same (no enumeration). */
		const char *status = json_string_value(
		    json_object_get(json_object_get(acct, "verification"), "status"));

		if (!op->smtp) {
			json_decref(acct);
			return SE_OperationFailed;
		}
		if (status && strcmp(status, "Pending") == 0) {
			json_object_set_new(acct, "verification",
			                    json_pack("{s:s, s:s, s:I}", "status", "Pending",
			                              "token", op->token, "expiry",
			                              (json_int_t)(op->now + VERIFY_LIFE_MS)));
			op->sent = MAIL_VERIFY;
			rc = acctapi_msg_queue(w, &op->verify, op->now);
		} else {
			json_object_set_new(acct, "password_reset",
			                    json_pack("{s:s, s:I}", "token", op->token, "expiry",
			                              (json_int_t)(op->now + RESET_LIFE_MS)));
			op->sent = MAIL_RESET_EXISTING;
			rc = acctapi_msg_queue(w, &op->reset_existing, op->now);
		}
		if (!rc)
			rc = authrec_save(w, AUTHREC_ACCOUNTS, acct, false);
		json_decref(acct);
		return rc;
	}
	if (rc != SE_NOT_FOUND)
		return rc;
	if (op->smtp)
		ver = json_pack("{s:s, s:s, s:I}", "status", "Pending", "token", op->token,
		                "expiry", (json_int_t)(op->now + VERIFY_LIFE_MS));
	else
		ver = json_pack("{s:s}", "status", "Verified");
	acct = json_pack("{s:s, s:s%, s:s%, s:s%, s:b, s:o, s:{}}", "_id", op->id, "email",
	                 op->email.p, op->email.n, "email_normalised", op->norm.p, op->norm.n,
	                 "password", op->hash.p, op->hash.n, "disabled", 0, "verification", ver,
	                 "mfa");
	if (!acct)
		return SE_NOMEM;
	rc = authrec_save(w, AUTHREC_ACCOUNTS, acct, true);
	json_decref(acct);
	if (!rc && op->smtp) {
		op->sent = MAIL_VERIFY;
		rc = acctapi_msg_queue(w, &op->verify, op->now);
	}
	return rc;
}

/* authifier checks the captcha first, before looking at anything else */
static enum err check_captcha(struct req_ctx *ctx, const json_t *body)
{
	struct str tok = STR_NULL;
	enum err rc;

	if (!captcha_enabled(api_app(ctx)->cfg))
		return SE_OK;
	rc = api_str_opt(ctx, body, "captcha", 0, &tok);
	if (rc == SE_NOT_FOUND)
		tok = STR_NULL;
	else if (rc)
		return rc;
	return captcha_check(api_app(ctx)->cfg, tok, &ctx->ei);
}

enum err api_auth_account_create(struct req_ctx *ctx)
{
	struct app *app = api_app(ctx);
	struct create_op op;
	struct buf norm = BUF_INIT(512);
	char hash[CRY_PWHASH_MAX];
	struct str email, password, invite;
	json_t *body = NULL;
	struct ulid u;
	enum err rc;

	memset(&op, 0, sizeof(op));
	acctapi_msg_init(&op.verify);
	acctapi_msg_init(&op.reset_existing);
	rc = api_body(ctx, &body);
	if (!rc)
		rc = check_captcha(ctx, body);
	if (!rc)
		rc = api_str(ctx, body, "email", EMAIL_MAX * 4, &email);
	if (!rc)
		rc = api_str(ctx, body, "password", 0, &password);
	if (rc)
		goto out;
	rc = acctapi_check_email(ctx, email, &norm);
	if (!rc)
		rc = acctapi_check_password(ctx, password);
	if (rc)
		goto out;
	op.invite = STR_NULL;
	if (app->cfg->api.invite_only) {
		rc = api_str_opt(ctx, body, "invite", 64, &invite);
		if (rc == SE_NOT_FOUND)
			rc = SE_RAISE(&ctx->ei, SE_MissingInvite);
		if (rc)
			goto out;
		op.invite = invite;
	}
	rc = account_hash_password(app, password, hash);
	if (rc) {
		SE_RAISE(&ctx->ei, rc);
		goto out;
	}
	rc = ulid_generate(NULL, &u);
	if (rc)
		goto out;
	ulid_encode(&u, op.id);
	codes_token_new(op.token, ACCOUNT_MAIL_TOKEN_LEN);
	op.email = email;
	op.norm = buf_str(&norm);
	op.hash = str_from(hash);
	op.smtp = acctapi_smtp_on(app);
	op.now = api_now_ms();
	if (op.smtp) {
		struct str tok = {op.token, ACCOUNT_MAIL_TOKEN_LEN};

		rc = acctapi_render(app, MAIL_VERIFY, email, tok, &op.verify);
		if (!rc)
			rc = acctapi_render(app, MAIL_RESET_EXISTING, email, tok,
			                    &op.reset_existing);
		if (rc) {
			SE_RAISE(&ctx->ei, SE_RenderFail);
			rc = SE_RenderFail;
			goto out;
		}
	}
	rc = store_write(app->store, create_fn, &op, &ctx->ei);
	if (rc) {
		SE_RAISE(&ctx->ei, rc);
		goto out;
	}
	if (op.sent != MAIL_NONE)
		mail_kick(app->mail);
	rc = api_no_content(ctx);
out:
	cry_wipe(hash, sizeof(hash));
	acctapi_msg_release(&op.verify);
	acctapi_msg_release(&op.reset_existing);
	buf_release(&norm);
	json_decref(body);
	return rc;
}

/* --- verify --- */

struct verify_op {
	struct str code;
	int64_t now;
	char id[32];
	bool moved; /* an e-mail change was confirmed (no ticket) */
};

static enum err verify_fn(struct store_wtxn *w, void *arg)
{
	struct verify_op *op = arg;
	char id[32];
	json_t *acct = NULL, *ver;
	const char *status;
	enum err rc = authrec_find_id(store_wtxn_read(w), AUTHREC_ACCOUNTS, "verify", op->code, id);

	if (rc)
		return rc == SE_NOT_FOUND ? SE_InvalidToken : rc;
	rc = account_load(store_wtxn_read(w), str_from(id), &acct);
	if (rc)
		return rc;
	ver = json_object_get(acct, "verification");
	status = json_string_value(json_object_get(ver, "status"));
	if (json_integer_value(json_object_get(ver, "expiry")) < op->now) {
		json_decref(acct);
		return SE_InvalidToken;
	}
	op->moved = status && strcmp(status, "Moving") == 0;
	if (op->moved) {
		json_t *ne = json_object_get(ver, "new_email");
		json_t *nn = json_object_get(ver, "new_email_normalised");

		json_object_set(acct, "email", ne);
		json_object_set(acct, "email_normalised", nn);
	}
	json_object_set_new(acct, "verification", json_pack("{s:s}", "status", "Verified"));
	memcpy(op->id, id, sizeof(op->id));
	rc = authrec_save(w, AUTHREC_ACCOUNTS, acct, false);
	json_decref(acct);
	/* A new e-mail already used by another account fails the unique index. */
	return rc == SE_EXISTS ? SE_InvalidToken : rc;
}

enum err api_auth_account_verify(struct req_ctx *ctx)
{
	struct verify_op op = {ctx->req->params[0], api_now_ms(), "", false};
	json_t *ticket = NULL;
	enum err rc;

	if (op.code.n != ACCOUNT_MAIL_TOKEN_LEN)
		return SE_RAISE(&ctx->ei, SE_InvalidToken);
	rc = store_write(api_app(ctx)->store, verify_fn, &op, &ctx->ei);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	if (op.moved)
		return api_json(ctx, 200, json_null());
	/* An authorised ticket: the client logs in with it once, no password. */
	rc = account_ticket_create(api_app(ctx), str_from(op.id), false, true, &ticket, &ctx->ei);
	if (rc)
		return rc;
	return api_json(ctx, 200, json_pack("{s:o}", "ticket", ticket));
}

/* --- mails that start from an address: reverify, send reset --- */

struct start_op {
	struct str norm;
	bool reset_only; /* send-reset route: always a reset mail */
	char token[ACCOUNT_MAIL_TOKEN_LEN + 1];
	int64_t now;
	struct mail_msg verify, reset, reset_existing;
	enum mail_kind sent;
};

static enum err start_fn(struct store_wtxn *w, void *arg)
{
	struct start_op *op = arg;
	json_t *acct = NULL;
	const char *status;
	enum err rc = account_find_by_email(store_wtxn_read(w), op->norm, &acct);

	op->sent = MAIL_NONE;
	if (rc)
		return rc == SE_NOT_FOUND ? SE_OK : rc; /* never tell */
	status =
	    json_string_value(json_object_get(json_object_get(acct, "verification"), "status"));
	if (op->reset_only || (status && strcmp(status, "Verified") == 0)) {
		json_object_set_new(acct, "password_reset",
		                    json_pack("{s:s, s:I}", "token", op->token, "expiry",
		                              (json_int_t)(op->now + RESET_LIFE_MS)));
		op->sent = op->reset_only ? MAIL_RESET : MAIL_RESET_EXISTING;
		rc = acctapi_msg_queue(w, op->reset_only ? &op->reset : &op->reset_existing,
		                       op->now);
	} else if (status && strcmp(status, "Pending") == 0) {
		json_object_set_new(acct, "verification",
		                    json_pack("{s:s, s:s, s:I}", "status", "Pending", "token",
		                              op->token, "expiry",
		                              (json_int_t)(op->now + VERIFY_LIFE_MS)));
		op->sent = MAIL_VERIFY;
		rc = acctapi_msg_queue(w, &op->verify, op->now);
	} else {
		json_decref(acct);
		return SE_OK; /* moving to another address: restarted from settings */
	}
	if (!rc)
		rc = authrec_save(w, AUTHREC_ACCOUNTS, acct, false);
	json_decref(acct);
	return rc;
}

static enum err start_mail(struct req_ctx *ctx, bool reset_only)
{
	struct app *app = api_app(ctx);
	struct buf norm = BUF_INIT(512);
	struct start_op op;
	struct str email, tok;
	json_t *body = NULL;
	enum err rc;

	memset(&op, 0, sizeof(op));
	acctapi_msg_init(&op.verify);
	acctapi_msg_init(&op.reset);
	acctapi_msg_init(&op.reset_existing);
	rc = api_body(ctx, &body);
	if (!rc)
		rc = check_captcha(ctx, body);
	if (!rc)
		rc = api_str(ctx, body, "email", EMAIL_MAX * 4, &email);
	if (!rc)
		rc = acctapi_check_email(ctx, email, &norm);
	if (rc)
		goto out;
	if (!acctapi_smtp_on(app)) {
		/* Nothing can be mailed: reset is impossible, reverify has nothing to do. */
		rc = reset_only ? SE_RAISE(&ctx->ei, SE_OperationFailed) : api_no_content(ctx);
		goto out;
	}
	codes_token_new(op.token, ACCOUNT_MAIL_TOKEN_LEN);
	tok = (struct str){op.token, ACCOUNT_MAIL_TOKEN_LEN};
	rc = acctapi_render(app, MAIL_VERIFY, email, tok, &op.verify);
	if (!rc)
		rc = acctapi_render(app, MAIL_RESET, email, tok, &op.reset);
	if (!rc)
		rc = acctapi_render(app, MAIL_RESET_EXISTING, email, tok, &op.reset_existing);
	if (rc) {
		rc = SE_RAISE(&ctx->ei, SE_RenderFail);
		goto out;
	}
	op.norm = buf_str(&norm);
	op.reset_only = reset_only;
	op.now = api_now_ms();
	rc = store_write(app->store, start_fn, &op, &ctx->ei);
	if (rc) {
		SE_RAISE(&ctx->ei, rc);
		goto out;
	}
	if (op.sent != MAIL_NONE)
		mail_kick(app->mail);
	rc = api_no_content(ctx);
out:
	acctapi_msg_release(&op.verify);
	acctapi_msg_release(&op.reset);
	acctapi_msg_release(&op.reset_existing);
	buf_release(&norm);
	json_decref(body);
	return rc;
}

enum err api_auth_account_reverify(struct req_ctx *ctx)
{
	return start_mail(ctx, false);
}

enum err api_auth_account_reset_send(struct req_ctx *ctx)
{
	return start_mail(ctx, true);
}

/* --- reset confirm --- */

struct reset_op {
	struct str token, hash;
	bool remove_sessions;
	int64_t now;
	char id[32];
	size_t deleted;
};

static enum err reset_fn(struct store_wtxn *w, void *arg)
{
	struct reset_op *op = arg;
	json_t *acct = NULL;
	enum err rc =
	    authrec_find_id(store_wtxn_read(w), AUTHREC_ACCOUNTS, "reset", op->token, op->id);

	if (rc)
		return rc == SE_NOT_FOUND ? SE_InvalidToken : rc;
	rc = account_load(store_wtxn_read(w), str_from(op->id), &acct);
	if (rc)
		return rc;
	if (json_integer_value(json_object_get(json_object_get(acct, "password_reset"), "expiry")) <
	    op->now) {
		json_decref(acct);
		return SE_InvalidToken;
	}
	json_object_set_new(acct, "password", json_stringn(op->hash.p, op->hash.n));
	json_object_del(acct, "password_reset");
	json_object_del(acct, "lockout");
	rc = authrec_save(w, AUTHREC_ACCOUNTS, acct, false);
	json_decref(acct);
	if (!rc && op->remove_sessions)
		rc = account_sessions_delete(w, str_from(op->id), STR_NULL, &op->deleted);
	return rc;
}

enum err api_auth_account_reset_confirm(struct req_ctx *ctx)
{
	struct app *app = api_app(ctx);
	struct reset_op op;
	char hash[CRY_PWHASH_MAX];
	struct str password;
	json_t *body = NULL;
	const json_t *rs;
	enum err rc;

	memset(&op, 0, sizeof(op));
	rc = api_body(ctx, &body);
	if (!rc)
		rc = api_str(ctx, body, "token", 64, &op.token);
	if (!rc)
		rc = api_str(ctx, body, "password", 0, &password);
	if (!rc)
		rc = acctapi_check_password(ctx, password);
	if (rc)
		goto out;
	rs = json_object_get(body, "remove_sessions");
	op.remove_sessions = json_is_true(rs);
	rc = account_hash_password(app, password, hash);
	if (rc) {
		SE_RAISE(&ctx->ei, rc);
		goto out;
	}
	op.hash = str_from(hash);
	op.now = api_now_ms();
	rc = store_write(app->store, reset_fn, &op, &ctx->ei);
	if (rc) {
		SE_RAISE(&ctx->ei, rc);
		goto out;
	}
	if (op.remove_sessions)
		account_publish_delete_all(app, str_from(op.id), STR_NULL);
	rc = api_no_content(ctx);
out:
	cry_wipe(hash, sizeof(hash));
	json_decref(body);
	return rc;
}
