/*
 * federation/nodeinfo.c: NodeInfo 2.0 / 2.1 and the discovery document.
 * Usage counts come from the store: local accounts, and among them those
 * with a session seen in the last 30 / 180 days; recounted at most every
 * NODEINFO_TTL_MS (the sessions scan is bounded by NODEINFO_SESSIONS_MAX).
 */
#include "federation/nodeinfo.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "auth/records.h"
#include "core/arena.h"
#include "core/cfg.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/mem.h"
#include "federation/fed.h"
#include "http/http.h"
#include "storage/store.h"

#ifndef SOL_GIT_DESC
#define SOL_GIT_DESC "unknown"
#endif
#ifndef SOL_GIT_ORIGIN
#define SOL_GIT_ORIGIN ""
#endif

#define NI_SCHEMA "http://nodeinfo.diaspora.software/ns/schema/"
#define NI_DAY_MS (24LL * 3600 * 1000)
/* sessions read per index scan */
#define NI_BATCH 256

struct nodeinfo_cache {
	pthread_mutex_t mu;
	int64_t at_ms; /* when `u` was counted; 0 = never */
	struct nodeinfo_usage u;
};

struct nodeinfo_cache *nodeinfo_cache_new(void)
{
	struct nodeinfo_cache *c = xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->mu, NULL);
	return c;
}

void nodeinfo_cache_free(struct nodeinfo_cache *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->mu);
	mem_free(c);
}

/* "2025-09-23T12:00:00.000Z" -> ms, or -1. */
static int64_t iso_ms(const char *s)
{
	struct tm tm;
	const char *end;

	if (!s)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return -1;
	return (int64_t)timegm(&tm) * 1000;
}

/* The latest last_seen of the sessions in `ids` (one user's), into *best. */
static void latest_seen(struct store_txn *txn, const struct store_hit *h, size_t n, int64_t *best)
{
	for (size_t i = 0; i < n; i++) {
		json_t *s = NULL;
		struct str raw;
		int64_t t;

		if (store_get(txn, AUTHREC_SESSIONS, h[i].id, &raw) ||
		    jx_parse_object(raw, LIM_JSON_BODY_MAX, &s, NULL))
			continue;
		t = iso_ms(json_string_value(json_object_get(s, "last_seen")));
		if (t > *best)
			*best = t;
		json_decref(s);
	}
}

/* The user id of a sessions "user" index key ("<user>/<session>"). */
static struct str user_of_key(struct str key)
{
	long slash = str_index(key, '/');

	return slash < 0 ? key : (struct str){key.p, (size_t)slash};
}

enum err nodeinfo_count(struct store *s, int64_t now_ms, struct nodeinfo_usage *out,
                        struct err_info *ei)
{
	struct store_txn *txn = NULL;
	struct store_hit hits[NI_BATCH];
	char cur[STORE_ID_MAX] = "", after[STORE_KEY_MAX] = "";
	struct store_range r = {STR_NULL, STR_NULL, STR_NULL, STORE_ASC};
	int64_t best = -1;
	size_t seen = 0, n;
	enum err rc;

	memset(out, 0, sizeof(*out));
	rc = store_read_begin(s, &txn);
	if (rc)
		return SE_RAISEF(ei, rc, "cannot read the store");
	rc = store_count(txn, AUTHREC_ACCOUNTS, NULL, &out->total);
	while (!rc && seen < NODEINFO_SESSIONS_MAX) {
		size_t start = 0;

		r.after = after[0] ? str_from(after) : STR_NULL;
		rc = store_index_scan(txn, AUTHREC_SESSIONS, "user", &r, hits, NI_BATCH, &n);
		if (rc || n == 0)
			break;
		/* sessions of one user are adjacent in the index (key order) */
		for (size_t i = 0; i <= n; i++) {
			struct str u = i < n ? user_of_key(hits[i].key) : STR_NULL;

			if (i < n && str_eq_cstr(u, cur))
				continue;
			latest_seen(txn, hits + start, i - start, &best);
			if (i == n)
				break;
			if (cur[0] && best >= 0) {
				out->active_month += now_ms - best <= 30 * NI_DAY_MS;
				out->active_halfyear += now_ms - best <= 180 * NI_DAY_MS;
			}
			best = -1;
			start = i;
			if (u.n >= sizeof(cur))
				u.n = sizeof(cur) - 1;
			memcpy(cur, u.p, u.n);
			cur[u.n] = '\0';
		}
		seen += n;
		if (hits[n - 1].key.n >= sizeof(after))
			break;
		memcpy(after, hits[n - 1].key.p, hits[n - 1].key.n);
		after[hits[n - 1].key.n] = '\0';
		if (n < NI_BATCH)
			break;
	}
	if (!rc && cur[0] && best >= 0) {
		out->active_month += now_ms - best <= 30 * NI_DAY_MS;
		out->active_halfyear += now_ms - best <= 180 * NI_DAY_MS;
	}
	store_read_end(txn);
	if (rc)
		return SE_RAISEF(ei, rc, "cannot count users");
	if (out->active_month > out->total)
		out->active_month = out->total;
	if (out->active_halfyear > out->total)
		out->active_halfyear = out->total;
	return SE_OK;
}

