/*
 * api/onboard.c: /onboard/hello and /onboard/complete — the step between a
 * new account's first session and its user record (REVOLT.md section 5).
 * The user's id is the account's id; the username must follow Revolt's
 * rules and gets a random free discriminator.
 */
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "app.h"
#include "auth/username.h"
#include "core/mem.h"
#include "storage/store.h"
#include "users/user.h"

/* bytes of a username in a request (32 code points of at most 4 bytes) */
#define USERNAME_BYTES_MAX 128

enum err api_onboard_hello(struct req_ctx *ctx)
{
	struct store_txn *txn = NULL;
	struct str rec;
	enum err rc = store_read_begin(api_app(ctx)->store, &txn);

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = store_get(txn, USER_COLL, str_from(api_who(ctx)->user_id), &rec);
	store_read_end(txn);
	if (rc && rc != SE_NOT_FOUND)
		return SE_RAISE(&ctx->ei, rc);
	return api_json(ctx, 200, json_pack("{s:b}", "onboarding", rc == SE_NOT_FOUND));
}

struct complete_op {
	struct str id, username;
	json_t *out;
};

struct taken_arg {
	struct store_txn *txn;
	struct str username;
};

static bool taken(void *arg, unsigned d)
{
	struct taken_arg *t = arg;

	return user_tag_taken(t->txn, t->username, d);
}

static enum err complete_fn(struct store_wtxn *w, void *arg)
{
	struct complete_op *op = arg;
	struct taken_arg t = {store_wtxn_read(w), op->username};
	char disc[5];
	struct str rec;
	json_t *user;
	enum err rc = store_get(t.txn, USER_COLL, op->id, &rec);

	if (rc == SE_OK)
		return SE_AlreadyOnboarded;
	if (rc != SE_NOT_FOUND)
		return rc;
	/* Inside the write: no other onboarding can take the pick meanwhile. */
	rc = uname_discriminator_pick(taken, &t, disc);
	if (rc)
		return rc;
	user = user_record_new(op->id, op->username, disc);
	if (!user)
		return SE_NOMEM;
	{
		char *text = json_dumps(user, JSON_COMPACT | JSON_PRESERVE_ORDER);

		rc = text ? store_create(w, USER_COLL, op->id, str_from(text)) : SE_NOMEM;
		mem_free(text);
	}
	json_decref(op->out);
	op->out = rc ? NULL : user_view_self(user, false);
	json_decref(user);
	if (rc == SE_EXISTS)
		return SE_UsernameTaken;
	return rc ? rc : (op->out ? SE_OK : SE_NOMEM);
}

enum err api_onboard_complete(struct req_ctx *ctx)
{
	struct complete_op op = {str_from(api_who(ctx)->user_id), STR_NULL, NULL};
	json_t *body = NULL;
	enum err rc = api_body(ctx, &body);

	if (!rc)
		rc = api_str(ctx, body, "username", USERNAME_BYTES_MAX, &op.username);
	/* length and characters: FailedValidation (SE_INVAL); reserved names and
	 * look-alikes: InvalidUsername, as the backend answers */
	if (!rc)
		rc = uname_validate(op.username);
	if (rc == SE_INVAL)
		SE_RAISEF(&ctx->ei, rc, "username must be 2-32 letters, digits, '_', '.' or '-'");
	if (!rc)
		rc = store_write(api_app(ctx)->store, complete_fn, &op, &ctx->ei);
	json_decref(body);
	if (rc) {
		json_decref(op.out);
		return SE_RAISE(&ctx->ei, rc);
	}
	return api_json(ctx, 200, op.out);
}
