/*
 * federation/webfinger.c: WebFinger answers (JRD) for our users and the
 * instance actor, and host-meta pointing at it. The resource parser is
 * strict: one spelling per kind, no percent escapes left after the query
 * decoding, no control bytes, bounded length.
 */
#include "federation/webfinger.h"

#include <jansson.h>
#include <string.h>

#include "app.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/jx.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "federation/actor.h"
#include "federation/fed.h"
#include "http/http.h"
#include "storage/store.h"
#include "users/user.h"

#define AS2_PROFILE "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""

static bool bad_byte(unsigned char c)
{
	return c <= 0x20 || c == 0x7f;
}

bool wf_parse_handle(struct str handle, struct str *name, struct str *discrim)
{
	long us = -1;

	for (size_t i = 0; i < handle.n; i++) {
		unsigned char c = (unsigned char)handle.p[i];

		if (bad_byte(c) || strchr("@/:?#%", c))
			return false;
		if (c == '_')
			us = (long)i;
	}
	if (us < 1 || handle.n - (size_t)us != 5 || (size_t)us > WF_USERNAME_MAX)
		return false;
	for (size_t i = (size_t)us + 1; i < handle.n; i++)
		if (handle.p[i] < '0' || handle.p[i] > '9')
			return false;
	*name = (struct str){handle.p, (size_t)us};
	*discrim = (struct str){handle.p + us + 1, 4};
	return true;
}

/* The host without its port ("example.com" of "example.com:8080"). */
static struct str host_name(struct str host)
{
	if (host.n && host.p[0] == '[') {
		long e = str_index(host, ']');

		return e > 0 ? (struct str){host.p, (size_t)e + 1} : host;
	}
	for (size_t i = host.n; i > 0; i--)
		if (host.p[i - 1] == ':')
			return (struct str){host.p, i - 1};
	return host;
}

static bool has_prefix_nocase(struct str s, struct str p)
{
	return s.n >= p.n && str_eq_nocase((struct str){s.p, p.n}, p);
}

/* acct:<local>@<host> */
static enum err parse_acct(struct str r, struct str host, struct wf_target *out,
                           struct err_info *ei)
{
	long at = -1;
	struct str local, rhost;

	for (size_t i = 0; i < r.n; i++)
		if (r.p[i] == '@')
			at = (long)i;
	if (at <= 0 || (size_t)at + 1 >= r.n)
		return SE_RAISEF(ei, SE_PARSE, "acct: needs user@host");
	local = (struct str){r.p, (size_t)at};
	rhost = (struct str){r.p + at + 1, r.n - (size_t)at - 1};
	if (local.p[0] == '@')
		return SE_RAISEF(ei, SE_PARSE, "acct: with a leading '@'");
	for (size_t i = 0; i < rhost.n; i++)
		if (strchr("/?#@_", rhost.p[i]))
			return SE_RAISEF(ei, SE_PARSE, "bad host in acct:");
	if (!str_eq_nocase(rhost, host)) {
		out->kind = WF_FOREIGN;
		return SE_OK;
	}
	if (str_eq_nocase(local, host_name(host)) || str_eq_nocase(local, host)) {
		out->kind = WF_INSTANCE;
		return SE_OK;
	}
	if (!wf_parse_handle(local, &out->name, &out->discrim))
		return SE_RAISEF(ei, SE_PARSE, "not a <name>_<discriminator> handle");
	out->kind = WF_HANDLE;
	return SE_OK;
}

/* An http(s) URL: ours (B/users/<id>, B/@<handle>, B/actor) or foreign. */
static enum err parse_url(struct str r, struct str base, struct wf_target *out, struct err_info *ei)
{
	struct str rest;

