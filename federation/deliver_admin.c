/*
 * federation/deliver_admin.c: the delivery admin API (JSON, a session of a
 * privileged user) — recent activities with per-state counts, per-inbox
 * status of one activity, per-host state and its reset — and the --dev
 * route POST /_dev/federation/deliver that enqueues an arbitrary activity.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "app.h"
#include "core/jx.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "federation/deliver.h"
#include "federation/deliver_int.h"
#include "federation/admin.h"
#include "federation/fed.h"
#include "federation/hosts.h"
#include "federation/objmap.h"
#include "http/http.h"
#include "http/router.h"

/* activities / hosts per page */
#define PAGE_DEFAULT 20
#define PAGE_MAX 100
/* inboxes per page of one activity */
#define INBOX_PAGE_DEFAULT 100
#define INBOX_PAGE_MAX 1000
/* status records read per scan step */
#define STEP 256

static struct fed *fed_of(struct req_ctx *ctx)
{
	return ((struct app *)ctx->app)->fed;
}

static enum err reply(struct req_ctx *ctx, int status, json_t *v)
{
	char *text = v ? jx_dump(v) : NULL;
	enum err rc = SE_OK;

	if (!text)
		rc = SE_RAISE(&ctx->ei, SE_NOMEM);
	else
		http_resp_set(ctx->resp, status, "application/json", str_from(text));
	mem_free(text);
	json_decref(v);
	return rc;
}

static size_t page_size(struct req_ctx *ctx, size_t def, size_t max)
{
	struct str v = http_req_query(ctx->req, "limit");
	uint64_t n;

	if (!v.p || !str_to_u64(v, max, &n) || n == 0)
		return v.p && str_to_u64(v, UINT64_MAX, &n) && n > max ? max : def;
	return (size_t)n;
}

/* ---- status records of one activity ---- */

struct counts {
	size_t queued, delivered, failed, skipped, blocked;
};

static void count_state(struct counts *c, const char *s)
{
	if (!s)
		return;
	if (strcmp(s, FDEL_ST_QUEUED) == 0)
		c->queued++;
	else if (strcmp(s, FDEL_ST_DELIVERED) == 0)
		c->delivered++;
	else if (strcmp(s, FDEL_ST_FAILED) == 0)
		c->failed++;
	else if (strcmp(s, FDEL_ST_SKIPPED) == 0)
		c->skipped++;
	else if (strcmp(s, FDEL_ST_BLOCKED) == 0)
		c->blocked++;
}

/*
 * Walks the status records of `key` after `after` (STR_NULL: from the
 * start): all of them into `c` (may be NULL), the first `cap` into `list`
 * (may be NULL). `*last` gets the id of the last listed record.
 */
static enum err walk(struct store_txn *t, const char *key, struct str after, struct counts *c,
                     json_t *list, size_t cap, char last[FDEL_DID_MAX])
{
	char pre[ULID_LEN + 2];
	struct store_hit hits[STEP];
	struct store_range rg;
	char cursor[FDEL_DID_MAX];
	size_t n, listed = 0, seen = 0;
	enum err rc;

	snprintf(pre, sizeof(pre), "%s.", key);
	rg = (struct store_range){{pre, ULID_LEN + 1}, STR_NULL, STR_NULL, STORE_ASC};
	if (after.n > ULID_LEN + 1 && after.n < FDEL_DID_MAX &&
	    str_has_prefix(after, str_from(pre)))
		rg.after = (struct str){after.p + ULID_LEN + 1, after.n - ULID_LEN - 1};
	do {
		rc =
		    store_index_scan(t, FDEL_STATUS_COLL, FDEL_STATUS_IDX_ACT, &rg, hits, STEP, &n);
		if (rc)
			return rc;
		for (size_t i = 0; i < n; i++) {
			json_t *o = NULL;
			struct str rec;

			if (store_get(t, FDEL_STATUS_COLL, hits[i].id, &rec) ||
			    jx_parse_object(rec, 64 * 1024, &o, NULL))
				continue;
			if (c)
				count_state(c, json_string_value(json_object_get(o, "state")));
			if (list && listed < cap) {
				json_object_del(o, "act");
				json_object_set_new(o, "id",
				                    json_stringn(hits[i].id.p, hits[i].id.n));
				json_array_append(list, o);
				listed++;
				snprintf(last, FDEL_DID_MAX, "%.*s", (int)hits[i].id.n,
				         hits[i].id.p);
			}
			json_decref(o);
		}
		seen += n;
		if (n) {
			struct str k = hits[n - 1].key;

			snprintf(cursor, sizeof(cursor), "%.*s", (int)(k.n - ULID_LEN - 1),
			         k.p + ULID_LEN + 1);
			rg.after = str_from(cursor);
		}
		if (!c && listed >= cap)
			break;
	} while (n == STEP && seen < FDEL_INBOXES_MAX);
	return SE_OK;
}

