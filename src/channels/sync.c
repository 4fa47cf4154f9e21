/*
 * channels/sync.c: synced settings, channel unreads and policy
 * acknowledgements on the store (revoltchat/backend models user_settings,
 * channel_unreads; the MongoDB ops are the reference for the semantics).
 */
#include "channels/sync.h"

#include <stdio.h>
#include <string.h>

#include "core/jx.h"
#include "core/mem.h"

/* records removed per scan while dropping a channel's unreads */
#define DROP_CHUNK 128
/* index entries read per scan while listing unreads */
#define LIST_CHUNK 256

static enum err load(struct store_txn *txn, const char *coll, struct str id, json_t **out)
{
	struct str raw;
	json_t *v;
	enum err rc = store_get(txn, coll, id, &raw);

	if (rc)
		return rc;
	v = json_loadb(raw.p, raw.n, 0, NULL);
	if (!json_is_object(v)) {
		json_decref(v);
		return SE_PARSE;
	}
	*out = v;
	return SE_OK;
}

static enum err save(struct store_wtxn *w, const char *coll, struct str id, const json_t *rec,
                     size_t max)
{
	char *text = jx_dump(rec);
	enum err rc;

	if (!text)
		return SE_NOMEM;
	if (max && strlen(text) > max)
		rc = SE_TOO_LARGE;
	else
		rc = store_put(w, coll, id, str_from(text));
	mem_free(text);
	return rc;
}

/* ---- settings ---- */

enum err sync_settings_fetch(struct store_txn *txn, struct str user, const json_t *keys,
                             json_t **out)
{
	json_t *rec = NULL, *res, *k;
	size_t i;
	enum err rc;

	if (!json_is_array(keys))
		return SE_PARSE;
	if (json_array_size(keys) > SYNC_SETTINGS_KEYS_MAX)
		return SE_FULL;
	json_array_foreach(keys, i, k)
	{
		if (!json_is_string(k))
			return SE_PARSE;
	}
	rc = load(txn, SYNC_SETTINGS_COLL, user, &rec);
	if (rc && rc != SE_NOT_FOUND)
		return rc;
	res = json_object();
	if (!res) {
		json_decref(rec);
		return SE_NOMEM;
	}
	json_array_foreach(keys, i, k)
	{
		json_t *e = rec ? json_object_get(rec, json_string_value(k)) : NULL;

		if (e && json_object_set(res, json_string_value(k), e)) {
			json_decref(res);
			json_decref(rec);
			return SE_NOMEM;
		}
	}
	json_decref(rec);
	*out = res;
	return SE_OK;
}

static bool key_ok(const char *key)
{
	size_t n = strlen(key);

	return n > 0 && n <= SYNC_SETTING_KEY_MAX;
}

enum err sync_settings_set(struct store_wtxn *w, struct str user, const json_t *values, int64_t ts,
                           json_t **applied)
{
	json_t *rec = NULL, *done = NULL, *v;
	const char *key;
	enum err rc;

	if (!json_is_object(values))
		return SE_PARSE;
	json_object_foreach((json_t *)values, key, v)
	{
		if (!json_is_string(v) || !key_ok(key))
			return SE_PARSE;
	}
	rc = load(store_wtxn_read(w), SYNC_SETTINGS_COLL, user, &rec);
	if (rc == SE_NOT_FOUND)
		rec = json_object();
	else if (rc)
		return rc;
	done = json_object();
	if (!rec || !done) {
		rc = SE_NOMEM;
		goto out;
	}
	json_object_foreach((json_t *)values, key, v)
	{
		json_t *old = json_object_get(rec, key), *e;

		if (json_is_array(old) && json_integer_value(json_array_get(old, 0)) > ts)
			continue;
		e = json_array();
		if (!e || json_array_append_new(e, json_integer(ts)) ||
		    json_array_append_new(
		        e, json_stringn(json_string_value(v), json_string_length(v))) ||
		    json_object_set(rec, key, e) || json_object_set_new(done, key, e)) {
			json_decref(e);
			rc = SE_NOMEM;
			goto out;
		}
	}
	if (json_object_size(rec) > SYNC_SETTINGS_KEYS_MAX) {
		rc = SE_FULL;
		goto out;
	}
	if (json_object_size(done) > 0)
		rc = save(w, SYNC_SETTINGS_COLL, user, rec, SYNC_SETTINGS_BYTES_MAX);
out:
	json_decref(rec);
	if (rc)
		json_decref(done);
	else
		*applied = done;
	return rc;
}

