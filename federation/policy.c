/*
 * federation/policy.c: domain blocks (collection "ap_domain_blocks") and the
 * one check every federation path makes. A host is refused when it, or any
 * parent domain of it, has a block record: a block on example.com covers
 * a.b.example.com but not badexample.com (label-wise suffix match).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistr.h>

#include <jansson.h>

#include "core/fetch.h"
#include "core/jx.h"
#include "core/mem.h"
#include "federation/policy.h"
#include "storage/record.h"

static enum err idx_all(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	(void)rec;
	(void)arg;
	return store_keys_add(out, id);
}

const struct store_index_def policy_indexes[1] = {
    {POLICY_IDX_ALL, false, idx_all, NULL},
};

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* ":port" with 1..65535; `p` points after the colon. */
static bool port_ok(struct str p)
{
	uint64_t v;

	return p.n >= 1 && p.n <= 5 && str_to_u64(p, 65535, &v) && v > 0;
}

/* An IPv6 literal (no brackets) into `out`, lowercased; false if it is not one. */
static bool ipv6_literal(struct str s, char *out)
{
	char tmp[INET6_ADDRSTRLEN + 1];
	struct in6_addr a;

	if (s.n == 0 || s.n >= sizeof(tmp))
		return false;
	for (size_t i = 0; i < s.n; i++)
		tmp[i] = lower(s.p[i]);
	tmp[s.n] = '\0';
	if (inet_pton(AF_INET6, tmp, &a) != 1)
		return false;
	memcpy(out, tmp, s.n + 1);
	return true;
}

enum err policy_domain_normalise(struct str in, char *out, struct err_info *ei)
{
	struct str h = in;
	size_t label = 0;

	if (in.n == 0 || !in.p)
		return SE_RAISEF(ei, SE_INVAL, "policy: empty domain");
	if (in.n > POLICY_DOMAIN_MAX + 8)
		return SE_RAISEF(ei, SE_INVAL, "policy: domain too long");
	if (h.p[0] == '[') {
		long close = str_index(h, ']');
		struct str rest;

		if (close < 2)
			return SE_RAISEF(ei, SE_INVAL, "policy: bad IPv6 literal");
		rest = (struct str){h.p + close + 1, h.n - (size_t)close - 1};
		if (rest.n && (rest.p[0] != ':' || !port_ok((struct str){rest.p + 1, rest.n - 1})))
			return SE_RAISEF(ei, SE_INVAL, "policy: bad port");
		if (!ipv6_literal((struct str){h.p + 1, (size_t)close - 1}, out))
			return SE_RAISEF(ei, SE_INVAL, "policy: bad IPv6 literal");
		return SE_OK;
	}
	/* a bare IPv6 address (from a parsed URL) has several colons */
	if (ipv6_literal(h, out))
		return SE_OK;
	{
		long colon = str_index(h, ':');

		if (colon >= 0) {
			struct str port = {h.p + colon + 1, h.n - (size_t)colon - 1};

			if (!port_ok(port))
				return SE_RAISEF(ei, SE_INVAL, "policy: bad port");
			h.n = (size_t)colon;
		}
	}
	if (h.n && h.p[h.n - 1] == '.')
		h.n--;
	if (h.n == 0)
		return SE_RAISEF(ei, SE_INVAL, "policy: empty domain");
	if (h.n > POLICY_DOMAIN_MAX)
		return SE_RAISEF(ei, SE_INVAL, "policy: domain too long");
	for (size_t i = 0; i < h.n; i++) {
		char c = lower(h.p[i]);

		if (c == '.') {
			if (label == 0)
				return SE_RAISEF(ei, SE_INVAL, "policy: empty label in domain");
			label = 0;
		} else if (is_ldh(c)) {
			if (++label > 63)
				return SE_RAISEF(ei, SE_INVAL, "policy: label over 63 bytes");
		} else {
			return SE_RAISEF(ei, SE_INVAL, "policy: bad byte 0x%02x in domain",
			                 (unsigned char)h.p[i]);
		}
		out[i] = c;
	}
	if (label == 0)
		return SE_RAISEF(ei, SE_INVAL, "policy: empty label in domain");
	out[h.n] = '\0';
	return SE_OK;
}

/* SE_OK: blocked; SE_NOT_FOUND: not; anything else: storage trouble. */
static enum err lookup(struct store_txn *txn, const char *domain)
{
	struct str rec;

	return store_get(txn, POLICY_COLL, str_from(domain), &rec);
}

bool policy_allows_host(struct store_txn *txn, struct str host)
{
	char d[POLICY_DOMAIN_MAX + 1];
	struct in_addr a4;
	const char *p;
	enum err rc;

	if (policy_domain_normalise(host, d, NULL) != SE_OK)
		return false;
	/* address literals match exactly; names match themselves and every parent */
	if (strchr(d, ':') || inet_pton(AF_INET, d, &a4) == 1)
		return lookup(txn, d) == SE_NOT_FOUND;
	p = d;
	for (int i = 0; i < POLICY_LABELS_MAX && p; i++) {
		rc = lookup(txn, p);
		if (rc != SE_NOT_FOUND)
			return false;
		p = strchr(p, '.');
		if (p)
			p++;
	}
	return p == NULL;
}

