/*
 * federation/objmap.c: the "ap_ids" collection, AP id -> (kind, local id),
 * keyed by hex SHA-256 of the AP id, with a (kind, local) -> id index for
 * the reverse direction (docs/internals/federation-inbox.md).
 */
#include "federation/objmap.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/crypto.h"
#include "core/mem.h"
#include "storage/record.h"

#define IDX_LOCAL "local"

static bool kind_ok(const char *kind)
{
	size_t n = kind ? strlen(kind) : 0;

	if (n == 0 || n >= FMAP_KIND_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(kind[i] >= 'a' && kind[i] <= 'z'))
			return false;
	return true;
}

/* "<kind>:<local>" */
static enum err local_key(struct str kind, struct str local, struct store_key *k)
{
	if (kind.n + 1 + local.n > STORE_KEY_MAX || kind.n == 0 || local.n == 0)
		return SE_TOO_LARGE;
	memcpy(k->b, kind.p, kind.n);
	k->b[kind.n] = ':';
	memcpy(k->b + kind.n + 1, local.p, local.n);
	k->n = kind.n + 1 + local.n;
	return SE_OK;
}

static enum err x_local(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	json_t *o = json_loadb(rec.p, rec.n, 0, NULL);
	const json_t *kind, *local;
	struct store_key k;
	enum err rc = SE_OK;

	(void)id;
	(void)arg;
	if (!o)
		return SE_PARSE;
	kind = json_object_get(o, "kind");
	local = json_object_get(o, "local");
	if (json_is_string(kind) && json_is_string(local)) {
		rc = local_key((struct str){json_string_value(kind), json_string_length(kind)},
		               (struct str){json_string_value(local), json_string_length(local)},
		               &k);
		if (!rc)
			rc = store_keys_add(out, (struct str){k.b, k.n});
	}
	json_decref(o);
	return rc;
}

const struct store_index_def fmap_index_defs[1] = {
    {IDX_LOCAL, false, x_local, NULL},
};

