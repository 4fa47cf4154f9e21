/*
 * servers/members.c: member and ban records, standing in a server, joining,
 * index walks and Revolt timestamps (revoltchat/backend server_members,
 * server_bans).
 */
#include "servers/members.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/records.h"
#include "core/mem.h"
#include "perms/perms.h"
#include "servers/server.h"

/* index entries read per scan call */
#define WALK_PAGE 64

static json_t *composite_id(struct str server_id, struct str user_id)
{
	return json_pack("{s:s%, s:s%}", "server", server_id.p, server_id.n, "user", user_id.p,
	                 user_id.n);
}

json_t *member_record_new(struct str server_id, struct str user_id, int64_t now_ms)
{
	char ts[32];

	authrec_iso8601(now_ms, ts);
	return json_pack("{s:o, s:s}", "_id", composite_id(server_id, user_id), "joined_at", ts);
}

json_t *member_ban_new(struct str server_id, struct str user_id, struct str reason)
{
	json_t *r = reason.p ? json_stringn(reason.p, reason.n) : json_null();

	return json_pack("{s:o, s:o}", "_id", composite_id(server_id, user_id), "reason", r);
}

void member_standing_of(const json_t *server, const json_t *member, const char *user_id,
                        int64_t now_ms, struct member_standing *out)
{
	struct perm_role_override roles[PERM_ROLES_MAX];
	struct perm_server_input in;

	memset(&in, 0, sizeof(in));
	perm_server_input_from_json(server, member, user_id, now_ms, roles, &in);
	out->perms = perm_server_calc(&in);
	out->owner = in.owner;
	out->member = member != NULL;
	out->rank = perm_ranking(in.owner, in.roles, in.n_roles);
}

static bool digits(const char *p, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return true;
}

enum err member_time_parse(struct str s, int64_t *ms)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, frac = 0, scale = 100;
	size_t i = 19;
	int64_t t;

	if (s.n < 20 || s.n > 40 || s.p[4] != '-' || s.p[7] != '-' ||
	    (s.p[10] != 'T' && s.p[10] != 't' && s.p[10] != ' ') || s.p[13] != ':' ||
	    s.p[16] != ':')
		return SE_PARSE;
	if (!digits(s.p, 4, &y) || !digits(s.p + 5, 2, &mo) || !digits(s.p + 8, 2, &d) ||
	    !digits(s.p + 11, 2, &h) || !digits(s.p + 14, 2, &mi) || !digits(s.p + 17, 2, &sec))
		return SE_PARSE;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return SE_PARSE;
	if (s.p[i] == '.') {
		size_t start = ++i;

		for (; i < s.n && s.p[i] >= '0' && s.p[i] <= '9'; i++) {
			frac += scale * (s.p[i] - '0');
			scale /= 10;
		}
		if (i == start)
			return SE_PARSE;
	}
	if (i < s.n && (s.p[i] == 'Z' || s.p[i] == 'z')) {
		i++;
	} else if (i + 6 == s.n && (s.p[i] == '+' || s.p[i] == '-') && s.p[i + 3] == ':' &&
	           digits(s.p + i + 1, 2, &oh) && digits(s.p + i + 4, 2, &om) && oh < 24 &&
	           om < 60) {
		if (s.p[i] == '-') {
			oh = -oh;
			om = -om;
		}
		i += 6;
	} else {
		return SE_PARSE;
	}
	if (i != s.n)
		return SE_PARSE;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = (int64_t)timegm(&tm);
	if (tm.tm_mday != d)
		return SE_PARSE; /* 31 February and the like */
	*ms = (t - (int64_t)oh * 3600 - (int64_t)om * 60) * 1000 + frac;
	return SE_OK;
}

static enum err key_of(const json_t *rec, char key[64], size_t *n)
{
	const json_t *id = json_object_get(rec, "_id");
	const char *s = json_string_value(json_object_get(id, "server"));
	const char *u = json_string_value(json_object_get(id, "user"));

	if (!s || !u)
		return SE_INVAL;
	return server_member_key(str_from(s), str_from(u), key, n);
}

enum err member_store(struct store_wtxn *w, const char *coll, const json_t *rec)
{
	char key[64], *text;
	size_t n;
	enum err rc = key_of(rec, key, &n);

	if (rc)
		return rc;
	text = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		return SE_NOMEM;
	rc = store_put(w, coll, (struct str){key, n}, str_from(text));
	mem_free(text);
	return rc;
}

enum err member_drop(struct store_wtxn *w, const char *coll, struct str server_id,
                     struct str user_id)
{
	char key[64];
	size_t n;

