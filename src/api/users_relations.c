/*
 * api/users_relations.c: friends and blocks: POST /users/friend, PUT/DELETE
 * /users/{target}/friend and /users/{target}/block (backend
 * crates/delta/src/routes/users/{send_friend_request,add_friend,
 * remove_friend,block_user,unblock_user}.rs and User::apply_relationship).
 * Both users' records change in one store write; both get UserRelationship
 * on their private topic afterwards.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "api/users_int.h"
#include "app.h"
#include "core/log.h"
#include "federation/outbox.h"
#include "federation/resolve.h"
#include "storage/store.h"
#include "users/access.h"
#include "users/relation.h"
#include "users/user.h"

/* bytes of "username#discriminator" in a request */
#define FRIEND_TAG_MAX 256

struct rel_op {
	enum user_rel_op op;
	struct str user_id, target_id;
	int64_t now_ms;
	json_t *user, *target;         /* out: both records after the change */
	enum perm_relationship before; /* out: the user's status before it */
};

static enum err rel_fn(struct store_wtxn *w, void *arg)
{
	struct rel_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	struct err_info *ei = store_wtxn_ei(w);
	json_t *user = NULL, *target = NULL;
	enum perm_relationship l, r, nl, nr;
	enum err rc = user_load(txn, op->user_id, &user);

	if (!rc)
		rc = user_load(txn, op->target_id, &target);
	if (rc)
		goto out;
	l = user_relation(user, user_id_of(target));
	r = user_relation(target, user_id_of(user));
	/* checked here, inside the write, so two requests cannot both pass the cap */
	rc = user_rel_next(op->op, l, r, user_relation_count(user, PERM_REL_OUTGOING),
	                   user_outgoing_max(op->user_id, op->now_ms), &nl, &nr, ei);
	op->before = l;
	if (!rc)
		rc = user_relation_set(user, user_id_of(target), nl);
	if (!rc)
		rc = user_relation_set(target, user_id_of(user), nr);
	if (!rc)
		rc = user_save(w, target);
	if (!rc)
		rc = user_save(w, user);
out:
	json_decref(op->user);
	json_decref(op->target);
	op->user = rc ? NULL : user;
	op->target = rc ? NULL : target;
	if (rc) {
		json_decref(user);
		json_decref(target);
	}
	return rc;
}

/* UserRelationship {id: receiver, user: other as the receiver sees it}. */
static void publish_rel(struct req_ctx *ctx, struct store_txn *txn, const json_t *receiver,
                        const json_t *other)
{
	char topic[STORE_ID_MAX + 2];
	json_t *view = NULL, *ev;

	if (api_users_view(ctx, txn, other, receiver, &view))
		return;
	ev = json_pack("{s:s, s:s, s:o}", "type", "UserRelationship", "id", user_id_of(receiver),
	               "user", view);
	snprintf(topic, sizeof(topic), "%s!", user_id_of(receiver));
	if (ev)
		api_publish(api_app(ctx), str_from(topic), ev);
}

static void fed_log(enum err rc, const char *what)
{
	if (rc)
		log_warn("api: cannot federate the %s: %s", what, err_type(rc));
}

/*
 * A committed change toward a remote user goes out as Follow / Accept /
 * Reject / Undo / Block (docs/federation.md "Friends and follows").
 */
static void federate(struct app *app, const struct rel_op *op)
{
	struct fed *f = app->fed;
	struct str me = str_from(user_id_of(op->user)), t = str_from(user_id_of(op->target));

	if (!f || !json_is_object(json_object_get(op->target, "ap")))
		return;
	switch (op->op) {
	case USER_REL_ADD_FRIEND:
		/* accepting an incoming request: Accept their Follow, then follow back */
		if (op->before == PERM_REL_INCOMING)
			fed_log(fout_accept_follow(f, me, t, NULL), "follow accept");
		fed_log(fout_follow(f, me, t, NULL), "follow");
		break;
	case USER_REL_REMOVE_FRIEND:
		if (op->before == PERM_REL_FRIEND || op->before == PERM_REL_OUTGOING)
			fed_log(fout_unfollow(f, me, t, NULL), "unfollow");
		if (op->before == PERM_REL_FRIEND || op->before == PERM_REL_INCOMING)
			fed_log(fout_reject_follow(f, me, t, NULL), "follow reject");
		break;
	case USER_REL_BLOCK:
		fed_log(fout_block(f, me, t, NULL), "block");
		break;
	case USER_REL_UNBLOCK:
		fed_log(fout_unblock(f, me, t, NULL), "unblock");
		break;
	case USER_REL__COUNT:
		break;
	}
}

