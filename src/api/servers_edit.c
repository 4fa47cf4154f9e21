/*
 * api/servers_edit.c: PATCH /servers/{target} (revoltchat/backend
 * crates/delta/src/routes/servers/server_edit.rs): ManageServer for the
 * server's own fields, ManageChannel for categories, platform privilege for
 * flags and discoverable. Emits ServerUpdate {id, data, clear}.
 */
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "api/servers_int.h"
#include "app.h"
#include "core/jx.h"
#include "files/file.h"
#include "perms/perms.h"
#include "servers/server.h"
#include "servers/server_state.h"

/* FieldsServer and the stored key each one clears. */
static const char *const fields[][2] = {
    {"Description", "description"},
    {"Categories", "categories"},
    {"SystemMessages", "system_messages"},
    {"Icon", "icon"},
    {"Banner", "banner"},
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static const char *const sysmsg_keys[] = {"user_joined", "user_left", "user_kicked", "user_banned"};

struct edit_op {
	struct str sid;
	const char *uid;
	json_t *data;  /* the partial server: validated request fields */
	json_t *clear; /* [FieldsServer] */
	bool need_manage_server, need_manage_channel, need_privileged;
	const char *file_ids[2]; /* icon, banner to claim (files/file.h), or NULL */
	json_t *server;          /* out: the server after the edit */
};

static enum err bad(struct req_ctx *ctx, const char *what)
{
	return SE_RAISEF(&ctx->ei, SE_FailedValidation, "%s", what);
}

static bool len_ok(const json_t *s, size_t min, size_t max)
{
	size_t n;

	if (!json_is_string(s))
		return false;
	n = server_utf8_len((struct str){json_string_value(s), json_string_length(s)});
	return n != SIZE_MAX && n >= min && n <= max;
}

/* [{id (1-32), title (1-32), channels:[ids]}] as a fresh copy. */
static enum err parse_categories(struct req_ctx *ctx, const json_t *v, json_t **out)
{
	json_t *arr = json_array(), *c;
	size_t i;

	if (!json_is_array(v) || !arr) {
		json_decref(arr);
		return bad(ctx, "categories: expected an array");
	}
	json_array_foreach(v, i, c)
	{
		const json_t *ch = json_object_get(c, "channels");
		json_t *x;
		size_t j;

		if (!json_is_object(c) || !len_ok(json_object_get(c, "id"), 1, 32) ||
		    !len_ok(json_object_get(c, "title"), 1, 32) || !json_is_array(ch))
			goto fail;
		json_array_foreach(ch, j, x) if (!json_is_string(x)) goto fail;
		json_array_append_new(arr, json_pack("{s:O,s:O,s:O}", "id",
		                                     json_object_get(c, "id"), "title",
		                                     json_object_get(c, "title"), "channels", ch));
	}
	*out = arr;
	return SE_OK;
fail:
	json_decref(arr);
	return bad(ctx, "categories: each needs id (1-32), title (1-32) and channels");
}

static enum err parse_sysmsg(struct req_ctx *ctx, const json_t *v, json_t **out)
{
	json_t *o = json_object();

	if (!json_is_object(v) || !o) {
		json_decref(o);
		return bad(ctx, "system_messages: expected an object");
	}
	for (size_t i = 0; i < 4; i++) {
		const json_t *id = json_object_get(v, sysmsg_keys[i]);

		if (!id || json_is_null(id))
			continue;
		if (!json_is_string(id)) {
			json_decref(o);
			return bad(ctx, "system_messages: channel ids must be strings");
		}
		json_object_set(o, sysmsg_keys[i], (json_t *)id);
	}
	*out = o;
	return SE_OK;
}

static enum err parse(struct req_ctx *ctx, const json_t *body, struct edit_op *op)
{
	const json_t *v;
	struct str s;
	json_t *x = NULL;
	int b;
	size_t i;
	enum err rc;

	rc = api_srv_text(ctx, body, "name", 1, SERVER_NAME_MAX, false, &s);
	if (rc == SE_OK) {
		json_object_set_new(op->data, "name", json_stringn(s.p, s.n));
		op->need_manage_server = true;
	} else if (rc != SE_NOT_FOUND)
		return rc;
	rc = api_srv_text(ctx, body, "description", 0, SERVER_DESC_MAX, false, &s);
	if (rc == SE_OK) {
		json_object_set_new(op->data, "description", json_stringn(s.p, s.n));
		op->need_manage_server = true;
	} else if (rc != SE_NOT_FOUND)
		return rc;
	for (i = 0; i < 2; i++) {
		const char *k = i ? "banner" : "icon";

		v = json_object_get(body, k);
		if (v && !json_is_null(v)) {
			/* files hook: claimed inside edit_fn (file_claim) */
			if (!json_is_string(v))
				return bad(ctx, "icon and banner must be file ids");
			op->file_ids[i] = json_string_value(v);
			op->need_manage_server = true;
		}
	}
	v = json_object_get(body, "categories");
	if (v && !json_is_null(v)) {
		rc = parse_categories(ctx, v, &x);
		if (rc)
			return rc;
		json_object_set_new(op->data, "categories", x);
		op->need_manage_channel = true;
	}
	v = json_object_get(body, "system_messages");
	if (v && !json_is_null(v)) {
		rc = parse_sysmsg(ctx, v, &x);
		if (rc)
			return rc;
		json_object_set_new(op->data, "system_messages", x);
		op->need_manage_server = true;
	}
	v = json_object_get(body, "flags");
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN ||
		    json_integer_value(v) > INT32_MAX)
			return bad(ctx, "flags must be an integer");
		json_object_set(op->data, "flags", (json_t *)v);
		op->need_privileged = true;
	}
	rc = api_srv_bool(ctx, body, "discoverable", &b);
	if (rc)
		return rc;
	if (b >= 0) {
		json_object_set_new(op->data, "discoverable", json_boolean(b));
		op->need_privileged = true;
	}
	rc = api_srv_bool(ctx, body, "analytics", &b);
	if (rc)
		return rc;
	if (b >= 0) {
		json_object_set_new(op->data, "analytics", json_boolean(b));
		op->need_manage_server = true;
	}
	v = json_object_get(body, "remove");
	if (v && !json_is_null(v) && !json_is_array(v))
		return bad(ctx, "remove: expected an array");
	json_array_foreach(v, i, x)
	{
		size_t f;

		for (f = 0; f < N_FIELDS; f++)
			if (json_is_string(x) && strcmp(json_string_value(x), fields[f][0]) == 0)
				break;
		if (f == N_FIELDS)
			return bad(ctx, "remove: unknown field");
		json_array_append(op->clear, x);
		op->need_manage_server = true;
	}
	return SE_OK;
}

