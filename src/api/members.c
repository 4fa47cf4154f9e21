/*
 * api/members.c: server members (revoltchat/backend crates/delta/src/routes/
 * servers/member_*.rs): listing, fetching, the experimental query and kicks;
 * the route table of members, bans and server invites. Edits are in
 * api/members_edit.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "api/members.h"
#include "app.h"
#include "auth/records.h"
#include "channels/channel.h"
#include "core/arena.h"
#include "core/mem.h"
#include "events/events.h"
#include "perms/perms.h"
#include "servers/server.h"
#include "users/user.h"
#include "core/log.h"
#include "messages/message.h"

static const struct route member_routes[] = {
    {HTTP_GET, "/api/servers/{id}/members", api_members_list, API_USER},
    {HTTP_GET, "/api/servers/{id}/members/{member}", api_member_fetch, API_USER},
    {HTTP_PATCH, "/api/servers/{id}/members/{member}", api_member_edit, API_USER},
    {HTTP_DELETE, "/api/servers/{id}/members/{member}", api_member_kick, API_USER},
    {HTTP_GET, "/api/servers/{id}/members_experimental_query", api_members_query, API_USER},
    {HTTP_GET, "/api/servers/{id}/bans", api_bans_list, API_USER},
    {HTTP_PUT, "/api/servers/{id}/bans/{user}", api_ban_create, API_USER},
    {HTTP_DELETE, "/api/servers/{id}/bans/{user}", api_ban_remove, API_USER},
    {HTTP_GET, "/api/servers/{id}/invites", api_server_invites, API_USER},
};

const struct route *api_members_table(size_t *n)
{
	*n = sizeof(member_routes) / sizeof(member_routes[0]);
	return member_routes;
}

size_t api_utf8_len(struct str s)
{
	size_t n = 0;

	for (size_t i = 0; i < s.n; i++)
		if (((unsigned char)s.p[i] & 0xC0) != 0x80)
			n++;
	return n;
}

enum err api_srv_load(struct store_txn *txn, struct str id, const char *user_id, int64_t now_ms,
                      struct api_srv *out)
{
	enum err rc = server_load(txn, id, &out->server);

	if (rc == SE_NOT_FOUND)
		return SE_NotFound;
	if (rc)
		return rc;
	rc = server_member_load(txn, id, str_from(user_id), &out->me);
	if (rc == SE_NOT_FOUND) {
		out->me = NULL;
		rc = SE_OK;
	}
	if (rc)
		return rc;
	member_standing_of(out->server, out->me, user_id, now_ms, &out->st);
	return SE_OK;
}

void api_srv_release(struct api_srv *s)
{
	json_decref(s->server);
	json_decref(s->me);
	s->server = NULL;
	s->me = NULL;
}

json_t *api_srv_visible_channels(struct store_txn *txn, const json_t *server, const json_t *member,
                                 const char *user_id, int64_t now_ms)
{
	json_t *out = json_array(), *id, *ch;
	size_t i;

	if (!out)
		return NULL;
	json_array_foreach(json_object_get(server, "channels"), i, id)
	{
		if (!json_is_string(id) || channel_load(txn, str_from(json_string_value(id)), &ch))
			continue;
		if (perm_channel_json(server, member, ch, user_id, now_ms) & PERM_VIEW_CHANNEL)
			json_array_append_new(out, ch);
		else
			json_decref(ch);
	}
	return out;
}

/* The member and its user; the caller's view of the user. */
struct listing {
	struct app *app;
	struct store_txn *txn;
	const char *viewer_id;
	json_t *viewer;
	json_t *members, *users;
	bool exclude_offline;
};

/* Presence from the event gateway (events/events.h). */
static bool user_online(struct app *app, const char *user_id)
{
	return ev_user_online(app, str_from(user_id));
}

static enum err list_one(struct str id, void *arg)
{
	struct listing *l = arg;
	struct str rec;
	json_t *m, *u = NULL, *view;
	const char *uid;
	enum err rc = store_get(l->txn, MEMBER_COLL, id, &rec);

	if (rc == SE_NOT_FOUND)
		return SE_OK;
	if (rc)
		return rc;
	m = json_loadb(rec.p, rec.n, 0, NULL);
	uid = json_string_value(json_object_get(json_object_get(m, "_id"), "user"));
	if (!uid || authrec_load(l->txn, USER_COLL, str_from(uid), &u)) {
		json_decref(m);
		return SE_OK; /* a member without a user record is not listed */
	}
	view = member_user_view(u, l->viewer_id, l->viewer, user_online(l->app, uid));
	json_decref(u);
	if (!view) {
		json_decref(m);
		return SE_NOMEM;
	}
	if (l->exclude_offline && !json_is_true(json_object_get(view, "online"))) {
		json_decref(m);
		json_decref(view);
		return SE_OK;
	}
	json_array_append_new(l->members, m);
	json_array_append_new(l->users, view);
	return SE_OK;
}