	if (!has_prefix_nocase(r, base) || (r.n > base.n && r.p[base.n] != '/')) {
		size_t s = has_prefix_nocase(r, STR_LIT("https://")) ? 8 : 7;

		if (r.n <= s || r.p[s] == '/')
			return SE_RAISEF(ei, SE_PARSE, "URL without a host");
		out->kind = WF_FOREIGN;
		return SE_OK;
	}
	rest = (struct str){r.p + base.n, r.n - base.n};
	if (str_eq_cstr(rest, "/actor")) {
		out->kind = WF_INSTANCE;
		return SE_OK;
	}
	if (str_has_prefix(rest, STR_LIT("/users/"))) {
		out->id = (struct str){rest.p + 7, rest.n - 7};
		if (!ulid_is_valid(out->id))
			return SE_RAISEF(ei, SE_PARSE, "not a user id");
		out->kind = WF_USER_ID;
		return SE_OK;
	}
	if (str_has_prefix(rest, STR_LIT("/@"))) {
		if (!wf_parse_handle((struct str){rest.p + 2, rest.n - 2}, &out->name,
		                     &out->discrim))
			return SE_RAISEF(ei, SE_PARSE, "not a <name>_<discriminator> handle");
		out->kind = WF_HANDLE;
		return SE_OK;
	}
	out->kind = WF_FOREIGN;
	return SE_OK;
}

enum err wf_parse_resource(struct str r, struct str base, struct str host, struct wf_target *out,
                           struct err_info *ei)
{
	memset(out, 0, sizeof(*out));
	if (!r.p || r.n == 0)
		return SE_RAISEF(ei, SE_PARSE, "empty resource");
	if (r.n > WF_RESOURCE_MAX)
		return SE_RAISEF(ei, SE_PARSE, "resource longer than %d bytes", WF_RESOURCE_MAX);
	for (size_t i = 0; i < r.n; i++)
		if (bad_byte((unsigned char)r.p[i]))
			return SE_RAISEF(ei, SE_PARSE, "control byte or space in resource");
	if (has_prefix_nocase(r, STR_LIT("acct:")))
		return parse_acct((struct str){r.p + 5, r.n - 5}, host, out, ei);
	if (has_prefix_nocase(r, STR_LIT("https://")) || has_prefix_nocase(r, STR_LIT("http://")))
		return parse_url(r, base, out, ei);
	return SE_RAISEF(ei, SE_PARSE, "resource is neither acct: nor an http(s) URL");
}

static struct fed *fed_of(struct req_ctx *ctx)
{
	return ((struct app *)ctx->app)->fed;
}