static json_t *counts_json(const struct counts *c)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I}", "queued", (json_int_t)c->queued, "delivered",
	                 (json_int_t)c->delivered, "failed", (json_int_t)c->failed, "skipped",
	                 (json_int_t)c->skipped, "blocked", (json_int_t)c->blocked);
}

/* The summary of activity `key` (record `rec`) with its counts; NULL on errors. */
static json_t *activity_json(struct store_txn *t, struct str key, struct str rec)
{
	json_t *o = NULL, *out = NULL;
	struct counts c = {0};
	char k[ULID_LEN + 1];

	if (key.n != ULID_LEN || jx_parse_object(rec, FDEL_BODY_MAX * 2 + 8192, &o, NULL))
		return NULL;
	memcpy(k, key.p, ULID_LEN);
	k[ULID_LEN] = '\0';
	if (!walk(t, k, STR_NULL, &c, NULL, 0, NULL))
		out = json_pack("{s:s, s:O, s:O, s:O, s:O, s:o}", "key", k, "id",
		                json_object_get(o, "id"), "signer", json_object_get(o, "signer"),
		                "created", json_object_get(o, "created"), "inboxes",
		                json_object_get(o, "inboxes"), "counts", counts_json(&c));
	json_decref(o);
	return out;
}

/* ---- routes ---- */

static enum err detail(struct req_ctx *ctx, struct store_txn *t, struct str key);
static enum err by_apid(struct req_ctx *ctx, struct store_txn *t, struct str apid);

static enum err list_deliveries(struct req_ctx *ctx)
{
	struct str after = http_req_query(ctx->req, "after"), apid = http_req_query(ctx->req, "id");
	size_t cap = page_size(ctx, PAGE_DEFAULT, PAGE_MAX), n = 0;
	struct store_hit hits[PAGE_MAX];
	struct store_txn *t = NULL;
	struct store_range rg = {STR_NULL, STR_NULL, STR_NULL, STORE_DESC};
	json_t *list = NULL, *next = json_null();
	enum err rc;

	rc = fadmin_require(ctx);
	if (rc)
		return rc;
	rc = store_read_begin(fed_of(ctx)->store, &t);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	if (apid.p) {
		/* ?id=<activity id>: the newest delivery of that activity */
		rc = by_apid(ctx, t, apid);
		goto out;
	}
	if (after.p) {
		if (!ulid_is_valid(after)) {
			rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "'after' must be a ULID");
			goto out;
		}
		rg.before = after;
	}
	rc = store_index_scan(t, FDEL_ACT_COLL, FDEL_ACT_IDX_ALL, &rg, hits, cap, &n);
	if (rc)
		goto out;
	list = json_array();
	for (size_t i = 0; list && i < n; i++) {
		struct str rec;
		json_t *a;

		if (store_get(t, FDEL_ACT_COLL, hits[i].id, &rec))
			continue;
		a = activity_json(t, hits[i].id, rec);
		if (a)
			json_array_append_new(list, a);
	}
	if (n == cap)
		next = json_stringn(hits[n - 1].id.p, hits[n - 1].id.n);
	rc = reply(ctx, 200,
	           json_pack("{s:o, s:o}", "activities", list ? list : json_array(), "next", next));
	list = next = NULL;