static bool in_list(const json_t *list, const char *id)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v) if (json_is_string(v) &&
	                                   strcmp(json_string_value(v), id) == 0) return true;
	return false;
}

/* Check the channel references against the server; drop foreign category channels. */
static enum err check_refs(struct edit_op *op, const json_t *server, struct err_info *ei)
{
	const json_t *chans = json_object_get(server, "channels");
	const json_t *sm = json_object_get(op->data, "system_messages");
	json_t *cats = json_object_get(op->data, "categories"), *seen = json_object(), *c;
	enum err rc = SE_OK;
	size_t i;

	if (!seen)
		return SE_NOMEM;
	for (size_t k = 0; sm && k < 4; k++) {
		const char *id = json_string_value(json_object_get(sm, sysmsg_keys[k]));

		if (id && !in_list(chans, id)) {
			rc = SE_RAISE(ei, SE_NotFound);
			goto out;
		}
	}
	json_array_foreach(cats, i, c)
	{
		json_t *list = json_object_get(c, "channels"), *kept = json_array(), *x;
		size_t j;

		json_array_foreach(list, j, x)
		{
			if (json_object_get(seen, json_string_value(x))) {
				json_decref(kept);
				rc = SE_RAISE(ei, SE_InvalidOperation);
				goto out;
			}
			json_object_set(seen, json_string_value(x), json_true());
			if (in_list(chans, json_string_value(x)))
				json_array_append(kept, x);
		}
		json_object_set_new(c, "channels", kept);
	}
out:
	json_decref(seen);
	return rc;
}

