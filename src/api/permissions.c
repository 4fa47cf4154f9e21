/*
 * api/permissions.c: permission overrides (revoltchat/backend
 * crates/delta/src/routes/{servers,channels}/permissions_set*.rs): the
 * server default, a role's server override, a server channel's default and
 * role overrides, and a group's default. ManagePermissions is required, and
 * a change may only grant what the caller holds (CannotGiveMissingPermissions).
 * Requests carry {allow, deny}; records store {a, d}.
 */
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "app.h"
#include "channels/channel.h"
#include "perms/perms.h"
#include "servers/server.h"
#include "servers/server_state.h"

struct perm_op {
	struct str target, rid; /* server or channel id; role id (STR_NULL: default) */
	const char *uid;
	bool is_value; /* body "permissions" is an integer */
	uint64_t value;
	struct perm_override o;
	json_t *out;  /* the server or channel after the change */
	json_t *data; /* the event's partial object */
};

static json_t *ad(struct perm_override o)
{
	return json_pack("{s:I,s:I}", "a", (json_int_t)o.allow, "d", (json_int_t)o.deny);
}

static void reset(struct perm_op *op)
{
	json_decref(op->out);
	json_decref(op->data);
	op->out = op->data = NULL;
}

static enum err parse(struct req_ctx *ctx, struct perm_op *op)
{
	json_t *body = NULL, *p;
	enum err rc = api_body(ctx, &body);

	if (rc)
		return rc;
	p = json_object_get(body, "permissions");
	if (json_is_integer(p) && json_integer_value(p) >= 0) {
		op->is_value = true;
		op->value = (uint64_t)json_integer_value(p);
	} else if (!json_is_object(p) || perm_override_parse(p, &op->o)) {
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation,
		               "permissions: expected an integer or {allow, deny}");
	}
	json_decref(body);
	return rc;
}

/* The role `rid` of a loaded server, after the NotFound / NotElevated checks. */
static enum err role_of(struct err_info *ei, const struct server_state *st, struct str rid,
                        json_t **out)
{
	json_t *r = rid.n < 64
	                ? json_object_getn(json_object_get(st->server, "roles"), rid.p, rid.n)
	                : NULL;

	if (!json_is_object(r))
		return SE_RAISE(ei, SE_NotFound);
	if (json_integer_value(json_object_get(r, "rank")) <= st->ranking)
		return SE_RAISE(ei, SE_NotElevated);
	*out = r;
	return SE_OK;
}

/* ---- PUT /servers/{target}/permissions/{default | role_id} ---- */

static enum err server_fn(struct store_wtxn *w, void *arg)
{
	struct perm_op *op = arg;
	struct err_info *ei = store_wtxn_ei(w);
	struct server_state st = SERVER_STATE_INIT;
	struct perm_override old = {0, 0};
	json_t *role = NULL;
	enum err rc = server_state_load(store_wtxn_read(w), op->target, op->uid, api_now_ms(), &st);

	reset(op);
	if (rc)
		return SE_RAISE(ei, rc);
	if (op->rid.p) {
		/* upstream looks the role up before checking permissions */
		rc = role_of(ei, &st, op->rid, &role);
		if (rc == SE_OK || rc == SE_NotElevated) {
			enum err missing = perm_require(st.perms, PERM_MANAGE_PERMISSIONS, ei);

			rc = missing ? missing : rc;
		}
		if (!rc && perm_override_parse(json_object_get(role, "permissions"), &old))
			old = (struct perm_override){0, 0};
		if (!rc)
			rc = perm_check_grant(st.perms, old, op->o, ei);
		if (rc)
			goto out;
		json_object_set_new(role, "permissions", ad(op->o));
		op->data = json_pack("{s:o}", "permissions", ad(op->o));
	} else {
		rc = perm_require(st.perms, PERM_MANAGE_PERMISSIONS, ei);
		if (!rc)
			rc = perm_check_grant(st.perms, old, (struct perm_override){op->value, 0},
			                      ei);
		if (rc)
			goto out;
		json_object_set_new(st.server, "default_permissions",
		                    json_integer((json_int_t)op->value));
		op->data = json_pack("{s:I}", "default_permissions", (json_int_t)op->value);
	}
	op->out = json_incref(st.server);
	rc = op->data ? server_rec_write(w, SERVER_COLL, op->target, st.server, false) : SE_NOMEM;
out:
	server_state_release(&st);
	return rc;
}

static enum err server_set(struct req_ctx *ctx, bool is_default)
{
	struct perm_op op;
	json_t *ev;
	enum err rc;

	memset(&op, 0, sizeof(op));
	op.target = ctx->req->params[0];
	op.rid = is_default ? STR_NULL : ctx->req->params[1];
	op.uid = api_who(ctx)->user_id;
	rc = parse(ctx, &op);
	if (!rc && op.is_value != is_default)
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation,
		               is_default ? "permissions: expected an integer"
		                          : "permissions: expected {allow, deny}");
	if (!rc)
		rc = store_write(api_app(ctx)->store, server_fn, &op, &ctx->ei);
	if (rc)
		goto out;
	if (op.rid.p)
		ev = json_pack("{s:s,s:s%,s:s%,s:O,s:[]}", "type", "ServerRoleUpdate", "id",
		               op.target.p, op.target.n, "role_id", op.rid.p, op.rid.n, "data",
		               op.data, "clear");
	else
		ev = json_pack("{s:s,s:s%,s:O,s:[]}", "type", "ServerUpdate", "id", op.target.p,
		               op.target.n, "data", op.data, "clear");
	if (ev)
		api_publish(api_app(ctx), op.target, ev);
	rc = api_json(ctx, 200, json_incref(op.out));