/* ---- unreads ---- */

enum err sync_unread_key(struct str channel, struct str user, char out[64], size_t *len)
{
	int n;

	if (channel.n == 0 || user.n == 0 || channel.n > 31 || user.n > 31 ||
	    memchr(channel.p, '/', channel.n) || memchr(user.p, '/', user.n))
		return SE_INVAL;
	n = snprintf(out, 64, "%.*s/%.*s", (int)channel.n, channel.p, (int)user.n, user.p);
	*len = (size_t)n;
	return SE_OK;
}

/* "<channel>/<user>" → "<user>/<channel>" */
static enum err x_user(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	struct str rest = id, channel = str_cut(&rest, '/');
	char key[80];
	int n;

	(void)rec;
	(void)arg;
	if (!rest.p || rest.n == 0 || rest.n > 31 || channel.n > 31)
		return SE_PARSE;
	n = snprintf(key, sizeof(key), "%.*s/%.*s", (int)rest.n, rest.p, (int)channel.n, channel.p);
	return store_keys_add(out, (struct str){key, (size_t)n});
}

static enum err x_channel(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	(void)rec;
	(void)arg;
	return store_keys_add(out, id);
}

const struct store_index_def sync_unread_idx[2] = {
    {SYNC_UNREADS_IDX_USER, false, x_user, NULL},
    {SYNC_UNREADS_IDX_CHANNEL, false, x_channel, NULL},
};

/* The record of (channel, user), or a new one without last_id/mentions. */
static enum err unread_get(struct store_wtxn *w, struct str channel, struct str user, char id[64],
                           size_t *idn, json_t **out)
{
	enum err rc = sync_unread_key(channel, user, id, idn);

	if (rc)
		return rc;
	rc = load(store_wtxn_read(w), SYNC_UNREADS_COLL, (struct str){id, *idn}, out);
	if (rc != SE_NOT_FOUND)
		return rc;
	*out = json_pack("{s:{s:s%,s:s%}}", "_id", "channel", channel.p, channel.n, "user", user.p,
	                 user.n);
	return *out ? SE_OK : SE_NOMEM;
}

static bool id_le(const json_t *v, struct str bound)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	int c;

	if (!s)
		return true;
	c = memcmp(s, bound.p, n < bound.n ? n : bound.n);
	return c < 0 || (c == 0 && n <= bound.n);
}

enum err sync_unread_ack(struct store_wtxn *w, struct str channel, struct str user,
                         struct str message_id, json_t **out)
{
	json_t *rec = NULL, *mentions, *keep = NULL, *m;
	char id[64];
	size_t idn, i;
	enum err rc;

	if (message_id.n == 0 || message_id.n > 64)
		return SE_INVAL;
	rc = unread_get(w, channel, user, id, &idn, &rec);
	if (rc)
		return rc;
	if (json_object_set_new(rec, "last_id", json_stringn(message_id.p, message_id.n))) {
		rc = SE_NOMEM;
		goto out;
	}
	mentions = json_object_get(rec, "mentions");
	if (mentions) {
		keep = json_array();
		if (!keep) {
			rc = SE_NOMEM;
			goto out;
		}
		json_array_foreach(mentions, i, m)
		{
			if (!id_le(m, message_id) && json_array_append(keep, m)) {
				rc = SE_NOMEM;
				goto out;
			}
		}
		if (json_array_size(keep) ? json_object_set(rec, "mentions", keep)
		                          : json_object_del(rec, "mentions")) {
			rc = SE_NOMEM;
			goto out;
		}
	}
	rc = save(w, SYNC_UNREADS_COLL, (struct str){id, idn}, rec, 0);
out:
	json_decref(keep);
	if (!rc && out)
		*out = rec;
	else
		json_decref(rec);
	return rc;
}

enum err sync_unread_mention(struct store_wtxn *w, struct str channel, struct str user,
                             struct str message_id)
{
	json_t *rec = NULL, *mentions;
	char id[64];
	size_t idn;
	enum err rc;