static bool query_true(const struct req_ctx *ctx, const char *name)
{
	return str_eq_cstr(http_req_query(ctx->req, name), "true");
}

/* Walk every member of the server into l->members / l->users. */
static enum err list_all(struct store_txn *txn, struct str sid, const char *me, struct listing *l)
{
	enum err rc;

	l->txn = txn;
	l->viewer_id = me;
	if (authrec_load(txn, USER_COLL, str_from(me), &l->viewer))
		l->viewer = NULL;
	l->members = json_array();
	l->users = json_array();
	if (!l->members || !l->users)
		return SE_NOMEM;
	rc = member_walk(txn, MEMBER_COLL, MEMBER_IDX_SERVER, sid, MEMBER_LIST_MAX, list_one, l);
	return rc == SE_FULL ? SE_OK : rc;
}

static void listing_release(struct listing *l)
{
	json_decref(l->viewer);
	json_decref(l->members);
	json_decref(l->users);
}

enum err api_members_list(struct req_ctx *ctx)
{
	const char *me = api_who(ctx)->user_id;
	struct str sid = ctx->req->params[0];
	struct api_srv s = API_SRV_INIT;
	struct listing l = {.app = api_app(ctx)};
	struct store_txn *txn = NULL;
	enum err rc = store_read_begin(api_app(ctx)->store, &txn);

	if (rc)
		goto out;
	rc = api_srv_load(txn, sid, me, api_now_ms(), &s);
	if (!rc && !s.st.member)
		rc = SE_NotFound;
	l.exclude_offline = query_true(ctx, "exclude_offline");
	if (!rc)
		rc = list_all(txn, sid, me, &l);
out:
	store_read_end(txn);
	api_srv_release(&s);
	if (!rc)
		rc = api_json(ctx, 200,
		              json_pack("{s:O, s:O}", "members", l.members, "users", l.users));
	else
		rc = SE_RAISE(&ctx->ei, rc);
	listing_release(&l);
	return rc;
}

/* The server's roles the member holds, as {id: Role}. */
static json_t *member_roles(const json_t *server, const json_t *member)
{
	json_t *out = json_object(), *rid, *roles = json_object_get(server, "roles");
	size_t i;

	json_array_foreach(json_object_get(member, "roles"), i, rid)
	{
		json_t *role =
		    json_is_string(rid) ? json_object_get(roles, json_string_value(rid)) : NULL;

		if (role && out)
			json_object_set(out, json_string_value(rid), role);
	}
	return out;
}

enum err api_member_fetch(struct req_ctx *ctx)
{
	const char *me = api_who(ctx)->user_id;
	struct str sid = ctx->req->params[0], target = ctx->req->params[1];
	struct api_srv s = API_SRV_INIT;
	struct store_txn *txn = NULL;
	json_t *m = NULL, *out = NULL;
	enum err rc = store_read_begin(api_app(ctx)->store, &txn);

	if (rc)
		goto out;
	rc = api_srv_load(txn, sid, me, api_now_ms(), &s);
	if (!rc && !s.st.member)
		rc = SE_NotFound;
	if (!rc)
		rc = server_member_load(txn, sid, target, &m);
	if (rc == SE_NOT_FOUND)
		rc = SE_NotFound;
	if (rc)
		goto out;
	if (query_true(ctx, "roles"))
		out = json_pack("{s:O, s:o}", "member", m, "roles", member_roles(s.server, m));
	else
		out = json_incref(m);
	if (!out)
		rc = SE_NOMEM;
out:
	store_read_end(txn);
	api_srv_release(&s);
	json_decref(m);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	return api_json(ctx, 200, out);
}

/* The name a member is shown by: the nickname, else the username. */
static const char *shown_name(const json_t *member, const json_t *user)
{
	const char *nick = json_string_value(json_object_get(member, "nickname"));

	return nick ? nick : json_string_value(json_object_get(user, "username"));
}

struct match {
	json_t *member, *user;
	size_t len;
};

static int match_cmp(const void *a, const void *b)
{
	const struct match *x = a, *y = b;

	return (x->len > y->len) - (x->len < y->len);
}

enum err api_members_query(struct req_ctx *ctx)
{
	const char *me = api_who(ctx)->user_id;
	struct str sid = ctx->req->params[0];
	struct str q = http_req_query(ctx->req, "query");
	struct api_srv s = API_SRV_INIT;
	struct listing l = {.app = api_app(ctx)};
	struct store_txn *txn = NULL;
	struct match *ms = NULL;
	json_t *members = NULL, *users = NULL;
	char *needle = NULL;
	size_t n = 0, k = 0;
	enum err rc = SE_OK;

