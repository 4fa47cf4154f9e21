/*
 * api/roles.c: server roles — create, fetch, edit, delete and reorder
 * (revoltchat/backend crates/delta/src/routes/servers/roles_*.rs). Roles
 * live in server.roles; a role ranked at or above the caller's own ranking
 * cannot be touched (NotElevated). Events on the server topic:
 * ServerRoleUpdate (also on creation), ServerRoleDelete,
 * ServerRoleRanksUpdate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "api/servers_int.h"
#include "app.h"
#include "channels/channel.h"
#include "core/jx.h"
#include "perms/perms.h"
#include "servers/server.h"
#include "servers/server_state.h"

/* The most role ids a ranks body may carry (beyond SERVER_ROLES_MAX it cannot match). */
#define RANKS_MAX (SERVER_ROLES_MAX + 1)

struct role_op {
	struct str sid, rid;
	const char *uid;
	json_t *data;  /* create: {name}; edit: the partial role */
	json_t *clear; /* edit: [FieldsRole] */
	json_t *ranks; /* ranks: [role ids] */
	char new_id[ULID_LEN + 1];
	json_t *out; /* the role (create/edit) or the server (ranks) */
};

static void op_release(struct role_op *op)
{
	json_decref(op->data);
	json_decref(op->clear);
	json_decref(op->ranks);
	json_decref(op->out);
}

static enum err load(struct store_wtxn *w, struct role_op *op, uint64_t need,
                     struct server_state *st)
{
	struct err_info *ei = store_wtxn_ei(w);
	enum err rc = server_state_load(store_wtxn_read(w), op->sid, op->uid, api_now_ms(), st);

	if (rc)
		return SE_RAISE(ei, rc);
	rc = perm_require(st->perms, need, ei);
	json_decref(op->out);
	op->out = NULL;
	return rc;
}

/* The role `rid` of the loaded server (borrowed), after the NotFound / NotElevated checks. */
static enum err target_role(struct store_wtxn *w, const struct server_state *st, struct str rid,
                            json_t **role)
{
	json_t *roles = json_object_get(st->server, "roles");
	json_t *r = rid.n < 64 ? json_object_getn(roles, rid.p, rid.n) : NULL;

	if (!json_is_object(r))
		return SE_RAISE(store_wtxn_ei(w), SE_NotFound);
	if (json_integer_value(json_object_get(r, "rank")) <= st->ranking)
		return SE_RAISE(store_wtxn_ei(w), SE_NotElevated);
	*role = r;
	return SE_OK;
}

/* ---- POST /servers/{target}/roles ---- */

static enum err create_fn(struct store_wtxn *w, void *arg)
{
	struct role_op *op = arg;
	struct server_state st = SERVER_STATE_INIT;
	json_t *roles, *role;
	enum err rc = load(w, op, PERM_MANAGE_ROLE, &st);

	if (rc)
		goto out;
	roles = json_object_get(st.server, "roles");
	if (!json_is_object(roles)) {
		roles = json_object();
		json_object_set_new(st.server, "roles", roles);
	}
	if (json_object_size(roles) >= SERVER_ROLES_MAX) {
		store_wtxn_ei(w)->max = SERVER_ROLES_MAX;
		rc = SE_RAISE(store_wtxn_ei(w), SE_TooManyRoles);
		goto out;
	}
	/* the new role ranks below every other (the request's rank is ignored, as upstream) */
	role = json_pack("{s:O,s:{s:i,s:i},s:I}", "name", json_object_get(op->data, "name"),
	                 "permissions", "a", 0, "d", 0, "rank",
	                 (json_int_t)server_role_next_rank(st.server));
	if (!role || json_object_set_new(roles, op->new_id, role)) {
		rc = SE_NOMEM;
		goto out;
	}
	op->out = json_incref(role);
	rc = server_rec_write(w, SERVER_COLL, op->sid, st.server, false);
out:
	server_state_release(&st);
	return rc;
}

static enum err role_create(struct req_ctx *ctx)
{
	struct role_op op;
	struct str name;
	json_t *body = NULL, *ev, *data;
	enum err rc;

