/*
 * files/file.c: File records, their indexes and attaching (REVOLT.md
 * section 10; backend crates/core/database/src/models/files and
 * crates/services/autumn/src/api.rs for the per-tag limits and boxes).
 */
#include "files/file.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "auth/records.h"
#include "core/crypto.h"
#include "core/jx.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "files/blob.h"

static const struct {
	const char *name;
	uint64_t max;
	unsigned box_w, box_h;
} tags[FILE_TAG__COUNT] = {
    {"attachments", 20000000, 1280, 1280}, {"avatars", 4000000, 128, 128},
    {"backgrounds", 6000000, 1280, 720},   {"icons", 2500000, 128, 128},
    {"banners", 6000000, 480, 480},        {"emojis", 500000, 128, 128},
};

static pthread_mutex_t blob_mu = PTHREAD_MUTEX_INITIALIZER;

bool file_tag_parse(struct str s, enum file_tag *out)
{
	for (int t = 0; t < FILE_TAG__COUNT; t++) {
		if (str_eq_cstr(s, tags[t].name)) {
			*out = (enum file_tag)t;
			return true;
		}
	}
	return false;
}

const char *file_tag_name(enum file_tag t)
{
	return (unsigned)t < FILE_TAG__COUNT ? tags[t].name : "attachments";
}

uint64_t file_tag_max_size(enum file_tag t)
{
	return (unsigned)t < FILE_TAG__COUNT ? tags[t].max : 0;
}

void file_tag_box(enum file_tag t, unsigned *w, unsigned *h)
{
	if ((unsigned)t >= FILE_TAG__COUNT)
		t = FILE_TAG_ATTACHMENTS;
	*w = tags[t].box_w;
	*h = tags[t].box_h;
}

void file_id_new(enum file_tag t, char out[FILE_ID_LEN + 1])
{
	static const char nanoid[] =
	    "_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	struct ulid u;

	if (t == FILE_TAG_EMOJIS && ulid_generate(NULL, &u) == SE_OK) {
		ulid_encode(&u, out);
		return;
	}
	cry_random_string(out, FILE_ID_LEN, nanoid);
	out[FILE_ID_LEN] = '\0';
}

static const char *meta_name(enum file_meta m)
{
	switch (m) {
	case FILE_META_TEXT:
		return "Text";
	case FILE_META_IMAGE:
		return "Image";
	case FILE_META_VIDEO:
		return "Video";
	case FILE_META_AUDIO:
		return "Audio";
	case FILE_META_FILE:
		break;
	}
	return "File";
}

json_t *file_record_new(const struct file_new *f)
{
	char at[32];
	json_t *meta, *rec;

	if (f->meta == FILE_META_IMAGE || f->meta == FILE_META_VIDEO)
		meta = json_pack("{s:s, s:I, s:I}", "type", meta_name(f->meta), "width",
		                 (json_int_t)f->width, "height", (json_int_t)f->height);
	else
		meta = json_pack("{s:s}", "type", meta_name(f->meta));
	if (!meta)
		return NULL;
	authrec_iso8601(f->now_ms, at);
	rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:I}", "_id", f->id, "tag",
	                f->tag, "filename", f->filename, "hash", f->hash, "uploaded_at", at,
	                "uploader_id", f->uploader_id, "metadata", meta, "content_type",
	                f->content_type, "size", (json_int_t)f->size);
	return rec;
}

static enum err put(struct store_wtxn *w, const json_t *rec, bool create)
{
	const char *id = json_string_value(json_object_get(rec, "_id"));
	char *s = jx_dump(rec);
	enum err rc;

	if (!s || !id) {
		mem_free(s);
		return SE_NOMEM;
	}
	rc = create ? store_create(w, FILE_COLL, str_from(id), str_from(s))
	            : store_update(w, FILE_COLL, str_from(id), str_from(s));
	mem_free(s);
	return rc;
}

enum err file_insert(struct store_wtxn *w, const json_t *rec)
{
	return put(w, rec, true);
}

enum err file_load(struct store_txn *txn, struct str id, json_t **out)
{
	struct str rec;
	json_t *v = NULL;
	enum err rc;

	if (id.n == 0 || id.n > FILE_ID_LEN)
		return SE_NOT_FOUND;
	rc = store_get(txn, FILE_COLL, id, &rec);
	if (rc)
		return rc;
	rc = jx_parse_object(rec, rec.n + 1, &v, NULL);
	if (rc)
		return rc;
	*out = v;
	return SE_OK;
}

json_t *file_view(const json_t *rec)
{
	json_t *v = json_deep_copy(rec);

	if (v) {
		json_object_del(v, "hash");
		json_object_del(v, "preview");
	}
	return v;
}

const char *file_preview_get(const json_t *rec, const char *key)
{
	const char *h = json_string_value(json_object_get(json_object_get(rec, "preview"), key));

	return h && blob_is_hash(h) ? h : NULL;
}

enum err file_preview_set(struct store_wtxn *w, struct str id, const char *key, const char *hash,
                          bool *recorded)
{
	json_t *rec = NULL, *pv;
	enum err rc = file_load(store_wtxn_read(w), id, &rec);

	*recorded = false;
	if (rc == SE_NOT_FOUND || rc == SE_PARSE)
		return SE_OK;
	if (rc)
		return rc;
	if (json_is_true(json_object_get(rec, "deleted")))
		goto out;
	pv = json_object_get(rec, "preview");
	if (!json_is_object(pv)) {
		pv = json_object();
		if (!pv || json_object_set_new(rec, "preview", pv)) {
			rc = SE_NOMEM;
			goto out;
		}
	}
	if (json_object_set_new(pv, key, json_string(hash))) {
		rc = SE_NOMEM;
		goto out;
	}
	rc = put(w, rec, false);
	*recorded = rc == SE_OK;
out:
	json_decref(rec);
	return rc;
}