	if (!q.p || q.n > MEMBER_QUERY_MAX) {
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "'query' must be 0-%d bytes",
		               MEMBER_QUERY_MAX);
		goto out;
	}
	/* Revolt answers InternalError unless the caller opts in */
	if (!query_true(ctx, "experimental_api")) {
		rc = SE_InternalError;
		goto out;
	}
	needle = arena_strndup(ctx->arena, q.p, q.n);
	rc = needle ? store_read_begin(api_app(ctx)->store, &txn) : SE_NOMEM;
	if (rc)
		goto out;
	rc = api_srv_load(txn, sid, me, api_now_ms(), &s);
	if (!rc && !s.st.member)
		rc = SE_NotFound;
	if (!rc)
		rc = list_all(txn, sid, me, &l);
	store_read_end(txn);
	txn = NULL;
	if (rc)
		goto out;
	n = json_array_size(l.members);
	ms = n ? arena_alloc(ctx->arena, n * sizeof(*ms)) : NULL;
	if (n && !ms) {
		rc = SE_NOMEM;
		goto out;
	}
	/* a substring of the nickname when there is one, else of the username */
	for (size_t i = 0; i < n; i++) {
		json_t *m = json_array_get(l.members, i), *u = json_array_get(l.users, i);
		const char *name = shown_name(m, u);

		if (name && strstr(name, needle))
			ms[k++] = (struct match){m, u, strlen(name)};
	}
	qsort(ms, k, sizeof(*ms), match_cmp);
	members = json_array();
	users = json_array();
	for (size_t i = 0; i < k && i < MEMBER_QUERY_RESULTS && members && users; i++) {
		json_array_append(members, ms[i].member);
		json_array_append(users, ms[i].user);
	}
	if (!members || !users)
		rc = SE_NOMEM;
out:
	store_read_end(txn);
	api_srv_release(&s);
	listing_release(&l);
	if (rc) {
		json_decref(members);
		json_decref(users);
		return SE_RAISE(&ctx->ei, rc);
	}
	return api_json(ctx, 200, json_pack("{s:o, s:o}", "members", members, "users", users));
}

struct kick_op {
	struct str sid, target;
	const char *me;
	int64_t now;
};

static enum err kick_fn(struct store_wtxn *w, void *arg)
{
	struct kick_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	struct api_srv s = API_SRV_INIT;
	struct member_standing ts;
	json_t *m = NULL;
	const char *owner;
	char tid[64];
	enum err rc = api_srv_load(txn, op->sid, op->me, op->now, &s);

	snprintf(tid, sizeof(tid), "%.*s", (int)op->target.n, op->target.p);

	if (rc)
		goto out;
	owner = json_string_value(json_object_get(s.server, "owner"));
	if (str_eq_cstr(op->target, op->me)) {
		rc = SE_CannotRemoveYourself;
	} else if (owner && str_eq_cstr(op->target, owner)) {
		rc = SE_InvalidOperation;
	} else {
		rc = perm_require(s.st.perms, PERM_KICK_MEMBERS, store_wtxn_ei(w));
	}
	if (rc)
		goto out;
	rc = server_member_load(txn, op->sid, op->target, &m);
	if (rc == SE_NOT_FOUND)
		rc = SE_NotFound;
	if (rc)
		goto out;
	member_standing_of(s.server, m, tid, op->now, &ts);
	if (ts.rank <= (s.st.member ? s.st.rank : INT64_MIN))
		rc = SE_NotElevated;
	else
		rc = member_drop(w, MEMBER_COLL, op->sid, op->target);
out:
	json_decref(m);
	api_srv_release(&s);
	return rc;
}

void api_member_left(struct req_ctx *ctx, struct str sid, struct str user, const char *reason)
{
	struct err_info ei = ERR_INFO_INIT;

	if (msg_server_system(api_app(ctx), sid,
	                      strcmp(reason, "Ban") ? "user_kicked" : "user_banned", user, &ei))
		log_warn("members: cannot post a system message (%s)", ei.detail);
	api_publish(api_app(ctx), sid,
	            json_pack("{s:s, s:s%, s:s%, s:s}", "type", "ServerMemberLeave", "id", sid.p,
	                      sid.n, "user", user.p, user.n, "reason", reason));
}

enum err api_member_kick(struct req_ctx *ctx)
{
	struct kick_op op = {ctx->req->params[0], ctx->req->params[1], api_who(ctx)->user_id,
	                     api_now_ms()};
	enum err rc = store_write(api_app(ctx)->store, kick_fn, &op, &ctx->ei);

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	api_member_left(ctx, op.sid, op.target, "Kick");
	return api_no_content(ctx);
}
