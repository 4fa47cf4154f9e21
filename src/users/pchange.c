/*
 * users/pchange.c: platform policy changes and which of them a user has not
 * acknowledged yet (Revolt: crates/bonfire generate_ready_payload keeps the
 * changes whose created_time is after user.last_acknowledged_policy_change).
 */
#include "users/pchange.h"

#include <string.h>

#include "auth/records.h"
#include "channels/sync.h"
#include "core/jx.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "storage/record.h"

/* one key for every record: the index lists them all, by id (time order) */
#define KEY_PREFIX "pc:"

static enum err extract_all(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	char k[sizeof(KEY_PREFIX) + STORE_KEY_MAX];
	int n;

	(void)rec;
	(void)arg;
	n = snprintf(k, sizeof(k), KEY_PREFIX "%.*s", (int)id.n, id.p);
	if (n < 0 || (size_t)n >= sizeof(k))
		return SE_TOO_LARGE;
	return store_keys_add(out, (struct str){k, (size_t)n});
}

const struct store_index_def pchange_idx[1] = {
    {PCHANGE_IDX_ALL, false, extract_all, NULL},
};

/* Non-empty, at most max bytes, no control bytes. */
static bool text_ok(struct str s, size_t max)
{
	if (s.n == 0 || s.n > max)
		return false;
	for (size_t i = 0; i < s.n; i++)
		if ((unsigned char)s.p[i] < 0x20 || s.p[i] == 0x7f)
			return false;
	return true;
}

enum err pchange_add(struct store_wtxn *w, struct str description, struct str url,
                     int64_t effective_ms, int64_t now_ms, char id_out[32], struct err_info *ei)
{
	char id[ULID_LEN + 1];
	struct ulid u;
	size_t n = 0;
	json_t *rec;
	char *txt;
	enum err rc;

	if (!text_ok(description, PCHANGE_DESC_MAX))
		return SE_RAISEF(ei, SE_INVAL, "the description must be 1..%d bytes of text",
		                 PCHANGE_DESC_MAX);
	if (!text_ok(url, PCHANGE_URL_MAX) ||
	    !(str_has_prefix(url, STR_LIT("https://")) || str_has_prefix(url, STR_LIT("http://"))))
		return SE_RAISEF(ei, SE_INVAL, "the url must be an http(s) URL of at most %d bytes",
		                 PCHANGE_URL_MAX);
	rc = store_count(store_wtxn_read(w), PCHANGE_COLL, NULL, &n);
	if (rc)
		return rc;
	if (n >= PCHANGE_MAX)
		return SE_RAISEF(ei, SE_FULL, "at most %d policy changes", PCHANGE_MAX);
	rc = ulid_generate_at(NULL, (uint64_t)now_ms, &u);
	if (rc)
		return rc;
	ulid_encode(&u, id);
	rec = json_pack("{s:s,s:I,s:I,s:s%,s:s%}", "_id", id, "created", (json_int_t)now_ms,
	                "effective", (json_int_t)(effective_ms < 0 ? now_ms : effective_ms),
	                "description", description.p, description.n, "url", url.p, url.n);
	txt = rec ? jx_dump(rec) : NULL;
	json_decref(rec);
	if (!txt)
		return SE_NOMEM;
	rc = store_create(w, PCHANGE_COLL, str_from(id), str_from(txt));
	mem_free(txt);
	if (!rc)
		memcpy(id_out, id, ULID_LEN + 1);
	return rc;
}

enum err pchange_remove(struct store_wtxn *w, struct str id)
{
	return store_delete(w, PCHANGE_COLL, id);
}

enum err pchange_list(struct store_txn *txn, json_t *out)
{
	struct store_hit hits[PCHANGE_MAX];
	struct store_range r = {STR_LIT(KEY_PREFIX), STR_NULL, STR_NULL, STORE_ASC};
	size_t n = 0;
	enum err rc;

	rc = store_index_scan(txn, PCHANGE_COLL, PCHANGE_IDX_ALL, &r, hits, PCHANGE_MAX, &n);
	for (size_t i = 0; !rc && i < n; i++) {
		json_t *rec = NULL;

		rc = store_get_json(txn, PCHANGE_COLL, hits[i].id, &rec);
		if (rc == SE_NOT_FOUND) {
			rc = SE_OK;
			continue;
		}
		if (!rc)
			json_array_append_new(out, rec);
	}
	return rc;
}

/* When `user` last acknowledged, or their account's creation; -1 when unknown. */
static int64_t acknowledged_at(struct store_txn *txn, struct str user)
{
	json_t *ack = NULL;
	struct ulid u;
	int64_t at = -1;

	if (store_get_json(txn, SYNC_POLICY_COLL, user, &ack) == SE_OK) {
		json_t *v = json_object_get(ack, "acknowledged_at");

		if (json_is_integer(v))
			at = (int64_t)json_integer_value(v);
		json_decref(ack);
		if (at >= 0)
			return at;
	}
	if (ulid_parse(user, &u, NULL) == SE_OK)
		at = (int64_t)ulid_time_ms(&u);
	return at;
}

enum err pchange_pending(struct store_txn *txn, struct str user, json_t *out)
{
	json_t *all = json_array(), *rec;
	int64_t since = acknowledged_at(txn, user);
	size_t i;
	enum err rc;

	if (!all)
		return SE_NOMEM;
	rc = since < 0 ? SE_OK : pchange_list(txn, all);
	json_array_foreach(all, i, rec)
	{
		json_t *created = json_object_get(rec, "created"),
		       *eff = json_object_get(rec, "effective");
		char c_iso[32], e_iso[32];

		if (rc || !json_is_integer(created) || json_integer_value(created) <= since)
			continue;
		authrec_iso8601((int64_t)json_integer_value(created), c_iso);
		authrec_iso8601(json_is_integer(eff) ? (int64_t)json_integer_value(eff)
		                                     : (int64_t)json_integer_value(created),
		                e_iso);
		json_array_append_new(out, json_pack("{s:s,s:s,s:O,s:O}", "created_time", c_iso,
		                                     "effective_time", e_iso, "description",
		                                     json_object_get(rec, "description"), "url",
		                                     json_object_get(rec, "url")));
	}
	json_decref(all);
	return rc;
}