void fmap_id_hex(struct str ap_id, char out[FMAP_HEX_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[32];

	cry_sha256(ap_id.p ? ap_id.p : "", ap_id.n, d);
	for (size_t i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

enum err fmap_put(struct store_wtxn *w, struct str ap_id, const char *kind, struct str local_id)
{
	char id[FMAP_HEX_LEN];
	json_t *rec = NULL;
	char *text = NULL;
	enum err rc;

	if (ap_id.n == 0 || !ap_id.p || !kind_ok(kind) || local_id.n == 0 || !local_id.p)
		return SE_INVAL;
	if (ap_id.n > FMAP_AP_ID_MAX || local_id.n >= FMAP_LOCAL_MAX)
		return SE_TOO_LARGE;
	if (memchr(ap_id.p, '\0', ap_id.n) || memchr(local_id.p, '\0', local_id.n))
		return SE_INVAL;
	fmap_id_hex(ap_id, id);
	rec = json_pack("{s:s%, s:s, s:s%}", "ap", ap_id.p, ap_id.n, "kind", kind, "local",
	                local_id.p, local_id.n);
	if (!rec) {
		rc = SE_INVAL; /* not UTF-8 */
		goto out;
	}
	text = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text) {
		rc = SE_NOMEM;
		goto out;
	}
	rc = store_put(w, FMAP_COLL, str_from(id), str_from(text));
out:
	mem_free(text);
	json_decref(rec);
	return rc;
}

enum err fmap_get(struct store_txn *t, struct str ap_id, char kind[FMAP_KIND_MAX],
                  char local_id[FMAP_LOCAL_MAX])
{
	char id[FMAP_HEX_LEN];
	const json_t *k, *l, *ap;
	json_t *rec = NULL;
	enum err rc;

	if (ap_id.n == 0 || ap_id.n > FMAP_AP_ID_MAX)
		return SE_NOT_FOUND;
	fmap_id_hex(ap_id, id);
	rc = store_get_json(t, FMAP_COLL, str_from(id), &rec);
	if (rc)
		return rc;
	k = json_object_get(rec, "kind");
	l = json_object_get(rec, "local");
	ap = json_object_get(rec, "ap");
	if (!json_is_string(k) || !json_is_string(l) || !json_is_string(ap) ||
	    json_string_length(k) >= FMAP_KIND_MAX || json_string_length(l) >= FMAP_LOCAL_MAX) {
		rc = SE_PARSE;
		goto out;
	}
	/* a SHA-256 collision is not expected; a mismatch means a corrupt record */
	if (!str_eq((struct str){json_string_value(ap), json_string_length(ap)}, ap_id)) {
		rc = SE_NOT_FOUND;
		goto out;
	}
	memcpy(kind, json_string_value(k), json_string_length(k) + 1);
	memcpy(local_id, json_string_value(l), json_string_length(l) + 1);
out:
	json_decref(rec);
	return rc;
}

enum err fmap_delete(struct store_wtxn *w, struct str ap_id)
{
	char id[FMAP_HEX_LEN];

	if (ap_id.n == 0 || ap_id.n > FMAP_AP_ID_MAX)
		return SE_NOT_FOUND;
	fmap_id_hex(ap_id, id);
	return store_delete(w, FMAP_COLL, str_from(id));
}

enum err fmap_ap_of(struct store_txn *t, const char *kind, struct str local_id, struct arena *a,
                    const char **ap_id)
{
	struct store_key k;
	struct str id;
	const json_t *ap;
	json_t *rec = NULL;
	size_t n = 0;
	char *copy;
	enum err rc;

	if (!kind_ok(kind) || local_id.n == 0)
		return SE_NOT_FOUND;
	if (local_key(str_from(kind), local_id, &k))
		return SE_NOT_FOUND;
	rc = store_index_find(t, FMAP_COLL, IDX_LOCAL, (struct str){k.b, k.n}, &id, 1, &n, NULL);
	if (rc)
		return rc;
	if (n == 0)
		return SE_NOT_FOUND;
	rc = store_get_json(t, FMAP_COLL, id, &rec);
	if (rc)
		return rc;
	ap = json_object_get(rec, "ap");
	if (!json_is_string(ap)) {
		rc = SE_PARSE;
		goto out;
	}
	copy = arena_strndup(a, json_string_value(ap), json_string_length(ap));
	if (!copy) {
		rc = SE_NOMEM;
		goto out;
	}
	*ap_id = copy;
out:
	json_decref(rec);
	return rc;
}

enum err fmap_purge_before(struct store_wtxn *w, const char *kind, struct str local_before,
                           size_t max, size_t *n)
{
	struct store_txn *t = store_wtxn_read(w);
	struct store_hit hits[64];
	char ids[64][FMAP_HEX_LEN];
	struct store_range rg;
	char prefix[FMAP_KIND_MAX + 1];
	size_t got = 0, k;
	enum err rc;

	*n = 0;
	if (!kind_ok(kind))
		return SE_INVAL;
	snprintf(prefix, sizeof(prefix), "%s:", kind);
	rg = (struct store_range){str_from(prefix), STR_NULL, local_before, STORE_ASC};
	if (max > sizeof(hits) / sizeof(hits[0]))
		max = sizeof(hits) / sizeof(hits[0]);
	rc = store_index_scan(t, FMAP_COLL, IDX_LOCAL, &rg, hits, max, &got);
	if (rc)
		return rc;
	/* copy every id out first: a delete invalidates the borrowed slices */
	for (k = 0; k < got; k++) {
		if (hits[k].id.n == FMAP_HEX_LEN - 1) {
			memcpy(ids[k], hits[k].id.p, FMAP_HEX_LEN - 1);
			ids[k][FMAP_HEX_LEN - 1] = '\0';
		} else {
			ids[k][0] = '\0';
		}
	}
	for (k = 0; k < got; k++) {
		if (!ids[k][0])
			continue;
		rc = store_delete(w, FMAP_COLL, str_from(ids[k]));
		if (rc == SE_NOT_FOUND)
			continue;
		if (rc)
			return rc;
		(*n)++;
	}
	return SE_OK;
}