enum err file_hash_used(struct store *st, const char *hash, bool *used)
{
	struct store_txn *txn = NULL;
	struct str ids[1];
	size_t n = 0;
	enum err rc = store_read_begin(st, &txn);

	if (!rc)
		rc = store_index_find(txn, FILE_COLL, FILE_IDX_HASH, str_from(hash), ids, 1, &n,
		                      NULL);
	store_read_end(txn);
	*used = n > 0;
	return rc;
}

bool file_is_served(const json_t *rec)
{
	return json_is_object(json_object_get(rec, "used_for")) &&
	       !json_is_true(json_object_get(rec, "deleted"));
}

enum err file_claim(struct store_wtxn *w, struct str id, const char *tag, const char *used_for_type,
                    struct str used_for_id, json_t **file_out)
{
	struct err_info *ei = store_wtxn_ei(w);
	json_t *rec = NULL, *view = NULL, *uf;
	const json_t *cur;
	enum err rc = file_load(store_wtxn_read(w), id, &rec);

	if (rc == SE_NOT_FOUND || rc == SE_PARSE) {
		rc = SE_RAISE(ei, SE_UnknownAttachment);
		goto out;
	}
	if (rc)
		goto out;
	cur = json_object_get(rec, "used_for");
	if (strcmp(json_string_value(json_object_get(rec, "tag")) ?: "", tag) != 0 ||
	    json_is_true(json_object_get(rec, "deleted"))) {
		rc = SE_RAISE(ei, SE_UnknownAttachment);
		goto out;
	}
	if (cur) {
		const char *t = json_string_value(json_object_get(cur, "type"));
		const char *o = json_string_value(json_object_get(cur, "id"));

		if (!t || !o || strcmp(t, used_for_type) != 0 || !str_eq_cstr(used_for_id, o)) {
			rc = SE_RAISE(ei, SE_UnknownAttachment);
			goto out;
		}
		json_object_del(rec, "used_for");
		view = file_view(rec);
		rc = view ? SE_OK : SE_NOMEM;
		goto out;
	}
	view = file_view(rec);
	uf = json_pack("{s:s, s:s%}", "type", used_for_type, "id", used_for_id.p, used_for_id.n);
	if (!view || !uf || json_object_set_new(rec, "used_for", uf)) {
		rc = SE_NOMEM;
		goto out;
	}
	rc = put(w, rec, false);
out:
	if (!rc && file_out)
		*file_out = view;
	else
		json_decref(view);
	json_decref(rec);
	return rc;
}

enum err file_mark_deleted(struct store_wtxn *w, struct str id)
{
	json_t *rec = NULL;
	enum err rc = file_load(store_wtxn_read(w), id, &rec);

	if (rc)
		return rc;
	if (!json_is_true(json_object_get(rec, "deleted"))) {
		rc = json_object_set_new(rec, "deleted", json_true()) ? SE_NOMEM : SE_OK;
		if (!rc)
			rc = put(w, rec, false);
	}
	json_decref(rec);
	return rc;
}

void file_blob_lock(void)
{
	pthread_mutex_lock(&blob_mu);
}

void file_blob_unlock(void)
{
	pthread_mutex_unlock(&blob_mu);
}

/* ---- index extractors: they see the stored bytes ---- */

static json_t *parse_rec(struct str rec)
{
	json_t *v = NULL;

	if (jx_parse_object(rec, rec.n + 1, &v, NULL))
		return NULL;
	return v;
}

/* live files by blob hash */
static enum err x_hash(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	json_t *v = parse_rec(rec);
	const char *h = json_string_value(json_object_get(v, "hash"));
	bool deleted = json_is_true(json_object_get(v, "deleted"));
	enum err rc = SE_OK;

	(void)id;
	if (!v)
		return SE_PARSE;
	if (h && *h && (arg ? deleted : !deleted))
		rc = store_keys_add(out, str_from(h));
	/* live files also hold their previews' blobs */
	if (!rc && !arg && !deleted) {
		const char *k;
		json_t *pv;

		json_object_foreach(json_object_get(v, "preview"), k, pv)
		{
			const char *p = json_string_value(pv);
			bool dup = !p || !*p || (h && strcmp(p, h) == 0);

			for (size_t i = 0; !dup && i < out->n; i++)
				dup = out->k[i].n == strlen(p) &&
				      memcmp(out->k[i].b, p, out->k[i].n) == 0;
			if (!dup)
				rc = store_keys_add(out, str_from(p));
			if (rc)
				break;
		}
	}
	json_decref(v);
	return rc;
}

/* files never attached, by upload time: "<uploaded_at (ISO 8601, sorts)>/<id>" */
static enum err x_unattached(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	json_t *v = parse_rec(rec);
	const char *at = json_string_value(json_object_get(v, "uploaded_at"));
	char key[STORE_KEY_MAX];
	int n;
	enum err rc = SE_OK;

	(void)arg;
	if (!v)
		return SE_PARSE;
	if (at && !json_object_get(v, "used_for") && !json_is_true(json_object_get(v, "deleted"))) {
		n = snprintf(key, sizeof(key), "%s/%.*s", at, (int)id.n, id.p);
		rc = n > 0 && (size_t)n < sizeof(key) ? store_keys_add(out, str_from(key))
		                                      : SE_TOO_LARGE;
	}
	json_decref(v);
	return rc;
}

const struct store_index_def file_indexes[3] = {
    {FILE_IDX_HASH, false, x_hash, NULL},
    {FILE_IDX_UNATTACHED, false, x_unattached, NULL},
    {FILE_IDX_DELETED, false, x_hash, (void *)1},
};