out:
	reset(&op);
	return rc;
}

static enum err server_set_default(struct req_ctx *ctx)
{
	return server_set(ctx, true);
}

static enum err server_set_role(struct req_ctx *ctx)
{
	return server_set(ctx, false);
}

/* ---- PUT /channels/{target}/permissions/{default | role_id} ---- */

static enum err channel_fn(struct store_wtxn *w, void *arg)
{
	struct perm_op *op = arg;
	struct err_info *ei = store_wtxn_ei(w);
	struct server_state st = SERVER_STATE_INIT;
	struct perm_override old = {0, 0};
	json_t *ch = NULL, *role = NULL, *rp;
	uint64_t perms = 0;
	enum channel_type type;
	enum err rc = channel_load(store_wtxn_read(w), op->target, &ch);

	reset(op);
	if (rc == SE_NOT_FOUND)
		return SE_RAISE(ei, SE_NotFound);
	if (rc)
		return rc;
	type = channel_type_of(ch);
	rc = server_channel_perms(store_wtxn_read(w), ch, op->uid, api_now_ms(), &st, &perms);
	if (rc == SE_NotFound)
		rc = SE_RAISE(ei, SE_NotFound);
	if (!rc)
		rc = perm_require(perms, PERM_MANAGE_PERMISSIONS, ei);
	if (rc)
		goto out;
	if (type == CHANNEL_GROUP && !op->rid.p && op->is_value) {
		json_object_set_new(ch, "permissions", json_integer((json_int_t)op->value));
		op->data = json_pack("{s:I}", "permissions", (json_int_t)op->value);
	} else if ((type == CHANNEL_TEXT || type == CHANNEL_VOICE) && !op->is_value && !op->rid.p) {
		if (perm_override_parse(json_object_get(ch, "default_permissions"), &old))
			old = (struct perm_override){0, 0};
		rc = perm_check_grant(perms, old, op->o, ei);
		if (rc)
			goto out;
		json_object_set_new(ch, "default_permissions", ad(op->o));
		op->data = json_pack("{s:o}", "default_permissions", ad(op->o));
	} else if ((type == CHANNEL_TEXT || type == CHANNEL_VOICE) && !op->is_value) {
		rc = role_of(ei, &st, op->rid, &role);
		if (rc)
			goto out;
		rp = json_object_get(ch, "role_permissions");
		if (!json_is_object(rp)) {
			rp = json_object();
			json_object_set_new(ch, "role_permissions", rp);
		}
		/* the override being replaced (upstream compares with the role's server override)
		 */
		if (perm_override_parse(json_object_getn(rp, op->rid.p, op->rid.n), &old))
			old = (struct perm_override){0, 0};
		rc = perm_check_grant(perms, old, op->o, ei);
		if (rc)
			goto out;
		json_object_setn_new(rp, op->rid.p, op->rid.n, ad(op->o));
		op->data = json_pack("{s:O}", "role_permissions", rp);
	} else {
		rc = SE_RAISE(ei, SE_InvalidOperation);
		goto out;
	}
	op->out = json_incref(ch);
	rc = op->data ? server_rec_write(w, CHANNEL_COLL, op->target, ch, false) : SE_NOMEM;
out:
	json_decref(ch);
	server_state_release(&st);
	return rc;
}

static enum err channel_set(struct req_ctx *ctx, bool is_default)
{
	struct perm_op op;
	struct str topics[2];
	json_t *ev;
	enum err rc;

	memset(&op, 0, sizeof(op));
	op.target = ctx->req->params[0];
	op.rid = is_default ? STR_NULL : ctx->req->params[1];
	op.uid = api_who(ctx)->user_id;
	rc = parse(ctx, &op);
	if (!rc)
		rc = store_write(api_app(ctx)->store, channel_fn, &op, &ctx->ei);
	if (rc)
		goto out;
	ev = json_pack("{s:s,s:s%,s:O,s:[]}", "type", "ChannelUpdate", "id", op.target.p,
	               op.target.n, "data", op.data, "clear");
	/*
	 * A server channel's overrides go to the server topic as well (as Revolt
	 * publishes them): sockets that cannot see the channel yet must hear of
	 * it to turn it into ChannelCreate (src/events/visibility.c).
	 */
	topics[0] = op.target;
	topics[1] = str_from(json_string_value(json_object_get(op.out, "server")));
	if (ev)
		api_publish_multi(api_app(ctx), topics, topics[1].p ? 2 : 1, ev);
	rc = api_json(ctx, 200, json_incref(op.out));
out:
	reset(&op);
	return rc;
}

static enum err channel_set_default(struct req_ctx *ctx)
{
	return channel_set(ctx, true);
}

static enum err channel_set_role(struct req_ctx *ctx)
{
	return channel_set(ctx, false);
}

/* "default" before "{role_id}": the first match wins. */
static const struct route routes[] = {
    {HTTP_PUT, "/api/servers/{target}/permissions/default", server_set_default, API_USER},
    {HTTP_PUT, "/api/servers/{target}/permissions/{role_id}", server_set_role, API_USER},
    {HTTP_PUT, "/api/channels/{target}/permissions/default", channel_set_default, API_USER},
    {HTTP_PUT, "/api/channels/{target}/permissions/{role_id}", channel_set_role, API_USER},
};

const struct route *api_permissions_table(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