out:
	store_read_end(t);
	json_decref(list);
	json_decref(next);
	return rc;
}

static enum err detail(struct req_ctx *ctx, struct store_txn *t, struct str key)
{
	struct str after = http_req_query(ctx->req, "after");
	size_t cap = page_size(ctx, INBOX_PAGE_DEFAULT, INBOX_PAGE_MAX);
	char k[ULID_LEN + 1], last[FDEL_DID_MAX] = "";
	json_t *a, *list = json_array();
	struct str rec;
	enum err rc;

	if (!list)
		return SE_RAISE(&ctx->ei, SE_NOMEM);
	rc = store_get(t, FDEL_ACT_COLL, key, &rec);
	if (rc) {
		json_decref(list);
		return SE_RAISE(&ctx->ei, rc == SE_NOT_FOUND ? SE_NotFound : rc);
	}
	a = activity_json(t, key, rec);
	memcpy(k, key.p, ULID_LEN);
	k[ULID_LEN] = '\0';
	if (!a || walk(t, k, after, NULL, list, cap, last)) {
		json_decref(a);
		json_decref(list);
		return SE_RAISE(&ctx->ei, SE_NOMEM);
	}
	json_object_set_new(a, "next",
	                    json_array_size(list) == cap ? json_string(last) : json_null());
	json_object_set_new(a, "deliveries", list);
	return reply(ctx, 200, a);
}

/* The newest delivery of activity id `apid`. */
static enum err by_apid(struct req_ctx *ctx, struct store_txn *t, struct str apid)
{
	char hex[FMAP_HEX_LEN];
	struct str ids[PAGE_MAX];
	size_t n = 0;
	bool more = false;
	enum err rc;

	fmap_id_hex(apid, hex);
	rc = store_index_find(t, FDEL_ACT_COLL, FDEL_ACT_IDX_APID,
	                      (struct str){hex, FMAP_HEX_LEN - 1}, ids, PAGE_MAX, &n, &more);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	if (n == 0)
		return SE_RAISE(&ctx->ei, SE_NotFound);
	return detail(ctx, t, ids[n - 1]);
}

static enum err get_delivery(struct req_ctx *ctx)
{
	struct str p = ctx->req->params[0];
	struct store_txn *t = NULL;
	enum err rc;

	rc = fadmin_require(ctx);
	if (rc)
		return rc;
	rc = store_read_begin(fed_of(ctx)->store, &t);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	/* a delivery key, else an (url-encoded) activity id */
	if (ulid_is_valid(p))
		rc = detail(ctx, t, p);
	else
		rc = by_apid(ctx, t, p);
	store_read_end(t);
	return rc;
}

struct hosts_arg {
	struct fed *f;
	json_t *list;
};

static json_t *host_json(struct fed *f, const struct fhost_rec *r)
{
	json_t *days = json_array(), *o;
	struct fhost_mem m = {0};
	const char *scheme = fhost_scheme_name(r->scheme);
	const char *bstate = "closed";
	int64_t now = fdel_now_ms();

	for (unsigned i = 0; days && i < r->n_days; i++) {
		time_t s = (time_t)r->days[i] * 86400;
		struct tm tm;
		char d[16];

		gmtime_r(&s, &tm);
		strftime(d, sizeof(d), "%Y-%m-%d", &tm);
		json_array_append_new(days, json_string(d));
	}
	if (f->del)
		fhosts_get(f->del->hosts, r->host, &m);
	if (m.breaker.open_until)
		bstate = m.breaker.probing            ? "half-open"
		         : now < m.breaker.open_until ? "open"
		                                      : "half-open";
	o = json_pack("{s:s, s:o, s:b, s:o, s:I, s:{s:s, s:i, s:I}}", "host", r->host,
	              "failing_days", days ? days : json_array(), "unavailable", r->unavailable,
	              "scheme", scheme ? json_string(scheme) : json_null(), "inflight",
	              (json_int_t)m.inflight, "breaker", "state", bstate, "failures",
	              (int)m.breaker.fails, "open_until", (json_int_t)m.breaker.open_until);
	if (o)
		json_object_set_new(o, "unavailable_since",
		                    r->unavailable ? json_integer(r->unavailable_since)
		                                   : json_null());
	return o;
}