	memset(&op, 0, sizeof(op));
	op.sid = ctx->req->params[0];
	op.uid = api_who(ctx)->user_id;
	rc = api_body(ctx, &body);
	if (!rc)
		rc = api_srv_text(ctx, body, "name", 1, SERVER_NAME_MAX, true, &name);
	if (!rc && json_object_get(body, "rank") && !json_is_null(json_object_get(body, "rank")) &&
	    !json_is_integer(json_object_get(body, "rank")))
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "rank must be an integer");
	if (rc)
		goto out;
	op.data = json_pack("{s:s%}", "name", name.p, name.n);
	api_srv_new_id(op.new_id);
	rc = op.data ? store_write(api_app(ctx)->store, create_fn, &op, &ctx->ei) : SE_NOMEM;
	if (rc)
		goto out;
	data = json_deep_copy(op.out);
	if (data)
		json_object_set_new(data, "hoist", json_false());
	ev = json_pack("{s:s,s:s%,s:s,s:o,s:[]}", "type", "ServerRoleUpdate", "id", op.sid.p,
	               op.sid.n, "role_id", op.new_id, "data", data, "clear");
	if (ev)
		api_publish(api_app(ctx), op.sid, ev);
	rc = api_json(ctx, 200, json_pack("{s:s,s:O}", "id", op.new_id, "role", op.out));
out:
	json_decref(body);
	op_release(&op);
	return rc;
}

/* ---- GET /servers/{target}/roles/{role_id} ---- */

static enum err role_fetch(struct req_ctx *ctx)
{
	struct server_state st = SERVER_STATE_INIT;
	struct store_txn *txn = NULL;
	struct str rid = ctx->req->params[1];
	json_t *role = NULL;
	enum err rc = store_read_begin(api_app(ctx)->store, &txn);

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = server_state_load(txn, ctx->req->params[0], api_who(ctx)->user_id, api_now_ms(), &st);
	store_read_end(txn);
	if (!rc && !st.member && !st.privileged)
		rc = SE_NotFound;
	if (!rc) {
		role = rid.n < 64
		           ? json_object_getn(json_object_get(st.server, "roles"), rid.p, rid.n)
		           : NULL;
		rc = role ? SE_OK : SE_NotFound;
		json_incref(role);
	}
	server_state_release(&st);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	return api_json(ctx, 200, role);
}

/* ---- PATCH /servers/{target}/roles/{role_id} ---- */

static enum err edit_fn(struct store_wtxn *w, void *arg)
{
	struct role_op *op = arg;
	struct server_state st = SERVER_STATE_INIT;
	json_t *role = NULL;
	enum err rc = load(w, op, PERM_MANAGE_ROLE, &st);

	if (!rc)
		rc = target_role(w, &st, op->rid, &role);
	if (rc)
		goto out;
	if (json_array_size(op->clear))
		json_object_del(role, "colour");
	json_object_update(role, op->data);
	if (json_is_false(json_object_get(role, "hoist")))
		json_object_del(role, "hoist");
	op->out = json_incref(role);
	rc = server_rec_write(w, SERVER_COLL, op->sid, st.server, false);
out:
	server_state_release(&st);
	return rc;
}

static enum err parse_edit(struct req_ctx *ctx, const json_t *body, struct role_op *op)
{
	const json_t *remove = json_object_get(body, "remove"), *x;
	struct str s;
	size_t i;
	int b;
	enum err rc = api_srv_text(ctx, body, "name", 1, SERVER_NAME_MAX, false, &s);

	if (rc == SE_OK)
		json_object_set_new(op->data, "name", json_stringn(s.p, s.n));
	else if (rc != SE_NOT_FOUND)
		return rc;
	rc = api_srv_text(ctx, body, "colour", 1, 128, false, &s);
	if (rc == SE_OK && !server_colour_valid(s))
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "colour: not a valid colour");
	if (rc == SE_OK)
		json_object_set_new(op->data, "colour", json_stringn(s.p, s.n));
	else if (rc != SE_NOT_FOUND)
		return rc;
	rc = api_srv_bool(ctx, body, "hoist", &b);
	if (rc)
		return rc;
	if (b >= 0)
		json_object_set_new(op->data, "hoist", json_boolean(b));
	x = json_object_get(body, "rank");
	if (x && !json_is_null(x) && !json_is_integer(x))
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "rank must be an integer");
	/* rank is ignored, as upstream: PATCH /servers/{id}/roles/ranks orders roles */
	if (remove && !json_is_null(remove) && !json_is_array(remove))
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "remove: expected an array");
	json_array_foreach(remove, i, x)
	{
		if (!json_is_string(x) || strcmp(json_string_value(x), "Colour") != 0)
			return SE_RAISEF(&ctx->ei, SE_FailedValidation, "remove: unknown field");
		if (!json_array_size(op->clear))
			json_array_append(op->clear, (json_t *)x);
	}
	return SE_OK;
}

static enum err role_edit(struct req_ctx *ctx)
{
	struct role_op op;
	json_t *body = NULL, *ev;
	enum err rc;