/* Apply `op` between the caller and user `target_id`; answer the target as the caller sees it. */
static enum err relate(struct req_ctx *ctx, enum user_rel_op o, struct str target_id)
{
	struct rel_op op = {
	    o, str_from(api_who(ctx)->user_id), target_id, api_now_ms(), NULL, NULL, PERM_REL_NONE};
	struct store_txn *txn = NULL;
	json_t *me = NULL, *target = NULL, *v = NULL;
	enum err rc = store_read_begin(api_app(ctx)->store, &txn);

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = api_users_caller(ctx, txn, &me);
	if (!rc)
		rc = api_users_load(ctx, txn, target_id, &target);
	/* bots have no friends (blocking them is allowed) */
	if (!rc && (o == USER_REL_ADD_FRIEND || o == USER_REL_REMOVE_FRIEND) &&
	    (user_is_bot(me) || user_is_bot(target)))
		rc = SE_RAISE(&ctx->ei, SE_IsBot);
	store_read_end(txn);
	json_decref(me);
	json_decref(target);
	if (rc)
		return rc;
	rc = store_write(api_app(ctx)->store, rel_fn, &op, &ctx->ei);
	if (rc) {
		rc = SE_RAISE(&ctx->ei, rc == SE_NOT_FOUND ? SE_UnknownUser : rc);
		goto out;
	}
	rc = store_read_begin(api_app(ctx)->store, &txn);
	if (rc) {
		rc = SE_RAISE(&ctx->ei, rc);
		goto out;
	}
	publish_rel(ctx, txn, op.target, op.user);
	publish_rel(ctx, txn, op.user, op.target);
	rc = api_users_view(ctx, txn, op.target, op.user, &v);
	store_read_end(txn);
	federate(api_app(ctx), &op);
	if (!rc)
		rc = api_json(ctx, 200, v);
out:
	json_decref(op.user);
	json_decref(op.target);
	return rc;
}

enum err api_users_friend_request(struct req_ctx *ctx)
{
	struct store_txn *txn = NULL;
	json_t *body = NULL;
	struct str tag;
	char id[STORE_ID_MAX];
	const char *hash;
	enum err rc = api_body(ctx, &body);

	if (!rc)
		rc = api_str(ctx, body, "username", FRIEND_TAG_MAX, &tag);
	if (rc)
		goto out;
	hash = memchr(tag.p, '#', tag.n);
	if (!hash && memchr(tag.p, '@', tag.n) && api_app(ctx)->fed) {
		/* "name@host" / "@name@host": a remote actor, found through WebFinger */
		char rid[32];

		rc = fres_handle(api_app(ctx)->fed, tag, rid, &ctx->ei);
		if (rc == SE_NOT_FOUND || rc == SE_INVAL || rc == SE_MissingPermission)
			rc = SE_RAISE(&ctx->ei, SE_UnknownUser);
		else if (rc)
			rc = SE_RAISE(&ctx->ei, rc);
		if (!rc)
			rc = relate(ctx, USER_REL_ADD_FRIEND, str_from(rid));
		goto out;
	}
	if (!hash) {
		rc = SE_RAISE(&ctx->ei, SE_InvalidProperty);
		goto out;
	}
	rc = store_read_begin(api_app(ctx)->store, &txn);
	if (rc) {
		rc = SE_RAISE(&ctx->ei, rc);
		goto out;
	}
	rc = user_find_by_tag(txn, (struct str){tag.p, (size_t)(hash - tag.p)},
	                      (struct str){hash + 1, tag.n - (size_t)(hash - tag.p) - 1}, id);
	store_read_end(txn);
	if (rc == SE_NOT_FOUND || rc == SE_INVAL)
		rc = SE_RAISE(&ctx->ei, SE_UnknownUser);
	else if (rc)
		rc = SE_RAISE(&ctx->ei, rc);
	if (!rc)
		rc = relate(ctx, USER_REL_ADD_FRIEND, str_from(id));
out:
	json_decref(body);
	return rc;
}

enum err api_users_friend_add(struct req_ctx *ctx)
{
	return relate(ctx, USER_REL_ADD_FRIEND, ctx->req->params[0]);
}

enum err api_users_friend_remove(struct req_ctx *ctx)
{
	return relate(ctx, USER_REL_REMOVE_FRIEND, ctx->req->params[0]);
}

enum err api_users_block(struct req_ctx *ctx)
{
	return relate(ctx, USER_REL_BLOCK, ctx->req->params[0]);
}

enum err api_users_unblock(struct req_ctx *ctx)
{
	return relate(ctx, USER_REL_UNBLOCK, ctx->req->params[0]);
}