static enum err list_hosts(struct req_ctx *ctx)
{
	struct str after = http_req_query(ctx->req, "after");
	size_t cap = page_size(ctx, PAGE_DEFAULT, PAGE_MAX), n = 0;
	struct store_hit hits[PAGE_MAX];
	struct store_range rg = {STR_NULL, after, STR_NULL, STORE_ASC};
	struct store_txn *t = NULL;
	json_t *list;
	enum err rc;

	rc = fadmin_require(ctx);
	if (rc)
		return rc;
	if (after.n >= FHOST_HOST_MAX)
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "'after' too long");
	rc = store_read_begin(fed_of(ctx)->store, &t);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = store_index_scan(t, FHOST_COLL, FHOST_IDX_ALL, &rg, hits, cap, &n);
	list = json_array();
	for (size_t i = 0; !rc && list && i < n; i++) {
		struct fhost_rec r;
		json_t *h;

		if (fhost_load(t, hits[i].id, 0, &r))
			continue;
		h = host_json(fed_of(ctx), &r);
		if (h)
			json_array_append_new(list, h);
	}
	if (!rc && list) {
		json_t *next =
		    n == cap ? json_stringn(hits[n - 1].id.p, hits[n - 1].id.n) : json_null();

		store_read_end(t);
		t = NULL;
		rc = reply(ctx, 200, json_pack("{s:o, s:o}", "hosts", list, "next", next));
		list = NULL;
	} else if (!rc) {
		rc = SE_RAISE(&ctx->ei, SE_NOMEM);
	}
	store_read_end(t);
	json_decref(list);
	return rc ? SE_RAISE(&ctx->ei, rc) : rc;
}

struct reset_arg {
	struct str host;
	struct fhost_rec r;
};

static enum err reset_cb(struct store_wtxn *w, void *arg)
{
	struct reset_arg *a = arg;
	enum err rc;

	rc = fhost_load(store_wtxn_read(w), a->host, fdel_now_ms(), &a->r);
	if (rc == SE_NOT_FOUND)
		return SE_NotFound;
	if (rc && rc != SE_PARSE)
		return rc;
	fhost_rec_cleared(&a->r);
	a->r.scheme = FHOST_SCHEME_UNKNOWN;
	return fhost_save(w, &a->r);
}

static enum err reset_host(struct req_ctx *ctx)
{
	struct reset_arg a;
	char host[FHOST_HOST_MAX];
	enum err rc;

	memset(&a, 0, sizeof(a));
	a.host = ctx->req->params[0];
	rc = fadmin_require(ctx);
	if (rc)
		return rc;
	if (a.host.n == 0 || a.host.n >= sizeof(host))
		return SE_RAISE(&ctx->ei, SE_NotFound);
	for (size_t i = 0; i < a.host.n; i++)
		host[i] = (char)(a.host.p[i] >= 'A' && a.host.p[i] <= 'Z' ? a.host.p[i] + 32
		                                                          : a.host.p[i]);
	host[a.host.n] = '\0';
	a.host = (struct str){host, a.host.n};
	rc = store_write(fed_of(ctx)->store, reset_cb, &a, &ctx->ei);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	if (fed_of(ctx)->del)
		fhosts_reset(fed_of(ctx)->del->hosts, host);
	return reply(ctx, 200, host_json(fed_of(ctx), &a.r));
}