	if (message_id.n == 0 || message_id.n > 64)
		return SE_INVAL;
	rc = unread_get(w, channel, user, id, &idn, &rec);
	if (rc)
		return rc;
	mentions = json_object_get(rec, "mentions");
	if (!json_is_array(mentions)) {
		mentions = json_array();
		if (!mentions || json_object_set_new(rec, "mentions", mentions)) {
			rc = SE_NOMEM;
			goto out;
		}
	}
	if (json_array_append_new(mentions, json_stringn(message_id.p, message_id.n))) {
		rc = SE_NOMEM;
		goto out;
	}
	while (json_array_size(mentions) > SYNC_MENTIONS_MAX)
		json_array_remove(mentions, 0);
	rc = save(w, SYNC_UNREADS_COLL, (struct str){id, idn}, rec, 0);
out:
	json_decref(rec);
	return rc;
}

enum err sync_unreads_list(struct store_txn *txn, struct str user, json_t **out)
{
	struct store_hit *hits = NULL;
	char prefix[40];
	struct store_range r = {STR_NULL, STR_NULL, STR_NULL, STORE_ASC};
	json_t *res = NULL;
	size_t n = 0, total = 0;
	enum err rc = SE_OK;
	int pn;

	if (user.n == 0 || user.n > 31)
		return SE_INVAL;
	pn = snprintf(prefix, sizeof(prefix), "%.*s/", (int)user.n, user.p);
	r.prefix = (struct str){prefix, (size_t)pn};
	hits = mem_try_alloc(LIST_CHUNK * sizeof(*hits));
	res = json_array();
	if (!hits || !res) {
		rc = SE_NOMEM;
		goto out;
	}
	do {
		rc = store_index_scan(txn, SYNC_UNREADS_COLL, SYNC_UNREADS_IDX_USER, &r, hits,
		                      LIST_CHUNK, &n);
		for (size_t i = 0; !rc && i < n && total < SYNC_UNREADS_MAX; i++, total++) {
			json_t *rec = NULL;

			rc = load(txn, SYNC_UNREADS_COLL, hits[i].id, &rec);
			if (rc == SE_NOT_FOUND) {
				rc = SE_OK;
				continue;
			}
			if (!rc && json_array_append_new(res, rec))
				rc = SE_NOMEM;
		}
		if (n > 0)
			r.after = (struct str){hits[n - 1].key.p + r.prefix.n,
			                       hits[n - 1].key.n - r.prefix.n};
	} while (!rc && n == LIST_CHUNK && total < SYNC_UNREADS_MAX);
out:
	mem_free(hits);
	if (rc)
		json_decref(res);
	else
		*out = res;
	return rc;
}

enum err sync_unreads_drop_channel(struct store_wtxn *w, struct str channel)
{
	struct store_hit hits[DROP_CHUNK];
	char prefix[40], ids[DROP_CHUNK][64];
	size_t lens[DROP_CHUNK];
	struct store_range r = {STR_NULL, STR_NULL, STR_NULL, STORE_ASC};
	size_t n;
	enum err rc;
	int pn;

	if (channel.n == 0 || channel.n > 31)
		return SE_INVAL;
	pn = snprintf(prefix, sizeof(prefix), "%.*s/", (int)channel.n, channel.p);
	r.prefix = (struct str){prefix, (size_t)pn};
	/* each round deletes what it found, so the next scan starts afresh;
	 * SYNC_UNREADS_MAX rounds bound it far above any channel's audience */
	for (size_t round = 0; round < SYNC_UNREADS_MAX; round++) {
		rc = store_index_scan(store_wtxn_read(w), SYNC_UNREADS_COLL,
		                      SYNC_UNREADS_IDX_CHANNEL, &r, hits, DROP_CHUNK, &n);
		if (rc || n == 0)
			return rc;
		/* scan results are borrowed until the next change: copy first */
		for (size_t i = 0; i < n; i++) {
			lens[i] = hits[i].id.n < 64 ? hits[i].id.n : 63;
			memcpy(ids[i], hits[i].id.p, lens[i]);
		}
		for (size_t i = 0; i < n; i++) {
			rc = store_delete(w, SYNC_UNREADS_COLL, (struct str){ids[i], lens[i]});
			if (rc && rc != SE_NOT_FOUND)
				return rc;
		}
	}
	return SE_FULL;
}

/* ---- policy ---- */

enum err sync_policy_ack(struct store_wtxn *w, struct str user, int64_t now_ms)
{
	json_t *rec =
	    json_pack("{s:s%,s:I}", "_id", user.p, user.n, "acknowledged_at", (json_int_t)now_ms);
	enum err rc;

	if (!rec)
		return SE_NOMEM;
	rc = save(w, SYNC_POLICY_COLL, user, rec, 0);
	json_decref(rec);
	return rc;
}
