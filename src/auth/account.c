/*
 * auth/account.c: sessions, tickets, MFA responses and session deletion
 * (authifier's impl/account.rs, impl/ticket.rs, impl/mfa behaviour).
 */
#include "auth/account.h"

#include <stdio.h>
#include <string.h>

#include "app.h"
#include "auth/authn.h"
#include "auth/records.h"
#include "auth/totp.h"
#include "bus/bus.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "storage/store.h"

/* sessions deleted per scan of the user index */
#define SESSION_SCAN_BATCH 256
/* upper bound on a user's sessions we delete in one write */
#define SESSION_DELETE_MAX 100000

int64_t account_lockout_ms(int64_t attempts)
{
	if (attempts >= 5)
		return 3600 * 1000;
	if (attempts == 4)
		return 300 * 1000;
	if (attempts == 3)
		return 60 * 1000;
	return 0;
}

unsigned account_mfa_methods(const json_t *account)
{
	const json_t *mfa = json_object_get(account, "mfa");
	const json_t *totp = json_object_get(mfa, "totp_token");
	const json_t *codes = json_object_get(mfa, "recovery_codes");
	const char *status = json_string_value(json_object_get(totp, "status"));

	if (status && strcmp(status, "Enabled") == 0)
		return ACCOUNT_MFA_TOTP | (json_array_size(codes) > 0 ? ACCOUNT_MFA_RECOVERY : 0u);
	return ACCOUNT_MFA_PASSWORD;
}

json_t *account_mfa_methods_json(unsigned methods)
{
	json_t *a = json_array();

	if (!a)
		return NULL;
	if (methods & ACCOUNT_MFA_PASSWORD)
		json_array_append_new(a, json_string("Password"));
	if (methods & ACCOUNT_MFA_TOTP)
		json_array_append_new(a, json_string("Totp"));
	if (methods & ACCOUNT_MFA_RECOVERY)
		json_array_append_new(a, json_string("Recovery"));
	return a;
}

enum err account_load(struct store_txn *txn, struct str id, json_t **out)
{
	if (id.n == 0 || id.n >= 32)
		return SE_NOT_FOUND;
	return authrec_load(txn, AUTHREC_ACCOUNTS, id, out);
}

enum err account_find_by_email(struct store_txn *txn, struct str email_normalised, json_t **out)
{
	char id[32];
	enum err rc = authrec_find_id(txn, AUTHREC_ACCOUNTS, "email", email_normalised, id);

	if (rc)
		return rc;
	return authrec_load(txn, AUTHREC_ACCOUNTS, str_from(id), out);
}

enum err account_hash_password(const struct app *app, struct str pw, char *out)
{
	return cry_pwhash(pw, app->cfg->auth.argon2_ops, app->cfg->auth.argon2_mem_kib, out);
}

bool account_password_ok(const json_t *account, struct str pw)
{
	const char *hash = json_string_value(json_object_get(account, "password"));

	return hash && cry_pwhash_verify(hash, pw);
}

void account_password_dummy(const struct app *app, struct str pw)
{
	if (app->dummy_hash)
		(void)cry_pwhash_verify(app->dummy_hash, pw);
}

static enum err new_ulid(char out[ULID_LEN + 1])
{
	struct ulid u;
	enum err rc = ulid_generate(NULL, &u);

	if (!rc)
		ulid_encode(&u, out);
	return rc;
}

struct create_op {
	const char *coll;
	json_t *rec;
};

static enum err create_fn(struct store_wtxn *w, void *arg)
{
	struct create_op *op = arg;

	return authrec_save(w, op->coll, op->rec, true);
}

enum err account_session_create(struct app *app, struct str user_id, struct str name, json_t **out,
                                struct err_info *ei)
{
	char id[ULID_LEN + 1], token[ACCOUNT_TOKEN_LEN + 1], hash[AUTHREC_HASH_LEN + 1], iso[32];
	struct create_op op = {AUTHREC_SESSIONS, NULL};
	json_t *resp = NULL;
	enum err rc = new_ulid(id);

	if (rc)
		return SE_RAISE(ei, rc);
	cry_token(token, ACCOUNT_TOKEN_LEN);
	authrec_token_hash((struct str){token, ACCOUNT_TOKEN_LEN}, hash);
	authrec_iso8601(authrec_now_ms(), iso);
	op.rec = json_pack("{s:s, s:s%, s:s, s:s%, s:s}", "_id", id, "user_id", user_id.p,
	                   user_id.n, "token_hash", hash, "name", name.p, name.n, "last_seen", iso);
	if (!op.rec)
		return SE_RAISE(ei, SE_NOMEM);
	rc = store_write(app->store, create_fn, &op, ei);
	if (!rc) {
		resp = json_pack("{s:s, s:s, s:s%, s:s, s:s%, s:s}", "result", "Success", "_id", id,
		                 "user_id", user_id.p, user_id.n, "token", token, "name", name.p,
		                 name.n, "last_seen", iso);
		if (!resp)
			rc = SE_RAISE(ei, SE_NOMEM);
	}
	cry_wipe(token, sizeof(token));
	json_decref(op.rec);
	if (!rc)
		*out = resp;
	return rc;
}