	memset(&op, 0, sizeof(op));
	op.sid = ctx->req->params[0];
	op.rid = ctx->req->params[1];
	op.uid = api_who(ctx)->user_id;
	op.data = json_object();
	op.clear = json_array();
	rc = op.data && op.clear ? api_body(ctx, &body) : SE_RAISE(&ctx->ei, SE_NOMEM);
	if (!rc)
		rc = parse_edit(ctx, body, &op);
	if (!rc)
		rc = store_write(api_app(ctx)->store, edit_fn, &op, &ctx->ei);
	if (rc)
		goto out;
	ev = json_pack("{s:s,s:s%,s:s%,s:O,s:O}", "type", "ServerRoleUpdate", "id", op.sid.p,
	               op.sid.n, "role_id", op.rid.p, op.rid.n, "data", op.data, "clear", op.clear);
	if (ev)
		api_publish(api_app(ctx), op.sid, ev);
	rc = api_json(ctx, 200, json_incref(op.out));
out:
	json_decref(body);
	op_release(&op);
	return rc;
}

/* ---- DELETE /servers/{target}/roles/{role_id} ---- */

/* Drop role `rid` from the role_permissions of every channel of the server. */
static enum err strip_channels(struct store_wtxn *w, const struct server_state *st, struct str rid)
{
	const json_t *list = json_object_get(st->server, "channels"), *id;
	char key[72];
	size_t i;
	enum err rc = SE_OK;

	snprintf(key, sizeof(key), "%.*s", (int)rid.n, rid.p);
	json_array_foreach(list, i, id)
	{
		json_t *ch = NULL, *rp;

		if (channel_load(store_wtxn_read(w), str_from(json_string_value(id)), &ch))
			continue;
		rp = json_object_get(ch, "role_permissions");
		if (json_object_get(rp, key)) {
			json_object_del(rp, key);
			if (!json_object_size(rp))
				json_object_del(ch, "role_permissions");
			rc = server_rec_write(w, CHANNEL_COLL, str_from(json_string_value(id)), ch,
			                      false);
		}
		json_decref(ch);
		if (rc)
			break;
	}
	return rc;
}

/* Drop role `rid` from every member of the server that has it. */
static enum err strip_members(struct store_wtxn *w, struct str sid, struct str rid)
{
	char prefix[40], ids[64][72], last[72] = "", key[72];
	size_t n = 0;
	int len = snprintf(prefix, sizeof(prefix), "%.*s/", (int)sid.n, sid.p);
	enum err rc;

	snprintf(key, sizeof(key), "%.*s", (int)rid.n, rid.p);
	do {
		rc = server_index_ids(store_wtxn_read(w), MEMBER_COLL, MEMBER_IDX_SERVER,
		                      (struct str){prefix, (size_t)len},
		                      last[0] ? str_from(last) : STR_NULL, ids, 64, &n, last);
		for (size_t i = 0; !rc && i < n; i++) {
			struct str rec;
			json_t *m, *roles, *v;
			size_t j;

			if (store_get(store_wtxn_read(w), MEMBER_COLL, str_from(ids[i]), &rec))
				continue;
			m = json_loadb(rec.p, rec.n, 0, NULL);
			roles = json_object_get(m, "roles");
			json_array_foreach(roles, j,
			                   v) if (json_is_string(v) &&
			                          strcmp(json_string_value(v), key) == 0) break;
			if (j < json_array_size(roles)) {
				json_array_remove(roles, j);
				if (!json_array_size(roles))
					json_object_del(m, "roles");
				rc = server_rec_write(w, MEMBER_COLL, str_from(ids[i]), m, false);
			}
			json_decref(m);
		}
	} while (!rc && n == 64 && last[0]);
	return rc;
}

static enum err delete_fn(struct store_wtxn *w, void *arg)
{
	struct role_op *op = arg;
	struct server_state st = SERVER_STATE_INIT;
	json_t *role = NULL;
	enum err rc = load(w, op, PERM_MANAGE_ROLE, &st);

	if (!rc)
		rc = target_role(w, &st, op->rid, &role);
	if (rc)
		goto out;
	json_object_deln(json_object_get(st.server, "roles"), op->rid.p, op->rid.n);
	if (!json_object_size(json_object_get(st.server, "roles")))
		json_object_del(st.server, "roles");
	rc = server_rec_write(w, SERVER_COLL, op->sid, st.server, false);
	if (!rc)
		rc = strip_channels(w, &st, op->rid);
	if (!rc)
		rc = strip_members(w, op->sid, op->rid);
out:
	server_state_release(&st);
	return rc;
}

static enum err role_delete(struct req_ctx *ctx)
{
	struct role_op op;
	json_t *ev;
	enum err rc;