bool policy_allows_url(struct store_txn *txn, const char *url)
{
	struct fetch_url u;

	if (fetch_url_parse(url, &u, NULL) != SE_OK)
		return false;
	return policy_allows_host(txn, str_from(u.host));
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum err policy_block_add(struct store_wtxn *w, struct str domain, struct str reason)
{
	struct err_info *ei = store_wtxn_ei(w);
	char d[POLICY_DOMAIN_MAX + 1];
	json_t *old = NULL, *rec = NULL, *why;
	char *txt = NULL;
	int64_t created = wall_ms();
	enum err rc;

	rc = policy_domain_normalise(domain, d, ei);
	if (rc)
		return rc;
	if (reason.n > POLICY_REASON_MAX)
		return SE_RAISEF(ei, SE_INVAL, "policy: reason over %d bytes", POLICY_REASON_MAX);
	for (size_t i = 0; i < reason.n; i++)
		if ((unsigned char)reason.p[i] < 0x20 && reason.p[i] != '\t')
			return SE_RAISEF(ei, SE_INVAL, "policy: control byte in reason");
	if (reason.n && u8_check((const uint8_t *)reason.p, reason.n) != NULL)
		return SE_RAISEF(ei, SE_INVAL, "policy: reason is not UTF-8");
	why = json_stringn_nocheck(reason.p ? reason.p : "", reason.n);
	if (!why)
		return SE_RAISEF(ei, SE_NOMEM, "policy: out of memory");
	/* re-adding keeps the original date and replaces the reason */
	rc = store_get_json(store_wtxn_read(w), POLICY_COLL, str_from(d), &old);
	if (rc == SE_OK) {
		json_t *c = json_object_get(old, "created");

		if (json_is_integer(c))
			created = json_integer_value(c);
	} else if (rc != SE_NOT_FOUND) {
		json_decref(why);
		goto out;
	}
	rec = json_pack("{s:s, s:s, s:o, s:I}", "domain", d, "severity", "suspend", "reason", why,
	                "created", (json_int_t)created);
	txt = rec ? jx_dump(rec) : NULL;
	if (!txt) {
		rc = SE_RAISEF(ei, SE_NOMEM, "policy: out of memory");
		goto out;
	}
	rc = store_put(w, POLICY_COLL, str_from(d), str_from(txt));
out:
	mem_free(txt);
	json_decref(rec);
	json_decref(old);
	return rc;
}

enum err policy_block_remove(struct store_wtxn *w, struct str domain)
{
	char d[POLICY_DOMAIN_MAX + 1];
	enum err rc = policy_domain_normalise(domain, d, store_wtxn_ei(w));

	if (rc)
		return rc;
	return store_delete(w, POLICY_COLL, str_from(d));
}

static void copy_field(char *dst, size_t cap, const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	snprintf(dst, cap, "%s", v ? v : "");
}

enum err policy_block_list(struct store_txn *txn, policy_list_fn *fn, void *arg)
{
	struct store_hit hits[64];
	char last[POLICY_DOMAIN_MAX + 1] = "";
	enum err rc;

	for (;;) {
		struct store_range r = {STR_NULL, STR_NULL, STR_NULL, STORE_ASC};
		size_t n = 0;

		if (last[0])
			r.after = str_from(last);
		rc = store_index_scan(txn, POLICY_COLL, POLICY_IDX_ALL, &r, hits,
		                      sizeof(hits) / sizeof(hits[0]), &n);
		if (rc)
			return rc;
		if (n == 0)
			return SE_OK;
		for (size_t i = 0; i < n; i++) {
			struct policy_block b;
			json_t *o = NULL;
			json_t *c;

			if (hits[i].id.n > POLICY_DOMAIN_MAX)
				continue;
			memcpy(last, hits[i].id.p, hits[i].id.n);
			last[hits[i].id.n] = '\0';
			rc = store_get_json(txn, POLICY_COLL, hits[i].id, &o);
			if (rc)
				return rc;
			memset(&b, 0, sizeof(b));
			snprintf(b.domain, sizeof(b.domain), "%s", last);
			copy_field(b.severity, sizeof(b.severity), o, "severity");
			copy_field(b.reason, sizeof(b.reason), o, "reason");
			c = json_object_get(o, "created");
			b.created = json_is_integer(c) ? json_integer_value(c) : 0;
			json_decref(o);
			if (!fn(&b, arg))
				return SE_OK;
		}
	}
}

bool policy_store_allows_host(struct store *s, struct str host)
{
	struct store_txn *t = NULL;
	bool ok;

	if (store_read_begin(s, &t))
		return false;
	ok = policy_allows_host(t, host);
	store_read_end(t);
	return ok;
}

bool policy_store_allows_url(struct store *s, const char *url)
{
	struct store_txn *t = NULL;
	bool ok;

	if (store_read_begin(s, &t))
		return false;
	ok = policy_allows_url(t, url);
	store_read_end(t);
	return ok;
}