enum err account_ticket_create(struct app *app, struct str account_id, bool validated,
                               bool authorised, json_t **out, struct err_info *ei)
{
	char id[ULID_LEN + 1], token[ACCOUNT_TOKEN_LEN + 1], hash[AUTHREC_HASH_LEN + 1];
	struct create_op op = {AUTHREC_TICKETS, NULL};
	json_t *resp = NULL;
	enum err rc = new_ulid(id);

	if (rc)
		return SE_RAISE(ei, rc);
	cry_token(token, ACCOUNT_TOKEN_LEN);
	authrec_token_hash((struct str){token, ACCOUNT_TOKEN_LEN}, hash);
	op.rec = json_pack("{s:s, s:s%, s:s, s:b, s:b}", "_id", id, "account_id", account_id.p,
	                   account_id.n, "token_hash", hash, "validated", validated, "authorised",
	                   authorised);
	if (!op.rec)
		return SE_RAISE(ei, SE_NOMEM);
	rc = store_write(app->store, create_fn, &op, ei);
	if (!rc) {
		resp = json_pack("{s:s, s:s%, s:s, s:b, s:b, s:n}", "_id", id, "account_id",
		                 account_id.p, account_id.n, "token", token, "validated", validated,
		                 "authorised", authorised, "last_totp_code");
		if (!resp)
			rc = SE_RAISE(ei, SE_NOMEM);
	}
	cry_wipe(token, sizeof(token));
	json_decref(op.rec);
	if (!rc)
		*out = resp;
	return rc;
}

struct consume_op {
	struct str id;
};

static enum err consume_fn(struct store_wtxn *w, void *arg)
{
	struct consume_op *op = arg;
	enum err rc = store_delete(w, AUTHREC_TICKETS, op->id);

	return rc == SE_NOT_FOUND ? SE_InvalidToken : rc;
}

enum err account_ticket_consume(struct app *app, struct str id, struct err_info *ei)
{
	struct consume_op op = {id};
	enum err rc = store_write(app->store, consume_fn, &op, ei);

	return rc ? SE_RAISE(ei, rc) : SE_OK;
}

/* TOTP and recovery codes are checked and consumed inside one write. */
struct mfa_op {
	struct str account_id;
	struct str totp_code;     /* or */
	struct str recovery_code; /* or neither */
	int64_t now_s;
};

static enum err mfa_fn(struct store_wtxn *w, void *arg)
{
	struct mfa_op *op = arg;
	json_t *acct = NULL, *mfa, *codes;
	unsigned methods;
	enum err rc = account_load(store_wtxn_read(w), op->account_id, &acct);

	if (rc)
		return rc == SE_NOT_FOUND ? SE_InvalidToken : rc;
	methods = account_mfa_methods(acct);
	mfa = json_object_get(acct, "mfa");
	if (op->totp_code.p) {
		const json_t *secret;
		int64_t step = 0, last;

		rc = SE_DisallowedMFAMethod;
		if (!(methods & ACCOUNT_MFA_TOTP))
			goto out;
		secret = json_object_get(json_object_get(mfa, "totp_token"), "secret");
		last = json_integer_value(json_object_get(mfa, "totp_last_step"));
		rc = SE_InvalidToken;
		if (!json_is_string(secret) ||
		    !totp_check((struct str){json_string_value(secret), json_string_length(secret)},
		                op->totp_code, op->now_s, &step) ||
		    step <= last)
			goto out;
		json_object_set_new(mfa, "totp_last_step", json_integer(step));
	} else {
		size_t i;
		json_t *c;
		bool found = false;

		rc = SE_DisallowedMFAMethod;
		if (!(methods & ACCOUNT_MFA_RECOVERY))
			goto out;
		codes = json_object_get(mfa, "recovery_codes");
		json_array_foreach(codes, i, c)
		{
			if (json_is_string(c) && authn_token_eq((struct str){json_string_value(c),
			                                                     json_string_length(c)},
			                                        op->recovery_code)) {
				json_array_remove(codes, i);
				found = true;
				break;
			}
		}
		rc = SE_InvalidToken;
		if (!found)
			goto out;
	}
	rc = authrec_save(w, AUTHREC_ACCOUNTS, acct, false);
out:
	json_decref(acct);
	return rc;
}