	memset(&op, 0, sizeof(op));
	op.sid = ctx->req->params[0];
	op.rid = ctx->req->params[1];
	op.uid = api_who(ctx)->user_id;
	rc = store_write(api_app(ctx)->store, delete_fn, &op, &ctx->ei);
	if (rc)
		goto out;
	ev = json_pack("{s:s,s:s%,s:s%}", "type", "ServerRoleDelete", "id", op.sid.p, op.sid.n,
	               "role_id", op.rid.p, op.rid.n);
	if (ev)
		api_publish(api_app(ctx), op.sid, ev);
	rc = api_no_content(ctx);
out:
	op_release(&op);
	return rc;
}

/* ---- PATCH /servers/{target}/roles/ranks ---- */

struct ranked {
	const char *id;
	int64_t rank;
};

static int by_rank(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return strcmp(x->id, y->id);
}

static long index_of(const json_t *list, const char *id)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v) if (strcmp(json_string_value(v), id) == 0) return (long)i;
	return -1;
}

static enum err ranks_fn(struct store_wtxn *w, void *arg)
{
	struct role_op *op = arg;
	struct err_info *ei = store_wtxn_ei(w);
	struct server_state st = SERVER_STATE_INIT;
	struct ranked cur[SERVER_ROLES_MAX + 1];
	json_t *roles, *r;
	const char *k;
	size_t n = 0;
	enum err rc = load(w, op, PERM_MANAGE_ROLE, &st);

	if (rc)
		goto out;
	roles = json_object_get(st.server, "roles");
	if (json_array_size(op->ranks) != json_object_size(roles) ||
	    json_object_size(roles) > SERVER_ROLES_MAX + 1) {
		rc = SE_RAISE(ei, SE_InvalidOperation);
		goto out;
	}
	json_object_foreach(roles, k, r)
	{
		if (index_of(op->ranks, k) < 0) {
			rc = SE_RAISE(ei, SE_InvalidOperation);
			goto out;
		}
		cur[n].id = k;
		cur[n++].rank = json_integer_value(json_object_get(r, "rank"));
	}
	qsort(cur, n, sizeof(cur[0]), by_rank);
	/* roles at or above the caller keep their places (the owner may move any) */
	for (size_t i = 0; !st.owner && !st.privileged && i < n; i++)
		if (cur[i].rank <= st.ranking && index_of(op->ranks, cur[i].id) != (long)i) {
			rc = SE_RAISE(ei, SE_NotElevated);
			goto out;
		}
	json_object_foreach(roles, k, r)
	    json_object_set_new(r, "rank", json_integer(index_of(op->ranks, k)));
	op->out = json_incref(st.server);
	rc = server_rec_write(w, SERVER_COLL, op->sid, st.server, false);
out:
	server_state_release(&st);
	return rc;
}

static enum err role_ranks(struct req_ctx *ctx)
{
	struct role_op op;
	json_t *body = NULL, *ev, *v;
	size_t i;
	enum err rc;

	memset(&op, 0, sizeof(op));
	op.sid = ctx->req->params[0];
	op.uid = api_who(ctx)->user_id;
	rc = api_body(ctx, &body);
	if (rc)
		goto out;
	op.ranks = json_incref(json_object_get(body, "ranks"));
	if (!json_is_array(op.ranks) || json_array_size(op.ranks) > RANKS_MAX) {
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation,
		               "ranks: expected an array of role ids");
		goto out;
	}
	json_array_foreach(op.ranks, i, v) if (!json_is_string(v))
	{
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "ranks: role ids are strings");
		goto out;
	}
	rc = store_write(api_app(ctx)->store, ranks_fn, &op, &ctx->ei);
	if (rc)
		goto out;
	ev = json_pack("{s:s,s:s%,s:O}", "type", "ServerRoleRanksUpdate", "id", op.sid.p, op.sid.n,
	               "ranks", op.ranks);
	if (ev)
		api_publish(api_app(ctx), op.sid, ev);
	rc = api_json(ctx, 200, json_incref(op.out));
out:
	json_decref(body);
	op_release(&op);
	return rc;
}

/* "ranks" before "{role_id}": the first match wins. */
static const struct route routes[] = {
    {HTTP_POST, "/api/servers/{target}/roles", role_create, API_USER},
    {HTTP_PATCH, "/api/servers/{target}/roles/ranks", role_ranks, API_USER},
    {HTTP_GET, "/api/servers/{target}/roles/{role_id}", role_fetch, API_USER},
    {HTTP_PATCH, "/api/servers/{target}/roles/{role_id}", role_edit, API_USER},
    {HTTP_DELETE, "/api/servers/{target}/roles/{role_id}", role_delete, API_USER},
};

const struct route *api_roles_table(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