static struct fed *fed_of(struct req_ctx *ctx)
{
	return ((struct app *)ctx->app)->fed;
}

static enum err reply(struct req_ctx *ctx, const char *type, json_t *doc)
{
	char *text = doc ? jx_dump(doc) : NULL;

	json_decref(doc);
	if (!text)
		return SE_RAISE(&ctx->ei, SE_NOMEM);
	http_resp_set(ctx->resp, 200, type, str_from(text));
	mem_free(text);
	return SE_OK;
}

enum err nodeinfo_links(struct req_ctx *ctx)
{
	struct fed *f = fed_of(ctx);
	char *v20, *v21;

	if (!f)
		return SE_RAISE(&ctx->ei, SE_NotFound);
	v20 = arena_printf(ctx->arena, "%s/nodeinfo/2.0", f->base);
	v21 = arena_printf(ctx->arena, "%s/nodeinfo/2.1", f->base);
	if (!v20 || !v21)
		return SE_RAISE(&ctx->ei, SE_NOMEM);
	return reply(ctx, "application/json",
	             json_pack("{s:[{s:s, s:s}, {s:s, s:s}]}", "links", "rel", NI_SCHEMA "2.0",
	                       "href", v20, "rel", NI_SCHEMA "2.1", "href", v21));
}

/* The usage counts, from the cache when fresh. */
static enum err usage(struct fed *f, struct nodeinfo_usage *u, struct err_info *ei)
{
	struct nodeinfo_cache *c = f->nodeinfo;
	int64_t now = authrec_now_ms();
	enum err rc = SE_OK;

	pthread_mutex_lock(&c->mu);
	if (!c->at_ms || now - c->at_ms > NODEINFO_TTL_MS || now < c->at_ms) {
		rc = nodeinfo_count(f->store, now, &c->u, ei);
		if (!rc)
			c->at_ms = now;
	}
	*u = c->u;
	pthread_mutex_unlock(&c->mu);
	return rc;
}

/*
 * software.name: "solstice"; under --dev, $SOLSTICE_TEST_NODEINFO_NAME
 * ([a-z0-9-], at most 32 bytes) instead, so that an integration test can
 * pose as a peer of another family (federation/software.h).
 */
static const char *software_name(const struct fed *f)
{
	const char *v = f->cfg->dev.enabled ? getenv("SOLSTICE_TEST_NODEINFO_NAME") : NULL;

	if (!v || !*v || strlen(v) > 32 ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(v))
		return "solstice";
	return v;
}

enum err nodeinfo_get(struct req_ctx *ctx)
{
	struct fed *f = fed_of(ctx);
	struct str v = ctx->req->params[0];
	struct nodeinfo_usage u;
	bool v21 = str_eq_cstr(v, "2.1");
	json_t *doc, *sw;
	enum err rc;

	if (!f || (!v21 && !str_eq_cstr(v, "2.0")))
		return SE_RAISE(&ctx->ei, SE_NotFound);
	rc = usage(f, &u, &ctx->ei);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	sw = json_pack("{s:s, s:s}", "name", software_name(f), "version", SOL_GIT_DESC);
	/* 2.1: repository and homepage, when the build knows where it came from */
	if (sw && v21 && strncmp(SOL_GIT_ORIGIN, "http", 4) == 0 &&
	    (json_object_set_new(sw, "repository", json_string(SOL_GIT_ORIGIN)) ||
	     json_object_set_new(sw, "homepage", json_string(SOL_GIT_ORIGIN)))) {
		json_decref(sw);
		sw = NULL;
	}
	doc =
	    sw ? json_pack("{s:s, s:o, s:[s], s:{s:[], s:[]}, s:b, s:{s:{s:I, s:I, s:I}}, "
	                   "s:{s:s}}",
	                   "version", v21 ? "2.1" : "2.0", "software", sw, "protocols",
	                   "activitypub", "services", "inbound", "outbound", "openRegistrations",
	                   !f->cfg->api.invite_only, "usage", "users", "total", (json_int_t)u.total,
	                   "activeMonth", (json_int_t)u.active_month, "activeHalfyear",
	                   (json_int_t)u.active_halfyear, "metadata", "nodeName", f->host)
	       : NULL;
	return reply(ctx,
	             v21 ? "application/json; profile=\"" NI_SCHEMA "2.1#\""
	                 : "application/json; profile=\"" NI_SCHEMA "2.0#\"",
	             doc);
}