/* Apply the edit to the stored shape: false/0 values are omitted there. */
static void apply(json_t *server, const json_t *data, const json_t *clear)
{
	const char *k;
	json_t *v;
	size_t i;

	json_array_foreach(clear, i, v) for (size_t f = 0; f < N_FIELDS;
	                                     f++) if (strcmp(json_string_value(v), fields[f][0]) ==
	                                              0) json_object_del(server, fields[f][1]);
	json_object_foreach((json_t *)data, k, v)
	{
		if (json_is_false(v) || (json_is_integer(v) && json_integer_value(v) == 0))
			json_object_del(server, k);
		else
			json_object_set(server, k, v);
	}
}

static enum err edit_fn(struct store_wtxn *w, void *arg)
{
	struct edit_op *op = arg;
	struct err_info *ei = store_wtxn_ei(w);
	struct server_state st = SERVER_STATE_INIT;
	enum err rc = server_state_load(store_wtxn_read(w), op->sid, op->uid, api_now_ms(), &st);

	if (rc)
		return SE_RAISE(ei, rc);
	json_decref(op->server);
	op->server = NULL;
	/* the backend answers an empty edit to anyone; we keep non-members out */
	if (!op->need_manage_server && !op->need_manage_channel && !op->need_privileged &&
	    !st.member && !st.privileged)
		rc = SE_RAISE(ei, SE_NotFound);
	if (!rc && op->need_manage_server)
		rc = perm_require(st.perms, PERM_MANAGE_SERVER, ei);
	if (!rc && op->need_privileged && !st.privileged)
		rc = SE_RAISE(ei, SE_NotPrivileged);
	if (!rc && op->need_manage_channel)
		rc = perm_require(st.perms, PERM_MANAGE_CHANNEL, ei);
	if (rc)
		goto out;
	/* filtering categories is idempotent, so a retried write may redo it */
	rc = check_refs(op, st.server, ei);
	for (int i = 0; !rc && i < 2; i++) {
		json_t *f = NULL;

		if (!op->file_ids[i])
			continue;
		rc = file_claim(w, str_from(op->file_ids[i]), i ? "banners" : "icons",
		                i ? "ServerBanner" : "ServerIcon", op->sid, &f);
		if (!rc && json_object_set_new(op->data, i ? "banner" : "icon", f))
			rc = SE_NOMEM;
	}
	if (rc)
		goto out;
	apply(st.server, op->data, op->clear);
	if (json_object_size(op->data) || json_array_size(op->clear))
		rc = server_rec_write(w, SERVER_COLL, op->sid, st.server, false);
	if (!rc)
		op->server = json_incref(st.server);
out:
	server_state_release(&st);
	return rc;
}

enum err api_server_edit(struct req_ctx *ctx)
{
	struct edit_op op;
	json_t *body = NULL, *ev;
	enum err rc;

	memset(&op, 0, sizeof(op));
	op.sid = ctx->req->params[0];
	op.uid = api_who(ctx)->user_id;
	op.data = json_object();
	op.clear = json_array();
	rc = op.data && op.clear ? api_body(ctx, &body) : SE_RAISE(&ctx->ei, SE_NOMEM);
	if (!rc)
		rc = parse(ctx, body, &op);
	if (!rc)
		rc = store_write(api_app(ctx)->store, edit_fn, &op, &ctx->ei);
	if (rc)
		goto out;
	if (json_object_size(op.data) || json_array_size(op.clear)) {
		ev = json_pack("{s:s,s:s%,s:O,s:O}", "type", "ServerUpdate", "id", op.sid.p,
		               op.sid.n, "data", op.data, "clear", op.clear);
		if (ev)
			api_publish(api_app(ctx), op.sid, ev);
	}
	rc = api_json(ctx, 200, json_incref(op.server));
out:
	json_decref(body);
	json_decref(op.data);
	json_decref(op.clear);
	json_decref(op.server);
	return rc;
}
