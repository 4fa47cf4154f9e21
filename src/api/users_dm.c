/*
 * api/users_dm.c: GET /users/dms and GET /users/{target}/dm (backend
 * crates/delta/src/routes/users/{fetch_dms,open_dm}.rs, Channel::create_dm):
 * the DM between two users, or the caller's SavedMessages for themself,
 * created on first use in the channels collection ("dm"/"saved" unique
 * indexes keep it to one).
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/api_fed.h"
#include "api/api_int.h"
#include "api/users_int.h"
#include "app.h"
#include "channels/channel.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "perms/perms.h"
#include "storage/store.h"
#include "users/access.h"
#include "users/user.h"

enum err api_users_dms(struct req_ctx *ctx)
{
	struct store_txn *txn = NULL;
	json_t *me = NULL, *ids = json_array(), *out = json_array(), *id;
	size_t i;
	enum err rc;

	if (!ids || !out) {
		rc = SE_RAISE(&ctx->ei, SE_NOMEM);
		goto out;
	}
	rc = store_read_begin(api_app(ctx)->store, &txn);
	if (rc) {
		rc = SE_RAISE(&ctx->ei, rc);
		goto out;
	}
	rc = api_users_caller(ctx, txn, &me);
	if (!rc && user_private_channel_ids(txn, str_from(user_id_of(me)), USER_SCAN_MAX, ids))
		rc = SE_RAISE(&ctx->ei, SE_IO);
	json_array_foreach(ids, i, id)
	{
		json_t *ch = NULL;
		enum channel_type t;

		if (rc)
			break;
		if (channel_load(txn, str_from(json_string_value(id)), &ch))
			continue;
		t = channel_type_of(ch);
		if (t == CHANNEL_DM || t == CHANNEL_GROUP || t == CHANNEL_SAVED)
			rc = json_array_append(out, ch) ? SE_RAISE(&ctx->ei, SE_NOMEM) : SE_OK;
		json_decref(ch);
	}
	store_read_end(txn);
	if (!rc) {
		rc = api_json(ctx, 200, out);
		out = NULL;
	}
out:
	json_decref(me);
	json_decref(ids);
	json_decref(out);
	return rc;
}

/* The existing DM (or saved messages) of a and b in *out, or SE_NOT_FOUND. */
static enum err find_dm(struct store_txn *txn, struct str a, struct str b, json_t **out)
{
	char key[64];
	size_t len, n = 0;
	struct str id;
	enum err rc;

	if (str_eq(a, b)) {
		if (a.n >= sizeof(key))
			return SE_NOT_FOUND;
		memcpy(key, a.p, a.n);
		len = a.n;
		rc = store_index_find(txn, CHANNEL_COLL, CHANNEL_IDX_SAVED, (struct str){key, len},
		                      &id, 1, &n, NULL);
	} else {
		rc = channel_dm_key(a, b, key, &len);
		if (rc)
			return SE_NOT_FOUND;
		rc = store_index_find(txn, CHANNEL_COLL, CHANNEL_IDX_DM, (struct str){key, len},
		                      &id, 1, &n, NULL);
	}
	if (rc)
		return rc;
	return n ? channel_load(txn, id, out) : SE_NOT_FOUND;
}

struct dm_op {
	struct str a, b;
	char id[ULID_LEN + 1]; /* the new channel's id, drawn before the write */
	json_t *ch;            /* out */
	bool created;          /* out */
};

static enum err dm_fn(struct store_wtxn *w, void *arg)
{
	struct dm_op *op = arg;
	json_t *ch = NULL;
	char *text;
	enum err rc = find_dm(store_wtxn_read(w), op->a, op->b, &ch);