/* ---- dev ---- */

static enum err dev_deliver(struct req_ctx *ctx)
{
	struct fed *f = fed_of(ctx);
	json_t *body = NULL;
	const json_t *act, *inb, *v;
	struct str signer, id, text;
	struct str *inboxes = NULL;
	char *dumped = NULL, key[ULID_LEN + 1] = "";
	size_t i, n;
	enum err rc;

	if (!f)
		return SE_RAISEF(&ctx->ei, SE_FeatureDisabled, "federation");
	rc = jx_parse_object(buf_str(&ctx->req->body), FDEL_BODY_MAX + 4 * 1024 * 1024, &body,
	                     &ctx->ei);
	if (rc)
		goto out;
	act = json_object_get(body, "activity");
	inb = json_object_get(body, "inboxes");
	rc = jx_get_str(body, "signer", &signer, &ctx->ei);
	if (rc || !json_is_array(inb) || !(json_is_object(act) || json_is_string(act))) {
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation,
		               "need 'activity' (object or JSON text), 'signer', 'inboxes'");
		goto out;
	}
	if (json_is_string(act)) {
		json_t *parsed = NULL;

		text = (struct str){json_string_value(act), json_string_length(act)};
		rc = jx_parse_object(text, FDEL_BODY_MAX, &parsed, &ctx->ei);
		if (rc)
			goto out;
		v = json_object_get(parsed, "id");
		id = json_is_string(v) ? str_from(json_string_value(v)) : STR_NULL;
		dumped = id.n ? mem_try_alloc(id.n + 1) : NULL;
		if (dumped)
			memcpy(dumped, id.p, id.n + 1);
		json_decref(parsed);
		id = str_from(dumped);
	} else {
		v = json_object_get(act, "id");
		id = json_is_string(v) ? str_from(json_string_value(v)) : STR_NULL;
		dumped = jx_dump(act);
		text = str_from(dumped);
	}
	if (!dumped || id.n == 0) {
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "'activity' needs an 'id'");
		goto out;
	}
	n = json_array_size(inb);
	inboxes = mem_try_alloc((n ? n : 1) * sizeof(*inboxes));
	if (!inboxes) {
		rc = SE_RAISE(&ctx->ei, SE_NOMEM);
		goto out;
	}
	json_array_foreach(inb, i, v)
	{
		if (!json_is_string(v)) {
			rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "'inboxes' holds strings");
			goto out;
		}
		inboxes[i] = (struct str){json_string_value(v), json_string_length(v)};
	}
	{
		struct str act_text = text;

		if (json_is_string(act)) {
			act_text = (struct str){json_string_value(act), json_string_length(act)};
		}
		rc = fdel_enqueue_one_key(f, act_text, id, signer, inboxes, n, key, &ctx->ei);
	}
	if (rc) {
		if (rc == SE_INVAL || rc == SE_TOO_LARGE)
			rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "%s", ctx->ei.detail);
		goto out;
	}
	rc = reply(ctx, 200, json_pack("{s:s}", "key", key));
out:
	mem_free(inboxes);
	mem_free(dumped);
	json_decref(body);
	return rc;
}

/* clang-format off */
static const struct route routes[] = {
    {HTTP_GET, "/admin/api/federation/deliveries", list_deliveries, API_SESSION},
    {HTTP_GET, "/admin/api/federation/deliveries/{activity}", get_delivery, API_SESSION},
    {HTTP_GET, "/admin/api/federation/hosts", list_hosts, API_SESSION},
    {HTTP_POST, "/admin/api/federation/hosts/{host}/reset", reset_host, API_SESSION},
    {HTTP_POST, "/_dev/federation/deliver", dev_deliver, API_DEV_ONLY},
};
/* clang-format on */

const struct route *api_fed_admin_table(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