enum err account_mfa_consume(struct app *app, struct str account_id, const json_t *response,
                             struct err_info *ei)
{
	const json_t *pw = json_object_get(response, "password");
	const json_t *totp = json_object_get(response, "totp_code");
	const json_t *rec = json_object_get(response, "recovery_code");
	struct mfa_op op = {account_id, STR_NULL, STR_NULL, authrec_now_ms() / 1000};
	struct store_txn *txn = NULL;
	json_t *acct = NULL;
	enum err rc;

	if (json_is_string(pw)) {
		struct str p = {json_string_value(pw), json_string_length(pw)};

		rc = store_read_begin(app->store, &txn);
		if (rc)
			return SE_RAISE(ei, rc);
		rc = account_load(txn, account_id, &acct);
		store_read_end(txn);
		if (rc)
			return SE_RAISE(ei, rc == SE_NOT_FOUND ? SE_InvalidToken : rc);
		if (!(account_mfa_methods(acct) & ACCOUNT_MFA_PASSWORD))
			rc = SE_DisallowedMFAMethod;
		else if (!account_password_ok(acct, p))
			rc = SE_InvalidCredentials;
		json_decref(acct);
		return rc ? SE_RAISE(ei, rc) : SE_OK;
	}
	if (json_is_string(totp)) {
		op.totp_code = (struct str){json_string_value(totp), json_string_length(totp)};
	} else if (json_is_string(rec)) {
		op.recovery_code = (struct str){json_string_value(rec), json_string_length(rec)};
	} else {
		return SE_RAISEF(ei, SE_FailedValidation,
		                 "expected one of 'password', 'totp_code' or 'recovery_code'");
	}
	rc = store_write(app->store, mfa_fn, &op, ei);
	return rc ? SE_RAISE(ei, rc) : SE_OK;
}

enum err account_sessions_delete(struct store_wtxn *w, struct str user_id, struct str keep,
                                 size_t *deleted)
{
	char prefix[40];
	struct store_hit hits[SESSION_SCAN_BATCH];
	struct store_range r;
	size_t n, total = 0;
	enum err rc;

	*deleted = 0;
	if (user_id.n == 0 || user_id.n >= 32)
		return SE_OK;
	snprintf(prefix, sizeof(prefix), "%.*s/", (int)user_id.n, user_id.p);
	memset(&r, 0, sizeof(r));
	r.prefix = str_from(prefix);
	r.dir = STORE_ASC;
	while (total < SESSION_DELETE_MAX) {
		char ids[SESSION_SCAN_BATCH][32];
		size_t k = 0;

		rc = store_index_scan(store_wtxn_read(w), AUTHREC_SESSIONS, "user", &r, hits,
		                      SESSION_SCAN_BATCH, &n);
		if (rc)
			return rc;
		/* Copy out first: deleting changes the pages the hits point into. */
		for (size_t i = 0; i < n; i++)
			if (hits[i].id.n < 32 && !str_eq(hits[i].id, keep)) {
				memcpy(ids[k], hits[i].id.p, hits[i].id.n);
				ids[k][hits[i].id.n] = '\0';
				k++;
			}
		for (size_t i = 0; i < k; i++) {
			rc = store_delete(w, AUTHREC_SESSIONS, str_from(ids[i]));
			if (rc && rc != SE_NOT_FOUND)
				return rc;
			(*deleted)++;
		}
		total += n;
		if (n < SESSION_SCAN_BATCH || k == 0)
			break;
	}
	return SE_OK;
}

/* Auth events go to the user's private topic "<user_id>!" (REVOLT.md section 9). */
static void publish(struct app *app, struct str user_id, json_t *ev)
{
	char *text = ev ? json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	char topic[40];

	json_decref(ev);
	snprintf(topic, sizeof(topic), "%.*s!", (int)(user_id.n < 32 ? user_id.n : 32), user_id.p);
	if (!text || bus_publish(app->bus, str_from(topic), str_from(text)))
		log_warn("auth: cannot publish an Auth event for '%.*s'", (int)user_id.n,
		         user_id.p);
	mem_free(text);
}

void account_publish_delete_session(struct app *app, struct str user_id, struct str session_id)
{
	publish(app, user_id,
	        json_pack("{s:s, s:s, s:s%, s:s%}", "type", "Auth", "event_type", "DeleteSession",
	                  "user_id", user_id.p, user_id.n, "session_id", session_id.p,
	                  session_id.n));
}

void account_publish_delete_all(struct app *app, struct str user_id, struct str keep)
{
	json_t *ev = json_pack("{s:s, s:s, s:s%}", "type", "Auth", "event_type",
	                       "DeleteAllSessions", "user_id", user_id.p, user_id.n);

	if (ev && keep.n)
		json_object_set_new(ev, "exclude_session_id", json_stringn(keep.p, keep.n));
	publish(app, user_id, ev);
}