	json_decref(op->ch);
	op->ch = NULL;
	op->created = false;
	if (rc == SE_OK) {
		op->ch = ch;
		return SE_OK;
	}
	if (rc != SE_NOT_FOUND)
		return rc;
	if (str_eq(op->a, op->b))
		ch = json_pack("{s:s, s:s, s:s%}", "channel_type", "SavedMessages", "_id", op->id,
		               "user", op->a.p, op->a.n);
	else
		ch = json_pack("{s:s, s:s, s:b, s:[s%, s%]}", "channel_type", "DirectMessage",
		               "_id", op->id, "active", 1, "recipients", op->a.p, op->a.n, op->b.p,
		               op->b.n);
	text = ch ? json_dumps(ch, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	rc = text ? store_create(w, CHANNEL_COLL, str_from(op->id), str_from(text)) : SE_NOMEM;
	mem_free(text);
	if (rc) {
		json_decref(ch);
		return rc;
	}
	op->ch = ch;
	op->created = true;
	return SE_OK;
}

/* ChannelCreate to both recipients' private topics. */
static void publish_created(struct app *app, const json_t *ch, struct str a, struct str b)
{
	char ta[STORE_ID_MAX + 2], tb[STORE_ID_MAX + 2];
	struct str topics[2];
	json_t *ev = json_pack("{s:s}", "type", "ChannelCreate");

	if (!ev || json_object_update(ev, (json_t *)ch)) {
		json_decref(ev);
		return;
	}
	snprintf(ta, sizeof(ta), "%.*s!", (int)a.n, a.p);
	snprintf(tb, sizeof(tb), "%.*s!", (int)b.n, b.p);
	topics[0] = str_from(ta);
	topics[1] = str_from(tb);
	api_publish_multi(app, topics, 2, ev);
}

enum err api_users_open_dm(struct req_ctx *ctx)
{
	struct dm_op op = {STR_NULL, STR_NULL, {0}, NULL, false};
	struct store_txn *txn = NULL;
	json_t *me = NULL, *target = NULL, *ch = NULL;
	uint32_t perms = 0;
	struct ulid u;
	enum err rc = store_read_begin(api_app(ctx)->store, &txn);

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = api_users_caller(ctx, txn, &me);
	if (!rc)
		rc = api_users_load(ctx, txn, ctx->req->params[0], &target);
	if (!rc && user_perms(txn, me, target, &perms))
		rc = SE_RAISE(&ctx->ei, SE_IO);
	if (!rc)
		rc = perm_require_user(perms, PERM_USER_SEND_MESSAGE, &ctx->ei);
	if (!rc) {
		op.a = str_from(user_id_of(me));
		op.b = str_from(user_id_of(target));
		rc = find_dm(txn, op.a, op.b, &ch);
		if (rc && rc != SE_NOT_FOUND)
			rc = SE_RAISE(&ctx->ei, rc);
	}
	store_read_end(txn);
	if (rc == SE_OK) {
		rc = api_json(ctx, 200, ch);
		goto out;
	}
	if (rc != SE_NOT_FOUND)
		goto out;
	rc = ulid_generate(NULL, &u);
	if (!rc) {
		ulid_encode(&u, op.id);
		rc = store_write(api_app(ctx)->store, dm_fn, &op, &ctx->ei);
	}
	if (rc) {
		rc = SE_RAISE(&ctx->ei, rc);
		goto out;
	}
	/* a new DM is announced; saved messages are not (as the backend) */
	if (op.created && !str_eq(op.a, op.b))
		publish_created(api_app(ctx), op.ch, op.a, op.b);
	rc = api_json(ctx, 200, op.ch);
	op.ch = NULL;
out:
	json_decref(op.ch);
	json_decref(me);
	json_decref(target);
	return rc;
}

enum err api_fed_dm_open(struct app *app, struct str a, struct str b, json_t **ch,
                         struct err_info *ei)
{
	struct dm_op op = {a, b, {0}, NULL, false};
	struct store_txn *txn = NULL;
	json_t *ra = NULL, *rb = NULL;
	uint32_t perms = 0;
	struct ulid u;
	enum err rc;

	if (str_eq(a, b))
		return SE_RAISE(ei, SE_InvalidOperation);
	/* the route's rule: b may open a DM with a only when b may message a */
	rc = store_read_begin(app->store, &txn);
	if (rc)
		return SE_RAISE(ei, rc);
	rc = user_load(txn, a, &ra);
	if (!rc)
		rc = user_load(txn, b, &rb);
	if (!rc && user_perms(txn, rb, ra, &perms))
		rc = SE_IO;
	store_read_end(txn);
	json_decref(ra);
	json_decref(rb);
	if (rc)
		return SE_RAISE(ei, rc == SE_NOT_FOUND ? SE_UnknownUser : rc);
	rc = perm_require_user(perms, PERM_USER_SEND_MESSAGE, ei);
	if (rc)
		return rc;
	rc = ulid_generate(NULL, &u);
	if (!rc) {
		ulid_encode(&u, op.id);
		rc = store_write(app->store, dm_fn, &op, ei);
	}
	if (rc)
		return SE_RAISE(ei, rc);
	if (op.created)
		publish_created(app, op.ch, op.a, op.b);
	*ch = op.ch;
	return SE_OK;
}