	if (server_member_key(server_id, user_id, key, &n))
		return SE_NOT_FOUND;
	return store_delete(w, coll, (struct str){key, n});
}

enum err member_walk(struct store_txn *txn, const char *coll, const char *index, struct str prefix,
                     size_t max, member_each_fn *fn, void *arg)
{
	struct store_hit hits[WALK_PAGE];
	char pfx[64], after[STORE_KEY_MAX];
	struct store_range r;
	size_t seen = 0, n;
	enum err rc;
	int pn;

	if (prefix.n == 0 || prefix.n > 40)
		return SE_OK;
	pn = snprintf(pfx, sizeof(pfx), "%.*s/", (int)prefix.n, prefix.p);
	r = (struct store_range){{pfx, (size_t)pn}, STR_NULL, STR_NULL, STORE_ASC};
	for (;;) {
		rc = store_index_scan(txn, coll, index, &r, hits, WALK_PAGE, &n);
		if (rc)
			return rc;
		for (size_t i = 0; i < n; i++) {
			if (seen++ == max)
				return SE_FULL;
			rc = fn(hits[i].id, arg);
			if (rc)
				return rc;
		}
		if (n < WALK_PAGE)
			return SE_OK;
		/* the next page starts after the last key's part past the prefix */
		r.after.n = hits[n - 1].key.n - (size_t)pn;
		memcpy(after, hits[n - 1].key.p + pn, r.after.n);
		r.after.p = after;
	}
}

static enum err count_one(struct str id, void *arg)
{
	(void)id;
	(*(size_t *)arg)++;
	return SE_OK;
}

enum err member_count(struct store_txn *txn, const char *coll, const char *index, struct str prefix,
                      size_t max, size_t *n)
{
	size_t c = 0;
	enum err rc = member_walk(txn, coll, index, prefix, max, count_one, &c);

	if (rc == SE_FULL) {
		c = max + 1;
		rc = SE_OK;
	}
	if (!rc)
		*n = c;
	return rc;
}

enum err member_join(struct store_wtxn *w, const json_t *server, struct str user_id, int64_t now_ms,
                     json_t **member)
{
	struct store_txn *txn = store_wtxn_read(w);
	const char *sid = json_string_value(json_object_get(server, "_id"));
	char key[64];
	struct str rec;
	size_t n, count = 0;
	json_t *m;
	enum err rc;

	if (!sid || server_member_key(str_from(sid), user_id, key, &n))
		return SE_INVAL;
	rc = store_get(txn, BAN_COLL, (struct str){key, n}, &rec);
	if (rc != SE_NOT_FOUND)
		return rc ? rc : SE_Banned;
	rc = store_get(txn, MEMBER_COLL, (struct str){key, n}, &rec);
	if (rc != SE_NOT_FOUND)
		return rc ? rc : SE_AlreadyInServer;
	rc = member_count(txn, MEMBER_COLL, MEMBER_IDX_USER, user_id, MEMBER_SERVERS_MAX, &count);
	if (rc)
		return rc;
	/* Revolt refuses once the count exceeds the limit (can_acquire_server) */
	if (count > MEMBER_SERVERS_MAX) {
		store_wtxn_ei(w)->max = MEMBER_SERVERS_MAX;
		return SE_TooManyServers;
	}
	m = member_record_new(str_from(sid), user_id, now_ms);
	if (!m)
		return SE_NOMEM;
	rc = member_store(w, MEMBER_COLL, m);
	if (rc) {
		json_decref(m);
		return rc;
	}
	*member = m;
	return SE_OK;
}

json_t *member_user_view(const json_t *user, const char *viewer_id, const json_t *viewer,
                         bool online)
{
	const char *id = json_string_value(json_object_get(user, "_id"));
	const char *rel = "None";
	json_t *v = json_deep_copy(user), *r;
	size_t i;

	if (!v)
		return NULL;
	json_object_del(v, "relations");
	if (id && viewer_id && strcmp(id, viewer_id) == 0) {
		rel = "User";
	} else if (id) {
		json_array_foreach(json_object_get(viewer, "relations"), i, r)
		{
			const char *rid = json_string_value(json_object_get(r, "_id"));
			const char *st = json_string_value(json_object_get(r, "status"));

			if (rid && st && strcmp(rid, id) == 0) {
				rel = st;
				break;
			}
		}
	}
	json_object_set_new(v, "relationship", json_string(rel));
	json_object_set_new(v, "online", json_boolean(online));
	return v;
}