/* The JRD links to `actor` (and the profile page when `page` is set). */
static json_t *jrd(const char *subject, const char *actor, const char *page)
{
	json_t *doc =
	    json_pack("{s:s, s:[s], s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}]}", "subject", subject,
	              "aliases", actor, "links", "rel", "self", "type", "application/activity+json",
	              "href", actor, "rel", "self", "type", AS2_PROFILE, "href", actor);

	if (doc && page &&
	    (json_array_append_new(json_object_get(doc, "aliases"), json_string(page)) ||
	     json_array_append_new(json_object_get(doc, "links"),
	                           json_pack("{s:s, s:s, s:s}", "rel",
	                                     "http://webfinger.net/rel/profile-page", "type",
	                                     "text/html", "href", page)))) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* The local user a target names, loaded in `txn` (new reference). */
static enum err find_user(struct store_txn *txn, const struct wf_target *t, json_t **rec)
{
	char id[STORE_ID_MAX];
	enum err rc;

	if (t->kind == WF_USER_ID)
		return user_load(txn, t->id, rec);
	rc = user_find_by_tag(txn, t->name, t->discrim, id);
	if (rc == SE_INVAL)
		rc = SE_NOT_FOUND;
	return rc ? rc : user_load(txn, str_from(id), rec);
}

static enum err reply_jrd(struct req_ctx *ctx, json_t *doc)
{
	char *text = doc ? jx_dump(doc) : NULL;

	json_decref(doc);
	if (!text)
		return SE_RAISE(&ctx->ei, SE_NOMEM);
	http_resp_set(ctx->resp, 200, "application/jrd+json; charset=utf-8", str_from(text));
	mem_free(text);
	return SE_OK;
}

enum err wf_get(struct req_ctx *ctx)
{
	struct fed *f = fed_of(ctx);
	struct wf_target t;
	struct store_txn *txn = NULL;
	json_t *rec = NULL, *doc = NULL;
	struct arena *a = ctx->arena;
	enum actor_state st = ACTOR_LIVE;
	enum err rc;

	if (!f)
		return SE_RAISE(&ctx->ei, SE_NotFound);
	rc = wf_parse_resource(http_req_query(ctx->req, "resource"), str_from(f->base),
	                       str_from(f->host), &t, &ctx->ei);
	if (rc) {
		char why[ERR_DETAIL_MAX];

		memcpy(why, ctx->ei.detail, sizeof(why));
		why[sizeof(why) - 1] = '\0';
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "resource: %s", why);
	}
	if (t.kind == WF_FOREIGN)
		return SE_RAISE(&ctx->ei, SE_NotFound);
	if (t.kind == WF_INSTANCE) {
		char *sub =
		    arena_printf(a, "acct:%.*s@%s", (int)strcspn(f->host, ":"), f->host, f->host);
		char *actor = arena_printf(a, "%s/actor", f->base);

		if (!sub || !actor)
			return SE_RAISE(&ctx->ei, SE_NOMEM);
		return reply_jrd(ctx, jrd(sub, actor, NULL));
	}
	rc = store_read_begin(f->store, &txn);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = find_user(txn, &t, &rec);
	if (!rc)
		st = actor_state_of(txn, rec);
	store_read_end(txn);
	if (!rc && st == ACTOR_REMOTE)
		rc = SE_NOT_FOUND;
	if (!rc && st == ACTOR_LIVE) {
		char *handle = actor_handle(rec, a);
		struct str id = str_from(user_id_of(rec));
		char *sub = handle ? arena_printf(a, "acct:%s@%s", handle, f->host) : NULL;
		char *page = handle ? arena_printf(a, "%s/@%s", f->base, handle) : NULL;
		char *actor = fed_actor_url(f, a, id);

		doc = sub && page && actor ? jrd(sub, actor, page) : NULL;
		rc = doc ? SE_OK : SE_NOMEM;
	}
	json_decref(rec);
	if (rc == SE_NOT_FOUND || rc == SE_INVAL)
		return SE_RAISE(&ctx->ei, SE_NotFound);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	if (st == ACTOR_GONE) {
		ctx->ei.status = 410;
		return SE_RAISE(&ctx->ei, SE_NotFound);
	}
	return reply_jrd(ctx, doc);
}

enum err wf_host_meta(struct req_ctx *ctx)
{
	struct fed *f = fed_of(ctx);
	struct buf b = BUF_INIT(8192);
	enum err rc;

	if (!f)
		return SE_RAISE(&ctx->ei, SE_NotFound);
	buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	             "<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n"
	             "  <Link rel=\"lrdd\" template=\"");
	buf_html_escape(&b, str_from(f->base));
	buf_puts(&b, "/.well-known/webfinger?resource={uri}\"/>\n</XRD>\n");
	rc = buf_err(&b);
	if (!rc)
		http_resp_set(ctx->resp, 200, "application/xrd+xml; charset=utf-8", buf_str(&b));
	buf_release(&b);
	return rc ? SE_RAISE(&ctx->ei, rc) : SE_OK;
}

enum err wf_host_meta_json(struct req_ctx *ctx)
{
	struct fed *f = fed_of(ctx);
	char *tpl;
	json_t *doc;
	char *text;

	if (!f)
		return SE_RAISE(&ctx->ei, SE_NotFound);
	tpl = arena_printf(ctx->arena, "%s/.well-known/webfinger?resource={uri}", f->base);
	doc = tpl ? json_pack("{s:[{s:s, s:s}]}", "links", "rel", "lrdd", "template", tpl) : NULL;
	text = doc ? jx_dump(doc) : NULL;
	json_decref(doc);
	if (!text)
		return SE_RAISE(&ctx->ei, SE_NOMEM);
	http_resp_set(ctx->resp, 200, "application/json", str_from(text));
	mem_free(text);
	return SE_OK;
}
